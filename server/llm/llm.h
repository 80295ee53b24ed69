/* The model backend client: OpenAI-compatible POST {base}/chat/completions
 * through the libcurl multi interface, driven by the libuv loop (no thread
 * per call, no blocking). Plain or streamed (SSE) replies; retries with
 * exponential backoff and jitter on connection errors, 429 (honouring
 * Retry-After) and 5xx, within a retry budget, only while nothing has been
 * handed to the caller; then the next configured backend.
 * Threading: loop thread only. */
#ifndef CC_LLM_H
#define CC_LLM_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <uv.h>

#include "server/config.h"

typedef struct llm_client llm_client;
typedef struct llm_call llm_call;

typedef enum llm_outcome {
	LLM_OK,
	LLM_TIMEOUT,    /* connect, first piece, silence between pieces or total time exceeded */
	LLM_CONNECT,    /* could not reach the backend */
	LLM_HTTP_ERROR, /* the backend answered an HTTP error (http_status) */
	LLM_BAD_REPLY,  /* 2xx, but not a chat completion */
	LLM_CANCELLED,  /* the client was closed */
} llm_outcome;

typedef struct llm_result {
	llm_outcome outcome;
	long http_status;      /* 0 if none was received */
	const char *content;   /* LLM_OK, plain calls: the assistant's text */
	const char *model;     /* the model the backend reported (or the configured one) */
	long prompt_tokens, completion_tokens; /* -1 when not reported */
	double ms;             /* duration of the call, retries included */
	double first_piece_ms; /* streams: time to the first piece, -1 if none */
	const char *reason;    /* short reason for failures, never message text */
	unsigned backend;      /* index of the backend that answered (0 = LLM_BASE_URL) */
	const char *backend_url; /* its base URL */
	unsigned attempts;     /* requests made, all backends */
} llm_result;

/* Reads a plain (not streamed) chat completion, text[0..len) (NULL: empty):
 * on 0, res's outcome is LLM_OK with its content, model and token counts
 * (those that the reply holds), pointing into *doc, which the caller then
 * releases; on -1, res->reason says why and *doc is NULL. Pure. */
int llm_reply_parse(const char *text, size_t len, llm_result *res, json_t **doc);

typedef struct llm_handlers {
	/* Called once at the end; the result is valid during the call only. */
	void (*on_done)(void *ud, const llm_result *res);
	/* Streams only: one piece of the reply, as it arrives. */
	void (*on_piece)(void *ud, const char *text, size_t len);
	/* Streams only: true while the consumer cannot take more; the transfer
	 * is then paused until llm_resume(). */
	bool (*is_full)(void *ud);
} llm_handlers;

llm_client *llm_client_new(uv_loop_t *loop, const config *cfg);

/* Starts a call with a system and a user message (copied). json_mode asks
 * for a JSON object (response_format); stream asks for SSE pieces. Returns
 * the call, or NULL (then no handler is ever called). */
llm_call *llm_start(llm_client *c, const char *system, const char *user, bool json_mode, bool stream,
		    const llm_handlers *h, void *ud);

/* Per-call settings (llm_start_ex); zero values keep the configured ones. */
typedef struct llm_opts {
	const char *model;   /* NULL: each backend's own */
	unsigned timeout_ms; /* 0: LLM_TIMEOUT_MS */
	unsigned max_tokens; /* 0: LLM_MAX_TOKENS */
	double temperature;  /* with set_temperature; else LLM_TEMPERATURE */
	bool set_temperature;
	/* Another JSON endpoint instead of the chat backends (the moderation
	 * API): POST body (as is) to url with the bearer api_key (may be NULL).
	 * Retried like a chat call but never handed to a fallback backend; on
	 * a 2xx answer res->content is the reply's body, unparsed. Such calls
	 * stay out of the backend metrics (their caller counts them). */
	const char *url, *api_key, *body;
	/* chat calls: an assistant turn after the user's (NULL: none) */
	const char *assistant;
	/* chat calls: earlier turns of a conversation, sent in order between
	 * the system message and the user's: an array of {"role": "user" |
	 * "assistant", "content": string} (copied; NULL: none) */
	const json_t *turns;
} llm_opts;

/* llm_start with per-call settings (o may be NULL). An empty system text
 * sends the user message alone. */
llm_call *llm_start_ex(llm_client *c, const char *system, const char *user, bool json_mode, bool stream,
		       const llm_opts *o, const llm_handlers *h, void *ud);

/* Streams: the consumer can take more again. */
void llm_resume(llm_call *call);

/* Abandons a call because its client left: no handler runs after this. */
void llm_cancel(llm_call *call);

/* Cancels every call (on_done runs with LLM_CANCELLED), frees the client
 * once its handles are closed. */
void llm_client_close(llm_client *c);

/* Calls in progress. */
unsigned llm_client_active(const llm_client *c);

#endif
