/* Unit tests for server/sse.c: the incremental SSE parser (every split of
 * the input gives the same events), OpenAI chunk extraction and sse_format. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/sse.h"
#include "tests/unit/check.h"

#define U8(lit) (lit), (sizeof(lit) - 1)

/* ---- An event collector: the events seen, as "[type|data]" strings. ---- */

typedef struct collector {
	char *log;
	size_t len, cap;
	unsigned events;
	unsigned stop_at; /* return stop_rc on this event number (1-based); 0 = never */
	int stop_rc;
	bool bad_nul;     /* some data was not NUL-terminated */
} collector;

static void log_add(collector *c, const char *s, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 64;
		while (cap < c->len + n + 1)
			cap *= 2;
		char *b = realloc(c->log, cap);
		if (!b)
			abort();
		c->log = b;
		c->cap = cap;
	}
	if (n)
		memcpy(c->log + c->len, s, n);
	c->len += n;
	c->log[c->len] = '\0';
}

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
	collector *c = ud;
	c->events++;
	if (data[len] != '\0')
		c->bad_nul = true;
	log_add(c, "[", 1);
	if (event)
		log_add(c, event, strlen(event));
	else
		log_add(c, "-", 1);
	log_add(c, "|", 1);
	log_add(c, data, len);
	log_add(c, "]", 1);
	return c->stop_at && c->events == c->stop_at ? c->stop_rc : 0;
}

/* xorshift32: a reproducible source of chunk sizes. */
static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

enum { WHOLE = 0, BYTES = 1 }; /* other modes: a random seed */

/* Parses in (n bytes) split according to mode; returns the log (caller
 * frees, "" when no event) and sets *rc to the first non-zero feed result. */
static char *run(const char *in, size_t n, uint32_t mode, size_t max, unsigned stop_at, int stop_rc,
		 int *rc)
{
	collector c = { .stop_at = stop_at, .stop_rc = stop_rc };
	log_add(&c, "", 0);
	sse_parser *p = sse_parser_new(on_event, &c, max);
	if (!p)
		abort();
	*rc = 0;
	uint32_t seed = mode;
	size_t i = 0;
	while (i < n) {
		size_t k;
		if (mode == WHOLE)
			k = n;
		else if (mode == BYTES)
			k = 1;
		else
			k = 1 + rnd(&seed) % 7;
		if (k > n - i)
			k = n - i;
		int r = sse_parser_feed(p, in + i, k);
		i += k;
		if (r) {
			*rc = r;
			break;
		}
	}
	/* Feeding nothing is fine. */
	int r = sse_parser_feed(p, NULL, 0);
	if (*rc == 0)
		*rc = r;
	sse_parser_free(p);
	CHECK(!c.bad_nul);
	return c.log;
}

/* Checks that in gives the events expected (and rc) for one whole feed, one
 * byte at a time, every two-piece split and random chunk sizes. */
static void check_stream_(const char *in, size_t n, const char *expected, size_t max, int want_rc,
			  int line)
{
	int rc;
	uint32_t modes[] = { WHOLE, BYTES, 2, 3, 12345, 777, 0xdeadbeef, 42 };
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		char *log = run(in, n, modes[m], max, 0, 0, &rc);
		if (!CHECK_STR_EQ(log, expected) || !CHECK_INT_EQ(rc, want_rc))
			fprintf(stderr, "  (line %d, mode %u)\n", line, (unsigned)modes[m]);
		free(log);
	}
	/* Every split into two feeds. */
	for (size_t cut = 0; cut <= n; cut++) {
		collector c = { 0 };
		log_add(&c, "", 0);
		sse_parser *p = sse_parser_new(on_event, &c, max);
		rc = sse_parser_feed(p, in, cut);
		if (rc == 0)
			rc = sse_parser_feed(p, in + cut, n - cut);
		if (!CHECK_STR_EQ(c.log, expected) || !CHECK_INT_EQ(rc, want_rc))
			fprintf(stderr, "  (line %d, cut at %zu)\n", line, cut);
		sse_parser_free(p);
		free(c.log);
	}
}

