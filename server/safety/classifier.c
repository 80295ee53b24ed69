/* The classifier stage; see classifier.h. */
#include "server/safety/classifier.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/log.h"
#include "server/safety/risk_model.h"
#include "server/util.h"

#define LLAMA_GUARD_DEFAULT_MODEL "llama-guard3"
#define LLAMA_GUARD_MAX_TOKENS 20
#define CHAT_JSON_MAX_TOKENS 200

static const char *const kind_names[CLS_KINDS] = {"off", "moderation", "llama-guard", "chat-json"};

classifier_kind classifier_kind_of(const config *cfg)
{
	const char *k = cfg->risk_classifier ? cfg->risk_classifier : "auto";
	for (int i = CLS_OFF; i < CLS_KINDS; i++)
		if (strcmp(k, kind_names[i]) == 0)
			return (classifier_kind)i;
	/* auto */
	if (cfg->risk_model_check)
		return CLS_CHAT_JSON;
	return cfg->moderation_url && *cfg->moderation_url ? CLS_MODERATION : CLS_CHAT_JSON;
}

const char *classifier_kind_name(classifier_kind k)
{
	return (unsigned)k < CLS_KINDS ? kind_names[k] : "off";
}

bool classifier_checks_replies(classifier_kind k)
{
	return k == CLS_MODERATION || k == CLS_LLAMA_GUARD;
}

int classifier_setup(const config *cfg, char *err, size_t errlen)
{
	classifier_kind k = classifier_kind_of(cfg);
	if (k == CLS_MODERATION && !(cfg->moderation_url && *cfg->moderation_url)) {
		snprintf(err, errlen, "RISK_CLASSIFIER=moderation needs MODERATION_URL");
		return -1;
	}
	const char *f = cfg->llama_guard_format ? cfg->llama_guard_format : "prompt";
	if (strcmp(f, "prompt") != 0 && strcmp(f, "conversation") != 0) {
		snprintf(err, errlen, "invalid RISK_CLASSIFIER_LLAMA_GUARD_FORMAT=\"%s\": expected prompt or conversation", f);
		return -1;
	}
	if (k == CLS_OFF) {
		log_json(LOG_WARN,
			 "RISK_CLASSIFIER=off: risk is assessed by the rules alone and replies by the phrase list alone",
			 NULL);
		return 0;
	}
	const char *model = k == CLS_MODERATION ? cfg->moderation_model
			    : cfg->risk_classifier_model && *cfg->risk_classifier_model
				    ? cfg->risk_classifier_model
			    : k == CLS_LLAMA_GUARD ? LLAMA_GUARD_DEFAULT_MODEL
						   : cfg->llm_model;
	log_json(LOG_INFO, "risk classifier",
		 json_pack("{s:s,s:s,s:i,s:b}", "kind", classifier_kind_name(k), "model", model ? model : "", "timeout_ms",
			   (int)cfg->risk_classifier_timeout_ms, "checks_replies", classifier_checks_replies(k)));
	return 0;
}

/* ---- moderation ---- */

