/* Fake OpenAI-compatible chat backend for the tests.
 *
 * Stands in for the LLM provider so the HTTP suites can exercise success,
 * failure, garbage, slowness, hanging and streaming without the network:
 *
 *   fake_llm [--port N]       listens on 127.0.0.1:N (0 = any free port) and
 *                             prints one line {"port": N} once listening.
 *
 *   POST /v1/chat/completions, POST /chat/completions
 *       records the request and answers according to the script; a request
 *       with "stream": true in mode ok gets a text/event-stream of
 *       chat.completion.chunk events (role, one per piece, final, [DONE]).
 *       A request whose user turn is a Llama Guard 3 prompt ("Task: Check
 *       if there is unsafe content in 'User'|'Agent' messages...") gets
 *       Llama Guard's answer about the last User or Agent message:
 *       "unsafe\nS11" when it holds LG-UNSAFE-S11, "unsafe\nS1" for
 *       LG-UNSAFE-S1, "I am not sure." for LG-GARBAGE, after 5 s for
 *       LG-SLOW, else "safe".
 *       A judging prompt (a user turn with a line "Metric: <Title> (1-5)")
 *       gets the script's judge_answers[<Title>] when set (else content);
 *       with "logprobs": true and judge_top_logprobs[<Title>] set (an
 *       array of {"token", "logprob"}), choices[0].logprobs.content holds
 *       one entry for the answer's first character with those top_logprobs.
 *       With the script's report_turns, a plain request is answered "I read
 *       N messages: system, user WORD, assistant WORD, ..." (the first word
 *       of each message but the system's, in order).
 *   POST /v1/moderations, POST /moderations
 *       an OpenAI moderation answer for {"model", "input"} (recorded with
 *       "_endpoint": "moderations"), chosen by markers in the input:
 *       MOD-INTENT (self-harm/intent 0.93), MOD-INSTRUCTIONS
 *       (self-harm/instructions 0.91), MOD-SH (self-harm 0.62),
 *       MOD-SCORE=X (the three scores X), MOD-GARBAGE (not JSON),
 *       MOD-ERROR (500), MOD-SLOW (after 5 s); else scores of 0.01. The
 *       script's moderation_delay_ms delays every answer.
 *   POST /_control            replaces the script (JSON, see struct script).
 *                             Two fields shape the bytes of an ok answer:
 *                             "body_bytes": N makes its content N bytes of
 *                             filler (rounded up to 16 KiB), made as it is sent (a 100 MB answer
 *                             costs no 100 MB here; streamed, 16 KiB of
 *                             text per chunk); "cut_body_at": N closes the
 *                             connection after N bytes of a non-streamed
 *                             answer whose Content-Length promised more.
 *   GET /_requests            recorded requests, oldest first (last 5000),
 *                             each with "_authorization", "_stream" (answered
 *                             as a stream), "_first_piece_ms", "_done_ms" and
 *                             "_client_closed_ms" (CLOCK_REALTIME ms or null);
 *   DELETE /_requests         forgets them.
 *   GET /_stats               {"requests", "open_connections", "hanging",
 *                              "streams_open", "client_closed_early"}.
 *
 * One libmicrohttpd polling thread (epoll) serves every connection. A delayed
 * or hanging answer suspends its connection; one timer thread resumes delayed
 * ones when due (min-heap of due times) and polls the sockets of hanging ones
 * so that a client giving up frees its request. A stream is a callback
 * response whose reader suspends the connection until its next piece is due
 * (the timer resumes it) or for good when stalled (the timer watches its
 * socket like a hanging one). MHD asks the reader for more only once what it
 * gave before has gone to the socket, so a slow reader holds at most one
 * batch of events. So thousands of slow requests or streams cost no thread
 * each. SIGTERM/SIGINT resume everything, stop, free, exit 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_BODY (4 * 1024 * 1024)
#define MAX_RECORDS 5000
#define HANG_CHECK_NS (100 * 1000000ull)
#define NOT_IN_HEAP SIZE_MAX
#define STREAM_BATCH 16384	/* events generated per reader call, at most (plus one) */

enum mode { MODE_OK, MODE_ERROR, MODE_GARBAGE, MODE_HANG, MODE_NONE };

static const char *const mode_names[] = { "ok", "error", "garbage", "hang" };

/* What the next chat requests get; replaced whole by POST /_control. */
struct script {
	enum mode mode;
	unsigned delay_ms;
	unsigned status;
	char *retry_after;	/* NULL: no Retry-After header */
	char *content;
	char *json_content;
	enum mode json_mode;	/* MODE_NONE: use mode */
	unsigned fail_first;
	/* Streams ("stream": true, mode ok): the role chunk at once (after
	 * delay_ms), then one chunk per piece, piece_interval_ms apart, then
	 * the final chunk (with usage if stream_options.include_usage) and
	 * [DONE]. pieces replaces content (streamed or not: the content is the
	 * pieces joined); json_object requests stream json_content. */
	json_t *pieces;		/* array of strings; NULL: content split after each space */
	unsigned piece_interval_ms;
	long stall_after;	/* after that many pieces send nothing more, keep the
				 * connection until the client leaves; -1: never */
	long break_after;	/* after that many pieces close the connection (no final
				 * chunk, no [DONE]); -1: never */
	unsigned moderation_delay_ms;	/* every moderation answer after this long */
	json_t *judge_answers;		/* {"Empathy": "4", ...}: judging prompts' answers */
	json_t *judge_top_logprobs;	/* {"Empathy": [{"token", "logprob"}], ...} */
	unsigned long body_bytes;	/* ok answers: content of this many filler bytes; 0: off */
	unsigned long cut_body_at;	/* non-stream ok answers: cut after this many bytes; 0: off */
	bool report_turns;	/* plain chat requests: the answer says which messages it read */
};

enum req_state {
	ST_READING,	/* headers and body arriving */
	ST_WAITING,	/* suspended in the heap until due (streams: watched too) */
	ST_HANGING,	/* suspended in the watch list until the client leaves */
	ST_DUE,		/* resumed: queue the prepared response */
	ST_CLOSE,	/* resumed: drop the connection */
	ST_STREAMING,	/* stream queued: its reader produces events */
	ST_STREAM_WAIT,	/* stream suspended in the heap until its next piece */
	ST_STALLED,	/* stream suspended in the watch list for good */
};

enum phase { PH_ROLE, PH_PIECES, PH_END };

/* A streamed answer: piece i is text[ends[i - 1] .. ends[i]) (ends[-1] = 0).
 * Used by the MHD thread only. */
