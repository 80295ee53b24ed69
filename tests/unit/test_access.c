/* API keys in memory: scopes, lookup by the bearer header, the one-minute
 * sliding window and its Retry-After, open streams. */
#include <stdlib.h>
#include <string.h>

#include "server/access.h"
#include "server/sha256.h"
#include "tests/unit/check.h"

#define S 1000000000ull

static access_key key_for(const char *key, long long id, const char *scopes, unsigned rpm, unsigned streams)
{
	access_key k = {.id = id, .rpm = rpm, .max_streams = streams};
	sha256(key, strlen(key), k.hash);
	access_scopes_parse(scopes, &k.scopes);
	snprintf(k.prefix, sizeof k.prefix, "%.11s", key);
	return k;
}

static void test_scopes(void)
{
	unsigned b = 0;
	CHECK_INT_EQ(access_scopes_parse("support,annotate", &b), 0);
	CHECK_INT_EQ(b, SCOPE_SUPPORT | SCOPE_ANNOTATE);
	CHECK_INT_EQ(access_scopes_parse("admin", &b), 0);
	CHECK_INT_EQ(access_scopes_parse("", &b), -1);
	CHECK_INT_EQ(access_scopes_parse("support,", &b), 0); /* a trailing comma is harmless */
	CHECK_INT_EQ(access_scopes_parse("root", &b), -1);
	CHECK_INT_EQ(access_scopes_parse("support,,annotate", &b), -1);
	access_key admin = key_for("k", 1, "admin", 0, 0), sup = key_for("k", 1, "support", 0, 0);
	CHECK(access_allows(&admin, SCOPE_ANNOTATE));
	CHECK(access_allows(&sup, SCOPE_SUPPORT));
	CHECK(!access_allows(&sup, SCOPE_ANNOTATE));
	CHECK(!access_allows(&sup, 0)); /* an unknown scope name maps to no bit */
}

static void test_find_and_check(void)
{
	access_table *a = access_new(600, 2);
	CHECK(!access_loaded(a));
	access_key *keys = calloc(3, sizeof *keys);
	keys[0] = key_for("cc_one", 1, "support", 0, 0);
	keys[1] = key_for("cc_two", 2, "annotate", 0, 0);
	keys[2] = key_for("cc_three", 3, "admin", 0, 0);
	access_set_keys(a, keys, 3);
	CHECK(access_loaded(a));
	const access_key *k = access_find(a, "Bearer cc_two");
	CHECK(k && k->id == 2);
	k = access_find(a, "bearer   cc_three");
	CHECK(k && k->id == 3);
	CHECK(access_find(a, "Bearer cc_four") == NULL);
	CHECK(access_find(a, "Basic cc_one") == NULL);
	CHECK(access_find(a, "Bearer ") == NULL);
	CHECK(access_find(a, NULL) == NULL);
	CHECK(access_find(a, "cc_one") == NULL);

	access_principal p;
	unsigned retry = 0;
	CHECK_INT_EQ(access_check(a, "Bearer cc_one", "support", 1 * S, &p, &retry), 0);
	CHECK_INT_EQ(p.max_streams, 2);
	CHECK_INT_EQ(p.rpm, 600);
	CHECK_STR_EQ(p.prefix, "cc_one");
	CHECK_INT_EQ(access_check(a, "Bearer cc_one", "annotate", 1 * S, &p, &retry), 2);
	CHECK_INT_EQ(access_check(a, "Bearer cc_one", "any", 1 * S, &p, &retry), 0);
	CHECK_INT_EQ(access_check(a, "Bearer cc_nope", "any", 1 * S, &p, &retry), 1);
	CHECK_INT_EQ(access_check(a, "Bearer cc_three", "annotate", 1 * S, &p, &retry), 0);

	/* a reload drops a key (revoked) */
	keys = calloc(1, sizeof *keys);
	keys[0] = key_for("cc_two", 2, "annotate", 0, 0);
	access_set_keys(a, keys, 1);
	CHECK_INT_EQ(access_check(a, "Bearer cc_one", "support", 2 * S, &p, &retry), 1);
	access_free(a);
}

static void test_window(void)
{
	access_table *a = access_new(600, 2);
	access_key k = key_for("cc_limited", 7, "support", 60, 1);
	access_limiter *l = NULL;
	unsigned retry = 0;
	uint64_t t0 = 1000 * S;
	int passed = 0;
	for (int i = 0; i < 60; i++)
		passed += access_take(a, &k, t0 + (uint64_t)i * (S / 2), &retry, &l);
	CHECK_INT_EQ(passed, 60); /* 60 in 30 s */
	CHECK(!access_take(a, &k, t0 + 30 * S, &retry, &l));
	/* the window ends at 60 s, and 1 s later its 60 weigh 59 */
	CHECK(retry >= 31 && retry <= 32);
	CHECK(!access_take(a, &k, t0 + 59 * S, &retry, &l));
	CHECK(retry >= 2 && retry <= 3);
	/* just after the first minute: the estimate is 60 * (1 - f) */
	CHECK(!access_take(a, &k, t0 + 60 * S, &retry, &l));
	CHECK(access_take(a, &k, t0 + 61 * S + S / 10, &retry, &l));
	/* steady use at the limit: one per second keeps passing */
	int steady = 0;
	for (int i = 0; i < 120; i++)
		steady += access_take(a, &k, t0 + 62 * S + (uint64_t)i * S, &retry, &l);
	CHECK(steady >= 115);
	/* after an idle two minutes the key starts afresh */
	passed = 0;
	for (int i = 0; i < 61; i++)
		passed += access_take(a, &k, t0 + 400 * S + (uint64_t)i * (S / 100), &retry, &l);
	CHECK_INT_EQ(passed, 60);

	/* streams: the key's own limit, 1 */
	access_principal p = {.limiter = l, .max_streams = 1};
	CHECK(access_stream_open(&p));
	CHECK(!access_stream_open(&p));
	access_stream_close(&p);
	CHECK(access_stream_open(&p));
	access_stream_close(&p);
	access_stream_close(&p); /* never below zero */
	CHECK_INT_EQ(l->streams, 0);
	access_free(a);
}

int main(void)
{
	test_scopes();
	test_find_and_check();
	test_window();
	return check_done();
}