char *classifier_moderation_body(const char *model, const char *input)
{
	json_t *o = json_pack("{s:s,s:s}", "model", model ? model : "", "input", input ? input : "");
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

int classifier_moderation_parse(const char *body, moderation_scores *out)
{
	json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
	json_t *r = json_array_get(json_object_get(doc, "results"), 0);
	json_t *scores = json_object_get(r, "category_scores"), *flags = json_object_get(r, "categories");
	static const char *const names[3] = {"self-harm", "self-harm/intent", "self-harm/instructions"};
	double v[3] = {0, 0, 0};
	int found = 0;
	for (int i = 0; i < 3; i++) {
		json_t *sc = json_object_get(scores, names[i]), *fl = json_object_get(flags, names[i]);
		if (json_is_number(sc)) {
			v[i] = json_number_value(sc);
			found++;
		} else if (json_is_boolean(fl)) {
			v[i] = json_is_true(fl) ? 1.0 : 0.0;
			found++;
		}
	}
	json_decref(doc);
	if (!found)
		return -1;
	out->self_harm = v[0];
	out->intent = v[1];
	out->instructions = v[2];
	return 0;
}

risk_level classifier_moderation_level(const config *cfg, const moderation_scores *s)
{
	if (s->intent >= cfg->moderation_intent_threshold || s->instructions >= cfg->moderation_instructions_threshold)
		return RISK_HIGH;
	if (s->self_harm >= cfg->moderation_self_harm_threshold)
		return RISK_MODERATE;
	return RISK_NONE;
}

bool classifier_moderation_flags_reply(const config *cfg, const moderation_scores *s)
{
	return s->intent >= cfg->moderation_intent_threshold || s->instructions >= cfg->moderation_instructions_threshold;
}

/* ---- Llama Guard 3 ---- */

/* Llama Guard 3's own format: the task, its hazard categories, the
 * conversation, the instruction for the answer. The backend's chat
 * template adds the special tokens around the one user turn. */
static const char lg_categories[] =
	"<BEGIN UNSAFE CONTENT CATEGORIES>\n"
	"S1: Violent Crimes.\n"
	"S2: Non-Violent Crimes.\n"
	"S3: Sex Crimes.\n"
	"S4: Child Exploitation.\n"
	"S5: Defamation.\n"
	"S6: Specialized Advice.\n"
	"S7: Privacy.\n"
	"S8: Intellectual Property.\n"
	"S9: Indiscriminate Weapons.\n"
	"S10: Hate.\n"
	"S11: Self-Harm.\n"
	"S12: Sexual Content.\n"
	"S13: Elections.\n"
	"S14: Code Interpreter Abuse.\n"
	"<END UNSAFE CONTENT CATEGORIES>\n";

char *classifier_llama_guard_prompt(const char *message, const char *reply)
{
	const char *role = reply ? "Agent" : "User";
	sbuf b = {0};
	sb_printf(&b,
		  "Task: Check if there is unsafe content in '%s' messages in conversations according our safety "
		  "policy with the below categories.\n\n%s\n<BEGIN CONVERSATION>\n\nUser: %s\n\n",
		  role, lg_categories, message ? message : "");
	if (reply)
		sb_printf(&b, "Agent: %s\n\n", reply);
	sb_printf(&b,
		  "<END CONVERSATION>\n\n"
		  "Provide your safety assessment for ONLY THE LAST %s message in the above conversation:\n"
		  " - First line must read 'safe' or 'unsafe'.\n"
		  " - If unsafe, a second line must include a comma-separated list of violated categories.",
		  role);
	return sb_take(&b);
}

int classifier_llama_guard_parse(const char *content, bool *unsafe, char *codes, size_t codes_len)
{
	if (!content || codes_len == 0)
		return -1;
	codes[0] = '\0';
	const char *p = content;
	while (*p && isspace((unsigned char)*p))
		p++;
	size_t word = 0;
	while (isalpha((unsigned char)p[word]))
		word++;
	if (word == 4 && strncasecmp(p, "safe", 4) == 0)
		*unsafe = false;
	else if (word == 6 && strncasecmp(p, "unsafe", 6) == 0)
		*unsafe = true;
	else
		return -1;
	if (!*unsafe)
		return 0;
	/* the codes: S<number> tokens anywhere after the first word */
	size_t len = 0;
	for (const char *q = p + word; *q;) {
		if ((*q == 'S' || *q == 's') && isdigit((unsigned char)q[1]) &&
		    (q == p + word || !isalnum((unsigned char)q[-1]))) {
			const char *d = q + 1;
			while (isdigit((unsigned char)*d))
				d++;
			size_t n = (size_t)(d - q);
			if (!isalnum((unsigned char)*d) && n <= 3 && len + n + 2 < codes_len) {
				if (len)
					codes[len++] = ',';
				codes[len++] = 'S';
				memcpy(codes + len, q + 1, n - 1);
				len += n - 1;
				codes[len] = '\0';
			}
			q = d;
		} else {
			q++;
		}
	}
	return 0;
}

bool classifier_llama_guard_self_harm(const char *codes)
{
	for (const char *p = codes; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n == 3 && strncmp(p, "S11", 3) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* ---- calls ---- */

struct classifier_call {
	llm_call *call;
	const config *cfg;
	classifier_kind kind;
	bool reply;
	classifier_cb cb;
	void *ud;
};

static void on_answer(void *ud, const llm_result *res)
{
	classifier_call *cc = ud;
	classifier_verdict v = {.status = CV_FAILED, .ms = res->ms};
	if (res->outcome == LLM_TIMEOUT)
		v.status = CV_TIMEOUT;
	else if (res->outcome == LLM_CANCELLED)
		v.status = CV_CANCELLED;
	else if (res->outcome == LLM_OK) {
		switch (cc->kind) {
		case CLS_MODERATION: {
			moderation_scores sc;
			if (classifier_moderation_parse(res->content, &sc) == 0) {
				v.status = CV_ANSWERED;
				v.opinion = true;
				v.level = classifier_moderation_level(cc->cfg, &sc);
				v.categories = v.level > RISK_NONE ? RISK_CAT_SELF : 0;
				v.flagged = classifier_moderation_flags_reply(cc->cfg, &sc);
			}
			break;
		}
		case CLS_LLAMA_GUARD: {
			bool unsafe;
			if (classifier_llama_guard_parse(res->content, &unsafe, v.codes, sizeof v.codes) == 0) {
				v.status = CV_ANSWERED;
				bool self = unsafe && classifier_llama_guard_self_harm(v.codes);
				v.opinion = self;
				v.level = self ? RISK_HIGH : RISK_NONE;
				v.categories = self ? RISK_CAT_SELF : 0;
				v.flagged = self;
			}
			break;
		}
		case CLS_CHAT_JSON:
			if (risk_model_parse(res->content, &v.level, &v.categories) == 0) {
				v.status = CV_ANSWERED;
				v.opinion = true;
			}
			break;
		default:
			break;
		}
	}
	classifier_cb cb = cc->cb;
	void *cud = cc->ud;
	free(cc);
	cb(cud, &v);
}

classifier_call *classifier_start(llm_client *c, const config *cfg, classifier_kind k, const char *message,
				  const char *reply, classifier_cb cb, void *ud)
{
	if (k == CLS_OFF || k >= CLS_KINDS || !message || (reply && !classifier_checks_replies(k)))
		return NULL;
	classifier_call *cc = calloc(1, sizeof *cc);
	if (!cc)
		return NULL;
	cc->cfg = cfg;
	cc->kind = k;
	cc->reply = reply != NULL;
	cc->cb = cb;
	cc->ud = ud;
	llm_opts o = {.timeout_ms = cfg->risk_classifier_timeout_ms, .temperature = 0, .set_temperature = true};
	llm_handlers h = {.on_done = on_answer};
	switch (k) {
	case CLS_MODERATION: {
		size_t bl = strlen(cfg->moderation_url);
		while (bl > 0 && cfg->moderation_url[bl - 1] == '/')
			bl--;
		char *url = malloc(bl + sizeof "/moderations");
		char *body = classifier_moderation_body(cfg->moderation_model, reply ? reply : message);
		if (url && body) {
			memcpy(url, cfg->moderation_url, bl);
			strcpy(url + bl, "/moderations");
			o.url = url;
			o.api_key = cfg->moderation_api_key;
			o.body = body;
			cc->call = llm_start_ex(c, "", "", false, false, &o, &h, cc);
		}
		free(url);
		free(body);
		break;
	}
	case CLS_LLAMA_GUARD: {
		o.model = cfg->risk_classifier_model && *cfg->risk_classifier_model ? cfg->risk_classifier_model
										 : LLAMA_GUARD_DEFAULT_MODEL;
		o.max_tokens = LLAMA_GUARD_MAX_TOKENS;
		if (cfg->llama_guard_format && strcmp(cfg->llama_guard_format, "conversation") == 0) {
			/* the backend's chat template writes the prompt from the turns */
			o.assistant = reply;
			cc->call = llm_start_ex(c, "", message, false, false, &o, &h, cc);
			break;
		}
		char *p = classifier_llama_guard_prompt(message, reply);
		if (p)
			cc->call = llm_start_ex(c, "", p, false, false, &o, &h, cc);
		free(p);
		break;
	}
	case CLS_CHAT_JSON: {
		prompt p = {0};
		o.model = cfg->risk_classifier_model && *cfg->risk_classifier_model ? cfg->risk_classifier_model : NULL;
		o.max_tokens = CHAT_JSON_MAX_TOKENS;
		if (risk_model_prompt(message, &p) == 0)
			cc->call = llm_start_ex(c, p.system, p.user, true, false, &o, &h, cc);
		prompt_clear(&p);
		break;
	}
	default:
		break;
	}
	if (!cc->call) {
		free(cc);
		return NULL;
	}
	return cc;
}

void classifier_cancel(classifier_call *cc)
{
	if (!cc)
		return;
	llm_cancel(cc->call);
	free(cc);
}
