/* Loads the safety data (risk rules, crisis resources and messages, unsafe
 * reply phrases, the reply check's concept lexicons) in one statement,
 * handed over as JSON. */
#include "store/call.h"
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

static void on_row(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	store_safety_data d = {0};
	bool ok = st == STORE_OK && PQntuples(res) == 1;
	if (ok) {
		d.rules = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		d.resources = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
		d.messages = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
		d.unsafe = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
		d.concepts = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
		ok = json_is_array(d.rules) && json_is_array(d.resources) && json_is_object(d.messages) &&
		     json_is_array(d.unsafe) && json_is_array(d.concepts);
	}
	((store_safety_cb)c->cb)(c->ud, ok ? &d : NULL);
	json_decref(d.rules);
	json_decref(d.resources);
	json_decref(d.messages);
	json_decref(d.unsafe);
	json_decref(d.concepts);
}

int store_safety_load(store_pool *p, store_safety_cb cb, void *ud)
{
	return store_call_query(p, &store_stmt_safety_load, 0, NULL, on_row, (void (*)(void))cb, ud, NULL);
}
