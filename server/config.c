/* Configuration from the environment and command-line flags. */
#include "server/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* One setting: its variable, its flag, how to parse it. */
enum kind { K_STR, K_UINT, K_SIZE, K_LEVEL, K_TEMP, K_BOOL, K_DAYS, K_OPT_PORT /* int, -1 when unset */,
	    K_CLASSIFIER, K_SCORE /* 0 to 1 */ };
struct setting {
	const char *env;
	const char *flag;
	enum kind kind;
	size_t offset;
	const char *def;
	unsigned long long min, max;
	const char *help;
};

#define OFF(f) offsetof(config, f)
static const struct setting settings[] = {
	{"HOST", "host", K_STR, OFF(host), "127.0.0.1", 0, 0, "address to listen on"},
	{"PORT", "port", K_UINT, OFF(port), "8080", 0, 65535, "TCP port (0: any free port)"},
	{"DATABASE_URL", "database-url", K_STR, OFF(database_url), "", 0, 0,
	 "libpq connection string or URI (empty: libpq defaults, PG* variables)"},
	{"DATABASE_LISTEN_URL", "database-listen-url", K_STR, OFF(database_listen_url), "", 0, 0,
	 "a direct (session) connection for change notifications, when DATABASE_URL goes through a pooler"},
	{"DB_POOL_SIZE", "db-pool-size", K_UINT, OFF(db_pool_size), "4", 1, 256,
	 "database connections held open"},
	{"DB_TIMEOUT_MS", "db-timeout-ms", K_UINT, OFF(db_timeout_ms), "5000", 10, 600000,
	 "longest wait for one query, queueing included"},
	{"MAX_BODY_BYTES", "max-body-bytes", K_SIZE, OFF(max_body_bytes), "65536", 64,
	 64ull << 20, "largest request body accepted"},
	{"MAX_CONNECTIONS", "max-connections", K_UINT, OFF(max_connections), "8192", 1,
	 1000000, "open client connections at most"},
	{"SHUTDOWN_DRAIN_MS", "shutdown-drain-ms", K_UINT, OFF(drain_ms), "10000", 0,
	 3600000, "on SIGTERM, how long in-flight requests may take to finish"},
	{"LLM_BASE_URL", "llm-base-url", K_STR, OFF(llm_base_url), "http://127.0.0.1:11434/v1", 0,
	 0, "OpenAI-compatible API base URL (default: a local Ollama)"},
	{"LLM_API_KEY", "llm-api-key", K_STR, OFF(llm_api_key), NULL, 0, 0,
	 "bearer token for the model backend (unset: none)"},
	{"LLM_MODEL", "llm-model", K_STR, OFF(llm_model), "llama3.1:8b", 0, 0,
	 "model name sent to the backend"},
	{"LLM_TIMEOUT_MS", "llm-timeout-ms", K_UINT, OFF(llm_timeout_ms), "120000", 100, 3600000,
	 "longest time for one backend call"},
	{"LLM_CONNECT_TIMEOUT_MS", "llm-connect-timeout-ms", K_UINT, OFF(llm_connect_timeout_ms), "5000", 10,
	 600000, "longest time to connect to the backend"},
	{"LLM_TEMPERATURE", "llm-temperature", K_TEMP, OFF(llm_temperature), "0.7", 0, 0,
	 "sampling temperature, 0 to 2"},
	{"LLM_MAX_TOKENS", "llm-max-tokens", K_UINT, OFF(llm_max_tokens), "1000", 1, 1000000,
	 "most tokens the backend may generate"},
	{"LLM_MAX_CONTEXT_CHARS", "llm-max-context-chars", K_UINT, OFF(llm_max_context_chars), "24000", 1000, 10000000,
	 "characters of prompt per reply: earlier turns beyond it are left out, oldest first"},
	{"LLM_FIRST_TOKEN_TIMEOUT_MS", "llm-first-token-timeout-ms", K_UINT, OFF(llm_first_token_timeout_ms), "60000",
	 100, 3600000, "streams: longest wait for the first piece"},
	{"LLM_IDLE_TIMEOUT_MS", "llm-idle-timeout-ms", K_UINT, OFF(llm_idle_timeout_ms), "30000", 100, 3600000,
	 "streams: longest silence between pieces"},
	{"LLM_RETRIES", "llm-retries", K_UINT, OFF(llm_retries), "2", 0, 10,
	 "retries per backend on connection errors, 429 and 5xx"},
	{"LLM_RETRY_BASE_MS", "llm-retry-base-ms", K_UINT, OFF(llm_retry_base_ms), "250", 1, 600000,
	 "first retry delay (doubles, with jitter)"},
	{"LLM_RETRY_MAX_MS", "llm-retry-max-ms", K_UINT, OFF(llm_retry_max_ms), "8000", 1, 600000,
	 "longest retry delay, Retry-After included"},
	{"LLM_RETRY_BUDGET", "llm-retry-budget", K_UINT, OFF(llm_retry_budget), "20", 0, 1000,
	 "retries allowed per 100 calls (plus a reserve of 10)"},
	{"LLM_MAX_HOST_CONNECTIONS", "llm-max-host-connections", K_UINT, OFF(llm_max_host_connections), "1024", 1,
	 100000, "open connections per backend host at most"},
	{"LLM_FALLBACK_URLS", "llm-fallback-urls", K_STR, OFF(llm_fallback_urls), NULL, 0, 0,
	 "further backends, comma-separated, tried in order"},
	{"LLM_FALLBACK_MODELS", "llm-fallback-models", K_STR, OFF(llm_fallback_models), NULL, 0, 0,
	 "their models, comma-separated (empty: LLM_MODEL)"},
	{"LLM_FALLBACK_API_KEYS", "llm-fallback-api-keys", K_STR, OFF(llm_fallback_api_keys), NULL, 0, 0,
	 "their keys, comma-separated (empty: none)"},
	{"SSE_KEEPALIVE_MS", "sse-keepalive-ms", K_UINT, OFF(sse_keepalive_ms), "15000", 100, 3600000,
	 "comment line sent on idle streams this often"},
	{"METRICS_PORT", "metrics-port", K_OPT_PORT, OFF(metrics_port), NULL, 0, 65535,
	 "serve /metrics only on this port (0: any free port; unset: on PORT)"},
	{"METRICS_HOST", "metrics-host", K_STR, OFF(metrics_host), "127.0.0.1", 0, 0,
	 "address of the METRICS_PORT listener"},
	{"LOG_LEVEL", "log-level", K_LEVEL, OFF(log_level), "info", 0, 0,
	 "debug, info, warn or error"},
	{"MIGRATIONS_DIR", "migrations", K_STR, OFF(migrations_dir), NULL, 0, 0,
	 "read migrations from this folder instead of those built in"},
	{"STORE_MESSAGES", "store-messages", K_BOOL, OFF(store_messages), "off", 0, 0,
	 "keep message, reply and annotations (per request: \"store\": false)"},
	{"RETENTION_DAYS", "retention-days", K_DAYS, OFF(retention_days), "30", 0, 0,
	 "stored records older than this many days are erased"},
	{"PURGE_INTERVAL_MS", "purge-interval-ms", K_UINT, OFF(purge_interval_ms), "600000", 100, 86400000,
	 "how often expired records are erased"},
	{"RISK_MODEL_CHECK", "risk-model-check", K_BOOL, OFF(risk_model_check), "off", 0, 0,
	 "on: the same as RISK_CLASSIFIER=chat-json (an older name)"},
	{"RISK_TEXT_MODEL", "risk-text-model", K_BOOL, OFF(risk_text_model), "on", 0, 0,
	 "the text model trained on the project's labelled sets also assesses risk and checks replies"},
	{"RISK_LOW_FLOOR", "risk-low-floor", K_SCORE, OFF(risk_low_floor), "0.25", 0, 0,
	 "the text model's low floor: a message it scores at least this is at least low, a check-in (1: off)"},
	{"RISK_ROLE_PLAY_AT_LOW", "risk-role-play-at-low", K_BOOL, OFF(risk_role_play_at_low), "off", 0, 0,
	 "on: a message at low keeps the strategy's persona (off: no persona from low up)"},
	{"RISK_CLASSIFIER", "risk-classifier", K_CLASSIFIER, OFF(risk_classifier), "auto", 0, 0,
	 "second opinion on risk: auto, off, moderation, llama-guard, chat-json"},
	{"RISK_CLASSIFIER_TIMEOUT_MS", "risk-classifier-timeout-ms", K_UINT, OFF(risk_classifier_timeout_ms), "3000", 10,
	 600000, "longest wait for the classifier; past it the rules' level stands"},
	{"RISK_CLASSIFIER_MODEL", "risk-classifier-model", K_STR, OFF(risk_classifier_model), "", 0, 0,
	 "model of the llama-guard and chat-json classifiers (empty: llama-guard3, LLM_MODEL)"},
	{"RISK_CLASSIFIER_LLAMA_GUARD_FORMAT", "risk-classifier-llama-guard-format", K_STR, OFF(llama_guard_format),
	 "prompt", 0, 0,
	 "llama-guard: prompt (the service writes Llama Guard's prompt) or conversation (the backend's template does)"},
	{"MODERATION_URL", "moderation-url", K_STR, OFF(moderation_url), "", 0, 0,
	 "base URL of an OpenAI-compatible moderation API (POST {url}/moderations)"},
	{"MODERATION_API_KEY", "moderation-api-key", K_STR, OFF(moderation_api_key), NULL, 0, 0,
	 "bearer token for the moderation API"},
	{"MODERATION_MODEL", "moderation-model", K_STR, OFF(moderation_model), "omni-moderation-latest", 0, 0,
	 "model sent to the moderation API"},
	{"JUDGE_BASE_URL", "judge-base-url", K_STR, OFF(judge_base_url), "", 0, 0,
	 "base URL of the judge's OpenAI-compatible backend (empty: LLM_BASE_URL)"},
	{"JUDGE_MODEL", "judge-model", K_STR, OFF(judge_model), "", 0, 0, "the judge's model (empty: LLM_MODEL)"},
	{"JUDGE_API_KEY", "judge-api-key", K_STR, OFF(judge_api_key), "", 0, 0,
	 "bearer token of the judge's backend (empty: LLM_API_KEY when JUDGE_BASE_URL is empty, else none)"},
	{"MODERATION_INTENT_THRESHOLD", "moderation-intent-threshold", K_SCORE, OFF(moderation_intent_threshold), "0.5",
	 0, 0, "self-harm/intent score from which a message is high risk (a reply is flagged)"},
	{"MODERATION_INSTRUCTIONS_THRESHOLD", "moderation-instructions-threshold", K_SCORE,
	 OFF(moderation_instructions_threshold), "0.5", 0, 0,
	 "self-harm/instructions score from which a message is high risk (a reply is flagged)"},
	{"MODERATION_SELF_HARM_THRESHOLD", "moderation-self-harm-threshold", K_SCORE, OFF(moderation_self_harm_threshold),
	 "0.5", 0, 0, "self-harm score from which a message is moderate risk"},
	{"AUTH", "auth", K_BOOL, OFF(auth), "on", 0, 0, "require API keys (off: local use only)"},
	{"UI", "ui", K_BOOL, OFF(ui), "on", 0, 0, "serve the web page at / and its assets under /ui/"},
	{"CORS_ORIGINS", "cors-origins", K_STR, OFF(cors_origins), "", 0, 0,
	 "origins allowed to call from a browser, comma-separated"},
	{"RATE_LIMIT_RPM", "rate-limit-rpm", K_UINT, OFF(rate_limit_rpm), "600", 1, 1000000,
	 "requests per minute per API key (keys may set their own)"},
	{"RATE_LIMIT_STREAMS", "rate-limit-streams", K_UINT, OFF(rate_limit_streams), "20", 1, 1000000,
	 "open streams per API key (keys may set their own)"},
	{"LLM_MAX_CONCURRENT", "llm-max-concurrent", K_UINT, OFF(llm_max_concurrent), "4096", 1, 1000000,
	 "backend calls in flight for the whole process"},
	{"MAX_CONNECTIONS_PER_IP", "max-connections-per-ip", K_UINT, OFF(max_connections_per_ip), "0", 0, 1000000,
	 "open connections per client address (0: no limit)"},
	{"REQUEST_TIMEOUT_MS", "request-timeout-ms", K_UINT, OFF(request_timeout_ms), "60000", 1000, 3600000,
	 "a connection idle this long, or a request this slow to arrive, is closed"},
	{"MAX_HEADER_BYTES", "max-header-bytes", K_SIZE, OFF(max_header_bytes), "16384", 1024, 1048576,
	 "request line and headers at most (431 beyond)"},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

const char config_flags_help[] =
	"  --host ADDR            HOST, address to listen on (127.0.0.1)\n"
	"  --port N               PORT (8080; 0 picks a free port, logged at start)\n"
	"  --database-url URL     DATABASE_URL, libpq connection string or URI\n"
	"  --database-listen-url URL  DATABASE_LISTEN_URL, a session connection for LISTEN\n"
	"                         (default: the pool's first connection)\n"
	"  --db-pool-size N       DB_POOL_SIZE, database connections (4)\n"
	"  --db-timeout-ms N      DB_TIMEOUT_MS, longest wait for a query (5000)\n"
	"  --max-body-bytes N     MAX_BODY_BYTES, largest request body (65536)\n"
	"  --max-connections N    MAX_CONNECTIONS, open client connections (8192)\n"
	"  --shutdown-drain-ms N  SHUTDOWN_DRAIN_MS, time for in-flight requests on SIGTERM (10000)\n"
	"  --llm-base-url URL     LLM_BASE_URL (http://127.0.0.1:11434/v1)\n"
	"  --llm-api-key KEY      LLM_API_KEY\n"
	"  --llm-model NAME       LLM_MODEL (llama3.1:8b)\n"
	"  --llm-timeout-ms N     LLM_TIMEOUT_MS, longest backend call (120000)\n"
	"  --llm-connect-timeout-ms N  LLM_CONNECT_TIMEOUT_MS (5000)\n"
	"  --llm-temperature T    LLM_TEMPERATURE, 0 to 2 (0.7)\n"
	"  --llm-max-tokens N     LLM_MAX_TOKENS (1000)\n"
	"  --llm-max-context-chars N  LLM_MAX_CONTEXT_CHARS, prompt characters per reply (24000)\n"
	"  --llm-first-token-timeout-ms N, --llm-idle-timeout-ms N  stream timeouts (60000, 30000)\n"
	"  --llm-retries N, --llm-retry-base-ms N, --llm-retry-max-ms N, --llm-retry-budget N\n"
	"                         retries on connection errors, 429, 5xx (2, 250, 8000, 20 per 100 calls)\n"
	"  --llm-max-host-connections N  LLM_MAX_HOST_CONNECTIONS (1024)\n"
	"  --llm-fallback-urls URLS, --llm-fallback-models M, --llm-fallback-api-keys K\n"
	"                         further backends, comma-separated, tried in order\n"
	"  --sse-keepalive-ms N   SSE_KEEPALIVE_MS, comment on idle streams (15000)\n"
	"  --metrics-port N       METRICS_PORT, serve /metrics only on this port (unset: on PORT)\n"
	"  --metrics-host ADDR    METRICS_HOST, address of that listener (127.0.0.1)\n"
	"  --log-level LEVEL      LOG_LEVEL: debug, info, warn, error (info)\n"
	"  --migrations DIR       MIGRATIONS_DIR, migrations folder instead of the built-in set\n"
	"  --store-messages on|off  STORE_MESSAGES, keep message, reply and annotations (off)\n"
	"  --retention-days D     RETENTION_DAYS, erase stored records after D days (30; fractions allowed)\n"
	"  --purge-interval-ms N  PURGE_INTERVAL_MS, how often the purge runs (600000)\n"
	"  --auth on|off          AUTH, require API keys (on; off for local use only)\n"
	"  --ui on|off            UI, serve the web page at / and /ui/ (on)\n"
	"  --risk-model-check on|off  RISK_MODEL_CHECK, on: RISK_CLASSIFIER=chat-json (off)\n"
	"  --risk-text-model on|off  RISK_TEXT_MODEL, the text model of risk and replies (on)\n"
	"  --risk-low-floor P    RISK_LOW_FLOOR, the text model's check-in floor, 0 to 1 (0.25; 1: off)\n"
	"  --risk-role-play-at-low on|off  RISK_ROLE_PLAY_AT_LOW, the persona stays at low (off)\n"
	"  --risk-classifier KIND RISK_CLASSIFIER: auto, off, moderation, llama-guard, chat-json (auto)\n"
	"  --risk-classifier-timeout-ms N  RISK_CLASSIFIER_TIMEOUT_MS, longest wait for it (3000)\n"
	"  --risk-classifier-model NAME  RISK_CLASSIFIER_MODEL (llama-guard3; chat-json: LLM_MODEL)\n"
	"  --risk-classifier-llama-guard-format prompt|conversation  who writes Llama Guard's prompt (prompt)\n"
	"  --moderation-url URL, --moderation-api-key KEY, --moderation-model NAME\n"
	"                         MODERATION_URL, _API_KEY, _MODEL (omni-moderation-latest)\n"
	"  --moderation-intent-threshold S, --moderation-instructions-threshold S,\n"
	"  --moderation-self-harm-threshold S  scores 0 to 1 (0.5, 0.5, 0.5)\n"
	"  --cors-origins LIST    CORS_ORIGINS, browser origins allowed, comma-separated (none)\n"
	"  --rate-limit-rpm N     RATE_LIMIT_RPM, requests per minute per key (600)\n"
	"  --rate-limit-streams N RATE_LIMIT_STREAMS, open streams per key (20)\n"
	"  --llm-max-concurrent N LLM_MAX_CONCURRENT, backend calls in flight (4096)\n"
	"  --max-connections-per-ip N  MAX_CONNECTIONS_PER_IP (0: no limit)\n"
	"  --request-timeout-ms N REQUEST_TIMEOUT_MS, idle or slow connections closed (60000)\n"
	"  --max-header-bytes N   MAX_HEADER_BYTES, request line and headers (16384)\n";

static int invalid(const char *origin, const char *v, const char *expected)
{
	fprintf(stderr, "culturecare: invalid %s=\"%s\": expected %s\n", origin, v, expected);
	return -1;
}

/* A copy of v into *dst when v is one of choices (NULL-terminated). */
static int set_choice(char **dst, const char *v, const char *const *choices, const char *origin, const char *expected)
{
	for (int k = 0; choices[k]; k++) {
		if (strcmp(v, choices[k]) == 0) {
			free(*dst);
			*dst = strdup(v);
			return 0;
		}
	}
	return invalid(origin, v, expected);
}

/* v as a number into *dst when it is above lo (or lo itself with lo_in)
 * and at most hi. */
static int set_real(double *dst, const char *v, double lo, bool lo_in, double hi, const char *origin,
		    const char *expected)
{
	char *end;
	double d = strtod(v, &end);
	if (!*v || *end || !((lo_in ? d >= lo : d > lo) && d <= hi))
		return invalid(origin, v, expected);
	*dst = d;
	return 0;
}

static int set_bool(bool *dst, const char *v, const char *origin)
{
	static const char *const yes[] = {"on", "true", "1", "yes", NULL}, *const no[] = {"off", "false", "0", "no", NULL};
	for (int k = 0; yes[k]; k++) {
		if (strcmp(v, yes[k]) == 0 || strcmp(v, no[k]) == 0) {
			*dst = strcmp(v, yes[k]) == 0;
			return 0;
		}
	}
	return invalid(origin, v, "on or off");
}

/* K_UINT, K_SIZE and K_OPT_PORT (empty: -1). */
static int set_integer(char *dst, const struct setting *s, const char *v, const char *origin)
{
	unsigned long long u;
	if (s->kind == K_OPT_PORT && !*v) {
		*(int *)dst = -1;
		return 0;
	}
	if (config_parse_uint(v, s->min, s->max, &u) < 0) {
		fprintf(stderr, "culturecare: invalid %s=\"%s\": expected an integer from %llu to %llu\n",
			origin, v, s->min, s->max);
		return -1;
	}
	if (s->kind == K_UINT)
		*(unsigned *)dst = (unsigned)u;
	else if (s->kind == K_OPT_PORT)
		*(int *)dst = (int)u;
	else
		*(size_t *)dst = (size_t)u;
	return 0;
}

static int set_value(config *cfg, const struct setting *s, const char *v, int from_flag)
{
	static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
	static const char *const kinds[] = {"auto", "off", "moderation", "llama-guard", "chat-json", NULL};
	char origin[64];
	if (from_flag)
		snprintf(origin, sizeof origin, "flag --%s (%s)", s->flag, s->env);
	else
		snprintf(origin, sizeof origin, "environment variable %s", s->env);
	char *dst = (char *)cfg + s->offset;
	switch (s->kind) {
	case K_STR:
		free(*(char **)dst);
		*(char **)dst = v ? strdup(v) : NULL;
		return 0;
	case K_LEVEL:
		return set_choice((char **)dst, v, levels, origin, "debug, info, warn or error");
	case K_TEMP:
		return set_real((double *)dst, v, 0, true, 2, origin, "a number from 0 to 2");
	case K_BOOL:
		return set_bool((bool *)dst, v, origin);
	case K_CLASSIFIER:
		return set_choice((char **)dst, v, kinds, origin, "auto, off, moderation, llama-guard or chat-json");
	case K_SCORE:
		return set_real((double *)dst, v, 0, true, 1, origin, "a score from 0 to 1");
	case K_DAYS:
		return set_real((double *)dst, v, 0, false, 36500, origin,
				"a number of days above 0 (fractions allowed)");
	case K_UINT:
	case K_SIZE:
	case K_OPT_PORT:
		return set_integer(dst, s, v, origin);
	}
	return -1;
}

int config_from_env(config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &settings[i];
		const char *v = getenv(s->env);
		if (v && s->kind != K_STR && !*v)
			v = NULL; /* empty counts as unset for numbers */
		if (!v)
			v = s->def;
		if (!v && s->kind == K_OPT_PORT)
			*(int *)((char *)cfg + s->offset) = -1;
		if (!v)
			continue;
		if (set_value(cfg, s, v, 0) < 0)
			return -1;
	}
	if (cfg->llm_api_key && !*cfg->llm_api_key) {
		free(cfg->llm_api_key);
		cfg->llm_api_key = NULL;
	}
	if (cfg->moderation_api_key && !*cfg->moderation_api_key) {
		free(cfg->moderation_api_key);
		cfg->moderation_api_key = NULL;
	}
	if (!*cfg->host) {
		fprintf(stderr, "culturecare: invalid environment variable HOST: empty\n");
		return -1;
	}
	return 0;
}

int config_apply_flag(config *cfg, int argc, char **argv, int i)
{
	const char *a = argv[i];
	if (strncmp(a, "--", 2) != 0)
		return 0;
	a += 2;
	for (size_t k = 0; k < NSETTINGS; k++) {
		const struct setting *s = &settings[k];
		size_t n = strlen(s->flag);
		if (strncmp(a, s->flag, n) != 0)
			continue;
		if (a[n] == '=')
			return set_value(cfg, s, a + n + 1, 1) < 0 ? -1 : 1;
		if (a[n] == '\0') {
			if (i + 1 >= argc) {
				fprintf(stderr, "culturecare: flag --%s needs a value (%s)\n", s->flag, s->env);
				return -1;
			}
			return set_value(cfg, s, argv[i + 1], 1) < 0 ? -1 : 2;
		}
	}
	return 0;
}

void config_clear(config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NSETTINGS; i++)
		if (settings[i].kind == K_STR || settings[i].kind == K_LEVEL || settings[i].kind == K_CLASSIFIER) {
			char **p = (char **)((char *)cfg + settings[i].offset);
			free(*p);
			*p = NULL;
		}
}
