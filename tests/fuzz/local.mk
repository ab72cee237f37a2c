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
	tests/fuzz/fuzz_rule_meta \
	tests/fuzz/fuzz_rule_file \
	tests/fuzz/fuzz_mime_parser \
	tests/fuzz/fuzz_mail_header \
	tests/fuzz/fuzz_html_text \
	tests/fuzz/fuzz_uri_extract \
	tests/fuzz/fuzz_rule_prefilter \
	tests/fuzz/fuzz_received \
	tests/fuzz/fuzz_rule_html \
	tests/fuzz/fuzz_imap_parser \
	tests/fuzz/fuzz_pop3_command \
	tests/fuzz/fuzz_bayes_tokenize

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

tests_fuzz_fuzz_rule_meta_SOURCES = tests/fuzz/fuzz_rule_meta.c \
	rules/rule_meta.c
tests_fuzz_fuzz_rule_meta_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_meta_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_meta_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_rule_file_SOURCES = tests/fuzz/fuzz_rule_file.c \
	tests/unit/trickle_input.c tests/unit/trickle_input.h \
	rules/rule_file.c rules/rule_file.h
tests_fuzz_fuzz_rule_file_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_file_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_file_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_mime_parser_SOURCES = tests/fuzz/fuzz_mime_parser.c \
	tests/unit/trickle_input.c tests/unit/trickle_input.h \
	lib/mime_parser.c lib/message.c lib/mail_header.c lib/mime_decode.c
tests_fuzz_fuzz_mime_parser_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_mime_parser_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_mime_parser_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_mail_header_SOURCES = tests/fuzz/fuzz_mail_header.c \
	lib/mail_header.c lib/mime_decode.c
tests_fuzz_fuzz_mail_header_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_mail_header_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_mail_header_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_html_text_SOURCES = tests/fuzz/fuzz_html_text.c \
	lib/html_text.c lib/uri_extract.c
tests_fuzz_fuzz_html_text_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_html_text_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_html_text_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_uri_extract_SOURCES = tests/fuzz/fuzz_uri_extract.c \
	lib/uri_extract.c
tests_fuzz_fuzz_uri_extract_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_uri_extract_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_uri_extract_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_rule_prefilter_SOURCES = tests/fuzz/fuzz_rule_prefilter.c \
	rules/rule_prefilter.c
tests_fuzz_fuzz_rule_prefilter_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_prefilter_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_prefilter_LDADD = lib/libsluice_lib.a $(PCRE2_LIBS)
tests_fuzz_fuzz_received_SOURCES = tests/fuzz/fuzz_received.c \
	lib/received.c
tests_fuzz_fuzz_received_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_received_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_received_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_rule_html_SOURCES = tests/fuzz/fuzz_rule_html.c \
	rules/rule_html.c lib/html_text.c
tests_fuzz_fuzz_rule_html_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_html_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_rule_html_LDADD = lib/libsluice_lib.a
tests_fuzz_fuzz_imap_parser_SOURCES = tests/fuzz/fuzz_imap_parser.c \
	tests/unit/trickle_input.c tests/unit/trickle_input.h \
	mailstore/imap_parser.c mailstore/imap_sequence.c \
	mailstore/imap_fetch_items.c
tests_fuzz_fuzz_imap_parser_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_imap_parser_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_imap_parser_LDADD = lib/libsluice_lib.a

tests_fuzz_fuzz_pop3_command_SOURCES = tests/fuzz/fuzz_pop3_command.c \
	tests/unit/trickle_input.c tests/unit/trickle_input.h \
	mailstore/pop3_command.c
tests_fuzz_fuzz_pop3_command_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_pop3_command_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_pop3_command_LDADD = lib/libsluice_lib.a

tests_fuzz_fuzz_bayes_tokenize_SOURCES = tests/fuzz/fuzz_bayes_tokenize.c \
	bayes/bayes_tokenize.c
tests_fuzz_fuzz_bayes_tokenize_CFLAGS = $(AM_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_bayes_tokenize_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_bayes_tokenize_LDADD = lib/libsluice_lib.a

endif
