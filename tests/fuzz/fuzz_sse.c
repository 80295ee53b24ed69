/* The backend's stream: the text/event-stream parser (server/sse.c) fed in
 * pieces of a size chosen by the first input byte, with a small event cap,
 * each event read as an OpenAI chunk; and the round trip of the input
 * through sse_format and the parser (one event, the same data with every
 * line break read as \n). */
#include <stdbool.h>
#include <string.h>

#include "server/sse.h"
#include "tests/fuzz/fuzz.h"

#define MAX_EVENT 4096

typedef struct seen {
	size_t cap; /* the parser's event cap, 0 for none */
	size_t events;
	char *last; /* the last event's data */
	size_t last_len;
} seen;

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
	seen *s = ud;
	FUZZ_CHECK(data[len] == '\0');
	FUZZ_CHECK(!s->cap || len <= s->cap);
	FUZZ_CHECK(!event || !strchr(event, '\n'));
	openai_chunk ch;
	if (openai_chunk_parse(data, len, &ch) == 0) {
		FUZZ_CHECK(ch.done == !ch.doc);
		FUZZ_CHECK(!ch.content || strlen(ch.content) <= ch.content_len);
		openai_chunk_clear(&ch);
	}
	FUZZ_CHECK(!ch.doc && !ch.content && ch.prompt_tokens == -1);
	s->events++;
	free(s->last);
	s->last = malloc(len + 1);
	FUZZ_CHECK(s->last);
	memcpy(s->last, data, len + 1);
	s->last_len = len;
	return 0;
}

/* data with \r\n and \r read as \n, as the parser gives them back. */
static char *newlines(const char *data, size_t len, size_t *out)
{
	char *s = malloc(len + 1);
	FUZZ_CHECK(s);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r') {
			s[n++] = '\n';
			if (i + 1 < len && data[i + 1] == '\n')
				i++;
		} else {
			s[n++] = data[i];
		}
	}
	*out = n;
	return s;
}

static void round_trip(const char *data, size_t len)
{
	size_t flen;
	char *framed = sse_format("name", data, len, &flen);
	FUZZ_CHECK(framed);
	seen s = {0};
	sse_parser *p = sse_parser_new(on_event, &s, 0);
	FUZZ_CHECK(p);
	FUZZ_CHECK(sse_parser_feed(p, framed, flen) == 0);
	size_t want_len;
	char *want = newlines(data, len, &want_len);
	FUZZ_CHECK(s.events == 1);
	FUZZ_CHECK(s.last_len == want_len && memcmp(s.last, want, want_len) == 0);
	free(want);
	free(s.last);
	sse_parser_free(p);
	free(framed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t piece = (size_t)data[0] + 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	seen s = {.cap = MAX_EVENT};
	sse_parser *p = sse_parser_new(on_event, &s, MAX_EVENT);
	FUZZ_CHECK(p);
	int rc = 0;
	for (size_t off = 0; off < len && rc == 0; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		rc = sse_parser_feed(p, text + off, n);
		FUZZ_CHECK(rc == 0 || rc == -1);
	}
	if (rc != 0) /* final: later feeds return the same */
		FUZZ_CHECK(sse_parser_feed(p, "\n\n", 2) == rc);
	free(s.last);
	sse_parser_free(p);
	round_trip(text, len);
	return 0;
}
