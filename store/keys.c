/* API keys on the command line: create (the key is printed once, only its
 * SHA-256 is stored), revoke, list. Each change notifies running services
 * (NOTIFY culturecare, 'keys') so they reload their keys at once. */
#include "store/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/sha256.h"
#include "server/util.h"

static const char *const scope_names[] = {"support", "annotate", "admin", NULL};

/* Checks a comma-separated scope list and writes it as a PostgreSQL array
 * literal ({support,annotate}). */
static int scopes_literal(const char *list, char *out, size_t outlen)
{
	size_t o = 0;
	out[o++] = '{';
	const char *p = list;
	int n = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool known = false;
		for (int i = 0; scope_names[i]; i++)
			known = known || (strlen(scope_names[i]) == len && strncmp(scope_names[i], p, len) == 0);
		if (!known || o + len + 2 >= outlen)
			return -1;
		if (n++)
			out[o++] = ',';
		memcpy(out + o, p, len);
		o += len;
		p += len + (end ? 1 : 0);
	}
	out[o++] = '}';
	out[o] = '\0';
	return n > 0 ? 0 : -1;
}

static int exec_ok(PGconn *pg, PGresult *res, ExecStatusType want, const char *what)
{
	if (PQresultStatus(res) == want)
		return 0;
	fprintf(stderr, "culturecare keys: %s: %s", what, PQerrorMessage(pg));
	PQclear(res);
	return -1;
}

static void notify(PGconn *pg)
{
	PQclear(PQexec(pg, "NOTIFY culturecare, 'keys'"));
}

int keys_create(PGconn *pg, const char *name, const char *scopes, unsigned rpm, unsigned streams)
{
	char lit[64];
	if (!scopes || scopes_literal(scopes, lit, sizeof lit) < 0) {
		fprintf(stderr, "culturecare keys create: --scope must list support, annotate or admin, comma-separated\n");
		return 2;
	}
	char token[44], key[48], prefix[12], hash[65], srpm[16], sstreams[16];
	if (random_token(token) < 0) {
		fprintf(stderr, "culturecare keys create: no randomness available\n");
		return 1;
	}
	snprintf(key, sizeof key, "cc_%s", token);
	snprintf(prefix, sizeof prefix, "%.11s", key);
	sha256_hex(key, strlen(key), hash);
	snprintf(srpm, sizeof srpm, "%u", rpm);
	snprintf(sstreams, sizeof sstreams, "%u", streams);
	const char *v[] = {name && *name ? name : "unnamed", prefix, hash, lit, rpm ? srpm : NULL,
			   streams ? sstreams : NULL};
	PGresult *res = PQexecParams(pg,
				     "INSERT INTO api_keys (name, prefix, key_sha256, scopes, rate_limit_rpm, max_streams)"
				     " VALUES ($1, $2, decode($3, 'hex'), $4::text[], $5::int, $6::int) RETURNING id",
				     6, NULL, v, NULL, NULL, 0);
	if (exec_ok(pg, res, PGRES_TUPLES_OK, "create") < 0)
		return 1;
	fprintf(stderr, "created key %s (id %s, scopes %s); it is shown only now\n", prefix, PQgetvalue(res, 0, 0),
		scopes);
	PQclear(res);
	notify(pg);
	printf("%s\n", key);
	return 0;
}

int keys_revoke(PGconn *pg, const char *which)
{
	const char *v[] = {which};
	PGresult *res = PQexecParams(pg,
				     "UPDATE api_keys SET revoked_at = now()"
				     " WHERE revoked_at IS NULL AND (id::text = $1 OR prefix = $1) RETURNING prefix",
				     1, NULL, v, NULL, NULL, 0);
	if (exec_ok(pg, res, PGRES_TUPLES_OK, "revoke") < 0)
		return 1;
	int n = PQntuples(res);
	if (n == 0)
		fprintf(stderr, "culturecare keys revoke: no active key has id or prefix %s\n", which);
	else
		printf("revoked %s\n", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (n == 0)
		return 1;
	notify(pg);
	return 0;
}

int keys_list(PGconn *pg)
{
	PGresult *res = PQexec(pg, "SELECT id, prefix, name, array_to_string(scopes, ','),"
				   " coalesce(rate_limit_rpm::text, '-'), coalesce(max_streams::text, '-'),"
				   " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
				   " coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-')"
				   " FROM api_keys ORDER BY id");
	if (exec_ok(pg, res, PGRES_TUPLES_OK, "list") < 0)
		return 1;
	printf("id\tprefix\tname\tscopes\trpm\tstreams\tcreated\trevoked\n");
	for (int i = 0; i < PQntuples(res); i++)
		for (int c = 0; c < 8; c++)
			printf("%s%c", PQgetvalue(res, i, c), c == 7 ? '\n' : '\t');
	PQclear(res);
	return 0;
}
