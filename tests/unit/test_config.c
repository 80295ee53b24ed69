/* Unit tests for server/config.c: environment, defaults, flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/config.h"
#include "server/safety/text_model.h"
#include "tests/unit/check.h"

static const char *const vars[] = {
	"HOST", "PORT", "DATABASE_URL", "DB_POOL_SIZE", "DB_TIMEOUT_MS", "MAX_BODY_BYTES",
	"MAX_CONNECTIONS", "SHUTDOWN_DRAIN_MS", "LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL",
	"LOG_LEVEL", "MIGRATIONS_DIR", "METRICS_PORT", "METRICS_HOST", "RISK_LOW_FLOOR",
	"RISK_ROLE_PLAY_AT_LOW",
};

static void clean_env(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

/* stderr of the last captured call */
static char captured[4096];
static int saved_fd = -1;
static FILE *capture_file;

static void capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	saved_fd = dup(STDERR_FILENO);
	if (capture_file && saved_fd >= 0)
		dup2(fileno(capture_file), STDERR_FILENO);
}

static void capture_end(void)
{
	fflush(stderr);
	captured[0] = '\0';
	if (saved_fd >= 0) {
		dup2(saved_fd, STDERR_FILENO);
		close(saved_fd);
		saved_fd = -1;
	}
	if (capture_file) {
		rewind(capture_file);
		size_t n = fread(captured, 1, sizeof captured - 1, capture_file);
		captured[n] = '\0';
		fclose(capture_file);
		capture_file = NULL;
	}
}

/* config_from_env with only NAME=VALUE set; returns its result and leaves
 * its stderr in `captured`. */
static int from_env_with(const char *name, const char *value, config *cfg)
{
	clean_env();
	setenv(name, value, 1);
	capture_begin();
	int rc = config_from_env(cfg);
	capture_end();
	return rc;
}

static void test_defaults(void)
{
	config cfg;
	clean_env();
	if (!CHECK_INT_EQ(config_from_env(&cfg), 0))
		return;
	CHECK_STR_EQ(cfg.host, "127.0.0.1");
	CHECK_INT_EQ(cfg.port, 8080);
	CHECK_STR_EQ(cfg.database_url, "");
	CHECK_INT_EQ(cfg.db_pool_size, 4);
	CHECK_INT_EQ(cfg.db_timeout_ms, 5000);
	CHECK_INT_EQ(cfg.max_body_bytes, 65536);
	CHECK_INT_EQ(cfg.max_connections, 8192);
	CHECK_INT_EQ(cfg.drain_ms, 10000);
	CHECK_STR_EQ(cfg.llm_base_url, "http://127.0.0.1:11434/v1");
	CHECK(cfg.llm_api_key == NULL);
	CHECK_STR_EQ(cfg.llm_model, "llama3.1:8b");
	CHECK_STR_EQ(cfg.log_level, "info");
	CHECK_INT_EQ(cfg.metrics_port, -1); /* unset: /metrics on PORT */
	CHECK_STR_EQ(cfg.metrics_host, "127.0.0.1");
	CHECK(cfg.migrations_dir == NULL);
	CHECK(cfg.risk_low_floor == TEXT_MODEL_LOW_MIN); /* the floor chosen by cross-validation */
	CHECK(!cfg.risk_role_play_at_low); /* no persona from low up */
	config_clear(&cfg);
	CHECK(cfg.host == NULL && cfg.llm_base_url == NULL && cfg.log_level == NULL);
	config_clear(&cfg); /* twice is harmless */
	config_clear(NULL);
}

static void test_env_values(void)
{
	config cfg;
	clean_env();
	setenv("HOST", "0.0.0.0", 1);
	setenv("PORT", "0", 1);
	setenv("DB_POOL_SIZE", "256", 1);
	setenv("MAX_BODY_BYTES", "67108864", 1);
	setenv("LLM_API_KEY", "sk-test", 1);
	setenv("LOG_LEVEL", "debug", 1);
	setenv("MIGRATIONS_DIR", "/tmp/m", 1);
	if (CHECK_INT_EQ(config_from_env(&cfg), 0)) {
		CHECK_STR_EQ(cfg.host, "0.0.0.0");
		CHECK_INT_EQ(cfg.port, 0);
		CHECK_INT_EQ(cfg.db_pool_size, 256);
		CHECK_INT_EQ(cfg.max_body_bytes, 67108864);
		CHECK_STR_EQ(cfg.llm_api_key, "sk-test");
		CHECK_STR_EQ(cfg.log_level, "debug");
		CHECK_STR_EQ(cfg.migrations_dir, "/tmp/m");
	}
	config_clear(&cfg);

	/* empty numbers count as unset; an empty API key means none */
	clean_env();
	setenv("PORT", "", 1);
	setenv("LLM_API_KEY", "", 1);
	if (CHECK_INT_EQ(config_from_env(&cfg), 0)) {
		CHECK_INT_EQ(cfg.port, 8080);
		CHECK(cfg.llm_api_key == NULL);
	}
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("PORT", "65535", &cfg), 0);
	CHECK_INT_EQ(cfg.port, 65535);
	config_clear(&cfg);
}

