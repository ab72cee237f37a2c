# tests/unit/local.mk: the harness and the layering check.
check_LIBRARIES += tests/unit/libsluice_harness.a
tests_unit_libsluice_harness_a_SOURCES = \
	tests/unit/harness.c tests/unit/harness.h \
	tests/unit/trickle_input.c tests/unit/trickle_input.h \
	tests/unit/self_signed.c tests/unit/self_signed.h \
	tests/unit/loop_guard.c tests/unit/loop_guard.h
TESTS += tests/unit/check_layering.sh
EXTRA_DIST += tests/unit/check_layering.sh
