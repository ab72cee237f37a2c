# gateway/local.mk: sluiced, the daemon.
noinst_LIBRARIES += gateway/libsluice_gateway.a
gateway_libsluice_gateway_a_SOURCES = \
	gateway/server.h \
	gateway/server_config.c gateway/server_config.h \
	gateway/relay_destination.c gateway/relay_destination.h \
	gateway/routing.c gateway/routing.h \
	gateway/state_dir.c gateway/state_dir.h \
	gateway/listener.c gateway/listener.h \
	gateway/spool.c gateway/spool.h \
	gateway/queue.c gateway/queue.h \
	gateway/client_limits.c gateway/client_limits.h \
	gateway/smtp_address.c gateway/smtp_address.h \
	gateway/smtp_parameters.c gateway/smtp_parameters.h \
	gateway/queue_state.c gateway/queue_state.h \
	gateway/queue_relay.c gateway/queue_relay.h \
	gateway/dsn.c gateway/dsn.h \
	gateway/smtp_transaction.c gateway/smtp_transaction.h \
	gateway/smtp_session.c gateway/smtp_session.h \
	gateway/smtp_session_private.h \
	gateway/smtp_commands.c \
	gateway/scan.c gateway/scan.h \
	gateway/scan_rules.c gateway/scan_rules.h \
	gateway/rules_loader.c gateway/rules_loader.h \
	gateway/smtp_client.c gateway/smtp_client.h


sbin_PROGRAMS += gateway/sluiced
gateway_sluiced_SOURCES = gateway/main.c
gateway_sluiced_LDADD = gateway/libsluice_gateway.a \
	rules/libsluice_rules.a mailstore/libsluice_mailstore.a lib/libsluice_lib.a $(EXTERNAL_LIBS)

check_PROGRAMS += tests/unit/test_server_config tests/unit/test_spool \
	tests/unit/test_scan tests/unit/test_smtp_client \
	tests/unit/test_relay_destination tests/unit/test_routing \
	tests/unit/test_client_limits \
	tests/unit/test_smtp_address tests/unit/test_smtp_parameters \
	tests/unit/test_smtp_transaction \
	tests/unit/test_queue_state tests/unit/test_dsn
tests_unit_test_server_config_LDADD = gateway/libsluice_gateway.a \
	mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_relay_destination_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_routing_LDADD = gateway/libsluice_gateway.a \
	mailstore/libsluice_mailstore.a $(LDADD)
tests_unit_test_spool_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_scan_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_smtp_client_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_client_limits_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_smtp_address_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_smtp_parameters_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_smtp_transaction_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_queue_state_LDADD = gateway/libsluice_gateway.a $(LDADD)
tests_unit_test_dsn_LDADD = gateway/libsluice_gateway.a $(LDADD)

# Sends one message with the relay client (for tests/e2e/test_relay_client.py).
noinst_PROGRAMS += tests/unit/smtp_client_send
tests_unit_smtp_client_send_SOURCES = tests/unit/smtp_client_send.c
tests_unit_smtp_client_send_LDADD = gateway/libsluice_gateway.a \
	lib/libsluice_lib.a $(EXTERNAL_LIBS)
