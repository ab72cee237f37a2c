/* trickle_input.h: chunking schedules for feeding parsers piece by piece.
 *
 * Every parser test runs its table three ways: the whole input at once,
 * one byte at a time, and in seeded random chunks, and must get the same
 * result each way (a resumable parser must not care where reads split). */
#ifndef SLUICE_TEST_TRICKLE_INPUT_H
#define SLUICE_TEST_TRICKLE_INPUT_H

#include "lib/common.h"

enum trickle_mode {
	TRICKLE_WHOLE,
	TRICKLE_BYTE,
	TRICKLE_RANDOM,
};

#define TRICKLE_MODES 3

/* Name for failure messages ("whole", "byte", "random"). */
const char *trickle_mode_name(enum trickle_mode mode);

/* Length of the next chunk to feed, 1..remaining (0 if remaining is 0).
 * state carries the random sequence; start it at a fixed seed. */
size_t trickle_next_chunk(enum trickle_mode mode, size_t remaining,
    uint32_t *state);

#endif
