# mailstore/local.mk: users DB, Maildir, local delivery, LMTP, IMAP, POP3.
noinst_LIBRARIES += mailstore/libsluice_mailstore.a
mailstore_libsluice_mailstore_a_SOURCES = \
	mailstore/account_database.c mailstore/account_database.h \
	mailstore/user_accounts.c mailstore/user_accounts.h \
	mailstore/aliases.c mailstore/aliases.h \
	mailstore/relay_recipients.c mailstore/relay_recipients.h \
	mailstore/maildir.c mailstore/maildir.h \
	mailstore/local_delivery.c mailstore/local_delivery.h \
	mailstore/maildir_name.c mailstore/maildir_name.h \
	mailstore/mailbox_index.c mailstore/mailbox_index.h

check_PROGRAMS += \
	tests/unit/test_user_accounts \
	tests/unit/test_account_database \
	tests/unit/test_aliases \
	tests/unit/test_relay_recipients \
	tests/unit/test_maildir \
	tests/unit/test_local_delivery \
	tests/unit/test_maildir_name \
	tests/unit/test_mailbox_index
tests_unit_test_user_accounts_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_account_database_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_aliases_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_relay_recipients_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_maildir_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_local_delivery_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_maildir_name_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_mailbox_index_LDADD = mailstore/libsluice_mailstore.a $(LDADD)
