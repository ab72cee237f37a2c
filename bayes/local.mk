# bayes/local.mk: the Bayes classifier (tokenizer, combining, token store).
noinst_LIBRARIES += bayes/libsluice_bayes.a
bayes_libsluice_bayes_a_SOURCES = \
	bayes/bayes_store.c bayes/bayes_store.h bayes/bayes_store_private.h \
	bayes/bayes_store_sqlite.c

check_PROGRAMS += \
	tests/unit/test_bayes_store \
	tests/unit/test_bayes_store_sqlite
tests_unit_test_bayes_store_LDADD = bayes/libsluice_bayes.a $(LDADD)
tests_unit_test_bayes_store_sqlite_LDADD = bayes/libsluice_bayes.a $(LDADD)
