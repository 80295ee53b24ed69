/* Stage: the output check. In a stream, a filter over the pieces the
 * backend sends: each sentence is held back until it ends, checked with
 * the text before it, then sent (after the classifier has answered on the
 * message); on a failure nothing more is sent, the generation stops and
 * the crisis message replaces the reply. At the end of the generation the
 * check's final part runs, then the classifier's check of the reply. */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/metrics.h"

static void on_stop(uv_timer_t *t);

/* Sends the text that passed the check (the filter's text up to what it
 * released) and was not sent yet, unless the classifier has not answered
 * on the message: then it waits there. */
static void send_passed(support_run *s)
{
	if (s->cls || s->fwd >= s->rf.released)
		return;
	stream_text(s, s->rf.text + s->fwd, s->rf.released - s->fwd);
	s->fwd = s->rf.released;
}

void check_on_piece(void *ud, const char *text, size_t len)
{
	support_run *s = ud;
	if (!s->st || s->ended || s->withheld)
		return;
	/* The output check: each sentence is held back until it ends, checked
	 * with the text before it, then sent. On a failure nothing more is
	 * sent; the generation ends (not from inside its own callback) and the
	 * crisis message replaces the reply. */
	const char *out;
	size_t n;
	if (reply_filter_feed(&s->rf, s->sf, text, len, &out, &n) == FILTER_OK) {
		send_passed(s);
		return;
	}
	s->withheld = true;
	if (!s->stop && (s->stop = malloc(sizeof *s->stop))) {
		uv_timer_init(s->a->loop, s->stop);
		s->stop->data = s;
		uv_timer_start(s->stop, on_stop, 0, 0);
	}
}

bool check_is_full(void *ud)
{
	support_run *s = ud;
	/* withheld: nothing more is wanted until on_stop cancels the call */
	return s->withheld || (s->st && http_stream_buffered(s->st) > STREAM_HIGH_WATER);
}

/* The reply failed the output check or the classifier flagged it: the
 * person gets the crisis message instead (streams: as the replace event).
 * Logged without the text (why: the check's verdict name). */
static void replace_reply(support_run *s, const llm_result *res, const char *why)
{
	llm_result safe = *res;
	safe.content = safety_crisis_message(s->sf, s->risk.lang);
	s->mode = "replaced";
	metrics_reply_replaced();
	http_req_log(s->r, "reply_check", json_string(why));
	if (s->st && s->in.format == FMT_SUPPORT_SSE)
		stream_event(s, "replaced", json_pack("{s:s,s:o}", "text", safe.content, "safety", reply_safety_json(s)));
	else if (s->st) {
		if (s->fwd > 0)
			stream_text(s, "\n\n", 2);
		stream_text(s, safe.content, strlen(safe.content));
	}
	run_answer(s, &safe);
}

/* The reply passed every check. */
static void reply_ok(support_run *s, const llm_result *res)
{
	send_passed(s); /* what was held back */
	run_answer(s, res);
}

static void reply_checked(support_run *s, const char *outcome, double ms)
{
	s->reply_outcome = outcome;
	s->reply_ms = ms;
	metrics_classifier((int)s->ckind, 1, outcome, ms >= 0 ? ms / 1e3 : -1);
	assess_log_classifier(s);
}

/* The classifier's answer on the reply (moderation, llama-guard): a
 * flagged reply is replaced like one that fails the phrase check; a
 * timeout or a failure lets it through. */
static void on_reply_classified(void *ud, const classifier_verdict *v)
{
	support_run *s = ud;
	s->cls = NULL;
	if (s->st && s->ended)
		return;
	if (v->status == CV_CANCELLED) {
		llm_result res = {.outcome = LLM_CANCELLED, .reason = "shutting down"};
		run_fail_backend(s, &res);
		return;
	}
	bool flagged = v->status == CV_ANSWERED && v->flagged;
	reply_checked(s,
		      v->status == CV_TIMEOUT ? "timeout" : v->status == CV_FAILED ? "failed" : flagged ? "flagged" : "passed",
		      v->ms);
	if (flagged)
		replace_reply(s, &s->gen, "classifier");
	else
		reply_ok(s, &s->gen);
}

/* Starts the classifier's check of a generated reply; true when it runs
 * (on_reply_classified goes on). Streams: everything but the text held
 * back at the end has been sent by now. */
static bool check_reply(support_run *s, const llm_result *res)
{
	if (!classifier_checks_replies(s->ckind))
		return false;
	if (llm_client_active(s->a->llm) >= s->a->cfg->llm_max_concurrent) {
		reply_checked(s, "skipped", -1);
		return false;
	}
	const char *text = res->content ? res->content : s->rf.text ? s->rf.text : "";
	s->cls = classifier_start(s->a->llm, s->a->cfg, s->ckind, s->in.message, text, on_reply_classified, s);
	if (!s->cls) {
		reply_checked(s, "failed", -1);
		return false;
	}
	generate_keep_result(s, res);
	return true;
}

/* The generation's end, once the classifier has answered: the output
 * check (streams: its final part, on what is still held back), then the
 * classifier's check of the reply where one is configured. */
void stage_check(support_run *s, const llm_result *res)
{
	if (res->outcome != LLM_OK) {
		run_fail_backend(s, res);
		return;
	}
	reply_verdict v = REPLY_SAFE;
	if (run_is_stream(s->in.format)) {
		const char *out = NULL;
		size_t n = 0;
		filter_status st = s->withheld ? s->rf.status : reply_filter_finish(&s->rf, s->sf, &out, &n);
		if (st == FILTER_TOO_LONG) {
			run_fail(s, ERR_BACKEND_FAILED, "The model backend answered something that is not a chat completion.",
			     json_pack("{s:s}", "reason", "reply_too_long"));
			return;
		}
		if (st == FILTER_UNSAFE)
			v = s->rf.verdict;
	} else if (res->content) {
		v = safety_check_reply(s->sf, res->content, strlen(res->content));
	}
	if (v != REPLY_SAFE) {
		if (classifier_checks_replies(s->ckind))
			reply_checked(s, "not_needed", -1);
		replace_reply(s, res, reply_verdict_name(v));
		return;
	}
	if (!check_reply(s, res))
		reply_ok(s, res);
}

/* After a failed check in a stream: the generation ends now (usage and
 * timings are those of what was received), and the reply is replaced at
 * once, whether or not the classifier has answered. */
static void on_stop(uv_timer_t *t)
{
	support_run *s = t->data;
	if (!s->call)
		return; /* it ended meanwhile: on_generated did the rest */
	llm_cancel(s->call);
	s->call = NULL;
	llm_result res = {.outcome = LLM_OK,
			  .model = s->a->cfg->llm_model,
			  .prompt_tokens = -1,
			  .completion_tokens = -1,
			  .ms = run_ms_since(s->t0),
			  .first_piece_ms = -1,
			  .reason = "stopped",
			  .backend_url = s->a->cfg->llm_base_url ? s->a->cfg->llm_base_url : "",
			  .attempts = 1};
	s->ms_backend = res.ms;
	s->gen_held = false;
	if (s->rf.status == FILTER_TOO_LONG) {
		run_fail(s, ERR_BACKEND_FAILED, "The model backend answered something that is not a chat completion.",
		     json_pack("{s:s}", "reason", "reply_too_long"));
		return;
	}
	replace_reply(s, &res, reply_verdict_name(s->rf.verdict));
}
