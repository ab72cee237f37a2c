# gateway/local.mk: sluiced, the daemon.
noinst_LIBRARIES += gateway/libsluice_gateway.a
gateway_libsluice_gateway_a_SOURCES =
