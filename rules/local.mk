# rules/local.mk: the SpamAssassin-compatible rules engine.
noinst_LIBRARIES += rules/libsluice_rules.a
rules_libsluice_rules_a_SOURCES = \
	rules/rule_prefilter.c rules/rule_prefilter.h

check_PROGRAMS += tests/unit/test_rule_prefilter
tests_unit_test_rule_prefilter_LDADD = rules/libsluice_rules.a $(LDADD)