#define CHECK_STREAM(lit, expected) check_stream_(U8(lit), (expected), 0, 0, __LINE__)
#define CHECK_STREAM_MAX(lit, expected, max, rc) check_stream_(U8(lit), (expected), (max), (rc), __LINE__)

static void test_basic(void)
{
	CHECK_STREAM("", "");
	CHECK_STREAM("data: hello\n\n", "[-|hello]");
	CHECK_STREAM("data: a\n\ndata: b\n\ndata: c\n\n", "[-|a][-|b][-|c]");
	/* No space, or two spaces (only one is removed). */
	CHECK_STREAM("data:x\n\ndata:  y\n\n", "[-|x][-| y]");
	/* Colons in the value are kept. */
	CHECK_STREAM("data: {\"a\": \"b:c\"}\n\n", "[-|{\"a\": \"b:c\"}]");
	/* An event still open at the end is not dispatched. */
	CHECK_STREAM("data: a\n", "");
	CHECK_STREAM("data: a\n\ndata: b", "[-|a]");
	/* Several blank lines dispatch once. */
	CHECK_STREAM("\n\ndata: a\n\n\n\n", "[-|a]");
	/* Data with a NUL byte. */
	{
		static const char in[] = "data: a\0b\n\n";
		int rc;
		char *log = run(in, sizeof in - 1, BYTES, 0, 0, 0, &rc);
		CHECK_INT_EQ(rc, 0);
		CHECK(memcmp(log, "[-|a\0b]", 8) == 0);
		free(log);
	}
}

static void test_line_endings(void)
{
	CHECK_STREAM("data: a\r\ndata: b\r\n\r\n", "[-|a\nb]");
	CHECK_STREAM("data: a\rdata: b\r\r", "[-|a\nb]");
	CHECK_STREAM("data: a\ndata: b\n\n", "[-|a\nb]");
	/* Mixed: \r\n then \n; \r then \r\n. */
	CHECK_STREAM("data: x\r\n\ndata: y\r\r\ndata: z\n\r", "[-|x][-|y][-|z]");
	/* \r\r is two line ends (so an empty line), \n\r too. */
	CHECK_STREAM("data: a\r\rdata: b\n\r", "[-|a][-|b]");
	/* A lone \r between two events split anywhere. */
	CHECK_STREAM("event: e\rdata: 1\r\rdata: 2\r\n\r\n", "[e|1][-|2]");
}

static void test_fields(void)
{
	/* Multi-line data joined with \n. */
	CHECK_STREAM("data: one\ndata: two\ndata: three\n\n", "[-|one\ntwo\nthree]");
	/* Comments are ignored, wherever they are. */
	CHECK_STREAM(": keepalive\n\n:\ndata: a\n: mid\ndata: b\n:x\n\n", "[-|a\nb]");
	CHECK_STREAM(":data: not data\n\n", "");
	/* Event names; the type resets after each dispatch. */
	CHECK_STREAM("event: delta\ndata: a\n\ndata: b\n\n", "[delta|a][-|b]");
	CHECK_STREAM("event: x\nevent: y\ndata: a\n\n", "[y|a]");
	CHECK_STREAM("data: a\nevent: late\n\n", "[late|a]");
	CHECK_STREAM("event:\ndata: a\n\n", "[-|a]");
	CHECK_STREAM("event\ndata: a\n\n", "[-|a]");
	/* Empty data lines. */
	CHECK_STREAM("data:\n\n", "[-|]");
	CHECK_STREAM("data: \n\n", "[-|]");
	CHECK_STREAM("data:\ndata:\n\n", "[-|\n]");
	CHECK_STREAM("data: a\ndata:\ndata: b\n\n", "[-|a\n\nb]");
	/* A field without a colon: "data" alone is an empty data line. */
	CHECK_STREAM("data\n\n", "[-|]");
	CHECK_STREAM("data\ndata: x\n\n", "[-|\nx]");
	CHECK_STREAM("data \n\n", "");
	/* No event without data; the type is dropped too. */
	CHECK_STREAM("event: foo\n\n", "");
	CHECK_STREAM("event: foo\n\ndata: z\n\n", "[-|z]");
	CHECK_STREAM("id: 7\n\nretry: 10\n\n", "");
	/* id, retry and unknown fields are ignored. */
	CHECK_STREAM("id: 1\nretry: 100\nfoo: bar\nDATA: no\ndata: q\n\n", "[-|q]");
	/* Field names are exact. */
	CHECK_STREAM(" data: a\n\ndatax: b\n\n", "");
}

