# rules/local.mk: the SpamAssassin-compatible rules engine.
noinst_LIBRARIES += rules/libsluice_rules.a
rules_libsluice_rules_a_SOURCES = \
	rules/rule_file.c rules/rule_file.h \
	rules/rule_regex.c rules/rule_regex.h \
	rules/rule_meta.c rules/rule_meta.h \
	rules/rule_prefilter.c rules/rule_prefilter.h \
	rules/ruleset.c rules/ruleset.h \
	rules/rule_replace.c rules/rule_replace.h \
	rules/rule_eval.c rules/rule_eval.h \
	rules/rule_eval_builtin.c rules/rule_eval_builtin.h \
	rules/rule_eval_mime.c \
	rules/rule_eval_html.c \
	rules/rule_eval_header.c \
	rules/rule_eval_body.c \
	rules/rule_html.c rules/rule_html.h

# Rule sets from .cf text for the rules tests.
check_LIBRARIES += tests/unit/libsluice_rules_fixture.a
tests_unit_libsluice_rules_fixture_a_SOURCES = \
	tests/unit/rules_fixture.c tests/unit/rules_fixture.h

check_PROGRAMS += \
	tests/unit/test_rule_file \
	tests/unit/test_rule_regex \
	tests/unit/test_rule_meta \
	tests/unit/test_rule_prefilter \
	tests/unit/test_rule_eval \
	tests/unit/test_rule_replace \
	tests/unit/test_rule_eval_builtin \
	tests/unit/test_rule_html \
	tests/unit/test_ruleset
tests_unit_test_rule_file_LDADD = rules/libsluice_rules.a $(LDADD)
tests_unit_test_rule_regex_LDADD = rules/libsluice_rules.a $(LDADD)
tests_unit_test_rule_meta_LDADD = rules/libsluice_rules.a $(LDADD)
tests_unit_test_rule_prefilter_LDADD = rules/libsluice_rules.a $(LDADD)
tests_unit_test_rule_eval_LDADD = tests/unit/libsluice_rules_fixture.a \
	rules/libsluice_rules.a $(LDADD)
tests_unit_test_rule_replace_LDADD = rules/libsluice_rules.a $(LDADD)
tests_unit_test_rule_eval_builtin_LDADD = tests/unit/libsluice_rules_fixture.a \
	rules/libsluice_rules.a $(LDADD)
tests_unit_test_rule_html_LDADD = rules/libsluice_rules.a $(LDADD)
tests_unit_test_ruleset_LDADD = tests/unit/libsluice_rules_fixture.a \
	rules/libsluice_rules.a $(LDADD)
