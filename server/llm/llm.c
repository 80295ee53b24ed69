/* libcurl multi on libuv (the pattern of curl's docs/examples/multi-uv.c):
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); a uv_poll per socket and one uv_timer
 * call curl_multi_socket_action back. Finished transfers are collected with
 * curl_multi_info_read.
 *
 * A call is a series of attempts: on a retryable failure (connection error,
 * 429, 5xx, a stream that never started) while nothing was handed to the
 * caller, it waits (exponential backoff with jitter, at least Retry-After)
 * and tries again, up to LLM_RETRIES times per backend and within the retry
 * budget, then falls over to the next backend. Each call owns one uv_timer:
 * the wait before a retry, or for streams the first-piece and idle limits. */
#include "server/llm/llm_internal.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "server/log.h"
#include "server/metrics.h"
#include "server/sse.h"
#include "server/util.h"

_Static_assert((int)LLM_OK == MC_OK && (int)LLM_TIMEOUT == MC_TIMEOUT && (int)LLM_CONNECT == MC_CONNECT &&
		       (int)LLM_HTTP_ERROR == MC_HTTP_ERROR && (int)LLM_BAD_REPLY == MC_INVALID_REPLY &&
		       (int)LLM_CANCELLED == MC_CANCELLED,
	       "the metrics name the outcomes of llm_outcome in its order");

static void attempt_start(llm_call *call);

/* ---- the call's own timer ---- */

static void on_call_timer(uv_timer_t *t);

static void arm(llm_call *call, unsigned ms)
{
	uv_timer_start(&call->timer, on_call_timer, ms, 0);
}

/* ---- receiving ---- */

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
	llm_call *call = ud;
	openai_chunk ch;
	if (openai_chunk_parse(data, len, &ch) < 0) {
		call->stream_error = "a stream event is not a chat completion chunk";
		return 1;
	}
	int stop = 0;
	if (ch.done) {
		call->stream_done = true;
	} else if (ch.error) {
		call->stream_error = "the backend reported an error in the stream";
		stop = 1;
	} else {
		if (ch.model && !call->model_seen)
			call->model_seen = strdup(ch.model);
		if (ch.prompt_tokens >= 0)
			call->prompt_tokens = ch.prompt_tokens;
		if (ch.completion_tokens >= 0)
			call->completion_tokens = ch.completion_tokens;
		if (ch.finish_reason)
			call->stream_done = true;
		if (ch.content && ch.content_len > 0) {
			if (!call->delivered) {
				call->delivered = true;
				call->first_piece_ns = now_ns();
			}
			if (call->h.on_piece)
				call->h.on_piece(call->ud, ch.content, ch.content_len);
		}
	}
	openai_chunk_clear(&ch);
	return stop;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
	llm_call *call = userdata;
	size_t len = size * n;
	if (!call->status)
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &call->status);
	bool ok_status = call->status >= 200 && call->status <= 299;
	if (call->stream && ok_status) {
		if (call->h.is_full && call->h.is_full(call->ud)) {
			/* Backpressure: curl keeps these bytes and offers them again
			 * after llm_resume(). */
			call->paused = true;
			uv_timer_stop(&call->timer);
			return CURL_WRITEFUNC_PAUSE;
		}
		arm(call, call->client->cfg->llm_idle_timeout_ms);
		if (!call->sse && !(call->sse = sse_parser_new(on_event, call, MAX_EVENT_BYTES)))
			return 0;
		int rc = sse_parser_feed(call->sse, ptr, len);
		if (rc != 0) {
			if (!call->stream_error)
				call->stream_error = "a stream event is too large";
			return 0;
		}
		return len;
	}
	if (call->too_big || call->reply_len + len > MAX_REPLY_BYTES) {
		call->too_big = true;
		return 0;
	}
	char *nb = realloc(call->reply, call->reply_len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + call->reply_len, ptr, len);
	call->reply = nb;
	call->reply_len += len;
	call->reply[call->reply_len] = '\0';
	return len;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *userdata)
{
	llm_call *call = userdata;
	size_t len = size * n;
	if (len > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
		char v[64];
		size_t k = len - 12 < sizeof v - 1 ? len - 12 : sizeof v - 1;
		memcpy(v, ptr + 12, k);
		v[k] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		char *s = v;
		while (*s == ' ')
			s++;
		char *end;
		double secs = strtod(s, &end);
		if (end != s && *end == '\0' && secs >= 0) {
			call->retry_after = secs;
		} else {
			time_t when = curl_getdate(s, NULL);
			if (when > 0)
				call->retry_after = difftime(when, time(NULL)) > 0 ? difftime(when, time(NULL)) : 0;
		}
	}
	return len;
}