static void test_bom(void)
{
	CHECK_STREAM("\xEF\xBB\xBF" "data: a\n\n", "[-|a]");
	CHECK_STREAM("\xEF\xBB\xBF" "event: e\ndata: a\n\n", "[e|a]");
	CHECK_STREAM("\xEF\xBB\xBF" "\n" "data: a\n\n", "[-|a]");
	/* Only one, only at the very start. */
	CHECK_STREAM("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\n", "");
	CHECK_STREAM("data: a\n\n\xEF\xBB\xBF" "data: b\n\n", "[-|a]");
	/* A partial BOM is content, not lost or skipped. */
	CHECK_STREAM("\xEF\xBB" "data: a\n\n", "");
	CHECK_STREAM("\xEF" "\n" "data: a\n\n", "[-|a]");
	CHECK_STREAM("\xEF\xBB" ": comment?\ndata: a\n\n", "[-|a]");
	/* Without a BOM. */
	CHECK_STREAM("data: \xEF\xBB\xBF\n\n", "[-|\xEF\xBB\xBF]");
}

static void test_limit(void)
{
	/* "data: 0123456789" is 16 bytes: fits a limit of 16, not 15. */
	CHECK_STREAM_MAX("data: 0123456789\n\n", "[-|0123456789]", 16, 0);
	CHECK_STREAM_MAX("data: 0123456789\n\n", "", 15, -1);
	/* The whole event counts: 5 bytes of data + an 11-byte line fit 16;
	 * 11 + 11 do not. */
	CHECK_STREAM_MAX("data: aaaaa\ndata: bbbbb\n\n", "[-|aaaaa\nbbbbb]", 16, 0);
	CHECK_STREAM_MAX("data: aaaaa\ndata: bbbbb\ndata: ccccc\n\n", "", 16, -1);
	/* Events before the big one are delivered. */
	CHECK_STREAM_MAX("data: ok\n\ndata: 0123456789abcdef\n\ndata: never\n\n", "[-|ok]", 16, -1);
	/* The limit is per event. */
	CHECK_STREAM_MAX("data: 0123456789\n\ndata: 0123456789\n\n", "[-|0123456789][-|0123456789]", 16, 0);
	/* Long comments are skipped, not buffered. */
	CHECK_STREAM_MAX(": 0123456789012345678901234567890123456789\ndata: x\n\n", "[-|x]", 16, 0);
	/* An over-long line without any data field still counts. */
	CHECK_STREAM_MAX("foo: 0123456789012345678901234567890123456789\ndata: x\n\n", "", 16, -1);

	/* The error is final. */
	collector c = { 0 };
	log_add(&c, "", 0);
	sse_parser *p = sse_parser_new(on_event, &c, 8);
	CHECK_INT_EQ(sse_parser_feed(p, U8("data: 0123456789\n\n")), -1);
	CHECK_INT_EQ(sse_parser_feed(p, U8("data: a\n\n")), -1);
	CHECK_INT_EQ(c.events, 0);
	sse_parser_free(p);
	free(c.log);

	/* A big event with a big limit, growing the buffers. */
	size_t n = 100000;
	char *big = malloc(n * 2 + 32);
	char *w = big;
	for (size_t i = 0; i < n / 10; i++) {
		memcpy(w, "data: 0123\n", 11);
		w += 11;
	}
	*w++ = '\n';
	int rc;
	char *log = run(big, (size_t)(w - big), 12345, n, 0, 0, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_INT_EQ(strlen(log), 3 + n / 10 * 5 - 1 + 1);
	free(log);
	log = run(big, (size_t)(w - big), 12345, n / 3, 0, 0, &rc);
	CHECK_INT_EQ(rc, -1);
	CHECK_STR_EQ(log, "");
	free(log);
	free(big);
}

static void test_stop(void)
{
	static const char in[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
	uint32_t modes[] = { WHOLE, BYTES, 99 };
	for (size_t m = 0; m < 3; m++) {
		int rc;
		char *log = run(in, sizeof in - 1, modes[m], 0, 2, 7, &rc);
		CHECK_INT_EQ(rc, 7);
		CHECK_STR_EQ(log, "[-|1][-|2]");
		free(log);
	}
	/* The stop value stays. */
	collector c = { .stop_at = 1, .stop_rc = 3 };
	log_add(&c, "", 0);
	sse_parser *p = sse_parser_new(on_event, &c, 0);
	CHECK_INT_EQ(sse_parser_feed(p, U8("data: a\n\ndata: b\n\n")), 3);
	CHECK_INT_EQ(sse_parser_feed(p, U8("data: c\n\n")), 3);
	CHECK_INT_EQ(c.events, 1);
	CHECK_STR_EQ(c.log, "[-|a]");
	sse_parser_free(p);
	free(c.log);
	sse_parser_free(NULL);
}

/* ---- OpenAI chunks ---- */

static void test_chunk_content(void)
{
	openai_chunk c;
	static const char delta[] =
		"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
		"\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},"
		"\"logprobs\":null,\"finish_reason\":null}]}";
	CHECK_INT_EQ(openai_chunk_parse(U8(delta), &c), 0);
	CHECK(!c.done);
	CHECK_STR_EQ(c.content, "Hel");
	CHECK_INT_EQ(c.content_len, 3);
	CHECK_STR_EQ(c.finish_reason, NULL);
	CHECK_STR_EQ(c.model, "gpt-4o-mini");
	CHECK_INT_EQ(c.prompt_tokens, -1);
	CHECK_INT_EQ(c.completion_tokens, -1);
	CHECK_STR_EQ(c.error, NULL);
	CHECK(c.doc != NULL);
	openai_chunk_clear(&c);
	CHECK(c.doc == NULL);
	CHECK(c.content == NULL);
	openai_chunk_clear(&c); /* twice is fine */
	openai_chunk_clear(NULL);

	/* Role-only first chunk: content null, or absent. */
	static const char role[] = "{\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,"
				   "\"delta\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":null}]}";
	CHECK_INT_EQ(openai_chunk_parse(U8(role), &c), 0);
	CHECK(!c.done);
	CHECK(c.content == NULL);
	CHECK_INT_EQ(c.content_len, 0);
	CHECK_STR_EQ(c.finish_reason, NULL);
	CHECK_STR_EQ(c.model, "m");
	openai_chunk_clear(&c);
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}"), &c), 0);
	CHECK(c.content == NULL);
	CHECK_STR_EQ(c.model, NULL);
	openai_chunk_clear(&c);
	/* An empty content is not absent. */
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"), &c),
		     0);
	CHECK_STR_EQ(c.content, "");
	CHECK_INT_EQ(c.content_len, 0);
	openai_chunk_clear(&c);

	/* Final chunk with finish_reason and usage. */
	static const char fin[] =
		"{\"id\":\"x\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},"
		"\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,"
		"\"total_tokens\":46}}";
	CHECK_INT_EQ(openai_chunk_parse(U8(fin), &c), 0);
	CHECK(c.content == NULL);
	CHECK_STR_EQ(c.finish_reason, "stop");
	CHECK_INT_EQ(c.prompt_tokens, 12);
	CHECK_INT_EQ(c.completion_tokens, 34);
	openai_chunk_clear(&c);
	CHECK_INT_EQ(c.prompt_tokens, -1);

	/* Usage-only chunk (stream_options.include_usage): empty choices. */
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":0}}"), &c),
		     0);
	CHECK(c.content == NULL);
	CHECK(c.finish_reason == NULL);
	CHECK_INT_EQ(c.prompt_tokens, 5);
	CHECK_INT_EQ(c.completion_tokens, 0);
	openai_chunk_clear(&c);
	/* usage: null, or with a wrong type. */
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[],\"usage\":null}"), &c), 0);
	CHECK_INT_EQ(c.prompt_tokens, -1);
	openai_chunk_clear(&c);
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"usage\":{\"prompt_tokens\":\"5\",\"completion_tokens\":7}}"), &c), 0);
	CHECK_INT_EQ(c.prompt_tokens, -1);
	CHECK_INT_EQ(c.completion_tokens, 7);
	openai_chunk_clear(&c);
	/* Odd shapes are tolerated. */
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[{\"delta\":{\"content\":5},\"finish_reason\":3}],\"model\":1}"), &c),
		     0);
	CHECK(c.content == NULL);
	CHECK(c.finish_reason == NULL);
	CHECK(c.model == NULL);
	openai_chunk_clear(&c);
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":{\"delta\":1}}"), &c), 0);
	openai_chunk_clear(&c);
	CHECK_INT_EQ(openai_chunk_parse(U8("{}"), &c), 0);
	openai_chunk_clear(&c);
}

