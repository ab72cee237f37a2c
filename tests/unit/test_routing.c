/* test_routing.c: unit tests for gateway/routing: a state directory with
 * a sluice.db built through the mailstore API, a config with relay
 * domains in every verification mode, and a scripted probe. */
#include "gateway/routing.h"
#include "lib/alloc.h"
#include "gateway/server_config.h"
#include "mailstore/aliases.h"
#include "mailstore/relay_recipients.h"
#include "mailstore/user_accounts.h"
#include "tests/unit/harness.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

/* The scripted downstream server of probe.test and down.test: answers
 * by local part ("yes", "no", "temp", "mailrefused"); down.test never
 * answers. Counts the probes it was asked. */
struct fake_downstream {
	unsigned probes;
	char last_helo[64];
};

static int
fake_probe(const struct smtp_client_destination *destination,
    const char *helo_name, const char *address,
    struct smtp_client_reply *reply_r, void *context)
{
	struct fake_downstream *downstream = context;

	downstream->probes++;
	snprintf(downstream->last_helo, sizeof(downstream->last_helo), "%s",
	    helo_name);
	if (destination->port == 2600) {
		reply_r->code = 451;
		snprintf(reply_r->status, sizeof(reply_r->status), "4.4.1");
		snprintf(reply_r->text, sizeof(reply_r->text),
		    "connection refused");
		return -1;
	}
	if (strncmp(address, "yes", 3) == 0) {
		reply_r->code = 250;
		snprintf(reply_r->status, sizeof(reply_r->status), "2.1.5");
		snprintf(reply_r->text, sizeof(reply_r->text), "Ok");
		return 1;
	}
	if (strncmp(address, "no", 2) == 0) {
		reply_r->code = 550;
		snprintf(reply_r->status, sizeof(reply_r->status), "5.1.1");
		snprintf(reply_r->text, sizeof(reply_r->text),
		    "<%s>: Recipient address rejected: mailbox unknown",
		    address);
		return 1;
	}
	if (strncmp(address, "mailrefused", 11) == 0) {
		reply_r->code = 553;
		snprintf(reply_r->status, sizeof(reply_r->status), "5.7.1");
		snprintf(reply_r->text, sizeof(reply_r->text),
		    "null sender refused");
		return 0;
	}
	reply_r->code = 450;
	snprintf(reply_r->status, sizeof(reply_r->status), "4.2.0");
	snprintf(reply_r->text, sizeof(reply_r->text), "try later");
	return 1;
}

static struct server_config *config;
static struct routing *routing;
static struct fake_downstream downstream;
static char database_path[600];

static void
setup_fail(const char *what, const char *error)
{
	test_fail(__FILE__, __LINE__, "setup %s: %s", what, error);
}

static void
add_alias(struct aliases *aliases, const char *source, const char *first,
    ...)
{
	const char *destinations[16], *error;
	size_t count = 0;
	va_list ap;

	va_start(ap, first);
	for (destinations[count++] = first; count < ARRAY_LENGTH(destinations);
	    count++)
		if ((destinations[count] = va_arg(ap, const char *)) == NULL)
			break;
	va_end(ap);
	if (aliases_add(aliases, source, destinations, count, &error) < 0)
		setup_fail(source, error);
}

static void
add_alias_chain(struct aliases *aliases, const char *prefix, unsigned links)
{
	char source[64], destination[64];
	unsigned i;

	for (i = 0; i < links; i++) {
		snprintf(source, sizeof(source), "%s%u@example.test", prefix,
		    i);
		if (i + 1 < links)
			snprintf(destination, sizeof(destination),
			    "%s%u@example.test", prefix, i + 1);
		else
			snprintf(destination, sizeof(destination),
			    "alice@example.test");
		add_alias(aliases, source, destination, NULL);
	}
}

/* Aliases whose expansion passes ROUTING_EXPANSION_MAX: two lists of
 * 600 remote addresses each. */