/* ---- attempts ---- */

static void attempt_clear(llm_call *call)
{
	if (call->easy) {
		curl_multi_remove_handle(call->client->multi, call->easy);
		curl_easy_cleanup(call->easy);
		call->easy = NULL;
	}
	free(call->body);
	call->body = NULL;
	free(call->reply);
	call->reply = NULL;
	call->reply_len = 0;
	call->too_big = false;
	call->status = 0;
	call->retry_after = -1;
	sse_parser_free(call->sse);
	call->sse = NULL;
	call->stream_done = false;
	call->stream_error = NULL;
	call->paused = false;
	call->timed_out = false;
	call->timeout_reason = NULL;
	uv_timer_stop(&call->timer);
}

static void on_call_closed(uv_handle_t *h)
{
	llm_call *call = h->data;
	llm_client *c = call->client;
	free(call);
	c->handles--;
	llm_maybe_free_client(c);
}

/* Unlinks and frees a call (the timer's close callback frees the memory). */
static void call_free(llm_call *call)
{
	llm_client *c = call->client;
	attempt_clear(call);
	if (call->prev)
		call->prev->next = call->next;
	else
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	c->active--;
	free(call->system);
	free(call->user);
	free(call->model_seen);
	free(call->model);
	free(call->assistant);
	json_decref(call->turns);
	free(call->raw_url);
	free(call->raw_body);
	curl_slist_free_all(call->raw_headers);
	call->h.on_done = NULL;
	uv_close((uv_handle_t *)&call->timer, on_call_closed);
}

void llm_finish(llm_call *call, llm_result *res, json_t *doc)
{
	llm_client *c = call->client;
	res->ms = (double)(now_ns() - call->start_ns) / 1e6;
	res->first_piece_ms = call->first_piece_ns ? (double)(call->first_piece_ns - call->start_ns) / 1e6 : -1;
	res->backend = call->backend;
	res->backend_url = c->backends[call->backend].base;
	res->attempts = call->attempts;
	if (!res->model)
		res->model = call->model_seen ? call->model_seen : c->backends[call->backend].model;
	if (!call->raw)
		metrics_backend_call(call->backend, (enum metrics_call_outcome)res->outcome, res->ms / 1e3,
				     call->stream && res->first_piece_ms >= 0 ? res->first_piece_ms / 1e3 : -1);
	if (res->outcome != LLM_OK && res->outcome != LLM_CANCELLED)
		log_json(LOG_WARN, call->raw ? "endpoint call failed" : "backend call failed",
			 json_pack("{s:s,s:i,s:i,s:i,s:f}", "reason", res->reason ? res->reason : "", "upstream_status",
				   (int)res->http_status, "backend", (int)call->backend, "attempts", (int)call->attempts,
				   "duration_ms", res->ms));
	void (*done)(void *, const llm_result *) = call->h.on_done;
	void *ud = call->ud;
	/* The result's strings live in the call until the callback returns. */
	call->h.on_done = NULL;
	if (done)
		done(ud, res);
	json_decref(doc);
	call_free(call);
}

static bool retryable(llm_outcome o, long status)
{
	if (o == LLM_CONNECT)
		return true;
	if (o == LLM_HTTP_ERROR)
		return status == 429 || status >= 500;
	return false;
}

static unsigned backoff_ms(const llm_client *c, unsigned tries)
{
	double d = (double)c->cfg->llm_retry_base_ms * pow(2.0, (double)tries);
	if (d > c->cfg->llm_retry_max_ms)
		d = c->cfg->llm_retry_max_ms;
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (uint32_t)now_ns();
	/* "equal jitter": between half and all of the delay */
	return (unsigned)(d / 2 + (d / 2) * ((double)r / 4294967295.0));
}

/* What went wrong with one attempt, for the metrics. */
static enum metrics_backend_error error_kind(const llm_call *call, const llm_result *res)
{
	switch (res->outcome) {
	case LLM_TIMEOUT:
		if (call->timed_out) /* the call timer: a stream went silent */
			return call->delivered ? BE_IDLE_TIMEOUT : BE_FIRST_TOKEN_TIMEOUT;
		return BE_TIMEOUT;
	case LLM_CONNECT:
		return BE_CONNECT;
	case LLM_HTTP_ERROR:
		return res->http_status == 429	 ? BE_RATE_LIMITED
		       : res->http_status >= 500 ? BE_HTTP_5XX
		       : res->http_status >= 400 ? BE_HTTP_4XX
						 : BE_HTTP_OTHER;
	case LLM_CANCELLED:
		return BE_CANCELLED;
	default:
		return BE_INVALID_REPLY;
	}
}

