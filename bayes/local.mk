# bayes/local.mk: the Bayes classifier (tokenizer, combining, token store).
noinst_LIBRARIES += bayes/libsluice_bayes.a
bayes_libsluice_bayes_a_SOURCES = \
	bayes/bayes_tokenize.c bayes/bayes_tokenize.h \
	bayes/bayes_classify.c bayes/bayes_classify.h \
	bayes/bayes_store.c bayes/bayes_store.h bayes/bayes_store_private.h \
	bayes/bayes_store_sqlite.c

# bayes_classify needs log(), exp() and log1p(); every program linking
# bayes/libsluice_bayes.a must add $(BAYES_LIBS).
BAYES_LIBS = -lm

check_PROGRAMS += \
	tests/unit/test_bayes_tokenize \
	tests/unit/test_bayes_classify \
	tests/unit/test_bayes_store \
	tests/unit/test_bayes_store_sqlite
tests_unit_test_bayes_tokenize_LDADD = bayes/libsluice_bayes.a $(LDADD)
tests_unit_test_bayes_classify_LDADD = bayes/libsluice_bayes.a $(LDADD) \
	$(BAYES_LIBS)
tests_unit_test_bayes_store_LDADD = bayes/libsluice_bayes.a $(LDADD)
tests_unit_test_bayes_store_sqlite_LDADD = bayes/libsluice_bayes.a $(LDADD)