static void
add_wide_aliases(struct aliases *aliases)
{
	const char **many = alloc_array(600, sizeof(char *)), *error;
	size_t i;

	for (i = 0; i < 600; i++)
		many[i] = alloc_printf("one%zu@remote.test", i);
	if (aliases_add(aliases, "wide1@example.test", many, 600, &error) < 0)
		setup_fail("wide1", error);
	for (i = 0; i < 600; i++) {
		free((char *)many[i]);
		many[i] = alloc_printf("two%zu@remote.test", i);
	}
	if (aliases_add(aliases, "wide2@example.test", many, 600, &error) < 0)
		setup_fail("wide2", error);
	for (i = 0; i < 600; i++)
		free((char *)many[i]);
	free(many);
	add_alias(aliases, "wide@example.test", "wide1@example.test",
	    "wide2@example.test", NULL);
}

static void
build_database(void)
{
	static const char *const domains[] = { "example.test", "catch.test",
		"catch2.test", "rewrite.test", "open.test" };
	static const char *const users[] = { "alice@example.test",
		"bob@example.test", "dave@catch.test", "carol@open.test" };
	const char *listed[] = { "amy@relay.test" }, *error;
	struct user_accounts *accounts;
	struct relay_recipients *recipients;
	struct aliases *aliases;
	size_t i;

	if (user_accounts_open(database_path, &accounts, &error) < 0) {
		setup_fail("accounts", error);
		return;
	}
	for (i = 0; i < ARRAY_LENGTH(domains); i++)
		if (user_accounts_domain_add(accounts, domains[i], &error) < 0)
			setup_fail(domains[i], error);
	for (i = 0; i < ARRAY_LENGTH(users); i++)
		if (user_accounts_user_add(accounts, users[i], "password-123",
		    &error) < 0)
			setup_fail(users[i], error);
	user_accounts_close(&accounts);

	if (relay_recipients_open(database_path, &recipients, &error) < 0 ||
	    relay_recipients_add(recipients, listed, 1, false, NULL,
	    &error) < 0)
		setup_fail("relay recipients", error);
	relay_recipients_close(&recipients);

	if (aliases_open(database_path, &aliases, &error) < 0) {
		setup_fail("aliases", error);
		return;
	}
	add_alias(aliases, "team@example.test", "alice@example.test",
	    "bob@example.test", NULL);
	add_alias(aliases, "fwd@example.test", "carol@remote.test", NULL);
	add_alias(aliases, "bob@example.test", "bob@example.test",
	    "bob@home.test", NULL);
	add_alias(aliases, "sales@example.test", "x@relay.test", NULL);
	add_alias(aliases, "dup@example.test", "alice@example.test",
	    "ALICE+x@example.test", "team@example.test", NULL);
	add_alias(aliases, "loop1@example.test", "loop2@example.test", NULL);
	add_alias(aliases, "loop2@example.test", "loop1@example.test", NULL);
	add_alias(aliases, "partial@example.test", "alice@example.test",
	    "ghost@example.test", NULL);
	add_alias(aliases, "allgone@example.test", "ghost1@example.test",
	    "ghost2@example.test", NULL);
	add_alias(aliases, "@catch.test", "alice@example.test", NULL);
	add_alias(aliases, "@rewrite.test", "@example.test", NULL);
	add_alias(aliases, "@catch2.test", "postmaster@catch2.test", NULL);
	add_alias(aliases, "@relay2.test", "amy@relay.test", NULL);
	add_alias_chain(aliases, "ten", ROUTING_ALIAS_DEPTH_MAX);
	add_alias_chain(aliases, "eleven", ROUTING_ALIAS_DEPTH_MAX + 1);
	add_wide_aliases(aliases);
	aliases_close(&aliases);
}

static void
setup(void)
{
	char state[512], path[512];
	const char *error = NULL;
	FILE *file;

	snprintf(state, sizeof(state), "%s/state", test_temp_dir());
	mkdir(state, 0700);
	snprintf(database_path, sizeof(database_path), "%s/sluice.db", state);
	snprintf(path, sizeof(path), "%s/routing.conf", test_temp_dir());
	file = fopen(path, "w");
	fprintf(file, "state_dir = %s\nhostname = mx.sluice.test\n"
	    "relay.domains = relay.test, relay2.test, open.test, lmtp.test,"
	    " probe.test, down.test\n"
	    "relay.host = [127.0.0.1]:2525\n"
	    "relay.verify = list\n"
	    "relay.verify.open.test = accept\n"
	    "relay.verify.lmtp.test = accept\n"
	    "relay.verify.probe.test = probe\n"
	    "relay.verify.down.test = probe\n"
	    "relay.transport.lmtp.test = lmtp:unix:/run/test-lmtp\n"
	    "relay.transport.down.test = [127.0.0.1]:2600\n"
	    "relay.tls = encrypt\n", state);
	fclose(file);
	config = server_config_load(path, &error);
	if (config == NULL) {
		setup_fail("config", error);
		return;
	}
	build_database();
	if (routing_new(config, &routing, &error) < 0) {
		setup_fail("routing", error);
		return;
	}
	routing_set_probe(routing, fake_probe, &downstream);
}

