/* maildir_name.c: "BASE,U=UID:2,FLAGS" Maildir names: split into key,
 * base, UID and flags, and put back together with sorted flag letters. */
#include "mailstore/maildir_name.h"
#include "mailstore/mailbox_index.h"

static const struct {
	char letter;
	unsigned bit;
} maildir_name_letters[] = {
	{ 'D', MAILBOX_FLAG_DRAFT },
	{ 'F', MAILBOX_FLAG_FLAGGED },
	{ 'R', MAILBOX_FLAG_ANSWERED },
	{ 'S', MAILBOX_FLAG_SEEN },
	{ 'T', MAILBOX_FLAG_DELETED },
};

unsigned
maildir_name_flag_bit(char letter)
{
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(maildir_name_letters); i++) {
		if (maildir_name_letters[i].letter == letter)
			return maildir_name_letters[i].bit;
	}
	return 0;
}

/* Finds a ",U=DIGITS" tag that ends at a ',' or at the end of key;
 * returns its offset and sets *uid_r and *length_r, or -1. */
static long
maildir_name_find_uid(const char *key, size_t key_length, uint32_t *uid_r,
    size_t *length_r)
{
	const char *p = key;
	size_t i, start;
	uint64_t value;

	while ((p = strstr(p, ",U=")) != NULL && (size_t)(p - key) <
	    key_length) {
		start = (size_t)(p - key);
		i = start + 3;
		value = 0;
		while (i < key_length && key[i] >= '0' && key[i] <= '9' &&
		    value <= UINT32_MAX) {
			value = value * 10 + (uint64_t)(key[i] - '0');
			i++;
		}
		if (i > start + 3 && (i == key_length || key[i] == ',') &&
		    value > 0 && value <= UINT32_MAX) {
			*uid_r = (uint32_t)value;
			*length_r = i - start;
			return (long)start;
		}
		p += 3;
	}
	return -1;
}

int
maildir_name_parse(const char *name, struct maildir_name *parsed_r)
{
	size_t length = strlen(name), key_length, tag_length, extra = 0;
	const char *colon, *letters;
	unsigned bit;
	long tag;

	memset(parsed_r, 0, sizeof(*parsed_r));
	if (length == 0 || length > MAILDIR_NAME_MAX || name[0] == '.' ||
	    strchr(name, '/') != NULL)
		return 0;
	colon = strchr(name, ':');
	key_length = colon != NULL ? (size_t)(colon - name) : length;
	if (key_length == 0)
		return 0;
	memcpy(parsed_r->key, name, key_length);
	tag = maildir_name_find_uid(parsed_r->key, key_length, &parsed_r->uid,
	    &tag_length);
	if (tag < 0) {
		memcpy(parsed_r->base, name, key_length);
	} else {
		memcpy(parsed_r->base, name, (size_t)tag);
		memcpy(parsed_r->base + tag, name + tag + tag_length,
		    key_length - (size_t)tag - tag_length);
	}
	/* Only the "2," info carries flags; other info is dropped when
	 * we rename the file. */
	if (colon != NULL && strncmp(colon, ":2,", 3) == 0) {
		for (letters = colon + 3; *letters != '\0'; letters++) {
			bit = maildir_name_flag_bit(*letters);
			if (bit != 0)
				parsed_r->flags |= bit;
			else if (strchr(parsed_r->extra, *letters) == NULL &&
			    *letters != ',')
				parsed_r->extra[extra++] = *letters;
		}
	}
	return 1;
}

int
maildir_name_format(char *dst, size_t size, const char *base,
    uint32_t uid, unsigned flags, const char *extra)
{
	char letters[MAILDIR_NAME_MAX + 1];
	size_t count = 0, i, j;
	int c, n;

	/* Counting sort over the byte values keeps this simple: each
	 * letter appears at most once, in ASCII order. */
	for (c = 1; c < 256 && count < MAILDIR_NAME_MAX; c++) {
		bool present = false;

		for (i = 0; i < ARRAY_LENGTH(maildir_name_letters); i++) {
			if (maildir_name_letters[i].letter == c &&
			    (flags & maildir_name_letters[i].bit) != 0)
				present = true;
		}
		for (j = 0; extra != NULL && extra[j] != '\0'; j++) {
			if ((unsigned char)extra[j] == c &&
			    maildir_name_flag_bit(extra[j]) == 0)
				present = true;
		}
		if (present)
			letters[count++] = (char)c;
	}
	letters[count] = '\0';
	if (uid != 0)
		n = snprintf(dst, size, "%s,U=%u:2,%s", base, uid, letters);
	else
		n = snprintf(dst, size, "%s:2,%s", base, letters);
	if (n < 0 || (size_t)n >= size || n > MAILDIR_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
