/* Server-Sent Events: incremental text/event-stream parsing, OpenAI
 * streaming chunk extraction and event formatting (see sse.h). */
#include "server/sse.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char utf8_bom[3] = { 0xef, 0xbb, 0xbf };

struct sse_parser {
	sse_event_cb cb;
	void *ud;
	size_t max;         /* cap on data_len + line_len */
	char *line;         /* the current, unfinished line (not a comment) */
	size_t line_len, line_cap;
	char *data;         /* data lines of the pending event joined with \n */
	size_t data_len, data_cap;
	bool has_data;      /* at least one data line (data may still be empty) */
	char *event;        /* the pending event type; empty = default */
	size_t event_len, event_cap;
	bool after_cr;      /* the last line ended in \r: skip one following \n */
	bool in_comment;    /* the current line started with ':' */
	unsigned bom;       /* BOM bytes matched so far at the start; 3 = done */
	int status;         /* sticky non-zero result of a stopped parse */
};

/* Makes *buf hold at least need bytes; 0 or -1 on OOM. */
static int reserve(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 256;
	while (n < need) {
		if (n > SIZE_MAX / 2) {
			n = need;
			break;
		}
		n *= 2;
	}
	char *b = realloc(*buf, n);
	if (!b)
		return -1;
	*buf = b;
	*cap = n;
	return 0;
}

sse_parser *sse_parser_new(sse_event_cb cb, void *ud, size_t max_event_bytes)
{
	sse_parser *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->cb = cb;
	p->ud = ud;
	p->max = max_event_bytes ? max_event_bytes : SIZE_MAX;
	return p;
}

void sse_parser_free(sse_parser *p)
{
	if (!p)
		return;
	free(p->line);
	free(p->data);
	free(p->event);
	free(p);
}

/* Appends n (> 0) bytes without CR or LF to the current line. */
static int line_append(sse_parser *p, const char *s, size_t n)
{
	if (p->line_len == 0 && !p->in_comment && s[0] == ':')
		p->in_comment = true;
	if (p->in_comment)
		return 0;
	/* Invariant: data_len + line_len <= max. */
	if (n > p->max - p->data_len - p->line_len)
		return -1;
	if (reserve(&p->line, &p->line_cap, p->line_len + n) < 0)
		return -1;
	memcpy(p->line + p->line_len, s, n);
	p->line_len += n;
	return 0;
}

/* Dispatches the pending event (if it has data) and resets it. */
static int dispatch(sse_parser *p)
{
	int rc = 0;
	if (p->has_data) {
		if (reserve(&p->data, &p->data_cap, p->data_len + 1) < 0 ||
		    reserve(&p->event, &p->event_cap, p->event_len + 1) < 0)
			return -1;
		p->data[p->data_len] = '\0';
		p->event[p->event_len] = '\0';
		rc = p->cb(p->ud, p->event_len ? p->event : NULL, p->data, p->data_len);
	}
	p->data_len = 0;
	p->has_data = false;
	p->event_len = 0;
	return rc;
}

static bool field_is(const char *field, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(field, name, n) == 0;
}

/* Processes the line just ended. */
static int line_end(sse_parser *p)
{
	if (p->in_comment) {
		p->in_comment = false;
		return 0;
	}
	if (p->line_len == 0)
		return dispatch(p);

	const char *field = p->line;
	const char *colon = memchr(p->line, ':', p->line_len);
	size_t field_len = colon ? (size_t)(colon - p->line) : p->line_len;
	const char *value = colon ? colon + 1 : p->line + p->line_len;
	size_t value_len = (size_t)(p->line + p->line_len - value);
	if (value_len && value[0] == ' ') {
		value++;
		value_len--;
	}
	p->line_len = 0;

	if (field_is(field, field_len, "data")) {
		/* Fits: the value plus a \n is shorter than the line it came from. */
		size_t sep = p->has_data ? 1 : 0;
		if (reserve(&p->data, &p->data_cap, p->data_len + sep + value_len + 1) < 0)
			return -1;
		if (sep)
			p->data[p->data_len++] = '\n';
		memcpy(p->data + p->data_len, value, value_len);
		p->data_len += value_len;
		p->has_data = true;
	} else if (field_is(field, field_len, "event")) {
		if (reserve(&p->event, &p->event_cap, value_len + 1) < 0)
			return -1;
		memcpy(p->event, value, value_len);
		p->event_len = value_len;
	}
	/* "id", "retry" and unknown fields are ignored. */
	return 0;
}