static void test_chunk_special(void)
{
	openai_chunk c;
	CHECK_INT_EQ(openai_chunk_parse(U8("[DONE]"), &c), 0);
	CHECK(c.done);
	CHECK(c.doc == NULL);
	CHECK(c.content == NULL);
	CHECK_INT_EQ(c.prompt_tokens, -1);
	openai_chunk_clear(&c);
	/* Exactly [DONE], and not NUL-terminated data. */
	const char buf[] = { '[', 'D', 'O', 'N', 'E', ']', 'x' };
	CHECK_INT_EQ(openai_chunk_parse(buf, 6, &c), 0);
	CHECK(c.done);
	openai_chunk_clear(&c);
	CHECK_INT_EQ(openai_chunk_parse(buf, 7, &c), -1);
	CHECK(!c.done);
	CHECK_INT_EQ(openai_chunk_parse(U8("[DONE] "), &c), -1);
	CHECK_INT_EQ(openai_chunk_parse(U8("[done]"), &c), -1);

	/* An error object in the stream. */
	static const char err[] = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
				  "\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
	CHECK_INT_EQ(openai_chunk_parse(U8(err), &c), 0);
	CHECK(!c.done);
	CHECK_STR_EQ(c.error, "Rate limit reached");
	CHECK(c.content == NULL);
	openai_chunk_clear(&c);
	CHECK(c.error == NULL);
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"error\":{\"code\":500}}"), &c), 0);
	CHECK_STR_EQ(c.error, "unknown error");
	openai_chunk_clear(&c);
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"error\":\"overloaded\"}"), &c), 0);
	CHECK_STR_EQ(c.error, "overloaded");
	openai_chunk_clear(&c);
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"a\"}}]}"), &c), 0);
	CHECK(c.error == NULL);
	CHECK_STR_EQ(c.content, "a");
	openai_chunk_clear(&c);

	/* Garbage: -1, and nothing owned. */
	const char *bad[] = { "", "not json", "{\"choices\":", "[1,2]", "\"str\"", "42", "null",
			      "{\"a\":1} trailing", "{\"a\":\"\xff\"}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c.doc = (json_t *)&c; /* must be overwritten, not freed */
		if (!CHECK_INT_EQ(openai_chunk_parse(bad[i], strlen(bad[i]), &c), -1))
			fprintf(stderr, "  (input %s)\n", bad[i]);
		CHECK(c.doc == NULL);
		CHECK(!c.done);
		CHECK(c.content == NULL && c.error == NULL && c.model == NULL);
		CHECK_INT_EQ(c.prompt_tokens, -1);
		openai_chunk_clear(&c);
	}
}

