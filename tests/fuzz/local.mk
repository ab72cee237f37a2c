# tests/fuzz/local.mk: libFuzzer targets, built only with --enable-fuzz
# (CC=clang). Each target compiles the modules it exercises itself, so
# they carry the fuzzer's coverage instrumentation, and takes the rest
# from lib/.
if FUZZ
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined

noinst_PROGRAMS += \
	tests/fuzz/fuzz_line_reader \
	tests/fuzz/fuzz_smtp_command_parser \
	tests/fuzz/fuzz_smtp_reply \
	tests/fuzz/fuzz_smtp_data_reader \
	tests/fuzz/fuzz_rule_prefilter

tests_fuzz_fuzz_line_reader_SOURCES = tests/fuzz/fuzz_line_reader.c \
	tests/unit/trickle_input.c tests/unit/trickle_input.h \
	lib/line_reader.c
tests_fuzz_fuzz_line_reader_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_line_reader_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_line_reader_LDADD = lib/libsluice_lib.a

tests_fuzz_fuzz_smtp_command_parser_SOURCES = \
	tests/fuzz/fuzz_smtp_command_parser.c lib/smtp_command_parser.c
tests_fuzz_fuzz_smtp_command_parser_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_command_parser_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_command_parser_LDADD = lib/libsluice_lib.a

tests_fuzz_fuzz_smtp_reply_SOURCES = tests/fuzz/fuzz_smtp_reply.c \
	tests/unit/trickle_input.c tests/unit/trickle_input.h \
	lib/smtp_reply.c lib/line_reader.c
tests_fuzz_fuzz_smtp_reply_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_reply_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_reply_LDADD = lib/libsluice_lib.a

tests_fuzz_fuzz_smtp_data_reader_SOURCES = \
	tests/fuzz/fuzz_smtp_data_reader.c lib/smtp_data_reader.c
tests_fuzz_fuzz_smtp_data_reader_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_data_reader_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_smtp_data_reader_LDADD = lib/libsluice_lib.a

tests_fuzz_fuzz_rule_prefilter_SOURCES = tests/fuzz/fuzz_rule_prefilter.c \
	rules/rule_prefilter.c
tests_fuzz_fuzz_rule_prefilter_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_prefilter_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_prefilter_LDADD = lib/libsluice_lib.a $(PCRE2_LIBS)
endif
