# mailstore/local.mk: users DB, Maildir, local delivery, LMTP, IMAP, POP3.
noinst_LIBRARIES += mailstore/libsluice_mailstore.a
mailstore_libsluice_mailstore_a_SOURCES =