static void test_chunk_unicode(void)
{
	openai_chunk c;
	/* \u00e9 (é), \u4e2d (中) and a surrogate pair (😀) decode to UTF-8. */
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[{\"delta\":{\"content\":\"caf\\u00e9 \\u4e2d\\ud83d\\ude00\"}}]}"),
					&c),
		     0);
	CHECK_STR_EQ(c.content, "caf\xc3\xa9 \xe4\xb8\xad\xf0\x9f\x98\x80");
	CHECK_INT_EQ(c.content_len, 3 + 2 + 1 + 3 + 4);
	openai_chunk_clear(&c);
	/* Raw UTF-8 and escapes alike. */
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[{\"delta\":{\"content\":\"\xe4\xb8\xad\\n\\\"q\\\"\"}}]}"), &c), 0);
	CHECK_STR_EQ(c.content, "\xe4\xb8\xad\n\"q\"");
	openai_chunk_clear(&c);
	/* An escaped NUL is kept, and counted. */
	CHECK_INT_EQ(openai_chunk_parse(U8("{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}"), &c), 0);
	CHECK_INT_EQ(c.content_len, 3);
	CHECK(c.content && memcmp(c.content, "a\0b", 3) == 0);
	openai_chunk_clear(&c);
}

/* A whole upstream stream through the parser and the chunk parser. */
typedef struct assembled {
	char text[256];
	size_t len;
	bool done;
	const char *finish; /* static copy */
	long prompt, completion;
	int bad;
} assembled;

