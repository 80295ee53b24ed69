/* The Server-Sent Events of a streamed reply: the meta event (or the
 * first OpenAI chunk), text pieces, keep-alive comments, the end; a client
 * that goes away cancels the backend call. */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/sse.h"

void stream_event(support_run *s, const char *name, json_t *data)
{
	s->last_write_ns = now_ns();
	char *text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(data);
	size_t len;
	char *ev = text ? sse_format(name, text, strlen(text), &len) : NULL;
	if (ev)
		http_stream_write(s->st, ev, len);
	free(ev);
	free(text);
}

void stream_raw(support_run *s, const char *text)
{
	s->last_write_ns = now_ns();
	http_stream_write(s->st, text, strlen(text));
}

void stream_end(support_run *s, bool failed)
{
	s->ended = true;
	if (s->keepalive)
		uv_timer_stop(s->keepalive);
	http_stream_end(s->st, failed);
}

json_t *stream_openai_chunk(const support_run *s, json_t *delta, const char *finish)
{
	return json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s?}]}", "id", s->id, "object", "chat.completion.chunk",
			 "created", (json_int_t)time(NULL), "model", s->in.model_name, "choices", "index", 0, "delta",
			 delta, "finish_reason", finish);
}

/* Every second or keep-alive period: a client that left a silent stream
 * cancels the backend call; an idle stream gets a comment line. */
static void on_keepalive(uv_timer_t *t)
{
	support_run *s = t->data;
	if (s->ended || !s->st)
		return;
	if (http_stream_peer_gone(s->st)) {
		if (s->call) {
			llm_cancel(s->call);
			s->call = NULL;
		}
		classifier_cancel(s->cls);
		s->cls = NULL;
		stream_end(s, true);
		return;
	}
	if (http_stream_buffered(s->st) == 0 &&
	    now_ns() - s->last_write_ns >= (uint64_t)s->a->cfg->sse_keepalive_ms * 1000000u)
		stream_raw(s, ": keep-alive\n\n");
}

static void on_stream_drain(void *ud)
{
	support_run *s = ud;
	if (s->call)
		llm_resume(s->call);
}

/* The request is over (the client read everything or went away). */
static void on_stream_close(void *ud)
{
	support_run *s = ud;
	s->st = NULL;
	if (s->storing) { /* the insert's callback frees s */
		s->closed = true;
		return;
	}
	run_free(s); /* cancels a backend call still running */
}

void stream_open(support_run *s)
{
	s->st = http_reply_stream(s->r, 200, "text/event-stream; charset=utf-8", STREAM_LOW_WATER);
	if (!s->st)
		return;
	http_stream_set_callbacks(s->st, on_stream_drain, on_stream_close, s);
	s->keepalive = malloc(sizeof *s->keepalive);
	if (s->keepalive) {
		uv_timer_init(s->a->loop, s->keepalive);
		s->keepalive->data = s;
		unsigned every = s->a->cfg->sse_keepalive_ms < 1000 ? s->a->cfg->sse_keepalive_ms : 1000;
		uv_timer_start(s->keepalive, on_keepalive, every, every);
	}
	if (s->in.format == FMT_SUPPORT_SSE) {
		stream_event(s, "meta", reply_meta_json(s));
	} else {
		json_t *first = stream_openai_chunk(s, json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL);
		json_object_set_new(first, "culturecare", reply_meta_json(s));
		stream_event(s, NULL, first);
	}
}

/* Writes one piece of text as a delta event (or an OpenAI chunk). */
void stream_text(support_run *s, const char *text, size_t len)
{
	if (!s->st || s->ended)
		return;
	s->pieces++;
	json_t *t = json_stringn(text, len);
	if (!t)
		return;
	if (s->in.format == FMT_SUPPORT_SSE)
		stream_event(s, "delta", json_pack("{s:o}", "text", t));
	else
		stream_event(s, NULL, stream_openai_chunk(s, json_pack("{s:o}", "content", t), NULL));
}
