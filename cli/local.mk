# cli/local.mk: sluice, the admin and user command line.
bin_PROGRAMS += cli/sluice
cli_sluice_SOURCES = \
	cli/cli.h cli/main.c cli/cli_common.c \
	cli/sluice_config.c cli/sluice_domain.c cli/sluice_user.c \
	cli/sluice_init.c cli/sluice_check.c cli/sluice_rules.c \
	cli/sluice_alias.c cli/sluice_relay_recipient.c \
	cli/sluice_queue.c
cli_sluice_LDADD = gateway/libsluice_gateway.a \
	rules/libsluice_rules.a mailstore/libsluice_mailstore.a lib/libsluice_lib.a $(EXTERNAL_LIBS)