static int on_chunk(void *ud, const char *event, const char *data, size_t len)
{
	assembled *a = ud;
	openai_chunk c;
	if (event || openai_chunk_parse(data, len, &c) < 0) {
		a->bad++;
		return 0;
	}
	if (c.done)
		a->done = true;
	if (c.content && a->len + c.content_len < sizeof a->text) {
		memcpy(a->text + a->len, c.content, c.content_len);
		a->len += c.content_len;
		a->text[a->len] = '\0';
	}
	if (c.finish_reason && strcmp(c.finish_reason, "stop") == 0)
		a->finish = "stop";
	if (c.prompt_tokens >= 0) {
		a->prompt = c.prompt_tokens;
		a->completion = c.completion_tokens;
	}
	openai_chunk_clear(&c);
	return 0;
}

static void test_stream_end_to_end(void)
{
	static const char in[] =
		": OPENROUTER PROCESSING\n\n"
		"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
		"\"finish_reason\":null}]}\r\n\r\n"
		"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Bonjour, \"},"
		"\"finish_reason\":null}]}\r\n\r\n"
		"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\u00e7a va\"},"
		"\"finish_reason\":null}]}\r\n\r\n"
		"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}\r\n\r\n"
		"data: [DONE]\r\n\r\n";
	uint32_t modes[] = { WHOLE, BYTES, 5, 6 };
	for (size_t m = 0; m < 4; m++) {
		assembled a = { .prompt = -1, .completion = -1 };
		sse_parser *p = sse_parser_new(on_chunk, &a, 4096);
		uint32_t seed = modes[m];
		size_t i = 0, n = sizeof in - 1;
		int rc = 0;
		while (i < n && rc == 0) {
			size_t k = modes[m] == WHOLE ? n : modes[m] == BYTES ? 1 : 1 + rnd(&seed) % 13;
			if (k > n - i)
				k = n - i;
			rc = sse_parser_feed(p, in + i, k);
			i += k;
		}
		sse_parser_free(p);
		CHECK_INT_EQ(rc, 0);
		CHECK_INT_EQ(a.bad, 0);
		CHECK(a.done);
		CHECK_STR_EQ(a.text, "Bonjour, \xc3\xa7" "a va");
		CHECK_STR_EQ(a.finish, "stop");
		CHECK_INT_EQ(a.prompt, 9);
		CHECK_INT_EQ(a.completion, 4);
	}
}

