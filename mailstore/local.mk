# mailstore/local.mk: users DB, Maildir, local delivery, LMTP, IMAP, POP3.
noinst_LIBRARIES += mailstore/libsluice_mailstore.a
mailstore_libsluice_mailstore_a_SOURCES = \
	mailstore/account_database.c mailstore/account_database.h \
	mailstore/user_accounts.c mailstore/user_accounts.h \
	mailstore/aliases.c mailstore/aliases.h \
	mailstore/relay_recipients.c mailstore/relay_recipients.h \
	mailstore/maildir.c mailstore/maildir.h \
	mailstore/local_delivery.c mailstore/local_delivery.h \
	mailstore/imap_parser.c mailstore/imap_parser.h \
	mailstore/imap_sequence.c mailstore/imap_sequence.h \
	mailstore/imap_fetch_items.c mailstore/imap_fetch_items.h

check_PROGRAMS += \
	tests/unit/test_user_accounts \
	tests/unit/test_account_database \
	tests/unit/test_aliases \
	tests/unit/test_relay_recipients \
	tests/unit/test_maildir \
	tests/unit/test_local_delivery \
	tests/unit/test_imap_parser \
	tests/unit/test_imap_sequence \
	tests/unit/test_imap_fetch_items
tests_unit_test_user_accounts_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_account_database_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_aliases_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_relay_recipients_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_maildir_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_local_delivery_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_parser_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_sequence_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_imap_fetch_items_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