/* Resolves address into a result held in a fresh arena (freed by the
 * next call). */
static const struct routing_result *
resolve(const char *address, bool may_relay)
{
	static struct arena *arena;
	static struct routing_result result;

	arena_free(&arena);
	arena = arena_new("test routing", 0);
	routing_resolve(routing, address, may_relay, arena, &result);
	return &result;
}

static void
assert_refused(const struct routing_result *result, enum routing_kind kind,
    unsigned code, const char *status, const char *text, int line)
{
	if (result->verdict != kind || result->code != code ||
	    result->target_count != 0 || result->status == NULL ||
	    strcmp(result->status, status) != 0 ||
	    strstr(result->text, text) == NULL)
		test_fail(__FILE__, line, "refusal: %d %u %s %s (want %d %u "
		    "%s ...%s...)", result->verdict, result->code,
		    result->status != NULL ? result->status : "(null)",
		    result->text != NULL ? result->text : "(null)", kind, code,
		    status, text);
}

#define ASSERT_REFUSED(result, kind, code, status, text) \
	assert_refused((result), (kind), (code), (status), (text), __LINE__)

/* The targets as "KIND:address[=mailbox]" joined by spaces. */
static const char *
targets(const struct routing_result *result)
{
	static const char *const kinds[] = { "LOCAL", "RELAY", "REMOTE",
		"REJECT", "DEFER" };
	static char text[4096];
	size_t i, used = 0;

	text[0] = '\0';
	for (i = 0; i < result->target_count && used < sizeof(text); i++) {
		const struct routing_target *t = &result->targets[i];
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%s%s:%s%s%s", i == 0 ? "" : " ", kinds[t->kind],
		    t->address, t->mailbox != NULL ? "=" : "",
		    t->mailbox != NULL ? t->mailbox : "");
	}
	return text;
}

static void
test_routing_local_users(void)
{
	const struct routing_result *result;

	test_require(routing != NULL);
	result = resolve("alice@example.test", false);
	test_assert_int(result->verdict, ROUTING_LOCAL);
	test_assert_int(result->code, 250);
	test_assert_string(result->status, "2.1.5");
	test_assert(!result->expanded);
	test_assert_string(targets(result),
	    "LOCAL:alice@example.test=alice@example.test");
	test_assert_string(result->targets[0].domain, "example.test");
	/* Plus-addressing and case: the address stays as given. */
	result = resolve("Alice+News@Example.TEST", false);
	test_assert_string(targets(result),
	    "LOCAL:Alice+News@Example.TEST=alice@example.test");
	test_assert_string(result->targets[0].domain, "example.test");
	ASSERT_REFUSED(resolve("nobody@example.test", false), ROUTING_REJECT,
	    550, "5.1.1",
	    "<nobody@example.test>: Recipient address rejected: User unknown");
	ASSERT_REFUSED(resolve("nobody+tag@example.test", true),
	    ROUTING_REJECT, 550, "5.1.1", "User unknown");
}

