/* paced: an open-loop HTTP load client for the benchmarks. Request i is due
 * at start + i / RATE whatever happened to the ones before it, and its
 * latency is counted from that due time (a closed loop such as wrk's waits
 * for an answer before sending the next request and so hides queueing).
 * One thread, libcurl multi; loopback benchmarks only.
 *
 * paced -u URL -r RATE -d SECONDS [-b BODY_FILE]... [-c MAX_IN_FLIGHT]
 *       [-m MARKER] [-a ABORT_EVERY] [-t TIMEOUT_S] [-q]
 *   -b   POST this body (Content-Type: application/json); several -b cycle,
 *        request i sending body i mod n. Without -b: GET.
 *   -c   at most this many requests in flight (default 1000); a due request
 *        waits for a slot, its latency still counted from its due time.
 *   -m   a string in the answer (e.g. "event: delta"): the first time it
 *        arrives is the request's first-token time, and the times between
 *        the chunks that bring it again are its piece gaps.
 *   -a   every ABORT_EVERY-th request hangs up once the marker (or, without
 *        -m, any byte) has arrived: a client leaving mid-stream.
 *   -q   print only the summary.
 * Prints, in microseconds, one line per figure: "latency p50 p99 p999 max",
 * "first_token ..." and "gap ..." (with -m), and "requests N ok N failed N
 * aborted N late N unsent N" (late: sent more than 10 ms after due for
 * want of a slot; unsent: still waiting for a slot a second after the run's
 * end, so never sent). Percentiles are over every request, or over a uniform sample of a
 * million when there were more. Exit status 0 when no request failed. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODIES 8
#define MAX_SAMPLES 1000000	/* per figure; beyond, a uniform reservoir sample */

struct xfer {
	CURL *h;
	double due, first_token, last_token;
	bool abort_early, aborted, seen;
	struct curl_slist *hdrs;
};

struct samples {
	double v[MAX_SAMPLES];
	size_t n, seen;
};

static const char *marker;
static struct samples lat, ttft, gaps;

/* Keeps a uniform sample of at most MAX_SAMPLES values (reservoir). */
static void add(struct samples *s, double x)
{
	size_t j = s->seen++;
	if (s->n < MAX_SAMPLES)
		s->v[s->n++] = x;
	else if ((j = (size_t)(drand48() * (double)s->seen)) < MAX_SAMPLES)
		s->v[j] = x;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;
	bool hit = !marker || memmem(p, len, marker, strlen(marker)) != NULL;
	if (hit && len > 0) {
		double t = now_us();
		if (!x->seen) {
			x->seen = true;
			x->first_token = t;
		} else {
			add(&gaps, t - x->last_token);
		}
		x->last_token = t;
		if (x->abort_early) {
			x->aborted = true;
			return 0;
		}
	}
	return len;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, struct samples *s)
{
	double *v = s->v;
	size_t n = s->n;
	if (n == 0) {
		printf("%s none\n", name);
		return;
	}
	qsort(v, n, sizeof *v, cmp);
#define AT(q) v[(size_t)((q) * (double)(n - 1) + 0.5)]
	printf("%s %.0f %.0f %.0f %.0f\n", name, AT(0.5), AT(0.99), AT(0.999), v[n - 1]);
#undef AT
}

int main(int argc, char **argv)
{
	const char *url = NULL, *bodies[MAX_BODIES];
	size_t blen[MAX_BODIES], nb = 0;
	double rate = 0, secs = 0;
	long maxfl = 1000, abort_every = 0, timeout = 30;
	int o;
	while ((o = getopt(argc, argv, "u:r:d:b:c:m:a:t:q")) != -1) {
		switch (o) {
		case 'u': url = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'b':
			if (nb == MAX_BODIES || !(bodies[nb] = slurp(optarg, &blen[nb]))) {
				fprintf(stderr, "paced: cannot read %s (or more than %d bodies)\n", optarg, MAX_BODIES);
				return 2;
			}
			nb++;
			break;
		case 'c': maxfl = atol(optarg); break;
		case 'm': marker = optarg; break;
		case 'a': abort_every = atol(optarg); break;
		case 't': timeout = atol(optarg); break;
		case 'q': break;
		default: return 2;
		}
	}
	if (!url || rate <= 0 || secs <= 0 || secs > 7200 || maxfl < 1 || maxfl > 100000) {
		fprintf(stderr, "usage: paced -u URL -r RATE -d SECONDS(<=7200) [-b BODY]... [-c N] [-m MARKER] [-a N] [-t S]\n");
		return 2;
	}
	size_t total = (size_t)(rate * secs);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, maxfl);
	size_t next = 0, ok = 0, failed = 0, aborted = 0, late = 0, unsent = 0;
	long inflight = 0;
	double start = now_us() + 1000;
	while (next < total || inflight > 0) {
		double t = now_us();
		if (next < total && t > start + (secs + 1) * 1e6) {
			unsent = total - next;	/* the run is over: what could not be sent is not */
			total = next;
		}
		while (next < total && inflight < maxfl && start + next * 1e6 / rate <= t) {
			struct xfer *x = calloc(1, sizeof *x);
			if (!x)
				return 2;
			x->due = start + next * 1e6 / rate;
			if (t - x->due > 10000)
				late++;
			x->abort_early = abort_every > 0 && (next + 1) % (size_t)abort_every == 0;
			x->h = curl_easy_init();
			curl_easy_setopt(x->h, CURLOPT_URL, url);
			curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_data);
			curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
			curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
			curl_easy_setopt(x->h, CURLOPT_TIMEOUT, timeout);
			curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
			if (nb > 0) {
				size_t k = next % nb;
				x->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
				curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
				curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, bodies[k]);
				curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)blen[k]);
			}
			curl_multi_add_handle(m, x->h);
			inflight++;
			next++;
		}
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x;
			long code = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			double end = now_us();
			if (x->aborted) {
				aborted++;
			} else if (msg->data.result == CURLE_OK && code >= 200 && code < 300) {
				ok++;
				add(&lat, end - x->due);
				if (marker && x->seen)
					add(&ttft, x->first_token - x->due);
			} else {
				failed++;
			}
			curl_multi_remove_handle(m, x->h);
			curl_easy_cleanup(x->h);
			curl_slist_free_all(x->hdrs);
			free(x);
			inflight--;
		}
		int wait_ms = 50;
		if (next < total && inflight < maxfl) {
			double d = (start + next * 1e6 / rate - now_us()) / 1000;
			wait_ms = d < 0 ? 0 : d > 50 ? 50 : (int)d;
		}
		curl_multi_poll(m, NULL, 0, wait_ms, NULL);
	}
	printf("requests %zu ok %zu failed %zu aborted %zu late %zu unsent %zu\n", total, ok, failed, aborted, late, unsent);
	report("latency", &lat);
	if (marker) {
		report("first_token", &ttft);
		report("gap", &gaps);
	}
	curl_multi_cleanup(m);
	curl_global_cleanup();
	for (size_t i = 0; i < nb; i++)
		free((void *)bodies[i]);
	return failed ? 1 : 0;
}
