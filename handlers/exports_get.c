/* GET /exports?format=jsonl|csv|label-studio|argilla|prodigy&culture=&since=
 * streams every stored item (newest first) in the format an annotation
 * tool imports: pages of EXPORT_PAGE items are read from the database with
 * a keyset cursor and written as a chunked reply, the next page only once
 * the client has taken most of the last (so memory stays flat whatever
 * the export's size). Prodigy: &task=compare (default; &side=a|b, the
 * first or second candidate) or &task=choice. A database failure before
 * the first page is a 503; after it, the chunked reply ends abnormally.
 * GET /exports/label-studio/config and /exports/argilla/settings: the
 * matching project settings, ?candidates=1..10 (3). */
#include <stdlib.h>
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/support/lexicon.h"
#include "server/config.h"
#include "server/support/exports.h"
#include "server/util.h"
#include "store/annotation.h"

#define EXPORT_PAGE 200
#define EXPORT_HIGH_WATER (256 * 1024)
#define EXPORT_LOW_WATER (64 * 1024)

typedef struct export_job {
	http_req *r;
	app *a;
	http_stream *st;
	export_opts o;
	char culture[64];
	char since[64];
	bool has_culture, has_since;
	char after[32];
	bool has_after;
	bool querying, ended, closed;
	size_t items;
} export_job;

static void pump(export_job *j);

static void job_free(export_job *j)
{
	free(j);
}

static void on_close(void *ud)
{
	export_job *j = ud;
	j->st = NULL;
	j->closed = true;
	if (!j->querying)
		job_free(j);
}

static void on_drain(void *ud)
{
	pump(ud);
}

static void end_stream(export_job *j, bool failed)
{
	j->ended = true;
	if (!failed) {
		sbuf b = {0};
		export_end(&j->o, &b);
		char *s = sb_take(&b);
		if (s && *s)
			http_stream_write(j->st, s, strlen(s));
		free(s);
	}
	http_stream_end(j->st, failed);
	http_req_log(j->r, "exported", json_integer((json_int_t)j->items));
}

static bool open_stream(export_job *j)
{
	j->st = http_reply_stream(j->r, 200, export_content_type(j->o.format), EXPORT_LOW_WATER);
	if (!j->st)
		return false;
	char cd[96];
	snprintf(cd, sizeof cd, "attachment; filename=\"culturecare-items.%s\"", export_file_extension(j->o.format));
	http_stream_add_header(j->st, "Content-Disposition", cd);
	http_stream_set_callbacks(j->st, on_drain, on_close, j);
	sbuf b = {0};
	export_begin(&j->o, &b);
	char *s = sb_take(&b);
	if (s && *s)
		http_stream_write(j->st, s, strlen(s));
	free(s);
	return true;
}

static void on_page(void *ud, store_status st, const store_export_row *rows, size_t n, const char *sqlstate)
{
	export_job *j = ud;
	j->querying = false;
	if (j->closed) {
		job_free(j);
		return;
	}
	if (st != STORE_OK) {
		if (!j->st) {
			http_req *r = j->r;
			job_free(j);
			if (sqlstate && strncmp(sqlstate, "22", 2) == 0) /* data exception: since is no time */
				annotation_invalid(r, "since", "must be an ISO 8601 date or time, e.g. 2026-11-30 or 2026-11-30T10:00:00Z");
			else
				http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		} else {
			end_stream(j, true);
		}
		return;
	}
	if (!j->st && !open_stream(j)) {
		http_req *r = j->r;
		job_free(j);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	sbuf b = {0};
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_loads(rows[i].item, 0, NULL);
		if (item && export_item(&j->o, item, j->items == 0, &b) > 0)
			j->items++;
		json_decref(item);
		snprintf(j->after, sizeof j->after, "%s", rows[i].seq);
		j->has_after = true;
	}
	char *s = sb_take(&b);
	if (!s && n > 0) {
		end_stream(j, true);
		return;
	}
	if (s && *s)
		http_stream_write(j->st, s, strlen(s));
	free(s);
	if (n < EXPORT_PAGE) {
		end_stream(j, false);
		return;
	}
	pump(j);
}

