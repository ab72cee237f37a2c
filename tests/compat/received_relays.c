/* received_relays.c: prints sluice's X-Spam-Relays-* values for message
 * files, in the format of tests/compat/sa_relays.pl, so the two can be
 * compared line by line (tests/compat/received_compare.sh).
 *
 * Usage: received_relays [--trusted NET]... [--internal NET]...
 *            [--msa NET]... [FILE...]   (file names on stdin without FILE)
 * Output: PATH TAB UNTRUSTED TAB TRUSTED TAB INTERNAL TAB EXTERNAL */
#include "lib/common.h"
#include "lib/arena.h"
#include "lib/message.h"
#include "lib/received.h"

#define MESSAGE_MAX (32 * 1024 * 1024)
#define NETWORKS_MAX 64

struct network_list {
	struct received_network entries[NETWORKS_MAX];
	size_t count;
};

static int
add_network(struct network_list *list, const char *text)
{
	const char *error;

	if (list->count == NETWORKS_MAX) {
		fprintf(stderr, "received_relays: too many networks\n");
		return -1;
	}
	if (received_network_parse(text, &list->entries[list->count],
	    &error) < 0) {
		fprintf(stderr, "received_relays: %s\n", error);
		return -1;
	}
	list->count++;
	return 0;
}

static int
print_file(const char *path, const struct received_options *options,
    unsigned char *data)
{
	struct received_relay *relays;
	struct received_text text;
	struct message *message;
	struct arena *arena;
	size_t length, count;
	FILE *file;

	file = fopen(path, "rb");
	if (file == NULL) {
		perror(path);
		return -1;
	}
	length = fread(data, 1, MESSAGE_MAX, file);
	fclose(file);
	arena = arena_new("received_relays", 0);
	message = message_parse(arena, data, length, NULL);
	count = received_parse_all(arena, message->header, options, &relays);
	received_format(arena, relays, count, &text);
	printf("%s\t%s\t%s\t%s\t%s\n", path, text.untrusted, text.trusted,
	    text.internal, text.external);
	arena_free(&arena);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct network_list trusted, internal, msa;
	struct received_options options;
	unsigned char *data;
	char path[4096];
	int i, status = 0;

	for (i = 1; i + 1 < argc; i += 2) {
		struct network_list *list;

		if (strcmp(argv[i], "--trusted") == 0)
			list = &trusted;
		else if (strcmp(argv[i], "--internal") == 0)
			list = &internal;
		else if (strcmp(argv[i], "--msa") == 0)
			list = &msa;
		else
			break;
		if (add_network(list, argv[i + 1]) < 0)
			return 2;
	}
	memset(&options, 0, sizeof(options));
	options.trusted = trusted.entries;
	options.trusted_count = trusted.count;
	options.internal = internal.entries;
	options.internal_count = internal.count;
	options.msa = msa.entries;
	options.msa_count = msa.count;
	data = malloc(MESSAGE_MAX);
	if (data == NULL)
		return 2;
	if (i < argc) {
		for (; i < argc; i++)
			if (print_file(argv[i], &options, data) < 0)
				status = 1;
	} else {
		while (fgets(path, sizeof(path), stdin) != NULL) {
			path[strcspn(path, "\n")] = '\0';
			if (path[0] != '\0' &&
			    print_file(path, &options, data) < 0)
				status = 1;
		}
	}
	free(data);
	return status;
}