/* ---- sse_format ---- */

static void check_format(const char *name, const char *data, size_t n, const char *expected)
{
	size_t len = 12345;
	char *s = sse_format(name, data, n, &len);
	if (CHECK(s != NULL)) {
		CHECK_STR_EQ(s, expected);
		CHECK_INT_EQ(len, strlen(expected));
	}
	free(s);
}

static void test_format(void)
{
	check_format("delta", U8("hello"), "event: delta\ndata: hello\n\n");
	check_format(NULL, U8("hello"), "data: hello\n\n");
	check_format(NULL, U8("a\nb"), "data: a\ndata: b\n\n");
	check_format(NULL, U8(""), "data: \n\n");
	check_format(NULL, NULL, 0, "data: \n\n");
	check_format("", U8("x"), "event: \ndata: x\n\n");
	check_format(NULL, U8("\n"), "data: \ndata: \n\n");
	check_format(NULL, U8("a\r\nb\rc\n\rd"), "data: a\ndata: b\ndata: c\ndata: \ndata: d\n\n");
	check_format(NULL, U8("a\r"), "data: a\ndata: \n\n");
	check_format("bad\nevent: x", U8("y"), "event: bad\ndata: y\n\n");
	{
		/* len may be NULL. */
		char *s = sse_format(NULL, "x", 1, NULL);
		CHECK(s != NULL);
		free(s);
	}
}

/* Formats events (name, data) and checks the parser gives them back, with
 * every line break read as \n. */
static void test_format_round_trip(void)
{
	struct {
		const char *name;
		const char *data;
		const char *expected; /* as the collector logs it */
	} cases[] = {
		{ NULL, "hello", "[-|hello]" },
		{ "delta", "{\"text\":\"a b\"}", "[delta|{\"text\":\"a b\"}]" },
		{ "done", "", "[done|]" },
		{ NULL, "line1\nline2\nline3", "[-|line1\nline2\nline3]" },
		{ NULL, "\n", "[-|\n]" },
		{ NULL, "a\n\nb\n", "[-|a\n\nb\n]" },
		{ NULL, " leading space", "[-| leading space]" },
		{ NULL, "  two", "[-|  two]" },
		{ NULL, ": not a comment", "[-|: not a comment]" },
		{ NULL, "data: nested", "[-|data: nested]" },
		{ "e", "x\r\ny\rz", "[e|x\ny\nz]" },
		{ NULL, "caf\xc3\xa9 \xe4\xb8\xad", "[-|caf\xc3\xa9 \xe4\xb8\xad]" },
	};
	size_t nc = sizeof cases / sizeof cases[0];
	/* One by one, then all of them as one stream. */
	collector all = { 0 };
	log_add(&all, "", 0);
	char *stream = NULL;
	size_t stream_len = 0;
	for (size_t i = 0; i < nc; i++) {
		size_t len;
		char *s = sse_format(cases[i].name, cases[i].data, strlen(cases[i].data), &len);
		if (!CHECK(s != NULL))
			continue;
		check_stream_(s, len, cases[i].expected, 0, 0, __LINE__);
		log_add(&all, cases[i].expected, strlen(cases[i].expected));
		char *t = realloc(stream, stream_len + len);
		if (!t)
			abort();
		stream = t;
		memcpy(stream + stream_len, s, len);
		stream_len += len;
		free(s);
	}
	check_stream_(stream, stream_len, all.log, 0, 0, __LINE__);
	free(stream);
	free(all.log);
}

int main(void)
{
	test_basic();
	test_line_endings();
	test_fields();
	test_bom();
	test_limit();
	test_stop();
	test_chunk_content();
	test_chunk_special();
	test_chunk_unicode();
	test_stream_end_to_end();
	test_format();
	test_format_round_trip();
	return check_done();
}
