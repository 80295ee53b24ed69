/* culturecare: the command line. Subcommands serve, migrate, import, keys,
 * eval-annotator. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/support/annotator_eval.h"
#include "server/support/annotator_eval_llm.h"
#include "server/app.h"
#include "server/config.h"
#include "server/db.h"
#include "store/import.h"
#include "store/keys.h"
#include "store/migrate.h"

static const char usage_main[] =
	"usage: culturecare COMMAND [OPTIONS]\n"
	"\n"
	"Culturally sensitive emotional-support replies over HTTP.\n"
	"\n"
	"commands:\n"
	"  serve     run the HTTP service\n"
	"  migrate   apply missing database migrations\n"
	"  import    load CultureCare JSONL files into the database\n"
	"  keys      create, revoke and list API keys\n"
	"  eval-annotator  measure an annotator on CultureCare JSONL files\n"
	"\n"
	"Run `culturecare COMMAND --help` for a command's options.\n";

static const char usage_serve[] =
	"usage: culturecare serve [OPTIONS]\n"
	"\n"
	"Runs the HTTP service until SIGTERM or SIGINT, then stops accepting,\n"
	"lets requests in flight finish (at most SHUTDOWN_DRAIN_MS) and exits 0.\n"
	"Refuses to start when the database schema is older than this build.\n"
	"\n"
	"options (each also an environment variable):\n";

static const char usage_migrate[] =
	"usage: culturecare migrate [OPTIONS]\n"
	"\n"
	"Applies the migrations the database lacks, in order, each in its own\n"
	"transaction, under an advisory lock (safe to run twice or concurrently).\n"
	"Fails if an applied migration was edited since.\n"
	"\n"
	"options:\n";

static const char usage_import[] =
	"usage: culturecare import [OPTIONS] FILE...\n"
	"\n"
	"Loads CultureCare JSONL files. Each file is imported atomically: a bad\n"
	"line imports nothing of its file and the error names file, line and\n"
	"field. Importing the same file again changes nothing.\n"
	"\n"
	"options:\n";

static const char usage_keys[] =
	"usage: culturecare keys create --scope SCOPES [--name NAME] [--rpm N] [--streams N]\n"
	"       culturecare keys revoke ID|PREFIX\n"
	"       culturecare keys list\n"
	"\n"
	"create prints a new API key, alone on stdout; it is shown only then (the\n"
	"database keeps its SHA-256). SCOPES: support, annotate, admin, comma-\n"
	"separated (admin allows everything). --rpm and --streams set the key's\n"
	"own limits (default RATE_LIMIT_RPM, RATE_LIMIT_STREAMS). revoke refuses\n"
	"the key from then on; running services reload their keys at once.\n"
	"Clients send keys as `Authorization: Bearer KEY`.\n"
	"\n"
	"options:\n";

static const char usage_eval[] =
	"usage: culturecare eval-annotator [--folds K] [--annotator corpus|llm] [--split all|tune|test]\n"
	"                                  [OPTIONS] FILE...\n"
	"\n"
	"Measures an annotator on CultureCare JSONL files with K-fold splits by\n"
	"post within each culture (default 5): each post of the held-out fold is a\n"
	"message made of its annotated post phrases, the other posts are the\n"
	"corpus (in memory; no database). Prints, per culture and overall, signal\n"
	"precision, recall and F1 (spans overlap), type accuracy on the signals\n"
	"found, distress recall and precision, intensity accuracy and macro-F1 on\n"
	"the phrases found, and the baselines: exact lookup of the corpus's signal\n"
	"phrases, the majority type, the majority intensity. --annotator llm asks\n"
	"the configured backend (LLM_BASE_URL ...), one message at a time.\n"
	"--split: each culture's posts are cut by a fixed hash of their id into\n"
	"a tuning part (about 80 %) and a test part (about 20 %). tune: K folds\n"
	"over the tuning part alone (the test posts are nowhere); test: the test\n"
	"posts as messages against the tuning part as corpus, once; all (the\n"
	"default): K folds over every post.\n"
	"\n"
	"options:\n";

/* Takes --folds, --annotator and --split out of argv. */
static int take_eval_opts(int *argc, char **argv, unsigned *folds, const char **annotator, ae_split *split)
{
	int w = 1;
	for (int i = 1; i < *argc; i++) {
		const char *names[] = {"--folds", "--annotator", "--split"};
		bool taken = false;
		for (int n = 0; n < 3 && !taken; n++) {
			size_t l = strlen(names[n]);
			if (strncmp(argv[i], names[n], l) != 0 || (argv[i][l] != '=' && argv[i][l] != '\0'))
				continue;
			const char *v = argv[i][l] == '=' ? argv[i] + l + 1 : i + 1 < *argc ? argv[++i] : NULL;
			if (!v) {
				fprintf(stderr, "culturecare eval-annotator: %s needs a value\n", names[n]);
				return -1;
			}
			if (n == 0) {
				char *end;
				unsigned long k = strtoul(v, &end, 10);
				if (*end || k < 2 || k > 100) {
					fprintf(stderr, "culturecare eval-annotator: --folds: expected 2 to 100\n");
					return -1;
				}
				*folds = (unsigned)k;
			} else if (n == 2) {
				if (strcmp(v, "all") && strcmp(v, "tune") && strcmp(v, "test")) {
					fprintf(stderr, "culturecare eval-annotator: --split: expected all, tune or test\n");
					return -1;
				}
				*split = v[0] == 'a' ? AE_SPLIT_ALL : v[1] == 'u' ? AE_SPLIT_TUNE : AE_SPLIT_TEST;
			} else if (strcmp(v, "corpus") == 0 || strcmp(v, "llm") == 0) {
				*annotator = v;
			} else {
				fprintf(stderr, "culturecare eval-annotator: --annotator: expected corpus or llm\n");
				return -1;
			}
			taken = true;
		}
		if (!taken)
			argv[w++] = argv[i];
	}
	*argc = w;
	return 0;
}

