/* Stage: the risk of suicide or self-harm. The phrase rules give a level
 * at once (server/safety/risk.h); the classifier stage (RISK_CLASSIFIER)
 * starts now and runs concurrently with matching, annotation and
 * generation: nothing generated reaches the client before it has answered
 * (or timed out), and its answer can only raise the level. */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/metrics.h"
#include "server/safety/risk_model.h"

void assess_log_classifier(support_run *s)
{
	json_t *c = json_pack("{s:s,s:s}", "kind", classifier_kind_name(s->ckind), "outcome", s->cls_outcome);
	if (s->cls_ms >= 0)
		json_object_set_new(c, "latency_ms", json_real(s->cls_ms));
	if (s->reply_outcome)
		json_object_set_new(c, "reply_outcome", json_string(s->reply_outcome));
	if (s->reply_ms >= 0)
		json_object_set_new(c, "reply_latency_ms", json_real(s->reply_ms));
	http_req_log(s->r, "classifier", c);
}

/* The level acted on, counted once it is final. */
void assess_count_risk(support_run *s)
{
	if (s->risk_counted)
		return;
	s->risk_counted = true;
	metrics_risk_assessed(s->risk.level);
}

/* The crisis message when the last message (alone or with what it adds to
 * the recent turns) is at high or above; safe messaging when the
 * conversation is at moderate or above, the earlier turns included. */
void assess_set_mode(support_run *s)
{
	s->mode = s->turn_level >= RISK_HIGH	   ? "crisis"
		  : s->risk.level >= RISK_MODERATE ? "safe_messaging"
		  : s->risk.level == RISK_LOW	   ? "check_in"
						   : "normal";
}

/* The message stage's outcome, in the reply, the log and the metrics. */
static void assess_classified(support_run *s, const char *outcome)
{
	s->cls_outcome = outcome;
	metrics_classifier((int)s->ckind, 0, outcome, s->cls_ms >= 0 ? s->cls_ms / 1e3 : -1);
	assess_log_classifier(s);
}

/* The classifier raised the level to high or imminent: whatever was being
 * made is dropped (nothing generated was sent) and the person gets the
 * crisis message, as when the rules find that level. */
static void classifier_crisis(support_run *s)
{
	if (s->call) {
		llm_cancel(s->call);
		s->call = NULL;
	}
	s->gen_held = false;
	if (!s->st) {
		run_crisis(s);
		return;
	}
	/* A stream is open: its meta went out with the rules' level; the
	 * replace event (or, on /v1, the text) carries the crisis message. */
	const char *text = safety_crisis_message(s->sf, s->risk.lang);
	llm_result res = {.outcome = LLM_OK, .content = text, .model = "none", .prompt_tokens = -1,
			  .completion_tokens = -1, .backend_url = "", .first_piece_ms = -1};
	if (s->in.format == FMT_SUPPORT_SSE)
		stream_event(s, "replaced", json_pack("{s:s,s:o}", "text", text, "safety", reply_safety_json(s)));
	else
		stream_text(s, text, strlen(text));
	run_answer(s, &res);
}

/* The classifier's answer on the message. It can only raise the level:
 * to high or imminent, the crisis message; to low or moderate once the
 * generation has started, the reply is generated again with the
 * instructions of that level; otherwise what was held goes out. */
static void assess_on_classified(void *ud, const classifier_verdict *v)
{
	support_run *s = ud;
	s->cls = NULL;
	s->cls_ms = v->ms;
	risk_level before = s->risk.level;
	const char *outcome = v->status == CV_TIMEOUT ? "timeout" : "failed";
	if (v->status == CV_ANSWERED && v->opinion) {
		s->cls_has_level = true;
		s->cls_level = v->level;
		outcome = risk_model_combine(&s->risk, v->level, v->categories);
		if (v->level > s->turn_level) /* it read the last message */
			s->turn_level = v->level;
	} else if (v->status == CV_ANSWERED) {
		outcome = "no_opinion";
	}
	snprintf(s->cls_codes, sizeof s->cls_codes, "%s", v->codes);
	assess_classified(s, outcome);
	if (s->st && s->ended) /* the stream already ended (an error, the client left) */
		return;
	assess_count_risk(s);
	assess_set_mode(s);
	if (s->turn_level >= RISK_HIGH) {
		classifier_crisis(s);
		return;
	}
	if (s->risk.level != before && s->generating) {
		if (s->call) {
			llm_cancel(s->call);
			s->call = NULL;
		}
		s->gen_held = false;
		s->fwd = 0;
		s->withheld = false;
		reply_filter_clear(&s->rf);
		reply_filter_init(&s->rf);
		run_compose(s);
		return;
	}
	if (s->st)
		check_on_piece(s, "", 0); /* sends what was held */
	if (s->gen_held) {
		s->gen_held = false;
		stage_check(s, &s->gen);
	}
}

void assess_text(const support_run *s, const char *text, size_t len, risk_result *out)
{
	if (risk_assess(s->sf->rules, text, len, out) < 0) {
		/* Unknown is not safe: handle as moderate (safe messaging and
		 * resources). */
		memset(out, 0, sizeof *out);
		out->level = RISK_MODERATE;
		out->categories = RISK_CAT_SELF;
		snprintf(out->lang, sizeof out->lang, "en");
	}
}

/* The rules' level (the message's, then the conversation's), then the
 * classifier stage on the message, which runs while the rest goes on
 * (matching, annotation, generation); see assess_on_classified. */
void stage_assess(support_run *s)
{
	const support_input *in = &s->in;
	const app *a = s->a;
	assess_text(s, in->message, in->message_len, &s->risk);
	s->turn_level = s->risk.level;
	history_assess(s);
	s->ckind = classifier_kind_of(a->cfg);
	s->cls_ms = s->reply_ms = -1;
	if (s->ckind != CLS_OFF) {
		if (s->turn_level >= RISK_HIGH)
			assess_classified(s, "not_needed");
		else if (in->dry_run || llm_client_active(a->llm) >= a->cfg->llm_max_concurrent)
			assess_classified(s, "skipped");
		else if ((s->cls = classifier_start(a->llm, a->cfg, s->ckind, in->message, NULL, assess_on_classified, s)))
			s->cls_outcome = "pending";
		else
			assess_classified(s, "failed");
	}
	if (!s->cls)
		assess_count_risk(s);
	assess_set_mode(s);
}