static void test_env_errors(void)
{
	config cfg;
	CHECK_INT_EQ(from_env_with("PORT", "abc", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "PORT");
	CHECK_STR_CONTAINS(captured, "abc");
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("PORT", "70000", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "PORT");
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("PORT", "-1", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "PORT");
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("DB_POOL_SIZE", "0", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "DB_POOL_SIZE");
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("MAX_BODY_BYTES", "67108865", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "MAX_BODY_BYTES");
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("LOG_LEVEL", "loud", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "LOG_LEVEL");
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("HOST", "", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "HOST");
	config_clear(&cfg);

	CHECK_INT_EQ(from_env_with("RISK_LOW_FLOOR", "1.5", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "RISK_LOW_FLOOR");
	config_clear(&cfg);
	CHECK_INT_EQ(from_env_with("RISK_LOW_FLOOR", "1", &cfg), 0);
	CHECK(cfg.risk_low_floor == 1);
	config_clear(&cfg);
	CHECK_INT_EQ(from_env_with("RISK_ROLE_PLAY_AT_LOW", "on", &cfg), 0);
	CHECK(cfg.risk_role_play_at_low);
	config_clear(&cfg);
	CHECK_INT_EQ(from_env_with("RISK_ROLE_PLAY_AT_LOW", "maybe", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "RISK_ROLE_PLAY_AT_LOW");
	config_clear(&cfg);

	/* one line only */
	CHECK_INT_EQ(from_env_with("DB_TIMEOUT_MS", "5", &cfg), -1);
	CHECK_STR_CONTAINS(captured, "DB_TIMEOUT_MS");
	char *nl = strchr(captured, '\n');
	CHECK(nl != NULL && nl[1] == '\0');
	config_clear(&cfg);
	clean_env();
}

static int apply(config *cfg, int argc, char **argv, int i)
{
	capture_begin();
	int rc = config_apply_flag(cfg, argc, argv, i);
	capture_end();
	return rc;
}

static void test_flags(void)
{
	config cfg;
	clean_env();
	if (!CHECK_INT_EQ(config_from_env(&cfg), 0))
		return;

	char *a1[] = {"culturecare", "--port=9000"};
	CHECK_INT_EQ(apply(&cfg, 2, a1, 1), 1);
	CHECK_INT_EQ(cfg.port, 9000);

	char *a2[] = {"culturecare", "--port", "9001", "serve"};
	CHECK_INT_EQ(apply(&cfg, 4, a2, 1), 2);
	CHECK_INT_EQ(cfg.port, 9001);

	/* METRICS_PORT: 0 is a port (any free one), empty is unset again */
	char *am[] = {"culturecare", "--metrics-port=0"};
	CHECK_INT_EQ(apply(&cfg, 2, am, 1), 1);
	CHECK_INT_EQ(cfg.metrics_port, 0);
	char *am2[] = {"culturecare", "--metrics-port="};
	CHECK_INT_EQ(apply(&cfg, 2, am2, 1), 1);
	CHECK_INT_EQ(cfg.metrics_port, -1);
	char *am3[] = {"culturecare", "--metrics-port=65536"};
	CHECK_INT_EQ(apply(&cfg, 2, am3, 1), -1);

	char *a3[] = {"culturecare", "--nope"};
	CHECK_INT_EQ(apply(&cfg, 2, a3, 1), 0);
	char *a3b[] = {"culturecare", "--nope=1"};
	CHECK_INT_EQ(apply(&cfg, 2, a3b, 1), 0);
	char *a3c[] = {"culturecare", "serve"};
	CHECK_INT_EQ(apply(&cfg, 2, a3c, 1), 0);
	char *a3d[] = {"culturecare", "--portx=1"};
	CHECK_INT_EQ(apply(&cfg, 2, a3d, 1), 0);
	CHECK_INT_EQ(cfg.port, 9001);

	char *a4[] = {"culturecare", "--port"};
	CHECK_INT_EQ(apply(&cfg, 2, a4, 1), -1);
	CHECK_STR_CONTAINS(captured, "--port");
	CHECK_INT_EQ(cfg.port, 9001);

	char *a5[] = {"culturecare", "--port=abc"};
	CHECK_INT_EQ(apply(&cfg, 2, a5, 1), -1);
	CHECK_STR_CONTAINS(captured, "port");
	char *a6[] = {"culturecare", "--port="};
	CHECK_INT_EQ(apply(&cfg, 2, a6, 1), -1);
	char *a7[] = {"culturecare", "--port", "70000"};
	CHECK_INT_EQ(apply(&cfg, 3, a7, 1), -1);
	CHECK_INT_EQ(cfg.port, 9001);

	char *a8[] = {"culturecare", "--host=0.0.0.0", "--llm-model", "m1", "--log-level=warn",
		      "--db-pool-size=8", "--max-body-bytes", "1024"};
	CHECK_INT_EQ(apply(&cfg, 8, a8, 1), 1);
	CHECK_INT_EQ(apply(&cfg, 8, a8, 2), 2);
	CHECK_INT_EQ(apply(&cfg, 8, a8, 4), 1);
	CHECK_INT_EQ(apply(&cfg, 8, a8, 5), 1);
	CHECK_INT_EQ(apply(&cfg, 8, a8, 6), 2);
	CHECK_STR_EQ(cfg.host, "0.0.0.0");
	CHECK_STR_EQ(cfg.llm_model, "m1");
	CHECK_STR_EQ(cfg.log_level, "warn");
	CHECK_INT_EQ(cfg.db_pool_size, 8);
	CHECK_INT_EQ(cfg.max_body_bytes, 1024);

	char *a9[] = {"culturecare", "--log-level=verbose"};
	CHECK_INT_EQ(apply(&cfg, 2, a9, 1), -1);
	CHECK_STR_EQ(cfg.log_level, "warn");

	config_clear(&cfg);
}

int main(void)
{
	test_defaults();
	test_env_values();
	test_env_errors();
	test_flags();
	return check_done();
}