/* After a failed attempt: wait and retry, fall over, or give up. */
static void attempt_failed(llm_call *call, llm_result *res)
{
	llm_client *c = call->client;
	if (!call->raw)
		metrics_backend_error(error_kind(call, res));
	uint64_t now = now_ns();
	bool can_retry = !call->delivered && !c->closing && (retryable(res->outcome, res->http_status) ||
							     (res->outcome == LLM_TIMEOUT && call->stream && !call->delivered &&
							      call->timeout_reason));
	if (can_retry && call->tries_here < c->cfg->llm_retries && c->budget >= 1.0) {
		unsigned wait = backoff_ms(c, call->tries_here);
		if (call->retry_after >= 0) {
			double ra = call->retry_after * 1000.0;
			wait = ra > c->cfg->llm_retry_max_ms ? UINT32_MAX : (ra > wait ? (unsigned)ra : wait);
		}
		if (wait != UINT32_MAX && now + (uint64_t)wait * 1000000u + 100000000u < call->deadline_ns) {
			c->budget -= 1.0;
			call->tries_here++;
			log_json(LOG_INFO, "backend call retried",
				 json_pack("{s:s,s:i,s:i,s:i}", "reason", res->reason ? res->reason : "", "upstream_status",
					   (int)res->http_status, "backend", (int)call->backend, "wait_ms", (int)wait));
			attempt_clear(call);
			call->phase = PH_WAITING;
			if (!call->raw)
				metrics_backend_retry();
			arm(call, wait);
			return;
		}
	}
	if (can_retry && !call->raw && call->backend + 1 < c->nbackends && now < call->deadline_ns) {
		log_json(LOG_WARN, "backend failed, trying the next",
			 json_pack("{s:s,s:i,s:i}", "reason", res->reason ? res->reason : "", "upstream_status",
				   (int)res->http_status, "backend", (int)call->backend));
		attempt_clear(call);
		call->backend++;
		call->tries_here = 0;
		metrics_backend_fallback();
		attempt_start(call);
		return;
	}
	llm_finish(call, res, NULL);
}

int llm_reply_parse(const char *text, size_t len, llm_result *res, json_t **doc)
{
	*doc = NULL;
	json_t *d = json_loadb(text ? text : "", text ? len : 0, 0, NULL);
	if (!d) {
		res->reason = "the reply is not JSON";
		return -1;
	}
	json_t *content = json_object_get(
		json_object_get(json_array_get(json_object_get(d, "choices"), 0), "message"), "content");
	if (!json_is_string(content)) {
		json_decref(d);
		res->reason = "the reply has no choices[0].message.content";
		return -1;
	}
	res->outcome = LLM_OK;
	res->reason = NULL;
	res->content = json_string_value(content);
	json_t *model = json_object_get(d, "model");
	if (json_is_string(model) && json_string_length(model) > 0)
		res->model = json_string_value(model);
	json_t *usage = json_object_get(d, "usage");
	json_t *pt = json_object_get(usage, "prompt_tokens"), *ct = json_object_get(usage, "completion_tokens");
	if (json_is_integer(pt))
		res->prompt_tokens = (long)json_integer_value(pt);
	if (json_is_integer(ct))
		res->completion_tokens = (long)json_integer_value(ct);
	*doc = d;
	return 0;
}

/* Interprets a finished transfer. */
static void attempt_done(llm_call *call, CURLcode code)
{
	llm_result res = {.outcome = LLM_BAD_REPLY, .prompt_tokens = call->prompt_tokens,
			  .completion_tokens = call->completion_tokens};
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &res.http_status);
	json_t *doc = NULL;
	if (call->timed_out) {
		res.outcome = LLM_TIMEOUT;
		res.reason = call->timeout_reason;
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		res.outcome = LLM_TIMEOUT;
		res.reason = res.http_status ? "timed out" : "connect timed out";
	} else if (call->stream_error) {
		res.reason = call->stream_error;
	} else if (code == CURLE_WRITE_ERROR && call->too_big) {
		res.reason = "reply too large";
	} else if (code != CURLE_OK) {
		res.outcome = res.http_status ? LLM_BAD_REPLY : LLM_CONNECT;
		res.reason = curl_easy_strerror(code);
	} else if (res.http_status < 200 || res.http_status > 299) {
		res.outcome = LLM_HTTP_ERROR;
		res.reason = "the backend answered an error";
	} else if (call->raw) {
		res.outcome = LLM_OK;
		res.reason = NULL;
		res.content = call->reply ? call->reply : "";
	} else if (call->stream) {
		if (call->stream_done) {
			res.outcome = LLM_OK;
			res.reason = NULL;
		} else {
			res.reason = "the stream ended early";
		}
	} else {
		llm_reply_parse(call->reply, call->reply_len, &res, &doc);
	}
	if (res.outcome == LLM_OK)
		llm_finish(call, &res, doc);
	else {
		json_decref(doc);
		attempt_failed(call, &res);
	}
}

