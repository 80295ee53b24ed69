/* Loads the safety data (risk rules, crisis resources and messages, unsafe
 * reply phrases, the reply check's concept lexicons) into a new struct safety, in one statement. */
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "store/store.h"

const store_stmt store_stmt_safety_load = {
	"safety_load",
	"SELECT"
	" (SELECT coalesce(json_agg(json_build_array(lang, kind, pattern) ORDER BY id), '[]') FROM risk_rules WHERE enabled),"
	" (SELECT coalesce(json_agg(json_build_object('country', country, 'name', name, 'phone', phone,"
	"   'text_number', text_number, 'text_keyword', text_keyword, 'chat_url', chat_url, 'email', email,"
	"   'url', url, 'hours', hours, 'open_24_7', open_24_7, 'opening_hours', opening_hours,"
	"   'time_zone', time_zone, 'free_of_charge', free_of_charge, 'languages', languages,"
	"   'source_url', source_url, 'verified', verified, 'verified_on', verified_on, 'cultures', cultures)"
	"   ORDER BY id), '[]') FROM crisis_resources),"
	" (SELECT coalesce(json_object_agg(lang, body), '{}') FROM crisis_messages),"
	" (SELECT coalesce(json_agg(phrase ORDER BY id), '[]') FROM unsafe_reply_phrases),"
	" (SELECT coalesce(json_agg(json_build_array(lang, concept, term) ORDER BY id), '[]') FROM reply_concepts)",
};

typedef struct call {
	store_safety_cb cb;
	void *ud;
} call;

static safety *build(const PGresult *res)
{
	if (PQntuples(res) != 1)
		return NULL;
	safety *s = safety_new();
	json_t *rules = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	json_t *unsafe = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
	json_t *concepts = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
	json_decref(s ? s->resources : NULL);
	json_decref(s ? s->messages : NULL);
	if (s) {
		s->resources = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
		s->messages = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
	}
	bool ok = s && rules && unsafe && concepts && json_is_array(s->resources) && s->messages &&
		  safety_prepare_resources(s) >= 0;
	size_t i;
	json_t *r;
	if (ok) {
		json_array_foreach(rules, i, r)
		{
			if (risk_rules_add(s->rules, json_string_value(json_array_get(r, 0)),
					   json_string_value(json_array_get(r, 1)), json_string_value(json_array_get(r, 2))) < 0)
				log_json(LOG_WARN, "risk rule skipped", json_pack("{s:i}", "index", (int)i));
		}
		json_array_foreach(unsafe, i, r)
			if (safety_reply_add_phrase(s, json_string_value(r)) < 0)
				log_json(LOG_WARN, "unsafe reply phrase skipped", json_pack("{s:i}", "index", (int)i));
		json_array_foreach(concepts, i, r)
		{
			if (safety_reply_add_term(s, json_string_value(json_array_get(r, 0)),
						  json_string_value(json_array_get(r, 1)),
						  json_string_value(json_array_get(r, 2))) < 0)
				log_json(LOG_WARN, "reply concept term skipped", json_pack("{s:i}", "index", (int)i));
		}
	}
	json_decref(rules);
	json_decref(unsafe);
	json_decref(concepts);
	if (!ok) {
		safety_unref(s);
		return NULL;
	}
	return s;
}

static void on_row(void *ud, const PGresult *res, store_status st, const char *sqlstate)
{
	call *c = ud;
	safety *s = st == STORE_OK ? build(res) : NULL;
	if (s)
		log_json(LOG_INFO, "safety rules loaded",
			 json_pack("{s:i,s:i,s:i,s:i}", "rules", (int)risk_rules_count(s->rules), "resources",
				   (int)json_array_size(s->resources), "unsafe_phrases", (int)s->nunsafe,
				   "reply_concept_terms", (int)s->nterms));
	c->cb(c->ud, s);
	free(c);
}

int store_safety_load(store_pool *p, store_safety_cb cb, void *ud)
{
	call *c = malloc(sizeof *c);
	if (!c)
		return -1;
	c->cb = cb;
	c->ud = ud;
	if (store_pool_query(p, &store_stmt_safety_load, 0, NULL, on_row, c) < 0) {
		free(c);
		return -1;
	}
	return 0;
}
