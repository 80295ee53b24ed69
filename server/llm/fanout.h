/* A fan-out of backend calls: N calls run at once on the loop and one
 * callback reports when all have ended, or, with FANOUT_FAIL_FAST, as soon
 * as one has failed (the others are then cancelled). Used for candidate
 * replies (one call per candidate) and the judge (one call per metric).
 * Threading: loop thread only. */
#ifndef CC_FANOUT_H
#define CC_FANOUT_H
#include <stdbool.h>
#include <stddef.h>

#include "server/llm/llm.h"

typedef enum fanout_policy {
	FANOUT_WAIT_ALL,  /* every call ends (ok or not) before the callback */
	FANOUT_FAIL_FAST, /* the first failure ends the fan-out */
} fanout_policy;

/* One call's outcome, copied out of llm_result (valid until fanout_free). */
typedef struct fanout_result {
	bool started;          /* the call could be started */
	bool done;             /* it ended (a cancelled call is done, outcome LLM_CANCELLED) */
	llm_outcome outcome;
	long http_status;
	char *content;         /* LLM_OK: the text (raw calls: the body), else NULL */
	char *model;
	const char *reason;    /* static text from llm.c, or NULL */
	long prompt_tokens, completion_tokens;
	double ms;
	unsigned attempts, backend;
} fanout_result;

typedef struct fanout fanout;

/* Runs once: all calls ended (WAIT_ALL) or the first failed (FAIL_FAST).
 * The fan-out stays valid until the owner frees it (within or after the
 * callback). */
typedef void (*fanout_cb)(void *ud, fanout *f);

/* A fan-out of n slots (1..64). Returns NULL when out of memory. */
fanout *fanout_new(llm_client *c, size_t n, fanout_policy policy, fanout_cb cb, void *ud);

/* Prepares slot i: a chat call (system may be ""), with per-call options
 * (o may be NULL; everything is copied, the assistant turn is not used). */
int fanout_set(fanout *f, size_t i, const char *system, const char *user, const llm_opts *o);

/* Starts every prepared slot. Returns 0 and calls cb exactly once later,
 * or -1 when nothing could be started (cb is then never called; with
 * FAIL_FAST, when any slot could not be started). */
int fanout_start(fanout *f);

size_t fanout_count(const fanout *f);
const fanout_result *fanout_result_at(const fanout *f, size_t i);
/* The first failed slot's index, or -1 when every call succeeded. */
long fanout_first_failure(const fanout *f);
/* The longest single call, ms (the fan-out's own duration is about this). */
double fanout_max_ms(const fanout *f);

/* Cancels calls still running (no callback after this) and frees. NULL ok. */
void fanout_free(fanout *f);

#endif
