/* trickle_input.c: whole, byte-at-a-time and random chunk schedules. */
#include "tests/unit/trickle_input.h"

const char *
trickle_mode_name(enum trickle_mode mode)
{
	switch (mode) {
	case TRICKLE_WHOLE:
		return "whole";
	case TRICKLE_BYTE:
		return "byte";
	case TRICKLE_RANDOM:
		return "random";
	}
	return "?";
}

size_t
trickle_next_chunk(enum trickle_mode mode, size_t remaining, uint32_t *state)
{
	uint32_t x;

	if (remaining == 0)
		return 0;
	switch (mode) {
	case TRICKLE_WHOLE:
		return remaining;
	case TRICKLE_BYTE:
		return 1;
	case TRICKLE_RANDOM:
		/* xorshift32: deterministic for a given seed */
		x = *state != 0 ? *state : 2463534242u;
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		*state = x;
		return 1 + x % (remaining < 17 ? remaining : 17);
	}
	return remaining;
}
