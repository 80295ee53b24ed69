/* libcurl multi on libuv (the pattern of curl's docs/examples/multi-uv.c):
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); a uv_poll per socket and one uv_timer
 * call curl_multi_socket_action back. Completed transfers are collected with
 * curl_multi_info_read and handed to their callbacks. */
#include "server/llm.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/util.h"

#define MAX_REPLY_BYTES (8u << 20)

struct llm_client {
	uv_loop_t *loop;
	const config *cfg;
	CURLM *multi;
	uv_timer_t timer;
	char *url;
	struct curl_slist *headers;
	llm_call *calls; /* doubly linked list of open calls */
	unsigned active;
	bool closing;
	unsigned handles; /* open uv handles (timer + socket polls) */
};

struct llm_call {
	llm_client *client;
	llm_call *prev, *next;
	CURL *easy;
	char *body;
	char *reply;
	size_t reply_len;
	bool too_big;
	llm_cb cb;
	void *ud;
	uint64_t start_ns;
	char error[CURL_ERROR_SIZE];
};

/* One watched socket. */
typedef struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	llm_client *client;
} sock_ctx;

static void check_done(llm_client *c);

static void maybe_free_client(llm_client *c)
{
	if (!c->closing || c->handles > 0)
		return;
	curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c);
}

static void on_sock_closed(uv_handle_t *h)
{
	sock_ctx *s = h->data;
	llm_client *c = s->client;
	free(s);
	c->handles--;
	maybe_free_client(c);
}

static void on_sock(uv_poll_t *h, int status, int events)
{
	sock_ctx *s = h->data;
	llm_client *c = s->client;
	int flags = 0;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	int running;
	curl_multi_socket_action(c->multi, s->fd, flags, &running);
	check_done(c);
}

static int on_socket_change(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
	llm_client *c = userp;
	sock_ctx *s = socketp;
	if (action == CURL_POLL_REMOVE) {
		if (s) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, on_sock_closed);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return -1;
		s->fd = fd;
		s->client = c;
		if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		c->handles++;
		curl_multi_assign(c->multi, fd, s);
	}
	int events = 0;
	if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, on_sock);
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	llm_client *c = t->data;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
	llm_client *c = userp;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
	llm_call *call = userdata;
	size_t len = size * n;
	if (call->too_big || call->reply_len + len > MAX_REPLY_BYTES) {
		call->too_big = true;
		return 0; /* aborts the transfer */
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

static void call_unlink_free(llm_call *call)
{
	llm_client *c = call->client;
	if (call->prev)
		call->prev->next = call->next;
	else
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	c->active--;
	curl_multi_remove_handle(c->multi, call->easy);
	curl_easy_cleanup(call->easy);
	free(call->body);
	free(call->reply);
	free(call);
}

/* Interprets a finished transfer and runs the callback. */
static void call_finish(llm_call *call, CURLcode code)
{
	llm_client *c = call->client;
	llm_result res = {.outcome = LLM_BAD_REPLY, .prompt_tokens = -1, .completion_tokens = -1,
			  .model = c->cfg->llm_model};
	res.ms = (double)(now_ns() - call->start_ns) / 1e6;
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &res.http_status);
	json_t *doc = NULL;
	if (code == CURLE_OPERATION_TIMEDOUT) {
		res.outcome = LLM_TIMEOUT;
		res.reason = "timed out";
	} else if (code == CURLE_WRITE_ERROR && call->too_big) {
		res.reason = "reply too large";
	} else if (code != CURLE_OK) {
		res.outcome = res.http_status ? LLM_BAD_REPLY : LLM_CONNECT;
		res.reason = curl_easy_strerror(code);
	} else if (res.http_status < 200 || res.http_status > 299) {
		res.outcome = LLM_HTTP_ERROR;
		res.reason = "the backend answered an error";
	} else if (!(doc = json_loadb(call->reply ? call->reply : "", call->reply_len, 0, NULL))) {
		res.reason = "the reply is not JSON";
	} else {
		json_t *content = json_object_get(json_object_get(json_array_get(json_object_get(doc, "choices"), 0),
								  "message"),
						  "content");
		if (!json_is_string(content)) {
			res.reason = "the reply has no choices[0].message.content";
		} else {
			res.outcome = LLM_OK;
			res.reason = NULL;
			res.content = json_string_value(content);
			json_t *model = json_object_get(doc, "model");
			if (json_is_string(model) && json_string_length(model) > 0)
				res.model = json_string_value(model);
			json_t *usage = json_object_get(doc, "usage");
			json_t *pt = json_object_get(usage, "prompt_tokens"), *ct = json_object_get(usage, "completion_tokens");
			if (json_is_integer(pt))
				res.prompt_tokens = (long)json_integer_value(pt);
			if (json_is_integer(ct))
				res.completion_tokens = (long)json_integer_value(ct);
		}
	}
	if (res.outcome != LLM_OK)
		log_json(LOG_WARN, "backend call failed",
			 json_pack("{s:s,s:i,s:f}", "reason", res.reason ? res.reason : "", "upstream_status",
				   (int)res.http_status, "duration_ms", res.ms));
	llm_cb cb = call->cb;
	void *ud = call->ud;
	call_unlink_free(call);
	if (cb)
		cb(ud, &res);
	json_decref(doc);
}

