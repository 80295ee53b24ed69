/* The judge: prompts, digit parsing (missing, never 0), G-Eval weighting
 * from top_logprobs, and the Emo / Cult / All aggregates. */
#include <math.h>
#include <stdlib.h>

#include "server/support/judge.h"
#include "tests/unit/check.h"

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-9;
}

static void parse(void)
{
	judge_score s;
	judge_parse_answer("4", NULL, &s);
	CHECK(s.present && s.score == 4 && s.answer_length == 1 && !s.has_weighted);
	judge_parse_answer("Score: 5", NULL, &s);
	CHECK(s.present && s.score == 5);
	judge_parse_answer(" 3/5 because it is kind", NULL, &s);
	CHECK(s.present && s.score == 3);
	judge_parse_answer("I cannot rate this.", NULL, &s);
	CHECK(!s.present && s.score == 0 && s.answer_length == 19);
	judge_parse_answer("0", NULL, &s);
	CHECK(!s.present);
	judge_parse_answer("7", NULL, &s);
	CHECK(!s.present);
	judge_parse_answer("10", NULL, &s); /* a first digit followed by another is no score */
	CHECK(!s.present);
	judge_parse_answer("", NULL, &s);
	CHECK(!s.present && s.answer_length == 0);
}

/* p(4) = 0.6, p(5) = 0.3, p(3) = 0.1 (and "4" twice, with a space: merged):
 * weighted = (4 * 0.6 + 5 * 0.3 + 3 * 0.1) / 1.0 = 4.2. */
static void weighted(void)
{
	json_t *lp = json_pack("[{s:s,s:f,s:[{s:s,s:f},{s:s,s:f},{s:s,s:f},{s:s,s:f},{s:s,s:f}]}]", "token", "4", "logprob",
			       log(0.5), "top_logprobs", "token", "4", "logprob", log(0.5), "token", "5", "logprob",
			       log(0.3), "token", " 4", "logprob", log(0.1), "token", "3", "logprob", log(0.1), "token",
			       "Four", "logprob", log(0.05));
	judge_score s;
	judge_parse_answer("4", lp, &s);
	CHECK(s.present && s.score == 4 && s.has_weighted);
	CHECK(near(s.weighted, 4.2));
	CHECK(near(s.probability, 0.6));
	json_decref(lp);
	/* no digit token: no weighting */
	lp = json_pack("[{s:s,s:f,s:[{s:s,s:f}]}]", "token", "I", "logprob", -0.1, "top_logprobs", "token", "I", "logprob",
		       -0.1);
	judge_parse_answer("I", lp, &s);
	CHECK(!s.present && !s.has_weighted);
	json_decref(lp);
}

static void completion(void)
{
	judge_score s;
	char model[32];
	CHECK(judge_parse_completion("{\"model\":\"judge-x\",\"choices\":[{\"message\":{\"content\":\"2\"}}]}", &s, model,
				     sizeof model) == 0);
	CHECK(s.present && s.score == 2);
	CHECK_STR_EQ(model, "judge-x");
	CHECK(judge_parse_completion("not json", &s, NULL, 0) < 0);
	CHECK(judge_parse_completion("{\"choices\":[]}", &s, NULL, 0) < 0);
}

/* Scores empathy 5, helpfulness 4 (Emo 4.5); socio-political 2, knowledge
 * missing, cultural context 3 (Cult 2.5 over two); fluency 5,
 * communication 4; All = (5 + 4 + 2 + 3 + 5 + 4) / 6 = 23 / 6. */
static void aggregate(void)
{
	double s[JUDGE_METRICS] = {5, 4, 2, NAN, 3, 5, 4};
	judge_aggregates a;
	judge_aggregate(s, &a);
	CHECK(near(a.emo, 4.5) && a.n_emo == 2);
	CHECK(near(a.cult, 2.5) && a.n_cult == 2);
	CHECK(near(a.all, 23.0 / 6.0) && a.n_all == 6);
	double none[JUDGE_METRICS] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN};
	judge_aggregate(none, &a);
	CHECK(isnan(a.emo) && isnan(a.cult) && isnan(a.all));
	json_t *j = judge_aggregates_json(&a);
	CHECK(json_is_null(json_object_get(j, "all")));
	json_decref(j);
}

static void prompts(void)
{
	CHECK_INT_EQ(judge_metric_parse("cultural_context"), JM_CULTURAL_CONTEXT);
	CHECK_INT_EQ(judge_metric_parse("Empathy"), -1);
	CHECK(judge_metric_group(JM_KNOWLEDGE) == JG_CULTURAL);
	char *p = judge_prompt(JM_EMPATHY, "MSG-TEXT", "REPLY-TEXT", "Chinese");
	CHECK_STR_CONTAINS(p, "Metric: Empathy (1-5)");
	CHECK_STR_CONTAINS(p, "Answer with one digit from 1 to 5");
	CHECK_STR_CONTAINS(p, "   1 - ");
	CHECK_STR_CONTAINS(p, "   5 - ");
	CHECK_STR_CONTAINS(p, "cultural background: Chinese");
	CHECK_STR_CONTAINS(p, "Post:\nMSG-TEXT\n\nResponse:\nREPLY-TEXT");
	CHECK(strstr(p, "score:") && p[strlen(p) - 1] == ':');
	free(p);
	p = judge_prompt(JM_FLUENCY, "m", "r", NULL);
	CHECK(!strstr(p, "cultural background"));
	free(p);
}

int main(void)
{
	parse();
	weighted();
	completion();
	aggregate();
	prompts();
	return check_done();
}
