/* GET /v1/models: OpenAI's model list, one model per culture of the corpus
 * (culturecare/<code>, the default strategy) and per culture and strategy
 * (culturecare/<code>/<strategy>). */
#include <stdio.h>

#include "handlers/handlers.h"
#include "server/app.h"
#include "server/support/lexicon.h"
#include "server/support/prompt.h"

static json_t *model(const char *id)
{
	return json_pack("{s:s,s:s,s:i,s:s}", "id", id, "object", "model", "created", 0, "owned_by", "culturecare");
}

void handler_models_get(http_req *r)
{
	app *a = http_req_app(r);
	if (!a->lex) {
		http_reply_json(r, 503, json_pack("{s:{s:s,s:s,s:n,s:s},s:s}", "error", "message", "The corpus is not loaded yet.",
						  "type", "api_error", "param", "code", "not_ready", "request_id", http_req_id(r)));
		return;
	}
	json_t *data = json_array();
	char id[256];
	for (size_t i = 0; i < lexicon_culture_count(a->lex); i++) {
		const char *code = lexicon_culture_code_at(a->lex, i);
		snprintf(id, sizeof id, "culturecare/%s", code);
		json_array_append_new(data, model(id));
		for (int s = 0; s < STRAT__COUNT; s++) {
			snprintf(id, sizeof id, "culturecare/%s/%s", code, prompt_strategy_name((prompt_strategy)s));
			json_array_append_new(data, model(id));
		}
	}
	http_reply_json(r, 200, json_pack("{s:s,s:o}", "object", "list", "data", data));
}