struct stream {
	char *text;
	size_t *ends, n, sent;
	char id[40];
	char *model;
	json_int_t created, prompt_tokens, completion_tokens;
	bool usage;
	uint64_t interval_ns, next_at;
	long stall_after, break_after;
	enum phase phase;
	bool done;		/* [DONE] handed to MHD */
	bool broken;		/* closed on purpose (break_after) or failed */
	char *out;		/* events not yet handed to MHD: out[off .. len) */
	size_t off, len, cap;
};

/* One request; owned by its connection, freed by on_completed. */
struct req {
	struct MHD_Connection *conn;
	enum req_state state;
	char *body;
	size_t len, cap;
	bool too_large;
	struct MHD_Response *resp;	/* prepared answer for ST_DUE */
	unsigned status;
	int fd;				/* socket, for peer checks */
	size_t hidx;			/* place in the heap, or NOT_IN_HEAP */
	bool watched;			/* in the watch list */
	bool hang;			/* mode hang: counted in hanging */
	struct req *wprev, *wnext;	/* watch list */
	json_t *rec;			/* its record (streams) */
	struct stream *s;		/* NULL unless answered as a stream */
};

struct due {
	uint64_t at;
	struct req *r;
};

/* Everything below is guarded by mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static struct script scr;
static struct due *heap;
static size_t heap_n, heap_cap;
static struct req *watch_head;	/* suspended, peer polled: hangs, streams */
static unsigned hanging;
static bool stopping;
static json_t *records[MAX_RECORDS];
static size_t rec_first, rec_n;

static atomic_ulong total_requests;
static atomic_long open_conns;
static atomic_ulong completion_id;
static atomic_long streams_open;
static atomic_ulong client_closed_early;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wall-clock milliseconds since the epoch, with fractions. */
static double real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void oom(void)
{
	fputs("fake_llm: out of memory\n", stderr);
	abort();
}

static char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

static void script_free(struct script *s)
{
	free(s->retry_after);
	free(s->content);
	free(s->json_content);
	json_decref(s->pieces);
	json_decref(s->judge_answers);
	json_decref(s->judge_top_logprobs);
	memset(s, 0, sizeof *s);
}

static void script_default(struct script *s)
{
	s->mode = MODE_OK;
	s->delay_ms = 0;
	s->status = 500;
	s->retry_after = NULL;
	s->content = xstrdup("This is a fake reply.");
	s->json_content = xstrdup("{\"emotional_distress\":[],\"cultural_signals\":[]}");
	s->json_mode = MODE_NONE;
	s->fail_first = 0;
	s->pieces = NULL;
	s->piece_interval_ms = 0;
	s->stall_after = -1;
	s->break_after = -1;
	s->moderation_delay_ms = 0;
	s->judge_answers = NULL;
	s->judge_top_logprobs = NULL;
	s->body_bytes = 0;
	s->cut_body_at = 0;
	s->report_turns = false;
}

/* ---- heap of due times (mu held) ---- */

static void heap_set(size_t i, struct due d)
{
	heap[i] = d;
	d.r->hidx = i;
}

static void heap_swap(size_t a, size_t b)
{
	struct due t = heap[a];
	heap_set(a, heap[b]);
	heap_set(b, t);
}

static void heap_up(size_t i)
{
	while (i > 0 && heap[(i - 1) / 2].at > heap[i].at) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < heap_n && heap[l].at < heap[m].at)
			m = l;
		if (l + 1 < heap_n && heap[l + 1].at < heap[m].at)
			m = l + 1;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
}

static bool heap_push(uint64_t at, struct req *r)
{
	if (heap_n == heap_cap) {
		size_t cap = heap_cap ? heap_cap * 2 : 1024;
		struct due *h = realloc(heap, cap * sizeof *h);
		if (!h)
			return false;
		heap = h;
		heap_cap = cap;
	}
	size_t i = heap_n++;
	heap_set(i, (struct due){ at, r });
	heap_up(i);
	return true;
}

/* Takes r out of the heap wherever it is. */
static void heap_remove(struct req *r)
{
	size_t i = r->hidx;
	r->hidx = NOT_IN_HEAP;
	if (--heap_n == i)
		return;
	struct req *moved = heap[heap_n].r;
	heap_set(i, heap[heap_n]);
	heap_up(i);
	heap_down(moved->hidx);
}

static struct req *heap_pop(void)
{
	struct req *r = heap[0].r;
	heap_remove(r);
	return r;
}

/* ---- watch list: suspended requests whose client may leave (mu held) ---- */

static void watch_add(struct req *r)
{
	r->wprev = NULL;
	r->wnext = watch_head;
	if (watch_head)
		watch_head->wprev = r;
	watch_head = r;
	r->watched = true;
	if (r->hang)
		hanging++;
}

static void watch_remove(struct req *r)
{
	if (r->wprev)
		r->wprev->wnext = r->wnext;
	else
		watch_head = r->wnext;
	if (r->wnext)
		r->wnext->wprev = r->wprev;
	r->wprev = r->wnext = NULL;
	r->watched = false;
	if (r->hang)
		hanging--;
}

/* Takes a suspended request out of the heap and the watch list. */
static void unschedule(struct req *r)
{
	if (r->hidx != NOT_IN_HEAP)
		heap_remove(r);
	if (r->watched)
		watch_remove(r);
}

static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	int n = poll(&p, 1, 0);
	if (n < 0)
		return errno != EINTR;
	return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* Resumes delayed connections and streams when due; drops watched ones
 * (hanging, streams) whose client has gone. */
