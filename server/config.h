/* Configuration: environment variables with defaults, overridable by flags.
 * A bad value stops start-up with one line naming the variable. */
#ifndef CC_CONFIG_H
#define CC_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

typedef struct config {
	char *host;            /* HOST */
	unsigned port;         /* PORT */
	char *database_url;    /* DATABASE_URL (libpq conninfo or URI; "" = libpq defaults) */
	char *database_listen_url; /* DATABASE_LISTEN_URL: a session connection for LISTEN ("" = the pool's first) */
	unsigned db_pool_size; /* DB_POOL_SIZE */
	unsigned db_timeout_ms; /* DB_TIMEOUT_MS: longest wait for a query, queue included */
	size_t max_body_bytes; /* MAX_BODY_BYTES */
	unsigned max_connections; /* MAX_CONNECTIONS */
	unsigned drain_ms;     /* SHUTDOWN_DRAIN_MS */
	char *llm_base_url;    /* LLM_BASE_URL */
	char *llm_api_key;     /* LLM_API_KEY (may be NULL) */
	char *llm_model;       /* LLM_MODEL */
	unsigned llm_timeout_ms;         /* LLM_TIMEOUT_MS: whole backend call */
	unsigned llm_connect_timeout_ms; /* LLM_CONNECT_TIMEOUT_MS */
	double llm_temperature;          /* LLM_TEMPERATURE */
	unsigned llm_max_tokens;         /* LLM_MAX_TOKENS */
	unsigned llm_max_context_chars;  /* LLM_MAX_CONTEXT_CHARS: prompt characters; older turns left out */
	unsigned llm_first_token_timeout_ms; /* LLM_FIRST_TOKEN_TIMEOUT_MS (streams) */
	unsigned llm_idle_timeout_ms;     /* LLM_IDLE_TIMEOUT_MS: between stream pieces */
	unsigned llm_retries;             /* LLM_RETRIES: per backend, before falling over */
	unsigned llm_retry_base_ms;       /* LLM_RETRY_BASE_MS */
	unsigned llm_retry_max_ms;        /* LLM_RETRY_MAX_MS */
	unsigned llm_retry_budget;        /* LLM_RETRY_BUDGET: retries per 100 calls */
	unsigned llm_max_host_connections; /* LLM_MAX_HOST_CONNECTIONS */
	char *llm_fallback_urls;          /* LLM_FALLBACK_URLS: comma-separated */
	char *llm_fallback_models;        /* LLM_FALLBACK_MODELS */
	char *llm_fallback_api_keys;      /* LLM_FALLBACK_API_KEYS */
	unsigned sse_keepalive_ms;        /* SSE_KEEPALIVE_MS */
	char *metrics_host;    /* METRICS_HOST */
	int metrics_port;      /* METRICS_PORT: -1 (unset) = /metrics on PORT */
	char *log_level;       /* LOG_LEVEL: debug, info, warn, error */
	char *migrations_dir;  /* MIGRATIONS_DIR: read migrations from here instead of the embedded set */
	bool store_messages;   /* STORE_MESSAGES: keep message, reply and annotations */
	double retention_days; /* RETENTION_DAYS: stored records older than this are erased */
	unsigned purge_interval_ms; /* PURGE_INTERVAL_MS: how often the purge runs */
	bool auth;             /* AUTH: API keys required (off only for local use) */
	bool ui;               /* UI: serve the web page at / and its assets under /ui/ */
	bool risk_model_check; /* RISK_MODEL_CHECK: on = RISK_CLASSIFIER=chat-json (an older name) */
	bool risk_text_model;  /* RISK_TEXT_MODEL: the statistical text model of risk and replies (on) */
	double risk_low_floor; /* RISK_LOW_FLOOR: the text model's low floor, a check-in (1: off) */
	bool risk_role_play_at_low; /* RISK_ROLE_PLAY_AT_LOW: the persona stays at low (off) */
	char *risk_classifier; /* RISK_CLASSIFIER: auto, off, moderation, llama-guard, chat-json */
	unsigned risk_classifier_timeout_ms; /* RISK_CLASSIFIER_TIMEOUT_MS */
	char *risk_classifier_model; /* RISK_CLASSIFIER_MODEL: llama-guard and chat-json ("" = their default) */
	char *llama_guard_format;    /* RISK_CLASSIFIER_LLAMA_GUARD_FORMAT: prompt, conversation */
	char *moderation_url;        /* MODERATION_URL: base of an OpenAI-compatible moderation API */
	char *moderation_api_key;    /* MODERATION_API_KEY (may be NULL) */
	char *moderation_model;      /* MODERATION_MODEL */
	char *judge_base_url;        /* JUDGE_BASE_URL: the judge's backend ("" = LLM_BASE_URL) */
	char *judge_model;           /* JUDGE_MODEL ("" = LLM_MODEL) */
	char *judge_api_key;         /* JUDGE_API_KEY ("" = none, or LLM_API_KEY with the default backend) */
	double moderation_intent_threshold;       /* self-harm/intent score: high */
	double moderation_instructions_threshold; /* self-harm/instructions score: high */
	double moderation_self_harm_threshold;    /* self-harm score: moderate */
	char *cors_origins;    /* CORS_ORIGINS: comma-separated allow-list ("" = no CORS) */
	unsigned rate_limit_rpm;     /* RATE_LIMIT_RPM: requests per minute per key (default for keys without one) */
	unsigned rate_limit_streams; /* RATE_LIMIT_STREAMS: open streams per key (likewise) */
	unsigned llm_max_concurrent; /* LLM_MAX_CONCURRENT: backend calls in flight, whole process */
	unsigned max_connections_per_ip; /* MAX_CONNECTIONS_PER_IP (0 = no limit) */
	unsigned request_timeout_ms;     /* REQUEST_TIMEOUT_MS: idle connection / slow request limit */
	size_t max_header_bytes;         /* MAX_HEADER_BYTES: request line and headers */
} config;

/* Fills cfg from the environment. On error writes one line to stderr naming
 * the variable and returns -1. */
int config_from_env(config *cfg);

/* Applies one "--name=value" or "--name value" flag. Returns the number of
 * argv entries consumed (1 or 2), 0 if the flag is not a config flag, or -1
 * after printing an error. */
int config_apply_flag(config *cfg, int argc, char **argv, int i);

/* Help text for the config flags. */
extern const char config_flags_help[];

void config_clear(config *cfg);

/* Parses an unsigned decimal within [min, max]; returns -1 when invalid. */
int config_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out);

#endif
