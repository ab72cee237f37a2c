/* test_local_delivery.c: unit tests for mailstore/local_delivery. */
#include "mailstore/local_delivery.h"
#include "lib/buffer.h"
#include "lib/durable_file.h"
#include "tests/unit/harness.h"

#include <dirent.h>
#include <sys/stat.h>

/* Finds the only file in dir; returns false unless there is exactly
 * one. */
static bool
only_file(const char *dir, char *name, size_t size)
{
	struct dirent *entry;
	size_t count = 0;
	DIR *handle = opendir(dir);

	if (handle == NULL)
		return false;
	while ((entry = readdir(handle)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(name, size, "%s", entry->d_name);
		count++;
	}
	closedir(handle);
	return count == 1;
}

/* Reads the delivered file; the caller frees *data_r. */
static bool
read_delivered(const char *new_dir, char *name, size_t name_size,
    unsigned char **data_r, size_t *length_r)
{
	char path[2048];
	const char *error;

	if (!only_file(new_dir, name, name_size))
		return false;
	snprintf(path, sizeof(path), "%s/%s", new_dir, name);
	return durable_file_read_whole(path, 1 << 24, data_r, length_r,
	    &error) == 0;
}

/* The size in a ",S=N" name. */
static unsigned long long
name_size(const char *name)
{
	const char *s = strstr(name, ",S=");

	return s == NULL ? 0 : strtoull(s + 3, NULL, 10);
}

static void
test_local_delivery_headers_and_line_ends(void)
{
	static const char wire[] =
	    "Subject: hi\r\n\r\nline one\r\nlone\rcr and\nbare lf\r\nend";
	static const char expected[] =
	    "Return-Path: <sender@remote.test>\n"
	    "Delivered-To: alice@example.test\n"
	    "Subject: hi\n\nline one\nlone\rcr and\nbare lf\nend";
	struct local_delivery_message message = {
		.return_path = "sender@remote.test",
		.recipient = "alice@example.test",
		.unique_name = "1764057531.M123456P99Q3R0",
		.data = (const unsigned char *)wire,
		.length = sizeof(wire) - 1,
	};
	char root[512], new_dir[1024], name[256];
	unsigned char *data = NULL;
	size_t length = 0;
	const char *error = NULL;

	snprintf(root, sizeof(root), "%s/mail1", test_temp_dir());
	test_assert_int(local_delivery_deliver(root, &message, "mx.example.test",
	    &error), 1);
	snprintf(new_dir, sizeof(new_dir),
	    "%s/example.test/alice/Maildir/new", root);
	test_require(read_delivered(new_dir, name, sizeof(name), &data,
	    &length));
	test_assert_int(length, sizeof(expected) - 1);
	test_assert(memcmp(data, expected, length) == 0);
	test_assert_int(name_size(name), length);
	test_assert(strncmp(name, "1764057531.M123456P99Q3R0.mx.example.test"
	    ",S=", 44) == 0);
	free(data);

	/* The same message again is suppressed, recovering or not. */
	test_assert_int(local_delivery_deliver(root, &message,
	    "mx.example.test", &error), 0);
	message.recovering = true;
	test_assert_int(local_delivery_deliver(root, &message,
	    "mx.example.test", &error), 0);
	test_require(only_file(new_dir, name, sizeof(name)));
}

static void
test_local_delivery_null_sender_and_hostname(void)
{
	static const char wire[] = "X: y\r\n\r\n";
	struct local_delivery_message message = {
		.return_path = "",
		.recipient = "bob@example.test",
		.unique_name = "1.M2P3",
		.data = (const unsigned char *)wire,
		.length = sizeof(wire) - 1,
	};
	char root[512], new_dir[1024], name[256];
	unsigned char *data = NULL;
	size_t length;
	const char *error = NULL;

	snprintf(root, sizeof(root), "%s/mail2", test_temp_dir());
	test_assert_int(local_delivery_deliver(root, &message, "odd/host:25",
	    &error), 1);
	snprintf(new_dir, sizeof(new_dir), "%s/example.test/bob/Maildir/new",
	    root);
	test_require(read_delivered(new_dir, name, sizeof(name), &data,
	    &length));
	test_assert_string((const char *)data, "Return-Path: <>\n"
	    "Delivered-To: bob@example.test\nX: y\n\n");
	test_assert_string(name, "1.M2P3.odd\\057host\\07225,S=53");
	test_assert_int(name_size(name), length);
	free(data);
}

static void
test_local_delivery_recovering_finds_cur(void)
{
	static const char wire[] = "A: b\r\n\r\nbody\r\n";
	struct local_delivery_message message = {
		.return_path = "s@remote.test",
		.recipient = "carol@example.test",
		.unique_name = "7.M8P9",
		.data = (const unsigned char *)wire,
		.length = sizeof(wire) - 1,
	};
	char root[512], new_dir[1024], from[2048], to[2048], name[256];
	const char *error = NULL;

	snprintf(root, sizeof(root), "%s/mail3", test_temp_dir());
	test_assert_int(local_delivery_deliver(root, &message, "h", &error),
	    1);
	snprintf(new_dir, sizeof(new_dir),
	    "%s/example.test/carol/Maildir/new", root);
	test_require(only_file(new_dir, name, sizeof(name)));
	/* A reader picks it up and marks it seen. */
	snprintf(from, sizeof(from), "%s/%s", new_dir, name);
	snprintf(to, sizeof(to), "%s/example.test/carol/Maildir/cur/%s:2,S",
	    root, name);
	test_require(rename(from, to) == 0);

	message.recovering = true;
	test_assert_int(local_delivery_deliver(root, &message, "h", &error),
	    0);
	test_assert(!only_file(new_dir, name, sizeof(name)));
	message.recovering = false;
	test_assert_int(local_delivery_deliver(root, &message, "h", &error),
	    1);
}

static void
test_local_delivery_many_lines(void)
{
	struct local_delivery_message message = {
		.return_path = "s@remote.test",
		.recipient = "dave@example.test",
		.unique_name = "9.M9P9",
	};
	struct buffer wire, expected;
	char root[512], new_dir[1024], name[256];
	unsigned char *data = NULL;
	size_t length = 0;
	const char *error = NULL;
	int i;

	buffer_init(&wire, 0);
	buffer_init(&expected, 0);
	test_require(buffer_append_string(&expected,
	    "Return-Path: <s@remote.test>\n"
	    "Delivered-To: dave@example.test\n") == 0);
	/* Several conversion chunks' worth of lines, some empty, some
	 * with a lone CR that must survive. */
	for (i = 0; i < 20000; i++) {
		const char *text = i % 13 == 0 ? " lone\rcr" :
		    i % 7 == 0 ? "" : " some text";
		test_require(buffer_printf(&wire, "line %d%s\r\n", i,
		    text) == 0);
		test_require(buffer_printf(&expected, "line %d%s\n", i,
		    text) == 0);
		if (i % 100 == 0) {
			test_require(buffer_append_string(&wire, "\r\n") == 0);
			test_require(buffer_append_string(&expected, "\n") ==
			    0);
		}
	}
	message.data = buffer_data(&wire);
	message.length = buffer_length(&wire);
	snprintf(root, sizeof(root), "%s/mail4", test_temp_dir());
	test_assert_int(local_delivery_deliver(root, &message, "h", &error),
	    1);
	snprintf(new_dir, sizeof(new_dir),
	    "%s/example.test/dave/Maildir/new", root);
	if (read_delivered(new_dir, name, sizeof(name), &data, &length)) {
		test_assert_int(length, buffer_length(&expected));
		test_assert(length == buffer_length(&expected) &&
		    memcmp(data, buffer_data(&expected), length) == 0);
		test_assert_int(name_size(name), length);
		free(data);
	} else
		test_fail(__FILE__, __LINE__, "no delivered file");
	buffer_deinit(&wire);
	buffer_deinit(&expected);
}

static void
test_local_delivery_rejects_bad_input(void)
{
	static const char *const recipients[] = {
		"no-at", "@example.test", "alice@", "../x@example.test",
		"alice@..", "a/b@example.test", "alice@exa/mple.test",
	};
	static const char wire[] = "X: y\r\n\r\n";
	struct local_delivery_message message = {
		.return_path = "evil\r\nX-Injected: 1",
		.recipient = "erin@example.test",
		.unique_name = "5.M5P5",
		.data = (const unsigned char *)wire,
		.length = sizeof(wire) - 1,
	};
	char root[512], new_dir[1024], name[256];
	unsigned char *data = NULL;
	size_t length, i;
	const char *error = NULL;
	struct stat st;

	snprintf(root, sizeof(root), "%s/mail5", test_temp_dir());
	/* A CR LF in the envelope cannot add a header line. */
	test_assert_int(local_delivery_deliver(root, &message, "h", &error),
	    1);
	snprintf(new_dir, sizeof(new_dir),
	    "%s/example.test/erin/Maildir/new", root);
	test_require(read_delivered(new_dir, name, sizeof(name), &data,
	    &length));
	test_assert_string((const char *)data,
	    "Return-Path: <evil??X-Injected: 1>\n"
	    "Delivered-To: erin@example.test\nX: y\n\n");
	free(data);

	for (i = 0; i < ARRAY_LENGTH(recipients); i++) {
		message.recipient = recipients[i];
		error = NULL;
		if (local_delivery_deliver(root, &message, "h", &error) != -1 ||
		    error == NULL)
			test_fail(__FILE__, __LINE__, "%s accepted",
			    recipients[i]);
	}
	message.recipient = "erin@example.test";
	message.unique_name = "bad/name";
	test_assert_int(local_delivery_deliver(root, &message, "h", &error),
	    -1);
	test_assert(stat(root, &st) == 0);
	snprintf(new_dir, sizeof(new_dir), "%s/x", root);
	test_assert(stat(new_dir, &st) != 0);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_local_delivery_headers_and_line_ends),
		TEST_CASE(test_local_delivery_null_sender_and_hostname),
		TEST_CASE(test_local_delivery_recovering_finds_cur),
		TEST_CASE(test_local_delivery_many_lines),
		TEST_CASE(test_local_delivery_rejects_bad_input),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