/* Parses bytes past the BOM check. */
static int parse(sse_parser *p, const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len) {
		char c = buf[i];
		if (p->after_cr) {
			p->after_cr = false;
			if (c == '\n') {
				i++;
				continue;
			}
		}
		if (c == '\n' || c == '\r') {
			p->after_cr = c == '\r';
			i++;
			int rc = line_end(p);
			if (rc)
				return rc;
			continue;
		}
		size_t j = i + 1;
		while (j < len && buf[j] != '\n' && buf[j] != '\r')
			j++;
		if (line_append(p, buf + i, j - i) < 0)
			return -1;
		i = j;
	}
	return 0;
}

int sse_parser_feed(sse_parser *p, const char *buf, size_t len)
{
	if (p->status)
		return p->status;
	if (len == 0)
		return 0;
	size_t i = 0;
	while (p->bom < 3 && i < len) {
		if ((unsigned char)buf[i] == utf8_bom[p->bom]) {
			p->bom++;
			i++;
			continue;
		}
		/* Not a BOM after all: the bytes matched so far are content. */
		unsigned matched = p->bom;
		p->bom = 3;
		if (matched) {
			int rc = parse(p, (const char *)utf8_bom, matched);
			if (rc)
				return p->status = rc;
		}
	}
	int rc = parse(p, buf + i, len - i);
	if (rc)
		p->status = rc;
	return rc;
}

/* ---- OpenAI chunks ---- */

void openai_chunk_clear(openai_chunk *c)
{
	if (!c)
		return;
	json_decref(c->doc);
	memset(c, 0, sizeof *c);
	c->prompt_tokens = -1;
	c->completion_tokens = -1;
}

/* The integer member name of obj, or -1. */
static long int_member(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	if (!json_is_integer(v))
		return -1;
	json_int_t n = json_integer_value(v);
	return n < 0 || n > (json_int_t)LONG_MAX ? -1 : (long)n;
}

int openai_chunk_parse(const char *data, size_t len, openai_chunk *out)
{
	memset(out, 0, sizeof *out);
	openai_chunk_clear(out);
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		out->done = true;
		return 0;
	}
	if (!data)
		return -1;
	json_t *doc = json_loadb(data, len, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -1;
	}
	out->doc = doc;
	out->model = json_string_value(json_object_get(doc, "model"));

	json_t *choice = json_array_get(json_object_get(doc, "choices"), 0);
	if (json_is_object(choice)) {
		json_t *content = json_object_get(json_object_get(choice, "delta"), "content");
		if (json_is_string(content)) {
			out->content = json_string_value(content);
			out->content_len = json_string_length(content);
		}
		out->finish_reason = json_string_value(json_object_get(choice, "finish_reason"));
	}

	json_t *usage = json_object_get(doc, "usage");
	if (json_is_object(usage)) {
		out->prompt_tokens = int_member(usage, "prompt_tokens");
		out->completion_tokens = int_member(usage, "completion_tokens");
	}

	json_t *err = json_object_get(doc, "error");
	if (json_is_string(err)) {
		out->error = json_string_value(err);
	} else if (err && !json_is_null(err)) {
		out->error = json_string_value(json_object_get(err, "message"));
		if (!out->error)
			out->error = "unknown error";
	}
	return 0;
}

/* ---- Formatting ---- */

char *sse_format(const char *name, const char *data, size_t data_len, size_t *len)
{
	static const char ev[] = "event: ", dl[] = "data: ";
	size_t name_len = 0;
	if (name)
		name_len = strcspn(name, "\r\n");

	/* Lines: one more than the line breaks (\r\n counts once). */
	size_t lines = 1;
	for (size_t i = 0; i < data_len; i++) {
		if (data[i] == '\n' || (data[i] == '\r' && !(i + 1 < data_len && data[i + 1] == '\n')))
			lines++;
	}

	size_t head = name ? sizeof ev - 1 + name_len + 1 : 0;
	size_t per_line = sizeof dl - 1 + 1;
	if (lines > (SIZE_MAX - head - data_len - 2) / per_line)
		return NULL;
	size_t cap = head + lines * per_line + data_len + 2;
	char *s = malloc(cap);
	if (!s)
		return NULL;

	char *w = s;
	if (name) {
		memcpy(w, ev, sizeof ev - 1);
		w += sizeof ev - 1;
		memcpy(w, name, name_len);
		w += name_len;
		*w++ = '\n';
	}
	size_t i = 0;
	for (;;) {
		size_t j = i;
		while (j < data_len && data[j] != '\n' && data[j] != '\r')
			j++;
		memcpy(w, dl, sizeof dl - 1);
		w += sizeof dl - 1;
		if (j > i) {
			memcpy(w, data + i, j - i);
			w += j - i;
		}
		*w++ = '\n';
		if (j == data_len)
			break;
		i = j + 1;
		if (data[j] == '\r' && i < data_len && data[i] == '\n')
			i++;
	}
	*w++ = '\n';
	*w = '\0';
	if (len)
		*len = (size_t)(w - s);
	return s;
}
