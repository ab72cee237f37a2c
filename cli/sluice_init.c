/*
 * NAME
 *	sluice init - write a ready-to-run demo setup
 *
 * SYNOPSIS
 *	sluice init [--hostname NAME] [--port-base N] DIR
 *
 * DESCRIPTION
 *	Creates DIR (which must not exist or be empty) with sluice.conf
 *	listening on 127.0.0.1 high ports (N defaults to 2500: SMTP on
 *	N+25, LMTP on N+24, IMAP on N+143, IMAPS on N+993, POP3 on N+110,
 *	POP3S on N+995),
 *	a state directory DIR/state, a self-signed certificate for NAME
 *	(default sluice.example.test) under DIR/tls, the local domain
 *	example.test and the user demo@example.test with a random password,
 *	which it prints. Run as root, the config names user = sluice and
 *	the state directory is handed to that account.
 */
#include "lib/alloc.h"
#include "lib/durable_file.h"
#include "cli/cli.h"
#include "mailstore/user_accounts.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char sluice_init_usage[] =
    "sluice init [--hostname NAME] [--port-base N] DIR";

#define SLUICE_INIT_DOMAIN "example.test"
#define SLUICE_INIT_USER "demo@example.test"

static bool
sluice_init_dir_usable(const char *dir)
{
	struct dirent *entry;
	DIR *d = opendir(dir);
	bool empty = true;

	if (d == NULL)
		return errno == ENOENT;
	while ((entry = readdir(d)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 &&
		    strcmp(entry->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

static int
sluice_init_certificate(const char *cert_path, const char *key_path,
    const char *hostname)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x509 = X509_new();
	X509_NAME *name;
	X509_EXTENSION *extension;
	X509V3_CTX v3;
	char san[600];
	unsigned char serial[8];
	FILE *out;
	int fd, ret = -1;

	if (key == NULL || x509 == NULL || RAND_bytes(serial, 8) != 1)
		goto out;
	serial[0] &= 0x7f;
	X509_set_version(x509, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509),
	    ((uint64_t)serial[0] << 56) | ((uint64_t)serial[1] << 48) |
	    ((uint64_t)serial[2] << 40) | ((uint64_t)serial[3] << 32) |
	    ((uint64_t)serial[4] << 24) | ((uint64_t)serial[5] << 16) |
	    ((uint64_t)serial[6] << 8) | serial[7]);
	X509_gmtime_adj(X509_getm_notBefore(x509), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x509), 3650L * 86400);
	X509_set_pubkey(x509, key);
	name = X509_get_subject_name(x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)hostname, -1, -1, 0);
	X509_set_issuer_name(x509, name);
	snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1",
	    hostname);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x509, x509, NULL, NULL, 0);
	extension = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (extension == NULL)
		goto out;
	X509_add_ext(x509, extension, -1);
	X509_EXTENSION_free(extension);
	if (X509_sign(x509, key, EVP_sha256()) == 0)
		goto out;

	fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (out = fdopen(fd, "w")) == NULL)
		goto out;
	if (PEM_write_PrivateKey(out, key, NULL, NULL, 0, NULL, NULL) != 1) {
		fclose(out);
		goto out;
	}
	if (fclose(out) != 0)
		goto out;
	out = fopen(cert_path, "wx");
	if (out == NULL)
		goto out;
	if (PEM_write_X509(out, x509) != 1) {
		fclose(out);
		goto out;
	}
	if (fclose(out) != 0)
		goto out;
	ret = 0;
out:
	X509_free(x509);
	EVP_PKEY_free(key);
	return ret;
}

/* As root, the key stays root's but the sluice group may read it, so
 * sluiced can reload the certificate on SIGHUP after dropping root. */
static int
sluice_init_share_key(const char *dir, const char *key)
{
	struct passwd *pw;
	char tls_dir[PATH_MAX + 8];

	if (geteuid() != 0 || (pw = getpwnam("sluice")) == NULL)
		return 0;
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", dir);
	if (chown(tls_dir, 0, pw->pw_gid) < 0 || chmod(tls_dir, 0750) < 0 ||
	    chown(key, 0, pw->pw_gid) < 0 || chmod(key, 0640) < 0)
		return -1;
	return 0;
}

static char *
sluice_init_password(void)
{
	static const char alphabet[] =
	    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char random[16];
	char *password = alloc_zero(sizeof(random) + 1);
	size_t i;

	if (RAND_bytes(random, sizeof(random)) != 1)
		log_panic("RAND_bytes failed");
	/* 56 symbols: the modulo bias is under 1% and irrelevant here. */
	for (i = 0; i < sizeof(random); i++)
		password[i] = alphabet[random[i] % (sizeof(alphabet) - 1)];
	return password;
}

