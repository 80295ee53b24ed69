/* Unit tests for server/llm/fanout.c on the loop, with a fake backend
 * whose calls end on timers: every call runs at once, the callback comes
 * once with the results in order, a failure stops the rest under
 * FANOUT_FAIL_FAST, a call that cannot start cancels those started. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "server/llm/fanout.h"
#include "tests/unit/check.h"

/* A fake call: ends after delay_ms ms with the outcome its user text
 * names ("ok", "fail"); "nostart" cannot start. */
typedef struct fake_call {
	uv_timer_t t;
	llm_handlers h;
	void *ud;
	char content[32];
	llm_outcome outcome;
} fake_call;

static uv_loop_t *loop;
static int running, max_running, cancelled;

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void fake_end(uv_timer_t *t)
{
	fake_call *c = t->data;
	running--;
	llm_result res = {.outcome = c->outcome, .content = c->content, .model = "fake", .prompt_tokens = -1,
			  .completion_tokens = -1, .first_piece_ms = -1, .backend_url = ""};
	c->h.on_done(c->ud, &res);
	uv_close((uv_handle_t *)&c->t, on_closed);
}

static void *fake_start(void *ctx, const fanout_call *call, const llm_handlers *h, void *ud)
{
	if (strcmp(call->user, "nostart") == 0)
		return NULL;
	fake_call *c = calloc(1, sizeof *c);
	c->h = *h;
	c->ud = ud;
	c->outcome = strcmp(call->user, "fail") == 0 ? LLM_HTTP_ERROR : LLM_OK;
	snprintf(c->content, sizeof c->content, "reply to %s", call->system);
	uv_timer_init(loop, &c->t);
	c->t.data = c;
	uv_timer_start(&c->t, fake_end, (uint64_t)atoi(call->system), 0);
	if (++running > max_running)
		max_running = running;
	return c;
}

static void fake_cancel(void *call)
{
	fake_call *c = call;
	running--;
	cancelled++;
	uv_timer_stop(&c->t);
	uv_close((uv_handle_t *)&c->t, on_closed);
}

typedef struct outcome {
	int calls;
	size_t n;
	bool failed;
	char contents[4][32];
	llm_outcome outcomes[4];
} outcome;

static void on_all(void *ud, const llm_result *results, size_t n, bool failed)
{
	outcome *o = ud;
	o->calls++;
	o->n = n;
	o->failed = failed;
	for (size_t i = 0; i < n && i < 4; i++) {
		o->outcomes[i] = results[i].outcome;
		snprintf(o->contents[i], sizeof o->contents[i], "%s", results[i].content ? results[i].content : "");
	}
}

static const fanout_backend fake = {fake_start, fake_cancel, NULL};

static void test_all_end(void)
{
	fanout_call calls[] = {{"30", "ok", false, NULL}, {"10", "ok", false, NULL}, {"20", "fail", false, NULL}};
	outcome o = {0};
	max_running = 0;
	CHECK(fanout_start_on(&fake, calls, 3, FANOUT_WAIT_ALL, on_all, &o) != NULL);
	CHECK_INT_EQ(running, 3); /* all at once */
	uv_run(loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(o.calls, 1);
	CHECK_INT_EQ((long long)o.n, 3);
	CHECK(o.failed);
	CHECK_STR_EQ(o.contents[0], "reply to 30"); /* in the order given, not of ending */
	CHECK_STR_EQ(o.contents[1], "reply to 10");
	CHECK_INT_EQ(o.outcomes[2], LLM_HTTP_ERROR);
	CHECK_INT_EQ(max_running, 3);
}

static void test_fail_fast(void)
{
	fanout_call calls[] = {{"50", "ok", false, NULL}, {"5", "fail", false, NULL}, {"40", "ok", false, NULL}};
	outcome o = {0};
	cancelled = 0;
	CHECK(fanout_start_on(&fake, calls, 3, FANOUT_FAIL_FAST, on_all, &o) != NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(o.calls, 1);
	CHECK(o.failed);
	CHECK_INT_EQ(o.outcomes[0], LLM_CANCELLED);
	CHECK_INT_EQ(o.outcomes[1], LLM_HTTP_ERROR);
	CHECK_INT_EQ(o.outcomes[2], LLM_CANCELLED);
	CHECK_INT_EQ(cancelled, 2);
	CHECK_INT_EQ(running, 0);
}

static void test_not_started(void)
{
	fanout_call calls[] = {{"10", "ok", false, NULL}, {"10", "nostart", false, NULL}};
	outcome o = {0};
	cancelled = 0;
	CHECK(fanout_start_on(&fake, calls, 2, FANOUT_WAIT_ALL, on_all, &o) == NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(o.calls, 0); /* the callback never runs */
	CHECK_INT_EQ(cancelled, 1);
}

static void test_cancel(void)
{
	fanout_call calls[] = {{"10", "ok", false, NULL}, {"20", "ok", false, NULL}};
	outcome o = {0};
	cancelled = 0;
	fanout *f = fanout_start_on(&fake, calls, 2, FANOUT_WAIT_ALL, on_all, &o);
	CHECK(f != NULL);
	fanout_cancel(f);
	fanout_cancel(NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(o.calls, 0);
	CHECK_INT_EQ(cancelled, 2);
}

int main(void)
{
	loop = uv_default_loop();
	test_all_end();
	test_fail_fast();
	test_not_started();
	test_cancel();
	uv_loop_close(loop);
	return check_done();
}
