/* self_signed.h: throwaway self-signed certificates for the TLS tests,
 * made with OpenSSL's C API in test_temp_dir(). */
#ifndef SLUICE_TEST_SELF_SIGNED_H
#define SLUICE_TEST_SELF_SIGNED_H

#include "lib/common.h"

struct self_signed_files {
	char cert[512];
	char key[512];
};

/* Writes test_temp_dir()/NAME.crt and NAME.key: a fresh P-256 key and a
 * certificate for common_name (also its DNS subjectAltName), valid from
 * a minute ago for a day. Returns 0, or -1 after printing why. */
int self_signed_write(const char *name, const char *common_name,
    struct self_signed_files *files_r);

#endif