static int
sluice_init_write_config(const char *path, const char *dir,
    const char *hostname, long port_base)
{
	FILE *out = fopen(path, "wx");
	time_t now = time(NULL);
	char date[32];

	if (out == NULL)
		return -1;
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
	fprintf(out,
	    "# sluice demo configuration, written by `sluice init` on %s.\n"
	    "# Every key with its default: `sluice config defaults`.\n\n"
	    "hostname = %s\n"
	    "state_dir = %s/state\n"
	    "%s"
	    "log_level = info\n\n"
	    "# Inbound SMTP on loopback only; point a real MX at port 25.\n"
	    "smtp.listen = 127.0.0.1:%ld\n"
	    "smtp.max_message_size = 25M\n\n"
	    "# Local delivery for an MTA in front (LMTP), and mailbox access.\n"
	    "lmtp.listen = 127.0.0.1:%ld\n"
	    "imap.listen = 127.0.0.1:%ld\n"
	    "imaps.listen = 127.0.0.1:%ld\n"
	    "pop3.listen = 127.0.0.1:%ld\n"
	    "pop3s.listen = 127.0.0.1:%ld\n\n"
	    "# Self-signed demo certificate for STARTTLS and implicit TLS.\n"
	    "tls.cert = %s/tls/cert.pem\n"
	    "tls.key = %s/tls/key.pem\n",
	    date, hostname, dir,
	    geteuid() == 0 ? "# sluiced drops root to this account.\nuser = sluice\n" :
	    "", port_base + 25, port_base + 24, port_base + 143,
	    port_base + 993, port_base + 110, port_base + 995, dir, dir);
	return fclose(out) == 0 ? 0 : -1;
}

int
sluice_init_main(struct cli_context *context, int argc, char **argv)
{
	static const struct option options[] = {
		{ "hostname", required_argument, NULL, 'n' },
		{ "port-base", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hostname = "sluice.example.test", *error;
	static char config_path[PATH_MAX + 16];
	char dir[PATH_MAX], *path, *password;
	struct user_accounts *accounts;
	long port_base = 2500;
	char *end;
	int opt, ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			hostname = optarg;
			break;
		case 'p':
			port_base = strtol(optarg, &end, 10);
			if (*end != '\0' || port_base < 1024 ||
			    port_base > 65000)
				return cli_usage_error(sluice_init_usage,
				    "init: --port-base must be a number from "
				    "1024 to 65000");
			break;
		case 'h':
			printf("usage: %s\n", sluice_init_usage);
			return 0;
		default:
			return cli_usage_error(sluice_init_usage,
			    "init: unknown option or missing value '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(sluice_init_usage,
		    optind == argc ? "init: missing DIR" :
		    "init: one DIR only");
	if (strspn(hostname, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(hostname) ||
	    *hostname == '\0')
		return cli_usage_error(sluice_init_usage,
		    "init: '%s' is not a host name", hostname);
	if (!sluice_init_dir_usable(argv[optind]))
		return cli_error("init: %s exists and is not empty",
		    argv[optind]);
	if (durable_mkdir_all(argv[optind], 0755, &error) < 0)
		return cli_error("init: %s", error);
	if (realpath(argv[optind], dir) == NULL)
		return cli_error("init: %s: %s", argv[optind], strerror(errno));

	path = alloc_printf("%s/tls", dir);
	ret = durable_mkdir_all(path, 0700, &error);
	free(path);
	if (ret < 0)
		return cli_error("init: %s", error);
	{
		char *cert = alloc_printf("%s/tls/cert.pem", dir);
		char *key = alloc_printf("%s/tls/key.pem", dir);
		ret = sluice_init_certificate(cert, key, hostname);
		if (ret == 0)
			ret = sluice_init_share_key(dir, key);
		free(cert);
		free(key);
		if (ret < 0)
			return cli_error("init: cannot write the certificate in "
			    "%s/tls", dir);
	}
	/* Static: the context refers to it until the program exits. */
	snprintf(config_path, sizeof(config_path), "%s/sluice.conf", dir);
	path = config_path;
	ret = sluice_init_write_config(path, dir, hostname, port_base);
	context->config_path = path;
	if (ret < 0)
		return cli_error("init: %s: %s", path, strerror(errno));
	accounts = cli_open_accounts(context);
	if (accounts == NULL)
		return 1;
	password = sluice_init_password();
	ret = user_accounts_domain_add(accounts, SLUICE_INIT_DOMAIN, &error);
	if (ret == 0)
		ret = user_accounts_user_add(accounts, SLUICE_INIT_USER,
		    password, &error);
	user_accounts_close(&accounts);
	cli_fix_ownership(context);
	if (ret < 0) {
		free(password);
		return cli_error("init: %s", error);
	}
	printf("Wrote %s\n"
	    "  domain   %s\n"
	    "  user     %s\n"
	    "  password %s\n"
	    "Start:  sluiced -f -c %s\n"
	    "Send:   swaks --server 127.0.0.1:%ld --to %s\n"
	    "Read:   IMAP on 127.0.0.1:%ld (STARTTLS), 127.0.0.1:%ld (TLS);\n"
	    "        POP3 on 127.0.0.1:%ld (STLS), 127.0.0.1:%ld (TLS)\n"
	    "Mail:   %s/state/mail/%s/demo/Maildir/\n",
	    path, SLUICE_INIT_DOMAIN, SLUICE_INIT_USER, password, path,
	    port_base + 25, SLUICE_INIT_USER, port_base + 143,
	    port_base + 993, port_base + 110, port_base + 995, dir,
	    SLUICE_INIT_DOMAIN);
	free(password);
	return 0;
}
