/* self_signed.c: writes a self-signed certificate and key for tests. */
#include "tests/unit/self_signed.h"

#include "tests/unit/harness.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int
self_signed_add_name(X509 *certificate, const char *common_name)
{
	X509_NAME *name = X509_get_subject_name(certificate);
	X509_EXTENSION *extension;
	X509V3_CTX ctx;
	char alt_name[300];

	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)common_name, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(certificate, name) != 1)
		return -1;
	snprintf(alt_name, sizeof(alt_name), "DNS:%s", common_name);
	X509V3_set_ctx(&ctx, certificate, certificate, NULL, NULL, 0);
	extension = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    alt_name);
	if (extension == NULL)
		return -1;
	if (X509_add_ext(certificate, extension, -1) != 1) {
		X509_EXTENSION_free(extension);
		return -1;
	}
	X509_EXTENSION_free(extension);
	return 0;
}

static int
self_signed_save(const char *path, X509 *certificate, EVP_PKEY *key)
{
	FILE *file = fopen(path, "w");
	int ok;

	if (file == NULL)
		return -1;
	if (certificate != NULL)
		ok = PEM_write_X509(file, certificate);
	else
		ok = PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL);
	return fclose(file) == 0 && ok == 1 ? 0 : -1;
}

int
self_signed_write(const char *name, const char *common_name,
    struct self_signed_files *files_r)
{
	EVP_PKEY *key;
	X509 *certificate;
	int result = -1;

	snprintf(files_r->cert, sizeof(files_r->cert), "%s/%s.crt",
	    test_temp_dir(), name);
	snprintf(files_r->key, sizeof(files_r->key), "%s/%s.key",
	    test_temp_dir(), name);
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	certificate = X509_new();
	if (key == NULL || certificate == NULL)
		goto out;
	if (X509_set_version(certificate, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(certificate), -60) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(certificate), 86400) == NULL ||
	    X509_set_pubkey(certificate, key) != 1 ||
	    self_signed_add_name(certificate, common_name) < 0 ||
	    X509_sign(certificate, key, EVP_sha256()) == 0)
		goto out;
	if (self_signed_save(files_r->cert, certificate, NULL) < 0 ||
	    self_signed_save(files_r->key, NULL, key) < 0)
		goto out;
	result = 0;
out:
	if (result < 0)
		fprintf(stderr, "self_signed_write %s failed\n", name);
	X509_free(certificate);
	EVP_PKEY_free(key);
	return result;
}
