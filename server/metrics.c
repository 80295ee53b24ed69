/* The metrics registry and its exposition (see metrics.h).
 *
 * Series whose labels are known in advance (risk levels, error kinds) exist
 * from the start with 0, so that rate() and increase() see their first
 * event. The others (routes x methods x statuses, backends x outcomes) are
 * created at their first observation: a fixed table holds them, sized for
 * every combination the service can produce. */
#include "server/metrics.h"
#include "server/log_sink.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "server/util.h"

#ifndef CC_VERSION
#define CC_VERSION "unknown"
#endif

/* ---- histograms ---- */

/* One set of bounds, from 1 ms to 120 s (LLM_TIMEOUT_MS's default), for
 * requests and backend calls alike. */
#define NBOUNDS 16
static const double bounds[NBOUNDS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				       0.5,   1,      2.5,   5,    10,    30,   60,  120};
static const char *const bound_text[NBOUNDS] = {"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
						"0.1",   "0.25",   "0.5",   "1",    "2.5",   "5",
						"10",    "30",     "60",    "120"};

typedef struct histogram {
	uint64_t n[NBOUNDS + 1]; /* per bucket, not cumulative; the last is +Inf */
	uint64_t count;
	double sum;
} histogram;

static void observe(histogram *h, double v)
{
	unsigned i = 0;
	while (i < NBOUNDS && v > bounds[i])
		i++;
	h->n[i]++;
	h->count++;
	h->sum += v;
}

/* ---- the registry ---- */

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"};
#define NMETHODS (sizeof methods / sizeof methods[0])

/* culturecare_http_requests_total: an open-addressing table keyed by
 * (route, method, status), in first-seen order for the exposition. Routes
 * (at most ROUTES_MAX + unmatched) times methods times the statuses the
 * service answers stay far below the capacity; past the load limit new
 * series are not created (their requests still count in the histogram). */
#define HTTP_SERIES 2048
#define HTTP_SERIES_LIMIT (HTTP_SERIES * 3 / 4)
typedef struct http_series {
	uint64_t count;
	uint16_t route; /* index in routes[]; routes_count = unmatched */
	uint16_t status;
	uint8_t method;
	bool used;
} http_series;

#define MAX_BACKENDS 8 /* as server/llm/llm.c */
#define NOUTCOMES MC_OUTCOMES
static const char *const outcome_names[NOUTCOMES] = {
	[MC_OK] = "ok", [MC_TIMEOUT] = "timeout", [MC_CONNECT] = "connect", [MC_HTTP_ERROR] = "http_error",
	[MC_INVALID_REPLY] = "invalid_reply", [MC_CANCELLED] = "cancelled", [MC_CLIENT_GONE] = "client_gone",
};
static const char *const error_names[BE_KINDS] = {
	[BE_CONNECT] = "connect", [BE_TIMEOUT] = "timeout", [BE_FIRST_TOKEN_TIMEOUT] = "first_token_timeout",
	[BE_IDLE_TIMEOUT] = "idle_timeout", [BE_RATE_LIMITED] = "rate_limited", [BE_HTTP_4XX] = "http_4xx",
	[BE_HTTP_5XX] = "http_5xx", [BE_HTTP_OTHER] = "http_other", [BE_INVALID_REPLY] = "invalid_reply",
	[BE_CLIENT_GONE] = "client_gone", [BE_CANCELLED] = "cancelled",
};
#define NCLS_KINDS 3 /* moderation, llama-guard, chat-json (classifier_kind 1..3) */
static const char *const cls_kind_names[NCLS_KINDS] = {"moderation", "llama-guard", "chat-json"};
static const char *const cls_stage_names[2] = {"message", "reply"};
/* message outcomes, then reply outcomes */
const char *const metrics_classifier_outcomes[] = {"agreed", "raised",  "lower_ignored", "no_opinion", "timeout",
						   "failed", "skipped", "not_needed",    "passed",     "flagged",
						   NULL};
#define NCLS_OUTCOMES 10

static struct {
	double start_time;
	http_series http[HTTP_SERIES];
	uint16_t http_order[HTTP_SERIES];
	unsigned http_n;
	histogram http_duration[ROUTES_MAX + 1];
	long in_flight, streams_open;
	histogram backend_duration[MAX_BACKENDS][NOUTCOMES];
	histogram first_piece;
	uint64_t backend_errors[BE_KINDS];
	uint64_t retries, fallbacks;
	const char *const *risk_names; /* set by the domain (metrics_set_risk_levels) */
	unsigned risk_n;
	uint64_t risk[METRICS_RISK_LEVELS];
	uint64_t replaced;
	uint64_t cls[NCLS_KINDS][2][NCLS_OUTCOMES];
	histogram cls_duration[NCLS_KINDS][2];
} m;

