/* Server-Sent Events: an incremental text/event-stream parser (for reading
 * an upstream LLM's streamed reply), extraction of the fields of one OpenAI
 * streaming chat chunk, and formatting of one event for our own streams. */
#ifndef CC_SSE_H
#define CC_SSE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Incremental text/event-stream parser, following the WHATWG rules:
 * - lines end in \n, \r\n or \r, even when split across feeds;
 * - "field: value", with one optional space after the colon removed; a line
 *   without a colon is a field with an empty value ("data" alone adds an
 *   empty data line);
 * - "data" lines are joined with \n; "event" sets the event type;
 * - lines starting with ':' are comments (skipped without being buffered);
 * - an empty line dispatches the event if it had at least one data line,
 *   otherwise it only resets the event type;
 * - "id", "retry" and unknown fields are ignored;
 * - a UTF-8 BOM at the very start of the stream is skipped.
 * An event still incomplete when the stream ends is never dispatched. */
typedef struct sse_parser sse_parser;

/* Called once per dispatched event. event is the event type, or NULL for
 * the default ("message", i.e. no or an empty "event" field). data is
 * NUL-terminated and len excludes the NUL (data may hold NUL bytes of its
 * own). Both are borrowed and valid only during the call. Return 0 to go on,
 * non-zero to stop parsing: sse_parser_feed then returns that value (avoid
 * -1, which also means "too large"). */
typedef int (*sse_event_cb)(void *ud, const char *event, const char *data, size_t len);

/* Creates a parser calling cb(ud, ...) for each event. max_event_bytes caps
 * the memory one event may use (see sse_parser_feed); 0 means no cap.
 * Returns NULL on OOM. Free with sse_parser_free. */
sse_parser *sse_parser_new(sse_event_cb cb, void *ud, size_t max_event_bytes);

/* Feeds len bytes of the stream (any split is fine; buf may be NULL when len
 * is 0). Returns 0; the callback's non-zero value; or -1 when one event (its
 * data so far plus the current line) would exceed max_event_bytes, or on
 * OOM. A non-zero return is final: the rest of buf is not parsed and every
 * later call returns the same value without parsing. */
int sse_parser_feed(sse_parser *p, const char *buf, size_t len);

/* Frees p and its buffers; accepts NULL. */
void sse_parser_free(sse_parser *p);

/* One OpenAI streaming chunk (the data of one event of
 * POST /chat/completions with "stream": true). */
typedef struct openai_chunk {
	bool done;                 /* the data was exactly "[DONE]" (then doc is NULL) */
	const char *content;       /* choices[0].delta.content (may be ""), or NULL when absent/null
	                            * (role-only or final chunks); points into doc */
	size_t content_len;        /* bytes of content (content may hold an escaped \u0000) */
	const char *finish_reason; /* choices[0].finish_reason, or NULL when absent/null */
	const char *model;         /* top-level "model", or NULL */
	long prompt_tokens;        /* usage.prompt_tokens when present, else -1 */
	long completion_tokens;    /* usage.completion_tokens when present, else -1 */
	const char *error;         /* when the chunk carries "error": its "message" (or the
	                            * error itself when it is a string, or a static
	                            * "unknown error" when neither); else NULL */
	json_t *doc;               /* the parsed chunk: owner of the strings above */
} openai_chunk;

/* Parses data (len bytes, need not be NUL-terminated) into *out, which need
 * not be initialised. Returns 0 (the caller then owns out->doc and releases
 * it with openai_chunk_clear), or -1 when the data is neither "[DONE]" nor a
 * JSON object (*out is then cleared and owns nothing). */
int openai_chunk_parse(const char *data, size_t len, openai_chunk *out);

/* Releases c->doc and resets every field (pointers NULL, counts -1);
 * accepts NULL. */
void openai_chunk_clear(openai_chunk *c);

/* Writes one SSE event into a new malloc'd NUL-terminated string (caller
 * frees): "event: NAME\n" when name is not NULL (name is cut at its first CR
 * or LF so it stays one line), then one "data: " line per line of data (so
 * data containing line breaks stays one event), then "\n". Data lines are
 * split at \n, \r\n and \r, so after a round trip through the parser every
 * line break reads as \n (SSE cannot carry a CR); everything else, including
 * leading spaces and empty lines, round-trips exactly. data may be NULL when
 * data_len is 0. *len (when len is not NULL) is set to the length without
 * the NUL. Returns NULL on OOM. */
char *sse_format(const char *name, const char *data, size_t data_len, size_t *len);

#endif