/* Reads the next page unless one is being read, the export is over, or
 * the client has not yet taken what was written (on_drain comes back). */
static void pump(export_job *j)
{
	if (j->querying || j->ended || j->closed)
		return;
	if (j->st && http_stream_buffered(j->st) > EXPORT_HIGH_WATER)
		return;
	j->querying = true;
	if (store_export_page(j->a->pool, EXPORT_PAGE, j->has_after ? j->after : NULL, j->has_culture ? j->culture : NULL,
			      j->has_since ? j->since : NULL, on_page, j) < 0)
		on_page(j, STORE_UNAVAILABLE, NULL, 0, NULL);
}

/* since: an ISO 8601 date or time (checked loosely here; PostgreSQL parses). */
static bool since_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 10 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789-:T.Z+ ", s[i]))
			return false;
	return s[4] == '-' && s[7] == '-';
}

void handler_exports_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *format = http_req_query(r, "format"), *culture = http_req_query(r, "culture");
	const char *since = http_req_query(r, "since"), *task = http_req_query(r, "task"), *side = http_req_query(r, "side");
	export_opts o = {.format = EXPORT_JSONL, .prodigy_side = 1};
	if (!format || export_format_parse(format, &o.format) < 0) {
		http_reply_error(r, ERR_INVALID_FIELD, NULL,
				 json_pack("{s:s,s:s,s:[s,s,s,s,s]}", "field", "format", "reason", "required, one of", "allowed",
					   "jsonl", "csv", "label-studio", "argilla", "prodigy"));
		return;
	}
	if (task && strcmp(task, "compare") && strcmp(task, "choice")) {
		annotation_invalid(r, "task", "must be compare or choice");
		return;
	}
	o.prodigy_choice = task && strcmp(task, "choice") == 0;
	if (side && strcmp(side, "a") && strcmp(side, "b")) {
		annotation_invalid(r, "side", "must be a or b");
		return;
	}
	o.prodigy_side = side && strcmp(side, "b") == 0 ? 2 : 1;
	if (since && !since_ok(since)) {
		annotation_invalid(r, "since", "must be an ISO 8601 date or time, e.g. 2026-11-30 or 2026-11-30T10:00:00Z");
		return;
	}
	if (annotation_filters(r, &culture, NULL) < 0)
		return;
	export_job *j = calloc(1, sizeof *j);
	if (!j) {
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	j->r = r;
	j->a = a;
	j->o = o;
	if (culture) {
		snprintf(j->culture, sizeof j->culture, "%s", culture);
		j->has_culture = true;
	}
	if (since) {
		snprintf(j->since, sizeof j->since, "%s", since);
		j->has_since = true;
	}
	j->querying = true;
	if (store_export_page(a->pool, EXPORT_PAGE, NULL, j->has_culture ? j->culture : NULL, j->has_since ? j->since : NULL,
			      on_page, j) < 0) {
		job_free(j);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	}
}

static int candidates_param(http_req *r, int *n)
{
	const char *s = http_req_query(r, "candidates");
	unsigned long long v = 3;
	if (s && config_parse_uint(s, 1, 10, &v) < 0) {
		annotation_invalid(r, "candidates", "must be an integer from 1 to 10");
		return -1;
	}
	*n = (int)v;
	return 0;
}

void handler_exports_label_studio_config_get(http_req *r)
{
	int n;
	if (candidates_param(r, &n) < 0)
		return;
	char *xml = export_label_studio_config(n);
	if (!xml) {
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	http_reply_buffer(r, 200, "application/xml; charset=utf-8", xml, strlen(xml));
}

void handler_exports_argilla_settings_get(http_req *r)
{
	int n;
	if (candidates_param(r, &n) < 0)
		return;
	http_reply_json(r, 200, export_argilla_settings(n));
}