void llm_check_done(llm_client *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		llm_call *call = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		CURLcode code = msg->data.result;
		if (call)
			attempt_done(call, code);
	}
}

static void on_call_timer(uv_timer_t *t)
{
	llm_call *call = t->data;
	if (call->phase == PH_WAITING) {
		attempt_start(call);
		return;
	}
	/* A stream went silent: end the attempt as a timeout. */
	call->timed_out = true;
	call->timeout_reason = call->delivered ? "no piece within LLM_IDLE_TIMEOUT_MS" : "no first piece within LLM_FIRST_TOKEN_TIMEOUT_MS";
	attempt_done(call, CURLE_OPERATION_TIMEDOUT);
}

/* The chat request of an attempt at backend b: the system message, the
 * earlier turns, the user's (and an assistant turn); a new string or NULL. */
static char *chat_body(const llm_call *call, const backend *b)
{
	json_t *req = json_pack("{s:s,s:[],s:f,s:i,s:b,s:b}", "model", call->model ? call->model : b->model, "messages",
				"temperature", call->temperature, "max_tokens", (int)call->max_tokens, "stream",
				call->stream,
				/* ask the backend not to keep the conversation (OpenAI's flag) */
				"store", 0);
	json_t *msgs = json_object_get(req, "messages");
	if (msgs && *call->system)
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system", "content", call->system));
	if (msgs && call->turns)
		json_array_extend(msgs, call->turns);
	if (msgs)
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", call->user));
	if (msgs && call->assistant)
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "assistant", "content", call->assistant));
	if (req && call->json_mode)
		json_object_set_new(req, "response_format", json_pack("{s:s}", "type", "json_object"));
	if (req && call->stream)
		json_object_set_new(req, "stream_options", json_pack("{s:b}", "include_usage", 1));
	char *body = req ? json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(req);
	return body;
}

static void attempt_start(llm_call *call)
{
	llm_client *c = call->client;
	backend *b = &c->backends[call->backend];
	call->phase = PH_RUNNING;
	call->attempts++;
	llm_result fail = {.outcome = LLM_CONNECT, .prompt_tokens = -1, .completion_tokens = -1,
			   .reason = "cannot start the request"};
	uint64_t now = now_ns();
	if (now >= call->deadline_ns) {
		fail.outcome = LLM_TIMEOUT;
		fail.reason = "timed out";
		if (!call->raw)
			metrics_backend_error(BE_TIMEOUT);
		llm_finish(call, &fail, NULL);
		return;
	}
	if (call->raw) {
		call->body = strdup(call->raw_body);
	} else {
		call->body = chat_body(call, b);
	}
	if (!call->body || !(call->easy = curl_easy_init())) {
		if (!call->raw)
			metrics_backend_error(BE_CONNECT);
		llm_finish(call, &fail, NULL);
		return;
	}
	long remaining = (long)((call->deadline_ns - now) / 1000000u);
	CURL *e = call->easy;
	curl_easy_setopt(e, CURLOPT_URL, call->raw ? call->raw_url : b->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->raw ? call->raw_headers : b->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(call->body));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
	curl_easy_setopt(e, CURLOPT_PRIVATE, call);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->cfg->llm_connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, remaining > 1 ? remaining : 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, call->stream ? NULL : "");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Wait for a connection that may multiplex only where HTTP/2 can be
	 * negotiated (TLS): over plain HTTP/1.1, concurrent calls to a host
	 * would otherwise queue behind the first one's whole reply. */
	if (strncmp(call->raw ? call->raw_url : b->url, "https:", 6) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "culturecare/0.1");
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		call->easy = NULL;
		if (!call->raw)
			metrics_backend_error(BE_CONNECT);
		llm_finish(call, &fail, NULL);
		return;
	}
	if (call->stream)
		arm(call, c->cfg->llm_first_token_timeout_ms);
}

