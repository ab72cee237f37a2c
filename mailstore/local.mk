# mailstore/local.mk: users DB, Maildir, local delivery, LMTP, IMAP, POP3.
noinst_LIBRARIES += mailstore/libsluice_mailstore.a
mailstore_libsluice_mailstore_a_SOURCES = \
	mailstore/account_database.c mailstore/account_database.h \
	mailstore/user_accounts.c mailstore/user_accounts.h \
	mailstore/aliases.c mailstore/aliases.h \
	mailstore/relay_recipients.c mailstore/relay_recipients.h \
	mailstore/maildir.c mailstore/maildir.h \
	mailstore/local_delivery.c mailstore/local_delivery.h \
	mailstore/mailbox_notify.c mailstore/mailbox_notify.h \
	mailstore/mailbox_quota.c mailstore/mailbox_quota.h \
	mailstore/imap_utf7.c mailstore/imap_utf7.h \
	mailstore/imap_server.c mailstore/imap_server.h \
	mailstore/imap_session.c mailstore/imap_session.h \
	mailstore/imap_command_any.c \
	mailstore/imap_command_mailbox.c \
	mailstore/imap_command_append.c \
	mailstore/imap_command_auth.c \
	mailstore/imap_command_message.c \
	mailstore/imap_message.c mailstore/imap_message.h \
	mailstore/imap_search.c mailstore/imap_search.h \
	mailstore/lmtp_server.c mailstore/lmtp_server.h \
	mailstore/sasl_plain.c mailstore/sasl_plain.h \
	mailstore/auth_throttle.c mailstore/auth_throttle.h \
	mailstore/auth_verify.c mailstore/auth_verify.h \
	mailstore/maildir_name.c mailstore/maildir_name.h \
	mailstore/mailbox_index.c mailstore/mailbox_index.h \
	mailstore/imap_parser.c mailstore/imap_parser.h \
	mailstore/imap_sequence.c mailstore/imap_sequence.h \
	mailstore/imap_fetch_items.c mailstore/imap_fetch_items.h \
	mailstore/pop3_command.c mailstore/pop3_command.h \
	mailstore/pop3_server.c mailstore/pop3_server.h

check_PROGRAMS += \
	tests/unit/test_user_accounts \
	tests/unit/test_account_database \
	tests/unit/test_aliases \
	tests/unit/test_relay_recipients \
	tests/unit/test_maildir \
	tests/unit/test_local_delivery \
	tests/unit/test_mailbox_notify \
	tests/unit/test_imap_utf7 \
	tests/unit/test_imap_message \
	tests/unit/test_imap_search \
	tests/unit/test_lmtp_server \
	tests/unit/test_sasl_plain \
	tests/unit/test_auth_throttle \
	tests/unit/test_auth_verify \
	tests/unit/test_maildir_name \
	tests/unit/test_mailbox_index \
	tests/unit/test_imap_parser \
	tests/unit/test_imap_sequence \
	tests/unit/test_imap_fetch_items \
	tests/unit/test_pop3_command
tests_unit_test_user_accounts_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_account_database_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_aliases_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_relay_recipients_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_maildir_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_local_delivery_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_mailbox_notify_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_utf7_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_message_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_search_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_lmtp_server_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_sasl_plain_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_auth_throttle_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_auth_verify_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_maildir_name_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_mailbox_index_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_parser_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_sequence_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_fetch_items_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_pop3_command_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
