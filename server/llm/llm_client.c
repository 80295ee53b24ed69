/* The model backend client: its backends from the configuration, and
 * libcurl multi on libuv (see server/llm/llm.c). */
#include "server/llm/llm_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/metrics.h"

typedef struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	llm_client *client;
} sock_ctx;

void llm_maybe_free_client(llm_client *c)
{
	if (!c->closing || c->handles > 0)
		return;
	curl_multi_cleanup(c->multi);
	for (unsigned i = 0; i < c->nbackends; i++) {
		free(c->backends[i].base);
		free(c->backends[i].url);
		free(c->backends[i].model);
		curl_slist_free_all(c->backends[i].headers);
	}
	free(c);
}

/* ---- curl <-> libuv ---- */

static void on_sock_closed(uv_handle_t *h)
{
	sock_ctx *s = h->data;
	llm_client *c = s->client;
	free(s);
	c->handles--;
	llm_maybe_free_client(c);
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
	llm_check_done(c);
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

static void on_multi_timer(uv_timer_t *t)
{
	llm_client *c = t->data;
	int running;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	llm_check_done(c);
}

static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
	llm_client *c = userp;
	if (timeout_ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_multi_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

/* ---- the client ---- */

/* The n-th comma-separated item of list (a new string; "" when missing). */
static char *nth_item(const char *list, unsigned n)
{
	const char *p = list ? list : "";
	for (unsigned i = 0; i < n && p; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	if (!p)
		return strdup("");
	size_t len = strcspn(p, ",");
	while (len > 0 && p[len - 1] == ' ')
		len--;
	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	return strndup(p, len);
}

static int add_backend(llm_client *c, const char *base, const char *model, const char *key)
{
	if (c->nbackends >= MAX_BACKENDS || !*base)
		return 0;
	backend *b = &c->backends[c->nbackends];
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	b->base = strndup(base, bl);
	/* Reports show the base URL: never with credentials in it. */
	char *scheme = b->base ? strstr(b->base, "://") : NULL;
	if (scheme) {
		char *host = scheme + 3, *at = strchr(host, '@'), *slash = strchr(host, '/');
		if (at && (!slash || at < slash))
			memmove(host, at + 1, strlen(at + 1) + 1);
	}
	b->url = malloc(bl + sizeof "/chat/completions");
	b->model = strdup(*model ? model : c->cfg->llm_model);
	if (!b->base || !b->url || !b->model)
		return -1;
	memcpy(b->url, base, bl);
	strcpy(b->url + bl, "/chat/completions");
	b->headers = curl_slist_append(NULL, "Content-Type: application/json");
	b->headers = curl_slist_append(b->headers, "Expect:");
	if (key && *key) {
		size_t n = strlen(key) + 32;
		char *h = malloc(n);
		if (!h)
			return -1;
		snprintf(h, n, "Authorization: Bearer %s", key);
		b->headers = curl_slist_append(b->headers, h);
		free(h);
	}
	c->nbackends++;
	return 0;
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
	c->budget = 10;
	c->multi = curl_multi_init();
	int rc = c->multi ? add_backend(c, cfg->llm_base_url, "", cfg->llm_api_key) : -1;
	for (unsigned i = 0; rc == 0 && cfg->llm_fallback_urls && i < MAX_BACKENDS - 1; i++) {
		char *u = nth_item(cfg->llm_fallback_urls, i), *m = nth_item(cfg->llm_fallback_models, i),
		     *k = nth_item(cfg->llm_fallback_api_keys, i);
		if (!u || !m || !k)
			rc = -1;
		else if (*u)
			rc = add_backend(c, u, m, k);
		bool last = !u || !*u;
		free(u);
		free(m);
		free(k);
		if (last)
			break;
	}
	if (rc < 0 || c->nbackends == 0) {
		c->closing = true;
		if (!c->multi)
			c->multi = curl_multi_init();
		llm_maybe_free_client(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket_change);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->llm_max_host_connections);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)cfg->llm_max_host_connections);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->handles = 1;
	return c;
}

unsigned llm_client_active(const llm_client *c)
{
	return c ? c->active : 0;
}

static void on_timer_closed(uv_handle_t *h)
{
	llm_client *c = h->data;
	c->handles--;
	llm_maybe_free_client(c);
}

void llm_client_close(llm_client *c)
{
	if (!c)
		return;
	c->closing = true;
	while (c->calls) {
		llm_call *call = c->calls;
		llm_result res = {.outcome = LLM_CANCELLED, .prompt_tokens = -1, .completion_tokens = -1,
				  .reason = "shutting down"};
		if (!call->raw)
			metrics_backend_error(BE_CANCELLED);
		llm_finish(call, &res, NULL);
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