static void
test_routing_aliases(void)
{
	const struct routing_result *result;

	test_require(routing != NULL);
	result = resolve("team@example.test", false);
	test_assert(result->expanded);
	test_assert_int(result->verdict, ROUTING_LOCAL);
	test_assert_string(targets(result),
	    "LOCAL:alice@example.test=alice@example.test "
	    "LOCAL:bob@example.test=bob@example.test "
	    "REMOTE:bob@home.test");
	/* An alias of the untagged address applies to tagged ones. */
	test_assert_string(targets(resolve("Team+list@example.test", false)),
	    "LOCAL:alice@example.test=alice@example.test "
	    "LOCAL:bob@example.test=bob@example.test "
	    "REMOTE:bob@home.test");
	/* Remote destinations need no relay permission: the admin set them. */
	result = resolve("fwd@example.test", false);
	test_assert_int(result->verdict, ROUTING_REMOTE);
	test_assert_string(targets(result), "REMOTE:carol@remote.test");
	/* Aliased to itself: a copy here and a forward. */
	test_assert_string(targets(resolve("bob@example.test", false)),
	    "LOCAL:bob@example.test=bob@example.test REMOTE:bob@home.test");
	/* A relay destination is not verified (x@ is not on the list). */
	result = resolve("sales@example.test", false);
	test_assert_string(targets(result), "RELAY:x@relay.test");
	test_assert_string(result->targets[0].destination.host, "127.0.0.1");
	/* The same mailbox reached three ways is one target. */
	test_assert_string(targets(resolve("dup@example.test", false)),
	    "LOCAL:alice@example.test=alice@example.test "
	    "LOCAL:bob@example.test=bob@example.test REMOTE:bob@home.test");
	/* Chains: ten levels work, eleven are an expansion error. */
	test_assert_string(targets(resolve("ten0@example.test", false)),
	    "LOCAL:alice@example.test=alice@example.test");
	ASSERT_REFUSED(resolve("eleven0@example.test", false), ROUTING_DEFER,
	    451, "4.6.0", "Alias expansion error");
}

static void
test_routing_alias_errors(void)
{
	test_require(routing != NULL);
	ASSERT_REFUSED(resolve("loop1@example.test", false), ROUTING_DEFER,
	    451, "4.6.0", "<loop1@example.test>: Alias expansion error");
	ASSERT_REFUSED(resolve("wide@example.test", false), ROUTING_DEFER,
	    451, "4.6.0", "Alias expansion error");
	/* A dead destination is dropped; none left is a refusal. */
	test_assert_string(targets(resolve("partial@example.test", false)),
	    "LOCAL:alice@example.test=alice@example.test");
	ASSERT_REFUSED(resolve("allgone@example.test", false), ROUTING_REJECT,
	    550, "5.1.1", "<allgone@example.test>: Recipient address rejected");
}

static void
test_routing_catch_all(void)
{
	const struct routing_result *result;

	test_require(routing != NULL);
	result = resolve("anything@catch.test", false);
	test_assert(result->expanded);
	test_assert_string(targets(result),
	    "LOCAL:alice@example.test=alice@example.test");
	/* Users of the domain are not caught. */
	result = resolve("dave@catch.test", false);
	test_assert(!result->expanded);
	test_assert_string(targets(result),
	    "LOCAL:dave@catch.test=dave@catch.test");
	/* "@other" keeps the local part. */
	test_assert_string(targets(resolve("Bob@rewrite.test", false)),
	    "LOCAL:bob@example.test=bob@example.test REMOTE:bob@home.test");
	ASSERT_REFUSED(resolve("zed@rewrite.test", false), ROUTING_REJECT, 550,
	    "5.1.1", "<zed@rewrite.test>");
	/* A catch-all to a missing address of its own domain ends. */
	ASSERT_REFUSED(resolve("x@catch2.test", false), ROUTING_REJECT, 550,
	    "5.1.1", "User unknown");
}