static void *timer_main(void *arg)
{
	(void)arg;
	uint64_t next_check = 0;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		uint64_t now = mono_ns();
		while (heap_n && heap[0].at <= now) {
			struct req *r = heap_pop();
			unschedule(r);
			r->state = r->state == ST_STREAM_WAIT ? ST_STREAMING : ST_DUE;
			MHD_resume_connection(r->conn);
		}
		if (watch_head && now >= next_check) {
			for (struct req *r = watch_head, *next; r; r = next) {
				next = r->wnext;
				if (peer_gone(r->fd)) {
					unschedule(r);
					r->state = ST_CLOSE;
					MHD_resume_connection(r->conn);
				}
			}
			next_check = now + HANG_CHECK_NS;
		}
		uint64_t until = UINT64_MAX;
		if (heap_n)
			until = heap[0].at;
		if (watch_head && next_check < until)
			until = next_check;
		if (until == UINT64_MAX) {
			pthread_cond_wait(&wake, &mu);
		} else {
			struct timespec ts = { (time_t)(until / 1000000000ull),
					       (long)(until % 1000000000ull) };
			pthread_cond_timedwait(&wake, &mu, &ts);
		}
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* ---- responses ---- */

static struct MHD_Response *make_response(const char *body, size_t len, const char *type)
{
	struct MHD_Response *resp;
	if (len == 0) {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		char *copy = malloc(len);
		if (!copy)
			return NULL;
		memcpy(copy, body, len);
		resp = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(copy);
	}
	if (resp && type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return resp;
}

/* Takes a reference to j. */
static struct MHD_Response *json_response(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s)
		return NULL;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return resp;
}

static enum MHD_Result send_response(struct MHD_Connection *c, unsigned status,
				     struct MHD_Response *resp)
{
	if (!resp)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	return send_response(c, status, json_response(j));
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return send_json(c, status, json_pack("{s:{s:s,s:s}}", "error", "message", msg,
					      "type", "invalid_request_error"));
}

static enum MHD_Result send_empty(struct MHD_Connection *c, unsigned status)
{
	return send_response(c, status, make_response(NULL, 0, NULL));
}

/* ---- chat completions ---- */

static size_t content_bytes(json_t *content)
{
	if (json_is_string(content))
		return json_string_length(content);
	size_t n = 0, i;
	json_t *part;
	if (json_is_array(content)) {
		json_array_foreach(content, i, part) {
			json_t *text = json_object_get(part, "text");
			if (json_is_string(text))
				n += json_string_length(text);
		}
	}
	return n;
}

static json_int_t tokens(size_t bytes)
{
	return bytes / 4 ? (json_int_t)(bytes / 4) : 1;
}

static json_int_t prompt_tokens(json_t *request)
{
	size_t prompt = 0, i;
	json_t *m, *messages = json_object_get(request, "messages");
	if (json_is_array(messages)) {
		json_array_foreach(messages, i, m)
			prompt += content_bytes(json_object_get(m, "content"));
	}
	return tokens(prompt);
}

static const char *model_of(json_t *request)
{
	json_t *model = json_object_get(request, "model");
	return json_is_string(model) ? json_string_value(model) : "fake-model";
}

static void next_id(char *id, size_t size)
{
	snprintf(id, size, "chatcmpl-fake-%lu", atomic_fetch_add(&completion_id, 1) + 1);
}

static json_t *completion(json_t *request, const char *content, size_t len)
{
	char id[40];
	next_id(id, sizeof id);
	json_int_t pt = prompt_tokens(request), ct = tokens(len);
	return json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s%},s:s}],s:{s:I,s:I,s:I}}",
			 "id", id, "object", "chat.completion", "created", (json_int_t)time(NULL),
			 "model", model_of(request),
			 "choices", "index", 0, "message", "role", "assistant", "content", content, len,
			 "finish_reason", "stop",
			 "usage", "prompt_tokens", pt, "completion_tokens", ct,
			 "total_tokens", pt + ct);
}

/* The answer's text: the pieces (strings) joined, or content when pieces is
 * NULL. When ends is not NULL, *ends and *n get the pieces' end offsets:
 * the given pieces, or content split after each space. */
static char *answer_text(json_t *pieces, const char *content, size_t *len, size_t **ends,
			 size_t *n)
{
	size_t total = 0, count = 0, i;
	json_t *p;
	if (pieces) {
		json_array_foreach(pieces, i, p)
			total += json_string_length(p);
		count = json_array_size(pieces);
	} else {
		total = strlen(content);
		for (i = 0; i < total; i++)
			count += content[i] == ' ';
		count += total && content[total - 1] != ' ';
	}
	char *text = malloc(total + 1);
	size_t *e = ends ? malloc((count ? count : 1) * sizeof *e) : NULL;
	if (!text || (ends && !e))
		oom();
	if (pieces) {
		size_t at = 0;
		json_array_foreach(pieces, i, p) {
			size_t l = json_string_length(p);
			memcpy(text + at, json_string_value(p), l);
			at += l;
			if (e)
				e[i] = at;
		}
	} else {
		memcpy(text, content, total);
		size_t k = 0;
		for (i = 0; e && i < total; i++)
			if (content[i] == ' ' || i + 1 == total)
				e[k++] = i + 1;
	}
	text[total] = '\0';
	*len = total;
	if (ends) {
		*ends = e;
		*n = count;
	}
	return text;
}

/* ---- streams (MHD thread) ---- */

static void stream_free(struct stream *s)
{
	if (!s)
		return;
	free(s->text);
	free(s->ends);
	free(s->model);
	free(s->out);
	free(s);
}

static void out_append(struct stream *s, const char *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		char *o = realloc(s->out, cap);
		if (!o)
			oom();
		s->out = o;
		s->cap = cap;
	}
	memcpy(s->out + s->len, p, n);
	s->len += n;
}

/* Appends the event "data: CHUNK\n\n"; takes delta. */
static bool emit_chunk(struct stream *s, json_t *delta, const char *finish, bool usage)
{
	json_t *j = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s?}]}", "id", s->id, "object",
			      "chat.completion.chunk", "created", s->created, "model", s->model,
			      "choices", "index", 0, "delta", delta, "finish_reason", finish);
	if (j && usage)
		json_object_set_new(j, "usage",
				    json_pack("{s:I,s:I,s:I}", "prompt_tokens", s->prompt_tokens,
					      "completion_tokens", s->completion_tokens,
					      "total_tokens",
					      s->prompt_tokens + s->completion_tokens));
	char *d = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!d)
		return false;
	out_append(s, "data: ", 6);
	out_append(s, d, strlen(d));
	out_append(s, "\n\n", 2);
	free(d);
	return true;
}

/* Sets the record's key to the wall-clock time now. */
static void stamp(struct req *r, const char *key)
{
	pthread_mutex_lock(&mu);
	if (r->rec)
		json_object_set_new(r->rec, key, json_real(real_ms()));
	pthread_mutex_unlock(&mu);
}

/* Suspends the stream's connection until at (monotonic ns), or until its
 * client leaves when at is 0. */
