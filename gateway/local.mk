# gateway/local.mk: sluiced, the daemon.
noinst_LIBRARIES += gateway/libsluice_gateway.a
gateway_libsluice_gateway_a_SOURCES = \
	gateway/server.h \
	gateway/server_config.c gateway/server_config.h \
	gateway/state_dir.c gateway/state_dir.h \
	gateway/listener.c gateway/listener.h \
	gateway/spool.c gateway/spool.h \
	gateway/queue.c gateway/queue.h \
	gateway/queue_state.c gateway/queue_state.h \
	gateway/queue_relay.h gateway/queue_relay_pending.c \
	gateway/dsn.c gateway/dsn.h \
	gateway/smtp_transaction.c gateway/smtp_transaction.h \
	gateway/smtp_session.c gateway/smtp_session.h \
	gateway/smtp_session_private.h \
	gateway/smtp_commands.c \
	gateway/scan.c gateway/scan.h \
	gateway/scan_rules.c gateway/scan_rules.h \
	gateway/rules_loader.c gateway/rules_loader.h

# MERGE NOTE (#12): gateway/queue_relay.c implements gateway/queue_relay.h
# over routing.c (part D) and smtp_client.c (part A). Until both are merged
# it is only compiled, in a library nothing links, and the stand-in
# gateway/queue_relay_pending.c is linked instead. At the merge: replace
# queue_relay_pending.c by queue_relay.c in the list above, delete
# queue_relay_pending.c and the check library (the two settings below).
noinst_LIBRARIES += gateway/libsluice_queue_relay_check.a
gateway_libsluice_queue_relay_check_a_SOURCES = gateway/queue_relay.c \
	gateway/queue_relay.h

sbin_PROGRAMS += gateway/sluiced
gateway_sluiced_SOURCES = gateway/main.c
gateway_sluiced_LDADD = gateway/libsluice_gateway.a \
	rules/libsluice_rules.a mailstore/libsluice_mailstore.a lib/libsluice_lib.a $(EXTERNAL_LIBS)

check_PROGRAMS += tests/unit/test_server_config tests/unit/test_spool \
	tests/unit/test_scan tests/unit/test_queue_state tests/unit/test_dsn
tests_unit_test_server_config_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_spool_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_scan_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_queue_state_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_dsn_LDADD = gateway/libsluice_gateway.a $(LDADD)