static int cmd_eval(config *cfg, char **files, int nfiles, unsigned folds, const char *annotator, ae_split split)
{
	if (nfiles == 0) {
		fprintf(stderr, "culturecare eval-annotator: no FILE given (see --help)\n");
		return 2;
	}
	ae_dataset *d = ae_dataset_new();
	char err[512];
	for (int i = 0; d && i < nfiles; i++)
		if (ae_dataset_load(d, files[i], err, sizeof err) < 0) {
			fprintf(stderr, "culturecare eval-annotator: %s\n", err);
			ae_dataset_free(d);
			return 1;
		}
	ae_llm *llm = NULL;
	bool use_llm = strcmp(annotator, "llm") == 0;
	if (d && use_llm && !(llm = ae_llm_new(cfg))) {
		fprintf(stderr, "culturecare eval-annotator: no backend (set LLM_BASE_URL)\n");
		ae_dataset_free(d);
		return 1;
	}
	ae_report rep;
	int rc = d && ae_run(d, folds, split, use_llm ? ae_llm_annotator : ae_corpus_annotator, llm, &rep) == 0 ? 0 : 1;
	if (rc == 0) {
		ae_report_print(&rep, annotator, stdout);
		ae_report_clear(&rep);
	} else {
		fprintf(stderr, "culturecare eval-annotator: out of memory\n");
	}
	ae_llm_free(llm);
	ae_dataset_free(d);
	return rc;
}

/* Parses flags into cfg; collects positional arguments. Returns 1 when
 * help was printed, -1 on error, 0 otherwise. */
static int parse_args(config *cfg, int argc, char **argv, const char *usage, char ***pos, int *npos)
{
	if (pos) {
		*pos = calloc((size_t)argc, sizeof **pos);
		*npos = 0;
	}
	for (int i = 2; i < argc;) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			fputs(config_flags_help, stdout);
			return 1;
		}
		int n = config_apply_flag(cfg, argc, argv, i);
		if (n < 0)
			return -1;
		if (n > 0) {
			i += n;
			continue;
		}
		if (argv[i][0] == '-' || !pos) {
			fprintf(stderr, "culturecare: unknown option or argument %s (see --help)\n", argv[i]);
			return -1;
		}
		(*pos)[(*npos)++] = argv[i++];
	}
	return 0;
}

/* A blocking connection for the command cmd, or NULL with the reason on
 * stderr. */
static PGconn *connect_db(const config *cfg, const char *cmd)
{
	char err[512];
	PGconn *pg = db_connect_blocking(cfg->database_url, 10, err, sizeof err);
	if (!pg)
		fprintf(stderr, "culturecare %s: cannot connect to the database: %s\n", cmd, err);
	return pg;
}

/* The migrations the code carries (into set) and a blocking connection,
 * for a command that changes or reads the schema; NULL with the reason on
 * stderr (set is then freed). */
static PGconn *connect_schema(const config *cfg, const char *cmd, migration_set *set)
{
	char err[512];
	if (migrations_load(cfg->migrations_dir, set, err, sizeof err) < 0) {
		fprintf(stderr, "culturecare %s: %s\n", cmd, err);
		return NULL;
	}
	PGconn *pg = connect_db(cfg, cmd);
	if (!pg)
		migrations_free(set);
	return pg;
}

static int cmd_migrate(config *cfg)
{
	migration_set set;
	PGconn *pg = connect_schema(cfg, "migrate", &set);
	if (!pg)
		return 1;
	int rc = migrate_run(pg, &set, stdout) == 0 ? 0 : 1;
	PQfinish(pg);
	migrations_free(&set);
	return rc;
}