static bool stream_suspend(struct req *r, uint64_t at)
{
	bool ok = false;
	pthread_mutex_lock(&mu);
	if (!stopping && (!at || heap_push(at, r))) {
		r->state = at ? ST_STREAM_WAIT : ST_STALLED;
		MHD_suspend_connection(r->conn);
		watch_add(r);
		pthread_cond_signal(&wake);
		ok = true;
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

/* Generates the next events into s->out (empty on entry). Returns 0, with
 * bytes in s->out, or without any when it suspended the connection, or an
 * MHD_CONTENT_READER_END_* code. */
static ssize_t stream_fill(struct req *r)
{
	struct stream *s = r->s;
	pthread_mutex_lock(&mu);
	bool close = r->state == ST_CLOSE || stopping;
	pthread_mutex_unlock(&mu);
	if (close)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (s->phase == PH_END) {
		s->done = true;
		stamp(r, "_done_ms");
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (s->phase == PH_ROLE) {
		if (!emit_chunk(s, json_pack("{s:s}", "role", "assistant"), NULL, false))
			goto fail;
		s->phase = PH_PIECES;
		s->next_at = mono_ns() + s->interval_ns;
	}
	while (s->len < STREAM_BATCH) {
		if (s->break_after >= 0 && s->sent == (size_t)s->break_after) {
			if (s->len)
				return 0;
			s->broken = true;
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (s->stall_after >= 0 && s->sent == (size_t)s->stall_after) {
			if (s->len)
				return 0;
			if (!stream_suspend(r, 0))
				goto fail;
			return 0;
		}
		if (s->sent == s->n) {
			if (!emit_chunk(s, json_object(), "stop", s->usage))
				goto fail;
			out_append(s, "data: [DONE]\n\n", 14);
			s->phase = PH_END;
			return 0;
		}
		uint64_t now = mono_ns();
		if (now < s->next_at) {
			if (s->len)
				return 0;
			if (!stream_suspend(r, s->next_at))
				goto fail;
			return 0;
		}
		size_t from = s->sent ? s->ends[s->sent - 1] : 0;
		json_t *piece = json_stringn(s->text + from, s->ends[s->sent] - from);
		if (!piece || !emit_chunk(s, json_pack("{s:o}", "content", piece), NULL, false))
			goto fail;
		if (s->sent++ == 0)
			stamp(r, "_first_piece_ms");
		s->next_at = now + s->interval_ns;
	}
	return 0;
fail:
	s->broken = true;
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* MHD's content reader for a stream: hands over what is pending, else
 * generates more (or suspends until there is more). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct req *r = cls;
	struct stream *s = r->s;
	if (s->off == s->len) {
		s->off = s->len = 0;
		ssize_t rc = stream_fill(r);
		if (rc != 0 || s->len == 0)
			return rc;
	}
	size_t n = s->len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->out + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/* Prepares r's answer as a stream; NULL on failure. */
static struct MHD_Response *stream_response(struct req *r, json_t *request, json_t *pieces,
					    const char *content, unsigned interval_ms,
					    long stall_after, long break_after)
{
	struct stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	size_t len;
	s->text = answer_text(pieces, content, &len, &s->ends, &s->n);
	next_id(s->id, sizeof s->id);
	s->model = xstrdup(model_of(request));
	s->created = (json_int_t)time(NULL);
	s->prompt_tokens = prompt_tokens(request);
	s->completion_tokens = tokens(len);
	s->usage = json_is_true(
		json_object_get(json_object_get(request, "stream_options"), "include_usage"));
	s->interval_ns = (uint64_t)interval_ms * 1000000ull;
	s->stall_after = stall_after;
	s->break_after = break_after;
	s->phase = PH_ROLE;
	struct MHD_Response *resp =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, r, NULL);
	if (!resp) {
		stream_free(s);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	r->s = s;
	r->rec = json_incref(request);
	pthread_mutex_lock(&mu);
	json_object_set_new(request, "_stream", json_true());
	pthread_mutex_unlock(&mu);
	atomic_fetch_add(&streams_open, 1);
	return resp;
}

static void record(json_t *request, const char *authorization)
{
	json_t *auth = authorization ? json_string(authorization) : json_null();
	if (!auth)	/* not UTF-8 */
		auth = json_string("<invalid utf-8>");
	json_object_set_new(request, "_authorization", auth);
	json_object_set_new(request, "_stream", json_false());
	json_object_set_new(request, "_first_piece_ms", json_null());
	json_object_set_new(request, "_done_ms", json_null());
	json_object_set_new(request, "_client_closed_ms", json_null());
	json_incref(request);
	pthread_mutex_lock(&mu);
	if (rec_n == MAX_RECORDS) {
		json_decref(records[rec_first]);
		records[rec_first] = request;
		rec_first = (rec_first + 1) % MAX_RECORDS;
	} else {
		records[(rec_first + rec_n++) % MAX_RECORDS] = request;
	}
	pthread_mutex_unlock(&mu);
}

static bool wants_json(json_t *request)
{
	json_t *rf = json_object_get(request, "response_format");
	json_t *type = json_object_get(rf, "type");
	return json_is_string(type) && strcmp(json_string_value(type), "json_object") == 0;
}

#define SLOW_MARKER_MS 5000

/* A Llama Guard 3 prompt: the answer about its last User or Agent message
 * (see the top), or NULL when the request is not one. A model whose name
 * holds "guard" is Llama Guard too: then the last turn is assessed as it
 * is (the conversation without the prompt, which a chat template writes). */
static const char *llama_guard_answer(json_t *request, unsigned *delay_ms)
{
	json_t *m, *messages = json_object_get(request, "messages");
	const char *user = NULL, *last = NULL;
	size_t i;
	json_array_foreach(messages, i, m) {
		json_t *role = json_object_get(m, "role"), *content = json_object_get(m, "content");
		if (!json_is_string(role) || !json_is_string(content))
			continue;
		last = json_string_value(content);
		if (strcmp(json_string_value(role), "user") == 0)
			user = json_string_value(content);
	}
	char *t;
	if (user && strncmp(user, "Task: Check if there is unsafe content in '", 43) == 0) {
		bool agent = strstr(user, "ONLY THE LAST Agent message") != NULL;
		const char *turn = strstr(user, agent ? "\nAgent: " : "\nUser: ");
		const char *end = turn ? strstr(turn, "<END CONVERSATION>") : NULL;
		if (!turn || !end)
			return "I am not sure.";
		t = strndup(turn, (size_t)(end - turn));
	} else if (last && strstr(model_of(request), "guard")) {
		t = strdup(last);
	} else {
		return NULL;
	}
	if (!t)
		oom();
	const char *a = "safe";
	if (strstr(t, "LG-SLOW"))
		*delay_ms = SLOW_MARKER_MS;
	if (strstr(t, "LG-UNSAFE-S11"))
		a = "unsafe\nS11";
	else if (strstr(t, "LG-UNSAFE-S1"))
		a = "unsafe\nS1";
	else if (strstr(t, "LG-GARBAGE"))
		a = "I am not sure.";
	free(t);
	return a;
}

/* Queues resp now, or after delay_ms (the connection suspended meanwhile). */
static enum MHD_Result answer_after(struct MHD_Connection *c, struct req *r, unsigned status,
				    struct MHD_Response *resp, unsigned delay_ms)
{
	if (!resp)
		return MHD_NO;
	if (delay_ms == 0)
		return send_response(c, status, resp);
	r->resp = resp;
	r->status = status;
	pthread_mutex_lock(&mu);
	if (stopping || !heap_push(mono_ns() + (uint64_t)delay_ms * 1000000ull, r)) {
		pthread_mutex_unlock(&mu);
		return MHD_NO;	/* on_completed destroys r->resp */
	}
	r->state = ST_WAITING;
	MHD_suspend_connection(c);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	return MHD_YES;
}

static enum MHD_Result moderation(struct MHD_Connection *c, struct req *r)
{
	atomic_fetch_add(&total_requests, 1);
	if (r->too_large)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	json_t *request = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	if (!json_is_object(request)) {
		json_decref(request);
		return send_error(c, MHD_HTTP_BAD_REQUEST, "request body is not a JSON object");
	}
	json_object_set_new(request, "_endpoint", json_string("moderations"));
	record(request, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
	json_t *in = json_object_get(request, "input");
	if (json_is_array(in))
		in = json_array_get(in, 0);
	if (!json_is_string(in)) {
		json_decref(request);
		return send_error(c, MHD_HTTP_BAD_REQUEST, "input must be a string");
	}
	const char *text = json_string_value(in);
	pthread_mutex_lock(&mu);
	unsigned delay_ms = scr.moderation_delay_ms;
	pthread_mutex_unlock(&mu);
	if (strstr(text, "MOD-SLOW"))
		delay_ms = SLOW_MARKER_MS;
	struct MHD_Response *resp;
	unsigned status = MHD_HTTP_OK;
	if (strstr(text, "MOD-GARBAGE")) {
		resp = make_response("{\"results\": oops", 16, "application/json");
	} else if (strstr(text, "MOD-ERROR")) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp = json_response(json_pack("{s:{s:s,s:s}}", "error", "message", "fake failure",
					       "type", "server_error"));
	} else {
		double sh = 0.01, intent = 0.01, instr = 0.01;
		const char *x = strstr(text, "MOD-SCORE=");
		if (strstr(text, "MOD-INTENT")) {
			intent = 0.93;
			sh = 0.88;
		}
		if (strstr(text, "MOD-INSTRUCTIONS")) {
			instr = 0.91;
			sh = 0.7;
		}
		if (strstr(text, "MOD-SH"))
			sh = 0.62;
		if (x)
			sh = intent = instr = strtod(x + 10, NULL);
		char id[40];
		snprintf(id, sizeof id, "modr-fake-%lu", atomic_fetch_add(&completion_id, 1) + 1);
		json_t *model = json_object_get(request, "model");
		resp = json_response(json_pack(
			"{s:s,s:s,s:[{s:b,s:{s:b,s:b,s:b,s:b},s:{s:f,s:f,s:f,s:f}}]}", "id", id, "model",
			json_is_string(model) ? json_string_value(model) : "omni-moderation-latest",
			"results", "flagged", sh >= 0.5 || intent >= 0.5 || instr >= 0.5, "categories",
			"self-harm", sh >= 0.5, "self-harm/intent", intent >= 0.5,
			"self-harm/instructions", instr >= 0.5, "violence", 0, "category_scores",
			"self-harm", sh, "self-harm/intent", intent, "self-harm/instructions", instr,
			"violence", 0.01));
	}
	json_decref(request);
	return answer_after(c, r, status, resp, delay_ms);
}

/* The metric title of a judging prompt ("Metric: Empathy (1-5): ..."), in
 * out, or false. */
static bool judge_metric(json_t *request, char *out, size_t len)
{
	json_t *m, *messages = json_object_get(request, "messages");
	size_t i;
	json_array_foreach(messages, i, m) {
		const char *c = json_string_value(json_object_get(m, "content"));
		const char *p = c ? strstr(c, "\nMetric: ") : NULL;
		const char *e = p ? strstr(p, " (1-5)") : NULL;
		if (p && e && (size_t)(e - p - 9) < len) {
			memcpy(out, p + 9, (size_t)(e - p - 9));
			out[e - p - 9] = '\0';
			return true;
		}
	}
	return false;
}

/* ---- generated answers (body_bytes, cut_body_at) ----
 * head once, unit reps times, tail once; the connection is dropped at byte
 * cut (SIZE_MAX: never). Read by MHD at any position, so nothing but the
 * three parts is held. */
struct gen {
	char *head, *unit, *tail;
	size_t head_len, unit_len, reps, tail_len, cut;
};

static void gen_free(void *cls)
{
	struct gen *g = cls;
	free(g->head);
	free(g->unit);
	free(g->tail);
	free(g);
}

static ssize_t gen_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct gen *g = cls;
	size_t body = g->unit_len * g->reps, total = g->head_len + body + g->tail_len, n = 0;
	while (n < max && pos < total && pos < g->cut) {
		size_t take;
		const char *from;
		if (pos < g->head_len) {
			from = g->head + pos;
			take = g->head_len - pos;
		} else if (pos < g->head_len + body) {
			size_t off = (pos - g->head_len) % g->unit_len;
			from = g->unit + off;
			take = g->unit_len - off;
		} else {
			from = g->tail + (pos - g->head_len - body);
			take = total - pos;
		}
		if (take > max - n)
			take = max - n;
		if (take > g->cut - pos)
			take = g->cut - pos;
		memcpy(buf + n, from, take);
		n += take;
		pos += take;
	}
	if (n > 0)
		return (ssize_t)n;
	return pos >= total ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Splits a dumped answer at its empty "content":"": head up to the opening
 * quote's end, tail from the closing quote. */
static bool gen_split(struct gen *g, char *dumped)
{
	char *at = strstr(dumped, "\"content\":\"\"");
	if (!at)
		return false;
	at += strlen("\"content\":\"");
	g->tail = xstrdup(at);
	g->tail_len = strlen(g->tail);
	*at = '\0';
	g->head = dumped;
	g->head_len = strlen(dumped);
	return true;
}

#define GEN_UNIT 16384
static char *cat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *r = malloc(la + lb + lc + 1);
	if (!r)
		oom();
	memcpy(r, a, la);
	memcpy(r + la, b, lb);
	memcpy(r + la + lb, c, lc + 1);
	return r;
}

static char *filler(size_t n)
{
	char *f = malloc(n + 1);
	if (!f)
		oom();
	for (size_t i = 0; i < n; i++)
		f[i] = "calm "[i % 5];
	f[n] = '\0';
	return f;
}

/* A non-streamed answer of body_bytes filler, or the normal one (content),
 * cut after cut_at bytes when cut_at > 0. */
static struct MHD_Response *gen_completion(json_t *request, const char *content,
					   unsigned long body_bytes, unsigned long cut_at)
{
	struct gen *g = calloc(1, sizeof *g);
	if (!g)
		oom();
	g->cut = cut_at ? cut_at : SIZE_MAX;
	char *dumped = NULL;
	json_t *j = completion(request, body_bytes ? "" : content, body_bytes ? 0 : strlen(content));
	dumped = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!dumped || (body_bytes && !gen_split(g, dumped))) {
		free(dumped);
		gen_free(g);
		return NULL;
	}
	if (body_bytes) {
		g->unit = filler(GEN_UNIT);
		g->unit_len = GEN_UNIT;
		g->reps = (body_bytes + GEN_UNIT - 1) / GEN_UNIT;
	} else {
		g->head = dumped;
		g->head_len = strlen(dumped);
	}
	size_t total = g->head_len + g->unit_len * g->reps + g->tail_len;
	struct MHD_Response *resp = MHD_create_response_from_callback(total, 65536, gen_read, g, gen_free);
	if (!resp) {
		gen_free(g);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return resp;
}

/* A streamed answer of body_bytes filler: chunks of GEN_UNIT bytes of text,
 * the final chunk, [DONE]. */
static struct MHD_Response *gen_stream(json_t *request, unsigned long body_bytes)
{
	struct gen *g = calloc(1, sizeof *g);
	if (!g)
		oom();
	g->cut = SIZE_MAX;
	char id[40];
	next_id(id, sizeof id);
	char *text = filler(GEN_UNIT);
	json_t *chunk = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s},s:n}]}", "id", id, "object",
				  "chat.completion.chunk", "created", (json_int_t)time(NULL), "model",
				  model_of(request), "choices", "index", 0, "delta", "content", text,
				  "finish_reason");
	json_t *last = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{},s:s}]}", "id", id, "object",
				 "chat.completion.chunk", "created", (json_int_t)time(NULL), "model",
				 model_of(request), "choices", "index", 0, "delta", "finish_reason", "stop");
	free(text);
	char *c = chunk ? json_dumps(chunk, JSON_COMPACT) : NULL, *l = last ? json_dumps(last, JSON_COMPACT) : NULL;
	json_decref(chunk);
	json_decref(last);
	if (c && l) {
		g->unit = cat3("data: ", c, "\n\n");
		g->tail = cat3("data: ", l, "\n\ndata: [DONE]\n\n");
		g->unit_len = strlen(g->unit);
		g->tail_len = strlen(g->tail);
		g->reps = (body_bytes + GEN_UNIT - 1) / GEN_UNIT;
	}
	free(c);
	free(l);
	struct MHD_Response *resp = g->tail ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, gen_read, g, gen_free) : NULL;
	if (!resp) {
		gen_free(g);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	return resp;
}

