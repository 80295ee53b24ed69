/* CultureCare JSONL import (see import.h and ../shared/culturecare/README.md
 * for the format and its quirks). */
#include "store/import.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/sha256.h"
#include "server/unicode.h"
#include "server/util.h"

static const char *const intensities[] = {"light", "moderate", "high", NULL};
static const char *const signal_types[] = {"Concepts", "Knowledge", "Values", "Norms and Morals",
					   "Language", "Artifacts", "Demographics", NULL};
static const char *const strategies[] = {"Questions", "Restatement or Paraphrasing",
					 "Reflection of Feelings", "Self-disclosure",
					 "Affirmation and Reassurance", "Providing Suggestions",
					 "Information", "Others", NULL};

static int in_list(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* A new string with ASCII and common Unicode spaces trimmed at both ends. */
static json_t *trimmed(const char *s)
{
	size_t len = strlen(s);
	size_t a = 0, b = len;
	for (;;) {
		if (a < b && isspace((unsigned char)s[a])) {
			a++;
		} else if (b - a >= 2 && (unsigned char)s[a] == 0xc2 && (unsigned char)s[a + 1] == 0xa0) {
			a += 2; /* no-break space */
		} else if (b - a >= 3 && (unsigned char)s[a] == 0xe3 && (unsigned char)s[a + 1] == 0x80 &&
			   (unsigned char)s[a + 2] == 0x80) {
			a += 3; /* ideographic space */
		} else {
			break;
		}
	}
	for (;;) {
		if (b > a && isspace((unsigned char)s[b - 1])) {
			b--;
		} else if (b - a >= 2 && (unsigned char)s[b - 2] == 0xc2 && (unsigned char)s[b - 1] == 0xa0) {
			b -= 2;
		} else if (b - a >= 3 && (unsigned char)s[b - 3] == 0xe3 && (unsigned char)s[b - 2] == 0x80 &&
			   (unsigned char)s[b - 1] == 0x80) {
			b -= 3;
		} else {
			break;
		}
	}
	return json_stringn(s + a, b - a);
}

/* Normalises a list of {phrase, <label_key>} objects. Label values must be
 * in `allowed`; null, missing and the data's "None" become null. */
static json_t *norm_list(json_t *list, const char *path, const char *label_key,
			 const char *const *allowed, char *err, size_t errlen)
{
	json_t *out = json_array();
	if (!list || json_is_null(list))
		return out;
	if (!json_is_array(list)) {
		snprintf(err, errlen, "field %s: expected an array", path);
		json_decref(out);
		return NULL;
	}
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		if (!json_is_object(item)) {
			snprintf(err, errlen, "field %s[%zu]: expected an object", path, i);
			goto fail;
		}
		json_t *phrase = json_object_get(item, "phrase");
		if (!json_is_string(phrase)) {
			snprintf(err, errlen, "field %s[%zu].phrase: expected a string", path, i);
			goto fail;
		}
		json_t *label = json_object_get(item, label_key);
		json_t *norm_label = json_null();
		if (json_is_string(label)) {
			const char *l = json_string_value(label);
			if (in_list(l, allowed)) {
				norm_label = json_string(l);
			} else if (strcmp(l, "None") != 0 && *l) {
				snprintf(err, errlen, "field %s[%zu].%s: unknown value (expected one of the scheme's labels, \"None\" or null)",
					 path, i, label_key);
				goto fail;
			}
		} else if (label && !json_is_null(label)) {
			snprintf(err, errlen, "field %s[%zu].%s: expected a string or null", path, i, label_key);
			goto fail;
		}
		json_array_append_new(out, json_pack("{s:o,s:o}", "phrase", trimmed(json_string_value(phrase)),
						     label_key, norm_label));
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static json_t *norm_demographics(json_t *d, char *err, size_t errlen)
{
	json_t *out = json_object();
	if (!d || json_is_null(d))
		return out;
	if (!json_is_object(d)) {
		snprintf(err, errlen, "field post.demographic_info: expected an object");
		json_decref(out);
		return NULL;
	}
	const char *key;
	json_t *v;
	json_object_foreach(d, key, v)
	{
		char buf[64];
		if (json_is_string(v)) {
			json_object_set_new(out, key, trimmed(json_string_value(v)));
		} else if (json_is_integer(v)) {
			snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
			json_object_set_new(out, key, json_string(buf));
		} else if (json_is_real(v)) {
			snprintf(buf, sizeof buf, "%g", json_real_value(v));
			json_object_set_new(out, key, json_string(buf));
		} else if (json_is_null(v)) {
			json_object_set_new(out, key, json_string("unknown"));
		} else {
			snprintf(err, errlen, "field post.demographic_info.%s: expected a string or a number", key);
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static int norm_empathy(json_t *v, json_t **out, char *err, size_t errlen)
{
	if (!v || json_is_null(v)) {
		*out = json_null();
		return 0;
	}
	long long n = 0;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		while (isspace((unsigned char)*s))
			s++;
		if (!*s) {
			*out = json_null();
			return 0;
		}
		if (*s < '1' || *s > '5' || isdigit((unsigned char)s[1])) {
			snprintf(err, errlen, "field response.empathy_score: expected \"1\" to \"5\" followed by a label, or \"\"");
			return -1;
		}
		n = *s - '0';
	} else {
		snprintf(err, errlen, "field response.empathy_score: expected a string or an integer");
		return -1;
	}
	if (n < 1 || n > 5) {
		snprintf(err, errlen, "field response.empathy_score: expected 1 to 5");
		return -1;
	}
	*out = json_integer(n);
	return 0;
}

json_t *import_normalize_record(json_t *rec, char *err, size_t errlen)
{
	if (!json_is_object(rec)) {
		snprintf(err, errlen, "field (record): expected a JSON object");
		return NULL;
	}
	json_t *culture = json_object_get(rec, "culture");
	if (!json_is_string(culture)) {
		snprintf(err, errlen, "field culture: expected a string");
		return NULL;
	}
	json_t *culture_t = trimmed(json_string_value(culture));
	if (json_string_length(culture_t) == 0 || json_string_length(culture_t) > 100) {
		json_decref(culture_t);
		snprintf(err, errlen, "field culture: expected 1 to 100 characters");
		return NULL;
	}
	json_t *pid = json_object_get(rec, "post_id");
	json_t *pid_t = NULL;
	if (json_is_string(pid)) {
		pid_t = trimmed(json_string_value(pid));
	} else if (json_is_integer(pid)) {
		char buf[32];
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(pid));
		pid_t = json_string(buf);
	}
	if (!pid_t || json_string_length(pid_t) == 0) {
		json_decref(culture_t);
		json_decref(pid_t);
		snprintf(err, errlen, "field post_id: expected a non-empty string");
		return NULL;
	}
	json_t *out = json_pack("{s:o,s:o}", "culture", culture_t, "post_id", pid_t);
	json_t *post = json_object_get(rec, "post");
	json_t *resp = json_object_get(rec, "response");
	if (!json_is_object(post)) {
		snprintf(err, errlen, "field post: expected an object");
		goto fail;
	}
	if (resp && !json_is_null(resp) && !json_is_object(resp)) {
		snprintf(err, errlen, "field response: expected an object");
		goto fail;
	}
	json_t *text = json_object_get(post, "text");
	if (text && !json_is_null(text) && !json_is_string(text)) {
		snprintf(err, errlen, "field post.text: expected a string");
		goto fail;
	}
	json_object_set_new(out, "source_url", json_is_string(text) ? trimmed(json_string_value(text)) : json_null());

	json_t *v;
	if (!(v = norm_list(json_object_get(post, "emotional_distress"), "post.emotional_distress", "intensity",
			    intensities, err, errlen)))
		goto fail;
	json_object_set_new(out, "distress", v);
	if (!(v = norm_list(json_object_get(post, "cultural_signals"), "post.cultural_signals", "type",
			    signal_types, err, errlen)))
		goto fail;
	json_object_set_new(out, "post_signals", v);
	if (!(v = norm_demographics(json_object_get(post, "demographic_info"), err, errlen)))
		goto fail;
	json_object_set_new(out, "demographics", v);
	if (!(v = norm_list(json_object_get(resp, "emotional_support"), "response.emotional_support", "strategy",
			    strategies, err, errlen)))
		goto fail;
	json_object_set_new(out, "support", v);
	if (!(v = norm_list(json_object_get(resp, "cultural_signals"), "response.cultural_signals", "type",
			    signal_types, err, errlen)))
		goto fail;
	json_object_set_new(out, "response_signals", v);
	if (norm_empathy(json_object_get(resp, "empathy_score"), &v, err, errlen) < 0)
		goto fail;
	json_object_set_new(out, "empathy", v);
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* One statement per record: the post and all its phrases. */
static const char insert_post_sql[] =
	"WITH p AS ("
	"  INSERT INTO posts (culture, source_id, source_url, empathy, demographics, record_sha256)"
	"  VALUES (lower($1), $2, $3, $4::smallint, $5::jsonb, $6) RETURNING id),"
	" d AS (INSERT INTO distress_phrases (post_id, ord, phrase, intensity)"
	"  SELECT p.id, t.ord - 1, t.e->>'phrase', (t.e->>'intensity')::distress_intensity"
	"  FROM p, jsonb_array_elements($7::jsonb) WITH ORDINALITY AS t(e, ord)),"
	" s AS (INSERT INTO cultural_signals (post_id, side, ord, phrase, type)"
	"  SELECT p.id, 'post'::signal_side, t.ord - 1, t.e->>'phrase', (t.e->>'type')::signal_type"
	"  FROM p, jsonb_array_elements($8::jsonb) WITH ORDINALITY AS t(e, ord)"
	"  UNION ALL"
	"  SELECT p.id, 'response'::signal_side, t.ord - 1, t.e->>'phrase', (t.e->>'type')::signal_type"
	"  FROM p, jsonb_array_elements($9::jsonb) WITH ORDINALITY AS t(e, ord)),"
	" sp AS (INSERT INTO support_phrases (post_id, ord, phrase, strategy)"
	"  SELECT p.id, t.ord - 1, t.e->>'phrase', (t.e->>'strategy')::support_strategy"
	"  FROM p, jsonb_array_elements($10::jsonb) WITH ORDINALITY AS t(e, ord))"
	" SELECT id FROM p";

static int run(PGconn *pg, const char *sql, int n, const char *const *params, PGresult **out,
	       const char *path)
{
	PGresult *r = n ? PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0) : PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "culturecare import: %s: database error: %s", path, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

static char *dump(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int write_record(PGconn *pg, json_t *rec, const char *path, import_counts *c)
{
	char *canon = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon)
		return -1;
	char sha[65];
	sha256_hex(canon, strlen(canon), sha);
	free(canon);
	const char *culture = json_string_value(json_object_get(rec, "culture"));
	const char *post_id = json_string_value(json_object_get(rec, "post_id"));

	const char *cp[1] = {culture};
	if (run(pg, "INSERT INTO cultures (code, display_name) VALUES (lower($1), $1) ON CONFLICT (code) DO NOTHING",
		1, cp, NULL, path) < 0)
		return -1;
	const char *q[2] = {culture, post_id};
	PGresult *r;
	if (run(pg, "SELECT id, record_sha256 FROM posts WHERE culture = lower($1) AND source_id = $2", 2, q, &r,
		path) < 0)
		return -1;
	int exists = PQntuples(r) > 0;
	int same = exists && strcmp(PQgetvalue(r, 0, 1), sha) == 0;
	char id[32] = "";
	if (exists)
		snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	c->posts++;
	json_t *d = json_object_get(rec, "distress"), *ps = json_object_get(rec, "post_signals"),
	       *rs = json_object_get(rec, "response_signals"), *sp = json_object_get(rec, "support");
	c->distress += json_array_size(d);
	c->post_signals += json_array_size(ps);
	c->response_signals += json_array_size(rs);
	c->support += json_array_size(sp);
	if (same) {
		c->unchanged++;
		return 0;
	}
	if (exists) {
		const char *ip[1] = {id};
		if (run(pg, "DELETE FROM posts WHERE id = $1", 1, ip, NULL, path) < 0)
			return -1;
		c->replaced++;
	} else {
		c->inserted++;
	}
	char empathy[8] = "";
	json_t *e = json_object_get(rec, "empathy");
	if (json_is_integer(e))
		snprintf(empathy, sizeof empathy, "%lld", (long long)json_integer_value(e));
	char *demo = dump(json_object_get(rec, "demographics"));
	char *dj = dump(d), *psj = dump(ps), *rsj = dump(rs), *spj = dump(sp);
	int rc = -1;
	if (demo && dj && psj && rsj && spj) {
		json_t *url = json_object_get(rec, "source_url");
		const char *params[10] = {culture, post_id, json_string_value(url), *empathy ? empathy : NULL,
					  demo, sha, dj, psj, rsj, spj};
		rc = run(pg, insert_post_sql, 10, params, NULL, path);
	}
	free(demo);
	free(dj);
	free(psj);
	free(rsj);
	free(spj);
	return rc;
}

int import_line(const char *line, size_t n, json_t **out, char *err, size_t errlen)
{
	*out = NULL;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	size_t k = 0;
	while (k < n && isspace((unsigned char)line[k]))
		k++;
	if (k == n)
		return 0;
	if (!utf8_valid(line, n)) {
		snprintf(err, errlen, "not valid UTF-8");
		return -1;
	}
	json_error_t jerr;
	json_t *rec = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec) {
		snprintf(err, errlen, "invalid JSON at column %d: %s", jerr.column, jerr.text);
		return -1;
	}
	*out = import_normalize_record(rec, err, errlen);
	json_decref(rec);
	return *out ? 1 : -1;
}

/* Reads the records of f (path, for messages), normalised, into records,
 * each with its "line". 0, or -1 after a message. */
static int read_records(FILE *f, const char *path, json_t *records)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	size_t lineno = 0;
	int rc = -1;
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		char err[256];
		json_t *norm;
		int got = import_line(line, (size_t)len, &norm, err, sizeof err);
		if (got == 0)
			continue; /* blank line */
		if (got < 0) {
			fprintf(stderr, "culturecare import: %s: line %zu: %s\n", path, lineno, err);
			break;
		}
		json_object_set_new(norm, "line", json_integer((json_int_t)lineno));
		json_array_append_new(records, norm);
	}
	if (len != -1) /* stopped at a bad line */
		rc = -1;
	else if (ferror(f))
		fprintf(stderr, "culturecare import: %s: read error\n", path);
	else
		rc = 0;
	free(line);
	return rc;
}

/* Writes records in one transaction, counting into counts (zeroed again
 * when it is rolled back). 0 or -1. */
static int write_records(PGconn *pg, const char *path, json_t *records, import_counts *counts)
{
	if (run(pg, "BEGIN", 0, NULL, NULL, path) < 0)
		return -1;
	/* One importer at a time: concurrent imports of the same file would race
	 * on the (culture, source_id) check. */
	if (run(pg, "SELECT pg_advisory_xact_lock(7271190302)", 0, NULL, NULL, path) < 0)
		goto rollback;
	size_t i;
	json_t *rec;
	json_array_foreach(records, i, rec)
	{
		json_int_t ln = json_integer_value(json_object_get(rec, "line"));
		json_object_del(rec, "line");
		if (write_record(pg, rec, path, counts) < 0) {
			fprintf(stderr, "culturecare import: %s: line %lld: not imported; the file was rolled back\n",
				path, (long long)ln);
			goto rollback;
		}
	}
	if (counts->inserted + counts->replaced > 0 &&
	    run(pg, "SELECT pg_notify('culturecare', 'corpus')", 0, NULL, NULL, path) < 0)
		goto rollback;
	if (run(pg, "COMMIT", 0, NULL, NULL, path) < 0)
		goto rollback;
	return 0;
rollback:
	PQclear(PQexec(pg, "ROLLBACK"));
	memset(counts, 0, sizeof *counts);
	return -1;
}

int import_file(PGconn *pg, const char *path, import_counts *counts)
{
	memset(counts, 0, sizeof *counts);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "culturecare import: %s: %s\n", path, strerror(errno));
		return -1;
	}
	json_t *records = json_array();
	int rc = read_records(f, path, records);
	if (rc == 0)
		rc = write_records(pg, path, records, counts);
	fclose(f);
	json_decref(records);
	return rc;
}