static void
test_routing_relay_domains(void)
{
	const struct routing_result *result;

	test_require(routing != NULL);
	result = resolve("Anyone@Open.test", false);
	test_assert_int(result->verdict, ROUTING_RELAY);
	test_assert_string(targets(result), "RELAY:Anyone@Open.test");
	test_assert_string(result->targets[0].domain, "open.test");
	test_assert_string(result->targets[0].destination.host, "127.0.0.1");
	test_assert_int(result->targets[0].destination.port, 2525);
	test_assert(!result->targets[0].destination.lmtp);
	test_assert_int(result->targets[0].destination.tls,
	    SMTP_CLIENT_TLS_ENCRYPT);
	result = resolve("someone@lmtp.test", false);
	test_require(result->target_count == 1);
	test_assert(result->targets[0].destination.lmtp);
	test_assert_string(result->targets[0].destination.unix_path,
	    "/run/test-lmtp");
	test_assert_int(result->targets[0].destination.tls,
	    SMTP_CLIENT_TLS_NONE);
	/* Also a local domain, with a user: relay.domains wins. */
	test_assert_string(targets(resolve("carol@open.test", false)),
	    "RELAY:carol@open.test");
	/* List verification, with +tag. */
	test_assert_string(targets(resolve("AMY@relay.test", false)),
	    "RELAY:AMY@relay.test");
	test_assert_string(targets(resolve("amy+x@relay.test", false)),
	    "RELAY:amy+x@relay.test");
	ASSERT_REFUSED(resolve("zed@relay.test", false), ROUTING_REJECT, 550,
	    "5.1.1", "User unknown in relay recipient table");
	/* Refused by the list, taken by the domain's catch-all. */
	test_assert_string(targets(resolve("zed@relay2.test", false)),
	    "RELAY:amy@relay.test");
	/* Routing hidden in the local part is relaying. */
	ASSERT_REFUSED(resolve("a%b@open.test", false), ROUTING_REJECT, 554,
	    "5.7.1", "Relay access denied");
	ASSERT_REFUSED(resolve("\"a@b\"@open.test", false), ROUTING_REJECT,
	    554, "5.7.1", "Relay access denied");
	ASSERT_REFUSED(resolve("b!a@open.test", false), ROUTING_REJECT, 554,
	    "5.7.1", "Relay access denied");
}

static void
test_routing_not_ours(void)
{
	const struct routing_result *result;

	test_require(routing != NULL);
	ASSERT_REFUSED(resolve("x@elsewhere.test", false), ROUTING_REJECT, 554,
	    "5.7.1", "<x@elsewhere.test>: Relay access denied");
	ASSERT_REFUSED(resolve("x@[192.0.2.1]", false), ROUTING_REJECT, 554,
	    "5.7.1", "Relay access denied");
	ASSERT_REFUSED(resolve("a@example.test.elsewhere.test", false),
	    ROUTING_REJECT, 554, "5.7.1", "Relay access denied");
	result = resolve("x@elsewhere.test", true);
	test_assert_int(result->verdict, ROUTING_REMOTE);
	test_assert_string(targets(result), "REMOTE:x@elsewhere.test");
	test_assert_string(result->targets[0].domain, "elsewhere.test");
}

static void
test_routing_postmaster(void)
{
	struct aliases *aliases;
	const char *error, *admin[] = { "alice@example.test" };

	test_require(routing != NULL);
	ASSERT_REFUSED(resolve("Postmaster", false), ROUTING_REJECT, 550,
	    "5.1.1", "<Postmaster>: Recipient address rejected");
	test_require(aliases_open(database_path, &aliases, &error) == 0);
	test_require(aliases_add(aliases, "postmaster", admin, 1,
	    &error) == 0);
	aliases_close(&aliases);
	/* A change applies to the next lookup. */
	test_assert_string(targets(resolve("Postmaster", false)),
	    "LOCAL:alice@example.test=alice@example.test");
}

