/* Stage: the record of a reply (when STORE_MESSAGES is on and the caller
 * did not decline), with its deletion token, handed to the caller once. */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/sha256.h"
#include "store/store.h"

/* Where the storage object goes in each format's last reply or event. */
static json_t *storage_parent(const support_run *s, json_t *final)
{
	return run_is_openai(s->in.format) ? json_object_get(final, "culturecare") : final;
}

/* The record's id: the reply's UUID (inside chatcmpl-... for /v1). */
static const char *record_id(const support_run *s)
{
	return run_is_openai(s->in.format) ? s->id + strlen("chatcmpl-") : s->id;
}

static void on_stored(void *ud, const char *expires_at, store_status st)
{
	support_run *s = ud;
	s->storing = false;
	if (s->closed) { /* the client left: the record stays, nobody to tell */
		run_free(s);
		return;
	}
	json_t *storage;
	if (st == STORE_OK && expires_at) {
		storage = json_pack("{s:b,s:s,s:s,s:s}", "stored", true, "id", record_id(s), "deletion_token", s->token,
				    "expires_at", expires_at);
	} else {
		log_json(LOG_ERROR, "reply not stored",
			 json_pack("{s:s,s:s}", "request_id", http_req_id(s->r), "reason",
				   st == STORE_UNAVAILABLE ? "database_unavailable" : "insert_failed"));
		storage = json_pack("{s:b,s:s}", "stored", false, "reason", "unavailable");
	}
	explicit_bzero(s->token, sizeof s->token);
	json_object_set_new(storage_parent(s, s->final), "storage", storage);
	if (s->st && s->ended) /* the client left meanwhile: the close frees s */
		return;
	run_deliver(s);
}

/* Stores the reply when the service and the request allow it; returns true
 * when an insert runs (on_stored then delivers), false to deliver now with
 * the reason it was not stored. */
bool stage_record(support_run *s, const llm_result *res)
{
	const char *why = !s->a->cfg->store_messages ? "disabled" : !s->in.store ? "declined" : NULL;
	if (!why && !res)
		why = "dry_run";
	json_t *parent = storage_parent(s, s->final);
	if (why) {
		json_object_set_new(parent, "storage", json_pack("{s:b,s:s}", "stored", false, "reason", why));
		return false;
	}
	char hash[65];
	char *annotations = json_dumps(s->annotations, JSON_COMPACT);
	/* the earlier turns as given: erased with the record */
	char *history = s->in.history ? json_dumps(s->in.history, JSON_COMPACT) : strdup("[]");
	int rc = annotations && history && random_token(s->token) == 0 ? 0 : -1;
	if (rc == 0) {
		sha256_hex(s->token, strlen(s->token), hash);
		store_record rec = {
			.id = record_id(s),
			.token_sha256_hex = hash,
			.culture = lexicon_culture_code(s->culture),
			.strategy = prompt_strategy_name(s->in.strategy),
			.risk_level = risk_level_name(s->risk.level),
			.response_mode = s->mode,
			.model = res->model ? res->model : "",
			.message = s->in.message,
			/* streams: what was sent is what the backend sent, unless
			 * replaced (then res->content is the crisis message) */
			.reply = res->content ? res->content : s->rf.text ? s->rf.text : "",
			.annotations_json = annotations,
			.history_json = history,
		};
		rc = store_record_insert(s->a->pool, &rec, s->a->cfg->retention_days, on_stored, s);
	}
	free(annotations);
	free(history);
	if (rc < 0) {
		explicit_bzero(s->token, sizeof s->token);
		json_object_set_new(parent, "storage", json_pack("{s:b,s:s}", "stored", false, "reason", "unavailable"));
		return false;
	}
	s->storing = true;
	return true;
}