static void check_done(llm_client *c)
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
			call_finish(call, code);
	}
}

llm_client *llm_client_new(uv_loop_t *loop, const config *cfg)
{
	static bool curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return NULL;
		curl_ready = true;
	}
	llm_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->loop = loop;
	c->cfg = cfg;
	const char *base = cfg->llm_base_url;
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	c->url = malloc(bl + sizeof "/chat/completions");
	c->multi = curl_multi_init();
	if (!c->url || !c->multi) {
		free(c->url);
		if (c->multi)
			curl_multi_cleanup(c->multi);
		free(c);
		return NULL;
	}
	memcpy(c->url, base, bl);
	strcpy(c->url + bl, "/chat/completions");
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	c->headers = curl_slist_append(c->headers, "Expect:");
	if (cfg->llm_api_key) {
		size_t n = strlen(cfg->llm_api_key) + 32;
		char *h = malloc(n);
		if (h) {
			snprintf(h, n, "Authorization: Bearer %s", cfg->llm_api_key);
			c->headers = curl_slist_append(c->headers, h);
			free(h);
		}
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket_change);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->handles = 1;
	return c;
}

llm_call *llm_chat(llm_client *c, const char *system, const char *user, bool json_mode, llm_cb cb, void *ud)
{
	if (c->closing)
		return NULL;
	json_t *req = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}],s:f,s:i,s:b}", "model", c->cfg->llm_model, "messages",
				"role", "system", "content", system, "role", "user", "content", user, "temperature",
				c->cfg->llm_temperature, "max_tokens", (int)c->cfg->llm_max_tokens, "stream", 0);
	if (!req)
		return NULL;
	if (json_mode)
		json_object_set_new(req, "response_format", json_pack("{s:s}", "type", "json_object"));
	/* Ask the backend not to keep the conversation where the API has such
	 * a flag (OpenAI: store). */
	json_object_set_new(req, "store", json_false());
	llm_call *call = calloc(1, sizeof *call);
	if (call)
		call->body = json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(req);
	if (!call || !call->body || !(call->easy = curl_easy_init())) {
		if (call)
			free(call->body);
		free(call);
		return NULL;
	}
	call->client = c;
	call->cb = cb;
	call->ud = ud;
	call->start_ns = now_ns();
	CURL *e = call->easy;
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(call->body));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(e, CURLOPT_PRIVATE, call);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->cfg->llm_connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->cfg->llm_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "culturecare/0.1");
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		free(call->body);
		free(call);
		return NULL;
	}
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;
	c->active++;
	return call;
}

void llm_cancel(llm_call *call)
{
	if (call)
		call_unlink_free(call);
}

unsigned llm_client_active(const llm_client *c)
{
	return c->active;
}

static void on_timer_closed(uv_handle_t *h)
{
	llm_client *c = h->data;
	c->handles--;
	maybe_free_client(c);
}

void llm_client_close(llm_client *c)
{
	if (!c)
		return;
	c->closing = true;
	while (c->calls) {
		llm_call *call = c->calls;
		llm_cb cb = call->cb;
		void *ud = call->ud;
		llm_result res = {.outcome = LLM_CANCELLED, .prompt_tokens = -1, .completion_tokens = -1,
				  .model = c->cfg->llm_model, .reason = "shutting down"};
		call_unlink_free(call);
		if (cb)
			cb(ud, &res);
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