static int cmd_import(config *cfg, char **files, int nfiles)
{
	if (nfiles == 0) {
		fprintf(stderr, "culturecare import: no FILE given (see --help)\n");
		return 2;
	}
	migration_set set;
	PGconn *pg = connect_schema(cfg, "import", &set);
	if (!pg)
		return 1;
	char err[512];
	int st = schema_check(pg, &set, err, sizeof err);
	migrations_free(&set);
	if (st != SCHEMA_CURRENT && st != SCHEMA_NEWER) {
		fprintf(stderr, "culturecare import: %s\n", err);
		PQfinish(pg);
		return 1;
	}
	int failed = 0;
	for (int i = 0; i < nfiles; i++) {
		import_counts c;
		if (import_file(pg, files[i], &c) < 0) {
			failed++;
			continue;
		}
		printf("%s: %zu posts (%zu new, %zu replaced, %zu unchanged), %zu distress phrases, "
		       "%zu post-side signals, %zu response-side signals, %zu support phrases\n",
		       files[i], c.posts, c.inserted, c.replaced, c.unchanged, c.distress, c.post_signals,
		       c.response_signals, c.support);
	}
	PQfinish(pg);
	return failed ? 1 : 0;
}

/* Takes --scope, --name, --rpm, --streams out of argv (they are not config
 * flags); returns -1 on a bad value. */
struct keys_opts {
	const char *scope, *name;
	unsigned rpm, streams;
};
static int take_keys_opts(int *argc, char **argv, struct keys_opts *o)
{
	static const char *const names[] = {"--scope", "--name", "--rpm", "--streams"};
	int w = 2;
	for (int i = 2; i < *argc; i++) {
		int k = -1;
		const char *v = NULL;
		for (int n = 0; n < 4 && k < 0; n++) {
			size_t l = strlen(names[n]);
			if (strncmp(argv[i], names[n], l) == 0 && (argv[i][l] == '=' || argv[i][l] == '\0')) {
				k = n;
				v = argv[i][l] == '=' ? argv[i] + l + 1 : i + 1 < *argc ? argv[++i] : NULL;
			}
		}
		if (k < 0) {
			argv[w++] = argv[i];
			continue;
		}
		unsigned long long u = 0;
		if (!v || (k >= 2 && config_parse_uint(v, 1, 1000000, &u) < 0)) {
			fprintf(stderr, "culturecare keys: %s needs %s\n", names[k], k >= 2 ? "a number from 1 to 1000000" : "a value");
			return -1;
		}
		if (k == 0)
			o->scope = v;
		else if (k == 1)
			o->name = v;
		else if (k == 2)
			o->rpm = (unsigned)u;
		else
			o->streams = (unsigned)u;
	}
	*argc = w;
	return 0;
}

static int cmd_keys(config *cfg, char **args, int nargs, const struct keys_opts *o)
{
	const char *sub = nargs > 0 ? args[0] : "";
	bool create = strcmp(sub, "create") == 0, revoke = strcmp(sub, "revoke") == 0, list = strcmp(sub, "list") == 0;
	if (!(create && nargs == 1) && !(revoke && nargs == 2) && !(list && nargs == 1)) {
		fputs(usage_keys, stderr);
		return 2;
	}
	PGconn *pg = connect_db(cfg, "keys");
	if (!pg)
		return 1;
	int rc = create ? keys_create(pg, o->name, o->scope, o->rpm, o->streams) : revoke ? keys_revoke(pg, args[1]) : keys_list(pg);
	PQfinish(pg);
	return rc;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_main, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1];
	const char *usage = strcmp(cmd, "serve") == 0     ? usage_serve
			    : strcmp(cmd, "migrate") == 0 ? usage_migrate
			    : strcmp(cmd, "import") == 0  ? usage_import
			    : strcmp(cmd, "keys") == 0	  ? usage_keys
			    : strcmp(cmd, "eval-annotator") == 0 ? usage_eval
							  : NULL;
	if (!usage) {
		fprintf(stderr, "culturecare: unknown command %s\n\n%s", cmd, usage_main);
		return 2;
	}
	config cfg;
	if (config_from_env(&cfg) < 0) {
		config_clear(&cfg);
		return 2;
	}
	char **pos = NULL;
	int npos = 0;
	int rc;
	struct keys_opts ko = {0};
	bool keys = strcmp(cmd, "keys") == 0, eval = strcmp(cmd, "eval-annotator") == 0;
	unsigned folds = 5;
	const char *annotator = "corpus";
	ae_split split = AE_SPLIT_ALL;
	int pr = (keys && take_keys_opts(&argc, argv, &ko) < 0) ||
			 (eval && take_eval_opts(&argc, argv, &folds, &annotator, &split) < 0)
			 ? -1
			 : parse_args(&cfg, argc, argv, usage, strcmp(cmd, "import") == 0 || keys || eval ? &pos : NULL, &npos);
	if (pr != 0)
		rc = pr > 0 ? 0 : 2;
	else if (eval)
		rc = cmd_eval(&cfg, pos, npos, folds, annotator, split);
	else if (keys)
		rc = cmd_keys(&cfg, pos, npos, &ko);
	else if (strcmp(cmd, "serve") == 0)
		rc = serve_run(&cfg);
	else if (strcmp(cmd, "migrate") == 0)
		rc = cmd_migrate(&cfg);
	else
		rc = cmd_import(&cfg, pos, npos);
	free(pos);
	config_clear(&cfg);
	return rc;
}
