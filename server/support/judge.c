/* The judge's prompts, answers and aggregates (see judge.h). The prompt
 * texts are written for the project from the method's metric definitions. */
#include "server/support/judge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

const char *const judge_metric_names[JUDGE_METRICS] = {
	"empathy", "helpfulness", "socio_political", "knowledge", "cultural_context", "fluency", "communication",
};

typedef struct metric_text {
	const char *title, *definition, *a1, *a3, *a5;
	judge_group group;
} metric_text;

static const metric_text texts[JUDGE_METRICS] = {
	[JM_EMPATHY] = {"Empathy",
			"how well the response understands the feelings the writer expresses and validates them in a "
			"way that feels genuine rather than formulaic",
			"the feelings are ignored, dismissed or misread",
			"the feelings are named, but in a generic or mechanical way",
			"the response shows real understanding of what the writer feels and why, and validates it warmly",
			JG_EMOTIONAL},
	[JM_HELPFULNESS] = {"Helpfulness",
			    "how practical, actionable and tailored to the writer's situation the help in the response is",
			    "no usable help, or advice that does not fit the situation",
			    "some reasonable but generic suggestions",
			    "concrete, realistic steps that fit this writer's situation and needs",
			    JG_EMOTIONAL},
	[JM_SOCIO_POLITICAL] = {"Socio-political influence",
				"how well the response recognises the systemic, social, economic or political factors "
				"that shape the writer's situation",
				"such factors are ignored, or the problem is treated as purely personal",
				"such factors are mentioned in passing without connecting them to the writer",
				"the response shows how these factors bear on the writer's situation and takes them into "
				"account",
				JG_CULTURAL},
	[JM_KNOWLEDGE] = {"Knowledge",
			  "how accurate, relevant and free of stereotypes the response's knowledge of the writer's "
			  "culture is",
			  "no cultural knowledge, or knowledge that is wrong or stereotyped",
			  "some correct but superficial cultural knowledge",
			  "accurate, specific and nuanced knowledge of the culture, used where it matters",
			  JG_CULTURAL},
	[JM_CULTURAL_CONTEXT] = {"Cultural context",
				 "how well the response frames the writer's problem within the writer's own cultural "
				 "framework of values, norms and practices",
				 "the problem is framed only through another culture's assumptions",
				 "the cultural background is acknowledged but the framing stays generic",
				 "the problem is understood and addressed from within the writer's cultural framework",
				 JG_CULTURAL},
	[JM_FLUENCY] = {"Fluency",
			"the grammar, clarity and natural flow of the response",
			"hard to read: many errors, unclear or disjointed",
			"understandable, with some awkward or unclear passages",
			"clear, correct and natural throughout",
			JG_OVERALL},
	[JM_COMMUNICATION] = {"Communication",
			      "how well the tone and framing of the response fit the writer's needs and culture",
			      "the tone is inappropriate, cold or at odds with the writer's culture",
			      "an acceptable tone that is not adapted to this writer",
			      "a tone and framing that suit this writer's needs and cultural expectations",
			      JG_OVERALL},
};

int judge_metric_parse(const char *name)
{
	for (int i = 0; i < JUDGE_METRICS; i++)
		if (name && strcmp(name, judge_metric_names[i]) == 0)
			return i;
	return -1;
}

const char *judge_metric_title(judge_metric m)
{
	return texts[m].title;
}

judge_group judge_metric_group(judge_metric m)
{
	return texts[m].group;
}

