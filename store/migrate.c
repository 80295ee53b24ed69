/* Migrations: loading, comparing with the database, applying. */
#include "store/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/embedded.h"
#include "server/sha256.h"
#include "server/util.h"

/* Any constant: the lock that serialises concurrent `migrate` runs. */
#define MIGRATE_LOCK_KEY 7271190301LL

static int parse_version(const char *name)
{
	int v = 0, digits = 0;
	for (; name[digits] >= '0' && name[digits] <= '9'; digits++) {
		if (v > 100000)
			return -1;
		v = v * 10 + (name[digits] - '0');
	}
	if (digits == 0 || name[digits] != '_' || v <= 0)
		return -1;
	size_t len = strlen(name);
	if (len < 5 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	return v;
}

static int cmp_migration(const void *a, const void *b)
{
	const migration *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static int add(migration_set *s, const char *name, char *sql, size_t len, char *err, size_t errlen)
{
	int v = parse_version(name);
	if (v < 0) {
		snprintf(err, errlen, "migration file name %s is not NNNN_name.sql", name);
		free(sql);
		return -1;
	}
	migration *items = realloc(s->items, (s->n + 1) * sizeof *items);
	if (!items) {
		free(sql);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->items = items;
	migration *m = &s->items[s->n++];
	m->version = v;
	m->name = strdup(name);
	m->sql = sql;
	sha256_hex(sql, len, m->sha256);
	return m->name ? 0 : -1;
}

int migrations_load(const char *dir, migration_set *out, char *err, size_t errlen)
{
	out->items = NULL;
	out->n = 0;
	if (!dir) {
		for (const struct embedded_file *f = embedded_migrations; f->name; f++) {
			char *sql = malloc(f->len + 1);
			if (!sql) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			memcpy(sql, f->data, f->len + 1);
			if (add(out, f->name, sql, f->len, err, errlen) < 0)
				goto fail;
		}
	} else {
		DIR *d = opendir(dir);
		if (!d) {
			snprintf(err, errlen, "cannot open migrations folder %s: %s", dir, strerror(errno));
			return -1;
		}
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".sql") != 0)
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			size_t len;
			char *sql = read_file(path, &len);
			if (!sql) {
				snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
				closedir(d);
				goto fail;
			}
			if (add(out, e->d_name, sql, len, err, errlen) < 0) {
				closedir(d);
				goto fail;
			}
		}
		closedir(d);
	}
	qsort(out->items, out->n, sizeof *out->items, cmp_migration);
	for (size_t i = 0; i < out->n; i++) {
		if (out->items[i].version != (int)i + 1) {
			snprintf(err, errlen, "migrations must be numbered 1, 2, 3... without gaps or repeats; %s breaks the sequence",
				 out->items[i].name);
			goto fail;
		}
	}
	return 0;
fail:
	migrations_free(out);
	return -1;
}

void migrations_free(migration_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->items[i].name);
		free(set->items[i].sql);
	}
	free(set->items);
	set->items = NULL;
	set->n = 0;
}

schema_state schema_compare(const migration_set *set, size_t n, const int *versions,
			    const char *const *checksums, char *detail, size_t detail_len)
{
	for (size_t i = 0; i < n; i++) {
		int v = versions[i];
		if (v < 1 || (size_t)v > set->n) {
			snprintf(detail, detail_len, "the database has migration %d, which this build does not know", v);
			return SCHEMA_NEWER;
		}
		const migration *m = &set->items[v - 1];
		if (strcmp(m->sha256, checksums[i]) != 0) {
			snprintf(detail, detail_len,
				 "migration %s was edited after it was applied (checksum differs); restore it and add a new migration instead",
				 m->name);
			return SCHEMA_EDITED;
		}
	}
	for (size_t k = 0; k < set->n; k++) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = versions[i] == set->items[k].version;
		if (!found) {
			snprintf(detail, detail_len,
				 "the database schema is older than this build (migration %s not applied); run `culturecare migrate`",
				 set->items[k].name);
			return SCHEMA_OUTDATED;
		}
	}
	snprintf(detail, detail_len, "schema current at version %zu", set->n);
	return SCHEMA_CURRENT;
}

schema_state schema_compare_result(const migration_set *set, const PGresult *res,
				   char *detail, size_t detail_len)
{
	size_t n = res ? (size_t)PQntuples(res) : 0;
	int *versions = calloc(n + 1, sizeof *versions);
	const char **sums = calloc(n + 1, sizeof *sums);
	schema_state st = SCHEMA_OUTDATED;
	if (versions && sums) {
		for (size_t i = 0; i < n; i++) {
			versions[i] = atoi(PQgetvalue(res, (int)i, 0));
			sums[i] = PQgetvalue(res, (int)i, 1);
		}
		st = schema_compare(set, n, versions, sums, detail, detail_len);
	} else {
		snprintf(detail, detail_len, "out of memory");
	}
	free(versions);
	free(sums);
	return st;
}

