# lib/local.mk: the base library (base -> io -> mail layers).
noinst_LIBRARIES += lib/libsluice_lib.a
lib_libsluice_lib_a_SOURCES = \
	lib/common.h \
	lib/alloc.c lib/alloc.h \
	lib/arena.c lib/arena.h \
	lib/buffer.c lib/buffer.h \
	lib/string_view.c lib/string_view.h \
	lib/string_set.c lib/string_set.h \
	lib/log.c lib/log.h \
	lib/error.c lib/error.h \
	lib/settings.c lib/settings.h \
	lib/smtp_data_reader.c lib/smtp_data_reader.h \
	lib/durable_file.c lib/durable_file.h \
	lib/database.c lib/database.h \
	lib/line_reader.c lib/line_reader.h \
	lib/smtp_command_parser.c lib/smtp_command_parser.h \
	lib/smtp_reply.c lib/smtp_reply.h \
	lib/mime_decode.c lib/mime_decode.h \
	lib/mail_header.c lib/mail_header.h \
	lib/mime_parser.c lib/mime_parser.h \
	lib/message.c lib/message.h \
	lib/loop.c lib/loop.h \
	lib/connection.c lib/connection.h \
	lib/tls_context.c lib/tls_context.h \
	lib/worker_pool.c lib/worker_pool.h \
	lib/html_text.c lib/html_text.h \
	lib/uri_extract.c lib/uri_extract.h \
	lib/received.c lib/received.h \
	lib/network_list.c lib/network_list.h

check_PROGRAMS += \
	tests/unit/test_network_list \
	tests/unit/test_alloc \
	tests/unit/test_arena \
	tests/unit/test_buffer \
	tests/unit/test_string_view \
	tests/unit/test_string_set \
	tests/unit/test_log \
	tests/unit/test_settings \
	tests/unit/test_smtp_data_reader \
	tests/unit/test_durable_file \
	tests/unit/test_database \
	tests/unit/test_line_reader \
	tests/unit/test_smtp_command_parser \
	tests/unit/test_smtp_reply \
	tests/unit/test_mime_decode \
	tests/unit/test_mail_header \
	tests/unit/test_mime_parser \
	tests/unit/test_message \
	tests/unit/test_loop \
	tests/unit/test_connection \
	tests/unit/test_tls_context \
	tests/unit/test_worker_pool \
	tests/unit/test_html_text \
	tests/unit/test_uri_extract \
	tests/unit/test_received

# The compatibility tool for lib/received (see tests/compat/sa_relays.pl).
noinst_PROGRAMS += tests/compat/received_relays
tests_compat_received_relays_SOURCES = tests/compat/received_relays.c
tests_compat_received_relays_LDADD = lib/libsluice_lib.a $(EXTERNAL_LIBS)
