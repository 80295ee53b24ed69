/* GET /cultures/{code}/signals?q=TEXT&limit=N: the culture's cultural
 * signals matching TEXT, best first, from the in-memory corpus with the
 * matcher of /support (the similarity is defined in server/support/lexicon.c). The
 * reply never repeats TEXT. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "server/app.h"
#include "server/unicode.h"
#include "server/util.h"
#include "server/support/lexicon.h"

#define MAX_Q_CHARS 1000
#define DEFAULT_LIMIT 10
#define MAX_LIMIT 100

static void invalid(http_req *r, const char *field, const char *reason)
{
	http_reply_error(r, ERR_INVALID_FIELD, NULL, json_pack("{s:s,s:s}", "field", field, "reason", reason));
}

/* The same matcher as /support (server/support/lexicon.h), asked for signals only. */
static void reply_signals(http_req *r, const lexicon *lex, const lexicon_culture *c, const char *q, size_t qlen,
			  unsigned limit)
{
	lexicon_opts o;
	lexicon_opts_default(&o);
	o.max_signals = limit;
	o.max_distress = 0;
	o.max_strategies = 0;
	lexicon_result m;
	if (lexicon_match(lex, c, q, qlen, &o, &m) < 0) {
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < m.nsignals; i++) {
		const lexicon_signal_match *g = &m.signals[i];
		json_array_append_new(list, json_pack("{s:s,s:s?,s:s,s:f,s:I}", "phrase", g->phrase, "type", g->type,
						      "side", g->side, "similarity", round(g->similarity * 1e4) / 1e4,
						      "occurrences", (json_int_t)g->occurrences));
	}
	lexicon_result_clear(&m);
	http_reply_json(r, 200, json_pack("{s:s,s:o}", "culture", lexicon_culture_code(c), "signals", list));
}

void handler_culture_signals_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *q = http_req_query(r, "q");
	const char *lim = http_req_query(r, "limit");
	unsigned long long limit = DEFAULT_LIMIT;
	if (!q || !*q) {
		invalid(r, "q", "required: the text to match, 1 to 1000 characters");
		return;
	}
	size_t qlen = strlen(q);
	if (!utf8_valid(q, qlen)) {
		invalid(r, "q", "must be UTF-8");
		return;
	}
	if (utf8_length(q, qlen) > MAX_Q_CHARS) {
		invalid(r, "q", "at most 1000 characters");
		return;
	}
	if (lim && config_parse_uint(lim, 1, MAX_LIMIT, &limit) < 0) {
		invalid(r, "limit", "an integer from 1 to 100");
		return;
	}
	const char *culture = http_req_param(r, 0);
	if (!utf8_valid(culture, strlen(culture))) {
		invalid(r, "code", "must be UTF-8");
		return;
	}
	if (!a->lex) {
		http_reply_error(r, ERR_NOT_READY, "The corpus is not loaded yet.",
				 json_pack("{s:s}", "reason", "corpus_not_loaded"));
		return;
	}
	const lexicon_culture *c = lexicon_culture_find(a->lex, culture);
	if (!c) {
		json_t *known = json_array();
		for (size_t i = 0; i < lexicon_culture_count(a->lex); i++)
			json_array_append_new(known, json_string(lexicon_culture_code_at(a->lex, i)));
		http_reply_error(r, ERR_UNKNOWN_CULTURE, NULL, json_pack("{s:o}", "known", known));
		return;
	}
	reply_signals(r, a->lex, c, q, qlen, (unsigned)limit);
}