static const char create_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now());"
	"COMMENT ON TABLE schema_migrations IS 'Migrations applied by culturecare migrate, one row each.';"
	"COMMENT ON COLUMN schema_migrations.version IS 'Leading number of the migration file.';"
	"COMMENT ON COLUMN schema_migrations.name IS 'File name of the migration.';"
	"COMMENT ON COLUMN schema_migrations.checksum IS 'SHA-256 (hex) of the file as applied; a later edit is detected by comparing.';"
	"COMMENT ON COLUMN schema_migrations.applied_at IS 'When the migration was applied.';";

static const char select_applied_sql[] =
	"SELECT version, checksum FROM schema_migrations ORDER BY version";

static int exec_ok(PGconn *pg, const char *sql, const char *what)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "culturecare migrate: %s: %s", what, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Applies m and records it, in one transaction. 0, or -1 after a message. */
static int apply_one(PGconn *pg, const migration *m)
{
	if (exec_ok(pg, "BEGIN", "begin") < 0)
		return -1;
	PGresult *x = PQexec(pg, m->sql);
	ExecStatusType xs = PQresultStatus(x);
	if (xs != PGRES_COMMAND_OK && xs != PGRES_TUPLES_OK) {
		fprintf(stderr, "culturecare migrate: %s failed, nothing of it applied: %s", m->name,
			PQresultErrorMessage(x));
		PQclear(x);
		exec_ok(pg, "ROLLBACK", "rollback");
		return -1;
	}
	PQclear(x);
	char version[16];
	snprintf(version, sizeof version, "%d", m->version);
	const char *params[3] = {version, m->name, m->sha256};
	x = PQexecParams(pg, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
			 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(x) != PGRES_COMMAND_OK) {
		fprintf(stderr, "culturecare migrate: recording %s: %s", m->name, PQresultErrorMessage(x));
		PQclear(x);
		exec_ok(pg, "ROLLBACK", "rollback");
		return -1;
	}
	PQclear(x);
	return exec_ok(pg, "COMMIT", "commit");
}

int migrate_run(PGconn *pg, const migration_set *set, FILE *out)
{
	char lock[128];
	snprintf(lock, sizeof lock, "SELECT pg_advisory_lock(%lld)", MIGRATE_LOCK_KEY);
	if (exec_ok(pg, "SET client_min_messages = warning", "set up") < 0 ||
	    exec_ok(pg, lock, "taking the migration lock") < 0)
		return -1;
	int rc = -1;
	if (exec_ok(pg, create_table_sql, "creating schema_migrations") < 0)
		goto unlock;
	PGresult *r = PQexec(pg, select_applied_sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "culturecare migrate: reading schema_migrations: %s", PQresultErrorMessage(r));
		PQclear(r);
		goto unlock;
	}
	char detail[512];
	schema_state st = schema_compare_result(set, r, detail, sizeof detail);
	size_t applied = (size_t)PQntuples(r);
	int *have = calloc(set->n + 1, sizeof *have);
	for (size_t i = 0; have && i < applied; i++) {
		int v = atoi(PQgetvalue(r, (int)i, 0));
		if (v >= 1 && (size_t)v <= set->n)
			have[v - 1] = 1;
	}
	PQclear(r);
	if (!have) {
		fprintf(stderr, "culturecare migrate: out of memory\n");
		goto unlock;
	}
	if (st == SCHEMA_EDITED || st == SCHEMA_NEWER) {
		fprintf(stderr, "culturecare migrate: %s\n", detail);
		free(have);
		goto unlock;
	}
	unsigned done = 0;
	for (size_t i = 0; i < set->n; i++) {
		const migration *m = &set->items[i];
		if (have[i])
			continue;
		if (apply_one(pg, m) < 0) {
			free(have);
			goto unlock;
		}
		fprintf(out, "applied %s\n", m->name);
		done++;
	}
	free(have);
	fprintf(out, "schema at version %zu (%u applied now)\n", set->n, done);
	rc = 0;
unlock:
	snprintf(lock, sizeof lock, "SELECT pg_advisory_unlock(%lld)", MIGRATE_LOCK_KEY);
	PQclear(PQexec(pg, lock));
	return rc;
}

int schema_check(PGconn *pg, const migration_set *set, char *detail, size_t detail_len)
{
	PGresult *r = PQexec(pg, select_applied_sql);
	ExecStatusType st = PQresultStatus(r);
	int out;
	if (st == PGRES_TUPLES_OK) {
		out = (int)schema_compare_result(set, r, detail, detail_len);
	} else {
		const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (code && strcmp(code, "42P01") == 0) { /* undefined_table: never migrated */
			out = (int)schema_compare_result(set, NULL, detail, detail_len);
		} else {
			snprintf(detail, detail_len, "cannot read the schema version: %s", PQerrorMessage(pg));
			detail[strcspn(detail, "\n")] = '\0';
			out = -1;
		}
	}
	PQclear(r);
	return out;
}
