/* Runs N backend calls at once on the loop and calls back once, when all
 * have ended or, by policy, when the first one failed (the rest are then
 * cancelled). For the pipeline's fan-outs: several candidates, judge
 * metrics, a reply and its check. Threading: loop thread only. */
#ifndef CC_LLM_FANOUT_H
#define CC_LLM_FANOUT_H
#include <stdbool.h>
#include <stddef.h>

#include "server/llm/llm.h"

typedef struct fanout fanout;

typedef enum fanout_policy {
	FANOUT_WAIT_ALL,  /* call back when every call has ended, whatever its outcome */
	FANOUT_FAIL_FAST, /* call back at the first outcome other than LLM_OK; cancel the rest */
} fanout_policy;

/* One call: texts copied when it starts; opts NULL for the configured
 * settings. */
typedef struct fanout_call {
	const char *system, *user;
	bool json_mode;
	const llm_opts *opts;
} fanout_call;

/* Once per fan-out: results[i] for calls[i] (a call cancelled by the
 * policy has LLM_CANCELLED); failed: some outcome is not LLM_OK. The
 * results and their strings are valid during the call only. */
typedef void (*fanout_cb)(void *ud, const llm_result *results, size_t n, bool failed);

/* Starts every call. Returns the fan-out, or NULL when one could not be
 * started (the others are cancelled and cb is never called). */
fanout *fanout_start(llm_client *c, const fanout_call *calls, size_t n, fanout_policy policy, fanout_cb cb,
		     void *ud);

/* Abandons the fan-out (its client left): every call still running is
 * cancelled and cb is never called. NULL is fine. */
void fanout_cancel(fanout *f);

/* What the fan-out starts calls with: llm_start_ex on a client, or, in
 * tests, anything that calls h->on_done exactly once later. */
typedef struct fanout_backend {
	void *(*start)(void *ctx, const fanout_call *call, const llm_handlers *h, void *ud);
	void (*cancel)(void *call);
	void *ctx;
} fanout_backend;
fanout *fanout_start_on(const fanout_backend *b, const fanout_call *calls, size_t n, fanout_policy policy,
			fanout_cb cb, void *ud);

#endif