/* report_turns: "I read N messages: system, user FIRST, assistant FIRST,
 * ..." with the first word of each message but the system's (a new
 * string). */
static char *turns_report(json_t *request)
{
	json_t *m, *messages = json_object_get(request, "messages");
	size_t i, cap = 64, len;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	len = (size_t)snprintf(out, cap, "I read %zu messages:", json_array_size(messages));
	json_array_foreach(messages, i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		const char *text = json_string_value(json_object_get(m, "content"));
		role = role ? role : "?";
		size_t w = 0;
		if (text && strcmp(role, "system") != 0)
			while (text[w] && text[w] != ' ' && text[w] != '\n' && w < 40)
				w++;
		size_t need = len + strlen(role) + w + 4;
		if (need > cap) {
			char *bigger = realloc(out, cap = need * 2);
			if (!bigger) {
				free(out);
				return NULL;
			}
			out = bigger;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s %s%s%.*s", i ? "," : "", role, w ? " " : "",
					(int)w, text ? text : "");
	}
	if (len + 2 <= cap) {
		out[len++] = '.';
		out[len] = '\0';
	}
	return out;
}

static enum MHD_Result chat(struct MHD_Connection *c, struct req *r)
{
	atomic_fetch_add(&total_requests, 1);
	if (r->too_large)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	json_error_t err;
	json_t *request = json_loadb(r->body ? r->body : "", r->len, 0, &err);
	if (!json_is_object(request)) {
		json_decref(request);
		return send_error(c, MHD_HTTP_BAD_REQUEST, "request body is not a JSON object");
	}
	record(request, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
	bool js = wants_json(request);
	bool streamed = json_is_true(json_object_get(request, "stream"));

	/* Decide under the lock, build the answer outside it. */
	pthread_mutex_lock(&mu);
	enum mode mode = js && scr.json_mode != MODE_NONE ? scr.json_mode : scr.mode;
	if (scr.fail_first) {
		scr.fail_first--;
		mode = MODE_ERROR;
	}
	unsigned delay_ms = scr.delay_ms, status = scr.status;
	char *retry_after = xstrdup(scr.retry_after);
	char *content = xstrdup(js ? scr.json_content : scr.content);
	json_t *pieces = js ? NULL : json_incref(scr.pieces);
	unsigned interval_ms = scr.piece_interval_ms;
	long stall_after = scr.stall_after, break_after = scr.break_after;
	unsigned long body_bytes = js ? 0 : scr.body_bytes, cut_at = js ? 0 : scr.cut_body_at;
	char metric[64];
	json_t *top = NULL;
	if (judge_metric(request, metric, sizeof metric)) {
		const char *a = json_string_value(json_object_get(scr.judge_answers, metric));
		if (a) {
			free(content);
			content = xstrdup(a);
			json_decref(pieces);
			pieces = NULL;
		}
		if (json_is_true(json_object_get(request, "logprobs")))
			top = json_incref(json_object_get(scr.judge_top_logprobs, metric));
	}
	bool report = scr.report_turns && !js;
	pthread_mutex_unlock(&mu);
	if (report && !top) {
		char *said = turns_report(request);
		if (said) {
			free(content);
			content = said;
			json_decref(pieces);
			pieces = NULL;
		}
	}
	const char *guard = llama_guard_answer(request, &delay_ms);
	if (guard) {
		free(content);
		content = xstrdup(guard);
		json_decref(pieces);
		pieces = NULL;
	}

	struct MHD_Response *resp = NULL;
	switch (mode) {
	case MODE_OK:
		status = MHD_HTTP_OK;
		if (streamed && body_bytes) {
			resp = gen_stream(request, body_bytes);
		} else if (!streamed && (body_bytes || cut_at)) {
			resp = gen_completion(request, content ? content : "", body_bytes, cut_at);
		} else if (streamed) {
			resp = stream_response(r, request, pieces, content, interval_ms,
					       stall_after, break_after);
		} else {
			size_t len;
			char *text = answer_text(pieces, content, &len, NULL, NULL);
			json_t *done = completion(request, text, len);
			if (top && len > 0) {
				json_t *lp = json_pack("{s:[{s:s%,s:O,s:O}]}", "content", "token", text, (size_t)1,
						       "logprob", json_object_get(json_array_get(top, 0), "logprob"),
						       "top_logprobs", top);
				json_object_set_new(json_array_get(json_object_get(done, "choices"), 0), "logprobs", lp);
			}
			resp = json_response(done);
			free(text);
		}
		break;
	case MODE_ERROR:
		resp = json_response(json_pack("{s:{s:s,s:s,s:n}}", "error", "message",
					       "fake failure", "type", "server_error", "code"));
		if (resp && retry_after)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
		break;
	case MODE_GARBAGE:
		status = MHD_HTTP_OK;
		resp = make_response("this is not json {", 18, "application/json");
		break;
	case MODE_HANG:
	case MODE_NONE:
		break;
	}
	free(retry_after);
	free(content);
	json_decref(pieces);
	json_decref(top);
	json_decref(request);

	if (mode == MODE_HANG || r->s) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci) {
			if (r->s)
				r->s->broken = true;
			if (resp)
				MHD_destroy_response(resp);
			return MHD_NO;
		}
		r->fd = ci->connect_fd;
	}
	if (mode == MODE_HANG) {
		pthread_mutex_lock(&mu);
		if (stopping) {
			pthread_mutex_unlock(&mu);
			return MHD_NO;
		}
		r->state = ST_HANGING;
		r->hang = true;
		MHD_suspend_connection(c);
		watch_add(r);
		pthread_cond_signal(&wake);
		pthread_mutex_unlock(&mu);
		return MHD_YES;
	}
	if (!resp)
		return MHD_NO;
	if (delay_ms == 0) {
		if (r->s)
			r->state = ST_STREAMING;
		return send_response(c, status, resp);
	}

	r->resp = resp;
	r->status = status;
	pthread_mutex_lock(&mu);
	if (stopping || !heap_push(mono_ns() + (uint64_t)delay_ms * 1000000ull, r)) {
		if (r->s && !stopping)
			r->s->broken = true;
		pthread_mutex_unlock(&mu);
		return MHD_NO;	/* on_completed destroys r->resp */
	}
	r->state = ST_WAITING;
	MHD_suspend_connection(c);
	if (r->s)	/* a client leaving a delayed stream is noticed */
		watch_add(r);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	return MHD_YES;
}

