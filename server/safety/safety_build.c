/* The safety data from the database into a struct safety (see
 * server/safety/safety_build.h). */
#include "server/safety/safety_build.h"

#include <stdlib.h>
#include <string.h>

#include "server/log.h"

safety *safety_build(const store_safety_data *d, const struct text_model *tm)
{
	safety *s = safety_new();
	if (!s)
		return NULL;
	safety_set_text_model(s, tm);
	json_decref(s->resources);
	json_decref(s->messages);
	s->resources = json_incref(d->resources);
	s->messages = json_incref(d->messages);
	bool ok = safety_prepare_resources(s) >= 0;
	size_t i;
	json_t *r;
	if (ok) {
		json_array_foreach(d->rules, i, r)
		{
			if (risk_rules_add(s->rules, json_string_value(json_array_get(r, 0)),
					   json_string_value(json_array_get(r, 1)), json_string_value(json_array_get(r, 2))) < 0)
				log_json(LOG_WARN, "risk rule skipped", json_pack("{s:i}", "index", (int)i));
		}
		json_array_foreach(d->unsafe, i, r)
			if (safety_reply_add_phrase(s, json_string_value(r)) < 0)
				log_json(LOG_WARN, "unsafe reply phrase skipped", json_pack("{s:i}", "index", (int)i));
		json_array_foreach(d->concepts, i, r)
		{
			if (safety_reply_add_term(s, json_string_value(json_array_get(r, 0)),
						  json_string_value(json_array_get(r, 1)),
						  json_string_value(json_array_get(r, 2))) < 0)
				log_json(LOG_WARN, "reply concept term skipped", json_pack("{s:i}", "index", (int)i));
		}
	}
	if (!ok) {
		safety_unref(s);
		return NULL;
	}
	log_json(LOG_INFO, "safety rules loaded",
		 json_pack("{s:i,s:i,s:i}", "rules", (int)risk_rules_count(s->rules), "resources",
			   (int)json_array_size(s->resources), "unsafe_phrases", (int)s->nunsafe));
	return s;
}