static void
test_routing_probe(void)
{
	const char *error, *target[] = { "no-such@probe.test" };
	const struct routing_result *result;
	struct aliases *aliases;
	unsigned before;

	test_require(routing != NULL);
	downstream.probes = 0;
	test_assert_string(targets(resolve("yes1@probe.test", false)),
	    "RELAY:yes1@probe.test");
	test_assert_int(downstream.probes, 1);
	test_assert_string(downstream.last_helo, "mx.sluice.test");
	/* Cached: no second probe. */
	test_assert_string(targets(resolve("YES1@probe.test", false)),
	    "RELAY:YES1@probe.test");
	test_assert_int(downstream.probes, 1);
	result = resolve("no1@probe.test", false);
	ASSERT_REFUSED(result, ROUTING_REJECT, 550, "5.1.1",
	    "undeliverable address: host [127.0.0.1]:2525 said: 550 5.1.1 "
	    "<no1@probe.test>: Recipient address rejected: mailbox unknown");
	ASSERT_REFUSED(resolve("no1@probe.test", false), ROUTING_REJECT, 550,
	    "5.1.1", "mailbox unknown");
	test_assert_int(downstream.probes, 2);
	/* A temporary answer is not cached. */
	ASSERT_REFUSED(resolve("temp1@probe.test", false), ROUTING_DEFER, 450,
	    "4.1.1", "unverified address: host [127.0.0.1]:2525 no answer: "
	    "450 4.2.0 try later");
	ASSERT_REFUSED(resolve("temp1@probe.test", false), ROUTING_DEFER, 450,
	    "4.1.1", "try later");
	test_assert_int(downstream.probes, 4);
	ASSERT_REFUSED(resolve("mailrefused@probe.test", false), ROUTING_DEFER,
	    450, "4.1.1", "null sender refused");
	before = downstream.probes;
	result = resolve("yes2@probe.test", false);
	test_assert_int(result->verdict, ROUTING_RELAY);
	test_assert_int(downstream.probes, before + 1);
	/* The destinations of an alias are not probed: the admin set them. */
	test_require(aliases_open(database_path, &aliases, &error) == 0);
	test_require(aliases_add(aliases, "probed@example.test", target, 1,
	    &error) == 0);
	aliases_close(&aliases);
	test_assert_string(targets(resolve("probed@example.test", false)),
	    "RELAY:no-such@probe.test");
	test_assert_int(downstream.probes, before + 1);
}

/* Sets the cached answer for address as if probed age seconds ago. */
static void
remember(const char *address, bool accepted, int64_t age)
{
	struct relay_recipients *recipients;
	struct relay_recipients_probe probe = {
		.accepted = accepted, .checked = (int64_t)time(NULL) - age,
		.reply = accepted ? "" : "550 5.1.1 gone",
	};
	const char *error;

	if (relay_recipients_open(database_path, &recipients, &error) < 0 ||
	    relay_recipients_probe_put(recipients, address, &probe,
	    &error) < 0)
		setup_fail("remember", error);
	relay_recipients_close(&recipients);
}

static void
test_routing_probe_cache_ages(void)
{
	unsigned before;

	test_require(routing != NULL);
	/* An old yes is asked again; an old no too. */
	remember("no-longer@probe.test", true, 8 * 86400);
	before = downstream.probes;
	ASSERT_REFUSED(resolve("no-longer@probe.test", false), ROUTING_REJECT,
	    550, "5.1.1", "mailbox unknown");
	test_assert_int(downstream.probes, before + 1);
	remember("yes-now@probe.test", false, 2 * 3600);
	test_assert_int(resolve("yes-now@probe.test", false)->verdict,
	    ROUTING_RELAY);
	test_assert_int(downstream.probes, before + 2);
	remember("yes-fresh-no@probe.test", false, 60);
	ASSERT_REFUSED(resolve("yes-fresh-no@probe.test", false),
	    ROUTING_REJECT, 550, "5.1.1", "550 5.1.1 gone");
	test_assert_int(downstream.probes, before + 2);
}

static void
test_routing_probe_unreachable(void)
{
	unsigned before;

	test_require(routing != NULL);
	/* A stale yes still counts while the downstream cannot answer. */
	remember("known@down.test", true, 8 * 86400);
	remember("ancient@down.test", true, 40 * 86400);
	before = downstream.probes;
	test_assert_int(resolve("known@down.test", false)->verdict,
	    ROUTING_RELAY);
	test_assert_int(downstream.probes, before + 1);
	/* The destination rests now: no probe, 4xx for the unknown. */
	ASSERT_REFUSED(resolve("new@down.test", false), ROUTING_DEFER, 450,
	    "4.1.1", "not answering probes");
	ASSERT_REFUSED(resolve("ancient@down.test", false), ROUTING_DEFER, 450,
	    "4.1.1", "host [127.0.0.1]:2600");
	test_assert_int(resolve("known@down.test", false)->verdict,
	    ROUTING_RELAY);
	test_assert_int(downstream.probes, before + 1);
	/* Other destinations are still asked. */
	test_assert_int(resolve("yes3@probe.test", false)->verdict,
	    ROUTING_RELAY);
	test_assert_int(downstream.probes, before + 2);
}