/* ---- control and inspection ---- */

static bool parse_mode(json_t *v, enum mode *out)
{
	if (!json_is_string(v))
		return false;
	for (int i = 0; i < 4; i++) {
		if (strcmp(json_string_value(v), mode_names[i]) == 0) {
			*out = (enum mode)i;
			return true;
		}
	}
	return false;
}

static bool parse_uint(json_t *v, unsigned long max, unsigned *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (unsigned long long)json_integer_value(v) > max)
		return false;
	*out = (unsigned)json_integer_value(v);
	return true;
}

/* Fills s from body; NULL on success, else what is wrong. */
static const char *parse_script(json_t *body, struct script *s)
{
	const char *key;
	json_t *v;
	if (!json_is_object(body))
		return "control body must be a JSON object";
	json_object_foreach(body, key, v) {
		if (strcmp(key, "mode") == 0) {
			if (!parse_mode(v, &s->mode))
				return "mode must be ok, error, garbage or hang";
		} else if (strcmp(key, "delay_ms") == 0) {
			if (!parse_uint(v, 3600000, &s->delay_ms))
				return "delay_ms must be an integer 0..3600000";
		} else if (strcmp(key, "status") == 0) {
			if (!parse_uint(v, 599, &s->status) || s->status < 100)
				return "status must be an integer 100..599";
		} else if (strcmp(key, "retry_after") == 0) {
			char buf[32];
			free(s->retry_after);
			s->retry_after = NULL;
			if (json_is_string(v)) {
				s->retry_after = xstrdup(json_string_value(v));
			} else if (json_is_integer(v)) {
				snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
				s->retry_after = xstrdup(buf);
			} else if (!json_is_null(v)) {
				return "retry_after must be a string, an integer or null";
			}
		} else if (strcmp(key, "content") == 0 || strcmp(key, "json_content") == 0) {
			if (!json_is_string(v))
				return "content and json_content must be strings";
			char **field = key[0] == 'c' ? &s->content : &s->json_content;
			free(*field);
			*field = xstrdup(json_string_value(v));
		} else if (strcmp(key, "json_mode") == 0) {
			if (json_is_null(v))
				s->json_mode = MODE_NONE;
			else if (!parse_mode(v, &s->json_mode))
				return "json_mode must be ok, error, garbage, hang or null";
		} else if (strcmp(key, "fail_first") == 0) {
			if (!parse_uint(v, 1000000000, &s->fail_first))
				return "fail_first must be a non-negative integer";
		} else if (strcmp(key, "pieces") == 0) {
			size_t i;
			json_t *p;
			json_decref(s->pieces);
			s->pieces = NULL;
			if (json_is_null(v))
				continue;
			if (!json_is_array(v))
				return "pieces must be an array of strings or null";
			json_array_foreach(v, i, p) {
				if (!json_is_string(p))
					return "pieces must be an array of strings or null";
			}
			s->pieces = json_incref(v);
		} else if (strcmp(key, "judge_answers") == 0 || strcmp(key, "judge_top_logprobs") == 0) {
			json_t **field = key[6] == 'a' ? &s->judge_answers : &s->judge_top_logprobs;
			if (!json_is_object(v) && !json_is_null(v))
				return "judge_answers and judge_top_logprobs must be objects or null";
			json_decref(*field);
			*field = json_is_null(v) ? NULL : json_incref(v);
		} else if (strcmp(key, "report_turns") == 0) {
			if (!json_is_boolean(v))
				return "report_turns must be true or false";
			s->report_turns = json_is_true(v);
		} else if (strcmp(key, "moderation_delay_ms") == 0) {
			if (!parse_uint(v, 3600000, &s->moderation_delay_ms))
				return "moderation_delay_ms must be an integer 0..3600000";
		} else if (strcmp(key, "piece_interval_ms") == 0) {
			if (!parse_uint(v, 3600000, &s->piece_interval_ms))
				return "piece_interval_ms must be an integer 0..3600000";
		} else if (strcmp(key, "stall_after") == 0 || strcmp(key, "break_after") == 0) {
			long *field = key[0] == 's' ? &s->stall_after : &s->break_after;
			unsigned n;
			if (json_is_null(v))
				*field = -1;
			else if (parse_uint(v, 1000000000, &n))
				*field = (long)n;
			else
				return "stall_after and break_after must be non-negative integers or null";
		} else if (strcmp(key, "body_bytes") == 0 || strcmp(key, "cut_body_at") == 0) {
			unsigned long *field = key[0] == 'b' ? &s->body_bytes : &s->cut_body_at;
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 1000000000)
				return "body_bytes and cut_body_at must be integers 0..1000000000";
			*field = (unsigned long)json_integer_value(v);
		} else {
			return "unknown control field";
		}
	}
	return NULL;
}