char *judge_prompt(judge_metric m, const char *message, const char *response, const char *culture)
{
	const metric_text *t = &texts[m];
	sbuf b = {0};
	sb_add(&b, "You will be given a post in which a person describes emotional distress, and a response "
		   "written to support that person. Your task is to rate the response on one metric.\n\n");
	if (culture && *culture)
		sb_printf(&b, "The writer's cultural background: %s.\n\n", culture);
	sb_printf(&b, "Metric: %s (1-5): %s.\n\n", t->title, t->definition);
	sb_add(&b, "Evaluation steps:\n"
		   "1. Read the post and note what the writer feels, what they are going through and what they need.\n");
	sb_printf(&b, "2. Read the response and judge how far it achieves what the metric describes (%s).\n",
		  t->title);
	sb_add(&b, "3. Assign a score from 1 to 5 on this scale:\n");
	sb_printf(&b, "   1 - %s;\n   2 - between 1 and 3;\n   3 - %s;\n   4 - between 3 and 5;\n   5 - %s.\n\n", t->a1,
		  t->a3, t->a5);
	sb_add(&b, "Answer with one digit from 1 to 5 and nothing else: no words, no explanation.\n\n");
	sb_add(&b, "Post:\n");
	sb_add(&b, message);
	sb_add(&b, "\n\nResponse:\n");
	sb_add(&b, response);
	sb_printf(&b, "\n\n%s score:", t->title);
	return sb_take(&b);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The digit 1..5 a token stands for (white space around it aside), or 0. */
static int token_digit(const char *tok)
{
	if (!tok)
		return 0;
	while (is_space(*tok))
		tok++;
	if (*tok < '1' || *tok > '5')
		return 0;
	int d = *tok - '0';
	tok++;
	while (is_space(*tok))
		tok++;
	return *tok ? 0 : d;
}

static void weigh(json_t *logprobs, judge_score *out)
{
	size_t i;
	json_t *entry;
	json_array_foreach(logprobs, i, entry)
	{
		if (!token_digit(json_string_value(json_object_get(entry, "token"))))
			continue;
		double p[6] = {0};
		size_t k;
		json_t *alt, *top = json_object_get(entry, "top_logprobs");
		json_array_foreach(top, k, alt)
		{
			int d = token_digit(json_string_value(json_object_get(alt, "token")));
			json_t *lp = json_object_get(alt, "logprob");
			if (d && json_is_number(lp))
				p[d] += exp(json_number_value(lp));
		}
		double mass = 0, sum = 0;
		for (int d = 1; d <= 5; d++) {
			mass += p[d];
			sum += d * p[d];
		}
		if (mass > 0) {
			out->has_weighted = true;
			out->weighted = sum / mass;
			out->probability = out->present && p[out->score] <= 1 ? p[out->score] : 0;
		}
		return; /* only the answer's first digit token counts */
	}
}

void judge_parse_answer(const char *content, json_t *logprobs, judge_score *out)
{
	memset(out, 0, sizeof *out);
	if (!content)
		return;
	out->answer_length = strlen(content);
	for (const char *p = content; *p; p++) {
		if (*p < '0' || *p > '9')
			continue;
		if (*p >= '1' && *p <= '5' && !(p[1] >= '0' && p[1] <= '9')) {
			out->present = true;
			out->score = *p - '0';
		}
		break;
	}
	if (json_is_array(logprobs))
		weigh(logprobs, out);
}

int judge_parse_completion(const char *body, judge_score *out, char *model, size_t model_len)
{
	memset(out, 0, sizeof *out);
	json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
	json_t *choice = json_array_get(json_object_get(doc, "choices"), 0);
	json_t *content = json_object_get(json_object_get(choice, "message"), "content");
	if (!json_is_string(content)) {
		json_decref(doc);
		return -1;
	}
	judge_parse_answer(json_string_value(content), json_object_get(json_object_get(choice, "logprobs"), "content"),
			   out);
	if (model && model_len) {
		const char *m = json_string_value(json_object_get(doc, "model"));
		snprintf(model, model_len, "%s", m ? m : "");
	}
	json_decref(doc);
	return 0;
}

void judge_aggregate(const double scores[JUDGE_METRICS], judge_aggregates *out)
{
	double s[3] = {0}, all = 0;
	int n[3] = {0}, nall = 0;
	for (int m = 0; m < JUDGE_METRICS; m++) {
		if (isnan(scores[m]))
			continue;
		judge_group g = texts[m].group;
		s[g] += scores[m];
		n[g]++;
		all += scores[m];
		nall++;
	}
	out->emo = n[JG_EMOTIONAL] ? s[JG_EMOTIONAL] / n[JG_EMOTIONAL] : NAN;
	out->cult = n[JG_CULTURAL] ? s[JG_CULTURAL] / n[JG_CULTURAL] : NAN;
	out->all = nall ? all / nall : NAN;
	out->n_emo = n[JG_EMOTIONAL];
	out->n_cult = n[JG_CULTURAL];
	out->n_all = nall;
}

static json_t *num_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

json_t *judge_aggregates_json(const judge_aggregates *a)
{
	return json_pack("{s:o,s:o,s:o}", "emo", num_or_null(a->emo), "cult", num_or_null(a->cult), "all",
			 num_or_null(a->all));
}
