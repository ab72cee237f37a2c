/* fuzz_mail_header.c: libFuzzer target for lib/mail_header and the
 * decoders behind it: header block parsing, RFC 2047 decoding,
 * Content-Type/Disposition (RFC 2231) and address lists. Results must
 * stay inside the input and decoded text must be valid UTF-8. */
#include "lib/buffer.h"
#include "lib/mail_header.h"
#include "lib/mime_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_string(const char *s)
{
	ASSERT(s != NULL);
	ASSERT(mime_decode_utf8_valid((const unsigned char *)s, strlen(s)));
}

static void
check_field(struct arena *arena, const struct mail_header_field *field)
{
	struct mail_header_content content;
	struct mail_header_address *addresses;
	struct string_view decoded;
	size_t i, count;

	decoded = mail_header_decode(arena, field->value, NULL);
	ASSERT(mime_decode_utf8_valid((const unsigned char *)decoded.data,
	    decoded.length));
	mail_header_parse_content_type(arena, field->value, &content);
	ASSERT(content.parameter_count <= MAIL_HEADER_PARAMETERS_MAX);
	for (i = 0; i < content.parameter_count; i++)
		ASSERT(content.parameters[i].name != NULL &&
		    content.parameters[i].value != NULL);
	mail_header_parse_content_disposition(arena, field->value, &content);
	ASSERT(content.subtype[0] == '\0');
	count = mail_header_parse_addresses(arena, field->value, &addresses);
	ASSERT(count <= MAIL_HEADER_ADDRESSES_MAX);
	for (i = 0; i < count; i++) {
		check_string(addresses[i].name);
		ASSERT(addresses[i].address != NULL);
		if (addresses[i].group != NULL)
			check_string(addresses[i].group);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_header_limits limits = { 0, 0, 0 };
	const struct mail_header *header;
	const struct mail_header_field *field;
	struct arena *arena;
	size_t i;

	if (size < 1)
		return 0;
	/* Small limits sometimes, to reach the limit paths. */
	if ((data[0] & 1) != 0) {
		limits.max_fields = 1 + data[0] % 8;
		limits.max_bytes = 1 + data[0] * 4u;
		limits.max_field_bytes = 1 + data[0] / 2u;
	}
	arena = arena_new("fuzz", 0);
	header = mail_header_parse(arena, data + 1, size - 1, &limits);
	ASSERT(header->fields_end <= header->length);
	ASSERT(header->length <= size - 1);
	for (i = 0; i < header->field_count; i++) {
		field = &header->fields[i];
		ASSERT(field->name.data == (const char *)data + 1 +
		    field->offset);
		ASSERT(field->value.data + field->value.length <=
		    (const char *)data + 1 + header->fields_end);
		ASSERT(field->offset + field->length <= header->length);
		ASSERT(mail_header_get(header, "x") == NULL ||
		    mail_header_count(header, "x") > 0);
		check_field(arena, field);
	}
	/* The whole input as one value too: long, with no structure. */
	{
		struct mail_header_field whole;

		memset(&whole, 0, sizeof(whole));
		whole.value = string_view_make((const char *)data + 1,
		    size - 1);
		check_field(arena, &whole);
	}
	arena_free(&arena);
	return 0;
}