static enum MHD_Result control(struct MHD_Connection *c, struct req *r)
{
	if (r->too_large)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
	json_error_t err;
	json_t *body = json_loadb(r->body ? r->body : "", r->len, 0, &err);
	struct script s;
	script_default(&s);
	const char *bad = body ? parse_script(body, &s) : "control body is not JSON";
	json_decref(body);
	if (bad) {
		script_free(&s);
		return send_error(c, MHD_HTTP_BAD_REQUEST, bad);
	}
	pthread_mutex_lock(&mu);
	script_free(&scr);
	scr = s;
	pthread_mutex_unlock(&mu);
	return send_empty(c, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result list_requests(struct MHD_Connection *c)
{
	json_t *a = json_array();
	pthread_mutex_lock(&mu);
	for (size_t i = 0; a && i < rec_n; i++)
		json_array_append(a, records[(rec_first + i) % MAX_RECORDS]);
	pthread_mutex_unlock(&mu);
	return send_json(c, MHD_HTTP_OK, a);
}

static enum MHD_Result clear_requests(struct MHD_Connection *c)
{
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < rec_n; i++)
		json_decref(records[(rec_first + i) % MAX_RECORDS]);
	rec_first = rec_n = 0;
	pthread_mutex_unlock(&mu);
	return send_empty(c, MHD_HTTP_NO_CONTENT);
}

static enum MHD_Result stats(struct MHD_Connection *c)
{
	pthread_mutex_lock(&mu);
	json_int_t h = hanging;
	pthread_mutex_unlock(&mu);
	return send_json(c, MHD_HTTP_OK,
			 json_pack("{s:I,s:I,s:I,s:I,s:I}", "requests",
				   (json_int_t)atomic_load(&total_requests), "open_connections",
				   (json_int_t)atomic_load(&open_conns), "hanging", h,
				   "streams_open", (json_int_t)atomic_load(&streams_open),
				   "client_closed_early",
				   (json_int_t)atomic_load(&client_closed_early)));
}

/* ---- libmicrohttpd callbacks ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->conn = c;
		r->fd = -1;
		r->hidx = NOT_IN_HEAP;
		*con_cls = r;
		return MHD_YES;
	}
	if (r->state != ST_READING) {
		/* Resumed (or called again while the suspension is pending). */
		pthread_mutex_lock(&mu);
		enum req_state st = r->state;
		pthread_mutex_unlock(&mu);
		if (st == ST_DUE) {
			struct MHD_Response *resp = r->resp;
			r->resp = NULL;
			/* answered: any further call closes; a stream goes on */
			r->state = r->s ? ST_STREAMING : ST_CLOSE;
			return send_response(c, r->status, resp);
		}
		if (st == ST_CLOSE)
			return MHD_NO;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->too_large || r->len + n > MAX_BODY) {
			r->too_large = true;
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
			return MHD_YES;
		}
		if (r->len + n > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;
			while (cap < r->len + n)
				cap *= 2;
			char *b = realloc(r->body, cap);
			if (!b)
				return MHD_NO;
			r->body = b;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		return MHD_YES;
	}

	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	if (strcmp(url, "/v1/chat/completions") == 0 || strcmp(url, "/chat/completions") == 0) {
		if (post)
			return chat(c, r);
	} else if (strcmp(url, "/v1/moderations") == 0 || strcmp(url, "/moderations") == 0) {
		if (post)
			return moderation(c, r);
	} else if (strcmp(url, "/_control") == 0) {
		if (post)
			return control(c, r);
	} else if (strcmp(url, "/_requests") == 0) {
		if (get)
			return list_requests(c);
		if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
			return clear_requests(c);
	} else if (strcmp(url, "/_stats") == 0) {
		if (get)
			return stats(c);
	} else {
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such path");
	}
	return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req *r = *con_cls;
	if (!r)
		return;
	/* Never still in the heap or watch list: it leaves them before resuming. */
	if (r->s) {
		/* Ended before [DONE] was handed over, not on purpose: the client
		 * left (it was noticed by MHD or by the timer's socket check). */
		pthread_mutex_lock(&mu);
		bool early = !r->s->done && !r->s->broken && !stopping;
		if (early)
			json_object_set_new(r->rec, "_client_closed_ms", json_real(real_ms()));
		pthread_mutex_unlock(&mu);
		if (early)
			atomic_fetch_add(&client_closed_early, 1);
		atomic_fetch_sub(&streams_open, 1);
		stream_free(r->s);
	}
	json_decref(r->rec);
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)c;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&open_conns, 1);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_sub(&open_conns, 1);
}