/* The headers of a call to another endpoint: JSON, and the key if any. */
static struct curl_slist *raw_headers(const char *key)
{
	struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
	l = l ? curl_slist_append(l, "Expect:") : NULL;
	if (l && key && *key) {
		size_t n = strlen(key) + 32;
		char *hd = malloc(n);
		struct curl_slist *nl = NULL;
		if (hd) {
			snprintf(hd, n, "Authorization: Bearer %s", key);
			nl = curl_slist_append(l, hd);
			explicit_bzero(hd, n);
			free(hd);
		}
		if (!nl) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = nl;
	}
	return l;
}

llm_call *llm_start_ex(llm_client *c, const char *system, const char *user, bool json_mode, bool stream,
		       const llm_opts *o, const llm_handlers *h, void *ud)
{
	if (!c || c->closing)
		return NULL; /* NULL: the client is gone (after the drain deadline) */
	llm_call *call = calloc(1, sizeof *call);
	if (!call)
		return NULL;
	call->system = strdup(system ? system : "");
	call->user = strdup(user ? user : "");
	call->max_tokens = o && o->max_tokens ? o->max_tokens : c->cfg->llm_max_tokens;
	call->temperature = o && o->set_temperature ? o->temperature : c->cfg->llm_temperature;
	bool bad = !call->system || !call->user;
	if (o && o->model && *o->model)
		bad = bad || !(call->model = strdup(o->model));
	if (o && o->assistant)
		bad = bad || !(call->assistant = strdup(o->assistant));
	if (o && o->turns)
		bad = bad || !(call->turns = json_deep_copy(o->turns));
	if (o && o->url) {
		call->raw = true;
		call->raw_url = strdup(o->url);
		call->raw_body = strdup(o->body ? o->body : "{}");
		call->raw_headers = raw_headers(o->api_key);
		bad = bad || !call->raw_url || !call->raw_body || !call->raw_headers;
	}
	if (bad) {
		free(call->system);
		free(call->user);
		free(call->assistant);
		json_decref(call->turns);
		free(call->model);
		free(call->raw_url);
		free(call->raw_body);
		curl_slist_free_all(call->raw_headers);
		free(call);
		return NULL;
	}
	call->client = c;
	call->h = *h;
	call->ud = ud;
	call->json_mode = json_mode;
	call->stream = stream;
	call->retry_after = -1;
	call->prompt_tokens = call->completion_tokens = -1;
	call->start_ns = now_ns();
	call->deadline_ns =
		call->start_ns + (uint64_t)(o && o->timeout_ms ? o->timeout_ms : c->cfg->llm_timeout_ms) * 1000000u;
	uv_timer_init(c->loop, &call->timer);
	call->timer.data = call;
	c->handles++;
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;
	c->active++;
	/* Every call earns a fraction of a retry, up to a reserve. */
	c->budget += (double)c->cfg->llm_retry_budget / 100.0;
	if (c->budget > 10 + c->cfg->llm_retry_budget)
		c->budget = 10 + c->cfg->llm_retry_budget;
	/* The first attempt starts on the next loop turn, so that no handler
	 * ever runs before this function has returned. */
	call->phase = PH_WAITING;
	arm(call, 0);
	return call;
}

llm_call *llm_start(llm_client *c, const char *system, const char *user, bool json_mode, bool stream,
		    const llm_handlers *h, void *ud)
{
	return llm_start_ex(c, system, user, json_mode, stream, NULL, h, ud);
}

void llm_resume(llm_call *call)
{
	if (!call || !call->paused || !call->easy)
		return;
	call->paused = false;
	arm(call, call->client->cfg->llm_idle_timeout_ms);
	curl_easy_pause(call->easy, CURLPAUSE_CONT);
}

void llm_cancel(llm_call *call)
{
	if (!call)
		return;
	/* Only the support pipeline cancels: its client has left, or it no
	 * longer needs the answer. */
	if (call->raw) {
		call_free(call);
		return;
	}
	metrics_backend_error(BE_CLIENT_GONE);
	metrics_backend_call(call->backend, MC_CLIENT_GONE, (double)(now_ns() - call->start_ns) / 1e9,
			     call->stream && call->first_piece_ns ? (double)(call->first_piece_ns - call->start_ns) / 1e9 : -1);
	call_free(call);
}
