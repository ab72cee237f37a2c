/* smtp_client_send.c: sends one message with the relay client
 * (gateway/smtp_client), for the end-to-end tests against a real
 * server (tests/e2e/test_relay_client.py).
 *
 * Usage: smtp_client_send [-l] [-U] [-t none|may|encrypt] [-T seconds]
 *            [-H helo] [-u unix_path] HOST PORT FROM FILE RCPT...
 *
 * FILE holds the message with CRLF line ends ("-" for stdin). Prints
 * "connect CODE STATUS TEXT" when the connection fails, else
 * "tls=yes|no" and one "rcpt ADDRESS CODE STATUS TEXT" line per
 * recipient. The client's log lines go to stderr. Exits 0 when the
 * transaction ran to its end (whatever the replies), 1 when connecting
 * or the connection failed, 2 on usage errors. */
#include "gateway/smtp_client.h"
#include "lib/buffer.h"
#include "lib/log.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#define MESSAGE_MAX (64 * 1024 * 1024)

static void
usage(void)
{
	fprintf(stderr, "usage: smtp_client_send [-l] [-U] "
	    "[-t none|may|encrypt] [-T seconds] [-H helo] [-u unix_path] "
	    "HOST PORT FROM FILE RCPT...\n");
	exit(2);
}

static int
read_message(const char *path, struct buffer *out)
{
	unsigned char *p = NULL;
	ssize_t n = 0;
	int fd;

	fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	for (;;) {
		p = buffer_reserve(out, 65536);
		if (p == NULL)
			break;
		n = read(fd, p, 65536);
		if (n <= 0)
			break;
		buffer_commit(out, (size_t)n);
	}
	if (fd != 0)
		close(fd);
	return p == NULL || n < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct smtp_client_destination destination = {
		.tls = SMTP_CLIENT_TLS_NONE,
	};
	struct smtp_client_options options = {
		.helo_name = "relay-client.test",
	};
	struct smtp_client_envelope envelope = { .envid = "" };
	struct smtp_client_reply reply;
	struct smtp_client *client;
	struct buffer message;
	struct iovec part;
	const char *unix_path = NULL, *error;
	size_t i;
	int c, ret;

	signal(SIGPIPE, SIG_IGN);
	log_open("smtp_client_send", LOG_TARGET_STDERR);
	log_set_level(LOG_LEVEL_DEBUG);
	while ((c = getopt(argc, argv, "lUt:T:H:u:")) != -1) {
		switch (c) {
		case 'l':
			destination.lmtp = true;
			break;
		case 'U':
			envelope.smtputf8 = true;
			break;
		case 't':
			if (strcmp(optarg, "none") == 0)
				destination.tls = SMTP_CLIENT_TLS_NONE;
			else if (strcmp(optarg, "may") == 0)
				destination.tls = SMTP_CLIENT_TLS_MAY;
			else if (strcmp(optarg, "encrypt") == 0)
				destination.tls = SMTP_CLIENT_TLS_ENCRYPT;
			else
				usage();
			break;
		case 'T':
			options.connect_timeout = options.command_timeout =
			    options.data_timeout = options.final_timeout =
			    (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			options.helo_name = optarg;
			break;
		case 'u':
			unix_path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 5)
		usage();
	if (unix_path != NULL) {
		destination.unix_path = unix_path;
	} else {
		destination.host = argv[0];
		destination.port = (unsigned)strtoul(argv[1], NULL, 10);
	}
	envelope.mail_from = argv[2];
	buffer_init(&message, MESSAGE_MAX);
	if (read_message(argv[3], &message) < 0) {
		fprintf(stderr, "smtp_client_send: cannot read %s\n", argv[3]);
		return 2;
	}
	envelope.recipient_count = (size_t)argc - 4;
	envelope.recipients = calloc(envelope.recipient_count,
	    sizeof(*envelope.recipients));
	if (envelope.recipients == NULL)
		return 2;
	for (i = 0; i < envelope.recipient_count; i++) {
		envelope.recipients[i].address = argv[4 + i];
		envelope.recipients[i].orcpt = "";
	}
	if (smtp_client_connect(&destination, &options, &client, &reply,
	    &error) < 0) {
		printf("connect %u %s %s\n", reply.code,
		    reply.status[0] != '\0' ? reply.status : "-", reply.text);
		fprintf(stderr, "smtp_client_send: %s\n", error);
		ret = 1;
		goto out;
	}
	printf("tls=%s\n", smtp_client_is_encrypted(client) ? "yes" : "no");
	part.iov_base = (void *)buffer_data(&message);
	part.iov_len = buffer_length(&message);
	ret = smtp_client_send(client, &envelope, &part, 1, &error) < 0;
	if (ret != 0)
		fprintf(stderr, "smtp_client_send: %s\n", error);
	for (i = 0; i < envelope.recipient_count; i++) {
		reply = envelope.recipients[i].reply;
		printf("rcpt %s %u %s %s\n", envelope.recipients[i].address,
		    reply.code, reply.status[0] != '\0' ? reply.status : "-",
		    reply.text);
	}
	smtp_client_close(&client);
out:
	free(envelope.recipients);
	buffer_deinit(&message);
	return ret;
}