static void
test_routing_resolve_accepted(void)
{
	struct arena *arena = arena_new("test", 0);
	struct routing_result result;
	unsigned before = downstream.probes;

	test_require(routing != NULL);
	routing_resolve_accepted(routing, "x@relay.test", arena, &result);
	test_assert_string(targets(&result), "RELAY:x@relay.test");
	routing_resolve_accepted(routing, "never-probed@down.test", arena,
	    &result);
	test_assert_string(targets(&result), "RELAY:never-probed@down.test");
	routing_resolve_accepted(routing, "nobody-asked@probe.test", arena,
	    &result);
	test_assert_int(result.verdict, ROUTING_RELAY);
	test_assert_int(downstream.probes, before);
	routing_resolve_accepted(routing, "bob@example.test", arena, &result);
	test_assert_string(targets(&result),
	    "LOCAL:bob@example.test=bob@example.test");
	test_assert(!result.expanded);
	routing_resolve_accepted(routing, "carol@remote.test", arena, &result);
	test_assert_string(targets(&result), "REMOTE:carol@remote.test");
	routing_resolve_accepted(routing, "team@example.test", arena, &result);
	ASSERT_REFUSED(&result, ROUTING_REJECT, 550, "5.1.1", "User unknown");
	arena_free(&arena);
}

struct resolver_thread {
	pthread_t thread;
	unsigned failures;
};

static void *
resolver_run(void *context)
{
	struct resolver_thread *self = context;
	struct arena *arena = arena_new("thread", 0);
	struct routing_result result;
	unsigned i;

	for (i = 0; i < 200; i++) {
		routing_resolve(routing, i % 2 == 0 ? "team@example.test" :
		    "amy@relay.test", false, arena, &result);
		if (result.target_count != (i % 2 == 0 ? 3u : 1u))
			self->failures++;
	}
	arena_free(&arena);
	return NULL;
}

static void
test_routing_threads(void)
{
	struct resolver_thread threads[4];
	size_t i;

	test_require(routing != NULL);
	memset(threads, 0, sizeof(threads));
	for (i = 0; i < ARRAY_LENGTH(threads); i++)
		test_require(pthread_create(&threads[i].thread, NULL,
		    resolver_run, &threads[i]) == 0);
	for (i = 0; i < ARRAY_LENGTH(threads); i++) {
		pthread_join(threads[i].thread, NULL);
		test_assert_int(threads[i].failures, 0);
	}
}

static void
test_routing_refcount_and_bad_state_dir(void)
{
	struct server_config *broken;
	struct routing *other = NULL, *copy;
	const char *error = NULL;
	char path[512];
	FILE *file;

	test_require(routing != NULL);
	copy = routing;
	routing_ref(copy);
	routing_unref(&copy);
	test_assert(copy == NULL);
	test_assert_int(resolve("alice@example.test", false)->verdict,
	    ROUTING_LOCAL);
	snprintf(path, sizeof(path), "%s/broken.conf", test_temp_dir());
	file = fopen(path, "w");
	fprintf(file, "state_dir = %s/missing/dir\n", test_temp_dir());
	fclose(file);
	broken = server_config_load(path, &error);
	test_require(broken != NULL);
	test_assert_int(routing_new(broken, &other, &error), -1);
	test_assert(strstr(error, "sluice.db") != NULL);
	server_config_unref(&broken);
}

static void
teardown(void)
{
	routing_unref(&routing);
	server_config_unref(&config);
	test_assert(routing == NULL && config == NULL);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(setup),
		TEST_CASE(test_routing_local_users),
		TEST_CASE(test_routing_aliases),
		TEST_CASE(test_routing_alias_errors),
		TEST_CASE(test_routing_catch_all),
		TEST_CASE(test_routing_relay_domains),
		TEST_CASE(test_routing_not_ours),
		TEST_CASE(test_routing_postmaster),
		TEST_CASE(test_routing_probe),
		TEST_CASE(test_routing_probe_cache_ages),
		TEST_CASE(test_routing_probe_unreachable),
		TEST_CASE(test_routing_resolve_accepted),
		TEST_CASE(test_routing_threads),
		TEST_CASE(test_routing_refcount_and_bad_state_dir),
		TEST_CASE(teardown),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
