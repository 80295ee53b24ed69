/* The model backend client: OpenAI-compatible POST {base}/chat/completions
 * through the libcurl multi interface, driven by the libuv loop (no thread
 * per call, no blocking). Threading: loop thread only. */
#ifndef CC_LLM_H
#define CC_LLM_H
#include <stdbool.h>
#include <uv.h>

#include "server/config.h"

typedef struct llm_client llm_client;
typedef struct llm_call llm_call;

typedef enum llm_outcome {
	LLM_OK,
	LLM_TIMEOUT,      /* no complete answer within the time limits */
	LLM_CONNECT,      /* could not reach the backend */
	LLM_HTTP_ERROR,   /* the backend answered an HTTP error (http_status) */
	LLM_BAD_REPLY,    /* 2xx, but not a chat completion */
	LLM_CANCELLED,    /* the client was closed */
} llm_outcome;

typedef struct llm_result {
	llm_outcome outcome;
	long http_status;      /* 0 if none was received */
	const char *content;   /* LLM_OK: the assistant's text */
	const char *model;     /* the model the backend reported (or the configured one) */
	long prompt_tokens, completion_tokens; /* -1 when not reported */
	double ms;             /* duration of the call */
	const char *reason;    /* short reason for failures, never message text */
} llm_result;

/* Called once per started call; the result is valid during the call only. */
typedef void (*llm_cb)(void *ud, const llm_result *res);

llm_client *llm_client_new(uv_loop_t *loop, const config *cfg);

/* Starts a chat call with a system and a user message (copied). json_mode
 * asks for a JSON object (response_format). Returns the call, or NULL (then
 * cb is never called). */
llm_call *llm_chat(llm_client *c, const char *system, const char *user, bool json_mode, llm_cb cb, void *ud);

/* Abandons a call: its callback will not run. */
void llm_cancel(llm_call *call);

/* Cancels every call (callbacks run with LLM_CANCELLED), frees the client
 * once its handles are closed. */
void llm_client_close(llm_client *c);

/* Open calls (for metrics and tests). */
unsigned llm_client_active(const llm_client *c);

#endif