void metrics_init(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	m.start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned method_index(const char *method)
{
	for (unsigned i = 0; i < NMETHODS - 1; i++)
		if (strcmp(method, methods[i]) == 0)
			return i;
	return NMETHODS - 1;
}

static void count_request(unsigned ri, unsigned method, unsigned status)
{
	unsigned h = (ri * 31u + method) * 1009u + status;
	for (unsigned k = 0; k < HTTP_SERIES; k++) {
		http_series *s = &m.http[(h + k) & (HTTP_SERIES - 1)];
		if (s->used && s->route == ri && s->method == method && s->status == status) {
			s->count++;
			return;
		}
		if (!s->used) {
			if (m.http_n >= HTTP_SERIES_LIMIT)
				return;
			*s = (http_series){.count = 1, .route = (uint16_t)ri, .status = (uint16_t)status,
					   .method = (uint8_t)method, .used = true};
			m.http_order[m.http_n++] = (uint16_t)(s - m.http);
			return;
		}
	}
}

void metrics_http_begin(void)
{
	m.in_flight++;
}

void metrics_http_end(const route *rt, const char *method, unsigned status, double seconds)
{
	m.in_flight--;
	unsigned ri = rt ? (unsigned)(rt - routes) : (unsigned)routes_count;
	if (ri > routes_count)
		ri = (unsigned)routes_count;
	count_request(ri, method_index(method), status > 999 ? 999 : status);
	observe(&m.http_duration[ri], seconds);
}

void metrics_stream_opened(void)
{
	m.streams_open++;
}

void metrics_stream_closed(void)
{
	m.streams_open--;
}

void metrics_backend_error(enum metrics_backend_error kind)
{
	if ((unsigned)kind < BE_KINDS)
		m.backend_errors[kind]++;
}

void metrics_backend_retry(void)
{
	m.retries++;
}

void metrics_backend_fallback(void)
{
	m.fallbacks++;
}

void metrics_backend_call(unsigned backend, enum metrics_call_outcome outcome, double seconds, double first_piece)
{
	if (backend >= MAX_BACKENDS || (unsigned)outcome >= NOUTCOMES)
		return;
	observe(&m.backend_duration[backend][outcome], seconds);
	if (first_piece >= 0)
		observe(&m.first_piece, first_piece);
}

void metrics_set_risk_levels(const char *const *names, unsigned n)
{
	m.risk_names = names;
	m.risk_n = n < METRICS_RISK_LEVELS ? n : METRICS_RISK_LEVELS;
}

void metrics_risk_assessed(unsigned level)
{
	if (level < m.risk_n)
		m.risk[level]++;
}

void metrics_reply_replaced(void)
{
	m.replaced++;
}

void metrics_classifier(int kind, int stage, const char *outcome, double seconds)
{
	if (kind < 1 || kind > NCLS_KINDS || stage < 0 || stage > 1 || !outcome)
		return;
	for (unsigned k = 0; k < NCLS_OUTCOMES; k++) {
		if (strcmp(outcome, metrics_classifier_outcomes[k]) == 0) {
			m.cls[kind - 1][stage][k]++;
			break;
		}
	}
	if (seconds >= 0)
		observe(&m.cls_duration[kind - 1][stage], seconds);
}

/* ---- exposition ---- */

static void family(sbuf *o, const char *name, const char *type, const char *help)
{
	sb_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped (the values are ours, but
 * the format is kept whatever they hold). */
static void label_value(char *dst, size_t size, const char *v)
{
	size_t k = 0;
	for (; *v && k + 3 < size; v++) {
		if (*v == '\\' || *v == '"') {
			dst[k++] = '\\';
			dst[k++] = *v;
		} else if (*v == '\n') {
			dst[k++] = '\\';
			dst[k++] = 'n';
		} else {
			dst[k++] = *v;
		}
	}
	dst[k] = '\0';
}

/* labels: "" or `name="value",...` without braces. */
static void put_histogram(sbuf *o, const char *name, const char *labels, const histogram *h)
{
	const char *sep = *labels ? "," : "";
	uint64_t cum = 0;
	for (unsigned i = 0; i <= NBOUNDS; i++) {
		cum += h->n[i];
		sb_printf(o, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels, sep, i < NBOUNDS ? bound_text[i] : "+Inf",
		    (unsigned long long)cum);
	}
	if (*labels) {
		sb_printf(o, "%s_sum{%s} %.9g\n", name, labels, h->sum);
		sb_printf(o, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->count);
	} else {
		sb_printf(o, "%s_sum %.9g\n", name, h->sum);
		sb_printf(o, "%s_count %llu\n", name, (unsigned long long)h->count);
	}
}

static const char *route_label(unsigned i)
{
	return i < routes_count ? routes[i].pattern : "unmatched";
}

static void render_http(sbuf *o)
{
	char pattern[256];
	family(o, "culturecare_http_requests_total", "counter",
	       "Requests completed, by route pattern (unmatched: no route), method and status (0: no reply sent).");
	for (unsigned k = 0; k < m.http_n; k++) {
		const http_series *s = &m.http[m.http_order[k]];
		label_value(pattern, sizeof pattern, route_label(s->route));
		sb_printf(o, "culturecare_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} %llu\n", pattern,
		    methods[s->method], (unsigned)s->status, (unsigned long long)s->count);
	}
	family(o, "culturecare_http_request_duration_seconds", "histogram",
	       "Time from the request's arrival to its completion (streams: until the stream ends), by route pattern.");
	for (unsigned i = 0; i <= routes_count && i <= ROUTES_MAX; i++) {
		if (m.http_duration[i].count == 0)
			continue;
		char labels[300];
		label_value(pattern, sizeof pattern, route_label(i));
		snprintf(labels, sizeof labels, "route=\"%s\"", pattern);
		put_histogram(o, "culturecare_http_request_duration_seconds", labels, &m.http_duration[i]);
	}
	family(o, "culturecare_http_requests_in_flight", "gauge",
	       "Requests received and not yet completed, on every listener, the scrape that reads this included.");
	sb_printf(o, "culturecare_http_requests_in_flight %ld\n", m.in_flight);
	family(o, "culturecare_http_streams_open", "gauge", "Streamed (Server-Sent Events) replies open.");
	sb_printf(o, "culturecare_http_streams_open %ld\n", m.streams_open);
}

static void render_backend(sbuf *o)
{
	family(o, "culturecare_backend_request_duration_seconds", "histogram",
	       "Model backend calls, retries and fallbacks included, by the backend that answered last (index in "
	       "LLM_BASE_URL, LLM_FALLBACK_URLS) and outcome.");
	for (unsigned b = 0; b < MAX_BACKENDS; b++)
		for (unsigned k = 0; k < NOUTCOMES; k++) {
			if (m.backend_duration[b][k].count == 0)
				continue;
			char labels[64];
			snprintf(labels, sizeof labels, "backend=\"%u\",outcome=\"%s\"", b, outcome_names[k]);
			put_histogram(o, "culturecare_backend_request_duration_seconds", labels, &m.backend_duration[b][k]);
		}
	family(o, "culturecare_backend_time_to_first_token_seconds", "histogram",
	       "Streamed backend calls: time from the call's start to the first piece of text.");
	put_histogram(o, "culturecare_backend_time_to_first_token_seconds", "", &m.first_piece);
	family(o, "culturecare_backend_errors_total", "counter", "Failed backend requests (each attempt), by kind.");
	for (unsigned k = 0; k < BE_KINDS; k++)
		sb_printf(o, "culturecare_backend_errors_total{kind=\"%s\"} %llu\n", error_names[k],
		    (unsigned long long)m.backend_errors[k]);
	family(o, "culturecare_backend_retries_total", "counter", "Backend requests repeated after a failure.");
	sb_printf(o, "culturecare_backend_retries_total %llu\n", (unsigned long long)m.retries);
	family(o, "culturecare_backend_fallbacks_total", "counter",
	       "Calls that went on to the next backend of LLM_FALLBACK_URLS.");
	sb_printf(o, "culturecare_backend_fallbacks_total %llu\n", (unsigned long long)m.fallbacks);
}

static void render_pool(sbuf *o, const metrics_pool *pool)
{
	unsigned in_use = pool->open ? pool->busy : 0, idle = pool->open ? pool->connected - pool->busy : 0;
	unsigned down = pool->size - in_use - idle;
	family(o, "culturecare_db_pool_connections", "gauge",
	       "Database connections by state (down: not connected or still connecting).");
	sb_printf(o, "culturecare_db_pool_connections{state=\"in_use\"} %u\n", in_use);
	sb_printf(o, "culturecare_db_pool_connections{state=\"idle\"} %u\n", idle);
	sb_printf(o, "culturecare_db_pool_connections{state=\"down\"} %u\n", down);
	family(o, "culturecare_db_pool_waiting", "gauge", "Queries queued for a free database connection.");
	sb_printf(o, "culturecare_db_pool_waiting %u\n", pool->open ? pool->waiting : 0);
}

static void render_safety(sbuf *o)
{
	family(o, "culturecare_risk_assessments_total", "counter",
	       "Messages assessed for suicide and self-harm risk, by the level acted on.");
	for (unsigned l = 0; l < m.risk_n; l++)
		sb_printf(o, "culturecare_risk_assessments_total{level=\"%s\"} %llu\n", m.risk_names[l],
		    (unsigned long long)m.risk[l]);
	family(o, "culturecare_safety_replies_replaced_total", "counter",
	       "Generated replies replaced by the crisis message because the output check failed.");
	sb_printf(o, "culturecare_safety_replies_replaced_total %llu\n", (unsigned long long)m.replaced);
	family(o, "culturecare_risk_classifier_total", "counter",
	       "Classifier stage results, by kind (RISK_CLASSIFIER), stage (message, reply) and outcome.");
	for (unsigned k = 0; k < NCLS_KINDS; k++)
		for (unsigned st = 0; st < 2; st++)
			for (unsigned i = 0; i < NCLS_OUTCOMES; i++) {
				/* the outcomes each stage can have; chat-json checks no replies */
				if (st == 0 ? i >= 8 : i < 4 || k == 2)
					continue;
				sb_printf(o, "culturecare_risk_classifier_total{kind=\"%s\",stage=\"%s\",outcome=\"%s\"} %llu\n",
				    cls_kind_names[k], cls_stage_names[st], metrics_classifier_outcomes[i],
				    (unsigned long long)m.cls[k][st][i]);
			}
	family(o, "culturecare_risk_classifier_duration_seconds", "histogram",
	       "Classifier calls, from their start to their answer, timeout or failure, by kind and stage.");
	for (unsigned k = 0; k < NCLS_KINDS; k++)
		for (unsigned st = 0; st < (k == 2 ? 1u : 2u); st++) {
			char labels[64];
			snprintf(labels, sizeof labels, "kind=\"%s\",stage=\"%s\"", cls_kind_names[k], cls_stage_names[st]);
			put_histogram(o, "culturecare_risk_classifier_duration_seconds", labels, &m.cls_duration[k][st]);
		}
}

/* Open descriptors: the entries of /proc/self/fd (less the one reading). */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static void render_process(sbuf *o)
{
	family(o, "culturecare_build_info", "gauge", "Always 1; the version of the running build as a label.");
	sb_printf(o, "culturecare_build_info{version=\"%s\"} 1\n", CC_VERSION);
	family(o, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.");
	sb_printf(o, "process_start_time_seconds %.3f\n", m.start_time);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		family(o, "process_cpu_seconds_total", "counter", "User and system CPU time spent.");
		sb_printf(o, "process_cpu_seconds_total %.6f\n",
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size, resident;
	if (f && fscanf(f, "%lu %lu", &size, &resident) == 2) {
		family(o, "process_resident_memory_bytes", "gauge", "Resident memory size.");
		sb_printf(o, "process_resident_memory_bytes %llu\n", (unsigned long long)resident * (unsigned long long)sysconf(_SC_PAGESIZE));
	}
	if (f)
		fclose(f);
	long fds = open_fds();
	if (fds >= 0) {
		family(o, "process_open_fds", "gauge", "Open file descriptors.");
		sb_printf(o, "process_open_fds %ld\n", fds);
	}
	family(o, "culturecare_log_lines_dropped_total", "counter",
	       "Log lines dropped because stdout did not take them and the log buffer was full.");
	sb_printf(o, "culturecare_log_lines_dropped_total %llu\n", log_sink_dropped());
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		family(o, "process_max_fds", "gauge", "Limit of open file descriptors.");
		sb_printf(o, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
}

char *metrics_render(const metrics_pool *pool, size_t *len)
{
	sbuf o = {0};
	render_http(&o);
	render_backend(&o);
	render_pool(&o, pool);
	render_safety(&o);
	render_process(&o);
	*len = o.len;
	return sb_take(&o);
}
