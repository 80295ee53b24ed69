/* Internals shared by the parts of the model backend client
 * (server/llm/llm.c: calls and their attempts; llm_client.c: the client,
 * its backends and curl on the libuv loop). Not for use outside them. */
#ifndef CC_LLM_INTERNAL_H
#define CC_LLM_INTERNAL_H
#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/llm/llm.h"
#include "server/sse.h"

#define MAX_REPLY_BYTES (8u << 20)
#define MAX_EVENT_BYTES (1u << 20)
#define MAX_BACKENDS 8

typedef struct backend {
	char *base;  /* as configured, for reports */
	char *url;   /* base + /chat/completions */
	char *model;
	struct curl_slist *headers;
} backend;

struct llm_client {
	uv_loop_t *loop;
	const config *cfg;
	CURLM *multi;
	uv_timer_t timer;
	backend backends[MAX_BACKENDS];
	unsigned nbackends;
	llm_call *calls; /* doubly linked list of open calls */
	unsigned active;
	double budget; /* retry tokens */
	bool closing;
	unsigned handles; /* open uv handles: the timer, socket polls, call timers */
};

enum phase { PH_RUNNING, PH_WAITING };

struct llm_call {
	llm_client *client;
	llm_call *prev, *next;
	llm_handlers h;
	void *ud;
	char *system, *user;
	char *assistant; /* NULL: no assistant turn */
	json_t *turns;   /* earlier turns before the user's, or NULL */
	bool json_mode, stream;
	/* llm_start_ex's settings */
	char *model;          /* NULL: the backend's */
	unsigned max_tokens;
	double temperature;
	bool raw;             /* another endpoint (llm_opts.url) */
	char *raw_url, *raw_body;
	struct curl_slist *raw_headers;
	/* the attempt */
	unsigned backend, tries_here, attempts;
	enum phase phase;
	CURL *easy;
	char *body;
	char *reply;
	size_t reply_len;
	bool too_big;
	long status;      /* HTTP status of the attempt, read at its first byte */
	double retry_after; /* seconds, -1 if none */
	sse_parser *sse;
	bool stream_done;  /* [DONE] or a finish_reason seen */
	const char *stream_error;
	char *model_seen;
	long prompt_tokens, completion_tokens;
	bool delivered;    /* a piece went to the caller: no retry from now on */
	bool paused;
	bool timed_out;    /* the call timer aborted the attempt */
	const char *timeout_reason;
	uint64_t start_ns, deadline_ns, first_piece_ns;
	uv_timer_t timer;
};

/* Frees c once it is closing and its last uv handle is closed (llm_client.c). */
void llm_maybe_free_client(llm_client *c);
/* Handles the transfers curl has finished (llm.c). */
void llm_check_done(llm_client *c);
/* Ends call with res (doc: the reply's JSON, or NULL) and frees it (llm.c). */
void llm_finish(llm_call *call, llm_result *res, json_t *doc);

#endif
