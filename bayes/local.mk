# bayes/local.mk: the Bayes classifier (tokenizer, combining, store).
noinst_LIBRARIES += bayes/libsluice_bayes.a
bayes_libsluice_bayes_a_SOURCES = \
	bayes/bayes_tokenize.c bayes/bayes_tokenize.h

check_PROGRAMS += tests/unit/test_bayes_tokenize
tests_unit_test_bayes_tokenize_LDADD = bayes/libsluice_bayes.a $(LDADD)

# libFuzzer target (--enable-fuzz, CC=clang); FUZZ_FLAGS comes from
# tests/fuzz/local.mk. The tokenizer is compiled in for coverage.
if FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_bayes_tokenize
tests_fuzz_fuzz_bayes_tokenize_SOURCES = tests/fuzz/fuzz_bayes_tokenize.c \
	bayes/bayes_tokenize.c
tests_fuzz_fuzz_bayes_tokenize_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_bayes_tokenize_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_bayes_tokenize_LDADD = lib/libsluice_lib.a
endif
