/* The judge of the method (LLM as judge, G-Eval style): the seven metrics,
 * one prompt per metric asking for one digit 1-5, the parsing of its answer
 * (the first digit; an answer without one is missing, never 0) with the
 * probability-weighted score over the digits when the backend returns
 * top_logprobs, and the Emo / Cult / All aggregates. Pure functions; the
 * calls themselves are made by handlers/evaluations_post.c. */
#ifndef CC_JUDGE_H
#define CC_JUDGE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JUDGE_METRICS 7
/* Changes whenever the wording of the judging prompt changes: scores of
 * different versions are kept apart. */
#define JUDGE_PROMPT_VERSION "cc-judge-v1"

typedef enum judge_metric {
	JM_EMPATHY,
	JM_HELPFULNESS,
	JM_SOCIO_POLITICAL,
	JM_KNOWLEDGE,
	JM_CULTURAL_CONTEXT,
	JM_FLUENCY,
	JM_COMMUNICATION,
} judge_metric;

typedef enum judge_group { JG_EMOTIONAL, JG_CULTURAL, JG_OVERALL } judge_group;

/* API names, in the order of the enum: empathy, helpfulness,
 * socio_political, knowledge, cultural_context, fluency, communication. */
extern const char *const judge_metric_names[JUDGE_METRICS];
/* The metric of an API name, or -1. */
int judge_metric_parse(const char *name);
const char *judge_metric_title(judge_metric m);
judge_group judge_metric_group(judge_metric m);

/* The judging prompt for one metric (a malloc'd string, caller frees; NULL
 * when out of memory): the task, the metric with its 1-5 definition,
 * evaluation steps ending in an anchored scale, "answer with one digit",
 * then the post, the response and a final "Score:" cue. culture (a display
 * name) may be NULL. */
char *judge_prompt(judge_metric m, const char *message, const char *response, const char *culture);

/* One judged metric. */
typedef struct judge_score {
	bool present;         /* the answer had a digit 1-5 */
	int score;            /* 1..5 when present */
	bool has_weighted;    /* top_logprobs gave probabilities for digits */
	double weighted;      /* sum d p(d) / sum p(d) over the digits 1..5 */
	double probability;   /* p(score) from top_logprobs (has_weighted) */
	size_t answer_length; /* bytes of the answer */
} judge_score;

/* Reads an answer: the first ASCII digit of content, when it is 1-5 and not
 * followed by another digit ("4", "Score: 4", "4/5"); else missing.
 * logprobs is choices[0].logprobs.content (may be NULL): the first token
 * that is a digit 1-5 (white space aside) gives the distribution. */
void judge_parse_answer(const char *content, json_t *logprobs, judge_score *out);

/* Reads a whole chat completion body (the backend's JSON). Returns 0, or
 * -1 when it is not a completion with choices[0].message.content. model
 * (may be NULL) gets the reported model, truncated to model_len. */
int judge_parse_completion(const char *body, judge_score *out, char *model, size_t model_len);

/* Emo = mean of the emotional metrics, Cult = of the cultural, All = of
 * all seven; over the scores present only (scores[m] is NAN when missing).
 * A mean without any score is NAN; n_* count the scores used. */
typedef struct judge_aggregates {
	double emo, cult, all;
	int n_emo, n_cult, n_all;
} judge_aggregates;
void judge_aggregate(const double scores[JUDGE_METRICS], judge_aggregates *out);

/* The aggregates as {"emo", "cult", "all"} (null for NAN). */
json_t *judge_aggregates_json(const judge_aggregates *a);

#endif