/* ---- main ---- */

static void usage(void)
{
	fputs("usage: fake_llm [--port N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long port = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			v = argv[++i];
		else if (strncmp(argv[i], "--port=", 7) == 0)
			v = argv[i] + 7;
		else
			usage();
		char *end;
		errno = 0;
		port = strtoul(v, &end, 10);
		if (errno || !*v || *end || port > 65535)
			usage();
	}

	/* Many connections: take all the descriptors we may. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* Signals go to sigwait() in this thread only. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake, &ca);
	pthread_condattr_destroy(&ca);
	script_default(&scr);

	pthread_t timer;
	if (pthread_create(&timer, NULL, timer_main, NULL) != 0) {
		fputs("fake_llm: cannot start the timer thread\n", stderr);
		return 1;
	}

	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME,
		(uint16_t)port, NULL, NULL, on_request, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_END);
	int rc = 0;
	if (!d) {
		fprintf(stderr, "fake_llm: cannot listen on 127.0.0.1:%lu\n", port);
		rc = 1;
	} else {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		printf("{\"port\": %u}\n", di ? (unsigned)di->port : (unsigned)port);
		fflush(stdout);
		int sig;
		while (sigwait(&sigs, &sig) != 0)
			;
	}

	/* Stop the timer; resume every suspended connection so that
	 * MHD_stop_daemon() can close it. */
	pthread_mutex_lock(&mu);
	stopping = true;
	while (heap_n) {
		struct req *r = heap_pop();
		unschedule(r);
		r->state = ST_CLOSE;
		MHD_resume_connection(r->conn);
	}
	while (watch_head) {
		struct req *r = watch_head;
		unschedule(r);
		r->state = ST_CLOSE;
		MHD_resume_connection(r->conn);
	}
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	pthread_join(timer, NULL);
	if (d)
		MHD_stop_daemon(d);

	free(heap);
	for (size_t i = 0; i < rec_n; i++)
		json_decref(records[(rec_first + i) % MAX_RECORDS]);
	script_free(&scr);
	pthread_cond_destroy(&wake);
	return rc;
}
