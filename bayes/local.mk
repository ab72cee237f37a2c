# bayes/local.mk: the Bayes classifier (tokenizer, combining, store).
noinst_LIBRARIES += bayes/libsluice_bayes.a
bayes_libsluice_bayes_a_SOURCES = \
	bayes/bayes_tokenize.c bayes/bayes_tokenize.h \
	bayes/bayes_classify.c bayes/bayes_classify.h

# bayes_classify needs log(), exp() and log1p(); every program linking
# bayes/libsluice_bayes.a must add $(BAYES_LIBS).
BAYES_LIBS = -lm

check_PROGRAMS += \
	tests/unit/test_bayes_tokenize \
	tests/unit/test_bayes_classify
tests_unit_test_bayes_tokenize_LDADD = bayes/libsluice_bayes.a $(LDADD)
tests_unit_test_bayes_classify_LDADD = bayes/libsluice_bayes.a $(LDADD) \
	$(BAYES_LIBS)
