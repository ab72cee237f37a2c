# tests/fuzz/local.mk: libFuzzer targets, built with --enable-fuzz (CC=clang).
# Each target compiles the code under test itself so that it carries the
# fuzzer's coverage instrumentation; the rest comes from lib/.
if FUZZ
FUZZ_FLAGS = -fsanitize=fuzzer

noinst_PROGRAMS += tests/fuzz/fuzz_smtp_data_reader
tests_fuzz_fuzz_smtp_data_reader_SOURCES = \
	tests/fuzz/fuzz_smtp_data_reader.c lib/smtp_data_reader.c
tests_fuzz_fuzz_smtp_data_reader_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_data_reader_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_data_reader_LDADD = lib/libsluice_lib.a
endif
