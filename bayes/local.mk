# bayes/local.mk: the Bayes classifier (tokenizer, combining, store).
noinst_LIBRARIES += bayes/libsluice_bayes.a
bayes_libsluice_bayes_a_SOURCES = \
	bayes/bayes_tokenize.c bayes/bayes_tokenize.h

check_PROGRAMS += tests/unit/test_bayes_tokenize
tests_unit_test_bayes_tokenize_LDADD = bayes/libsluice_bayes.a $(LDADD)
