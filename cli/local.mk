# cli/local.mk: sluice, the admin and user command line.
