/* The reply check's cost per stream piece: the replies of an evaluation set
 * (safe ones: a failed check ends a stream early), each fed to the stream
 * filter in pieces of 4 bytes (about one token) and of 1 byte, with the
 * lexicons as the migrations seed them. Prints the CPU time per piece
 * (mean, and the slowest piece: the one that completes a sentence and runs
 * the check), the delay the filter adds in bytes (how far releases trail
 * the text received, mean and largest), and the plain check per reply and
 * per sentence.
 * With --text-model the check also asks the text model
 * (server/safety/text_model.h), as the service does by default.
 * Asserts nothing. Usage: reply_filter_bench [--text-model] [SET.tsv] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/safety/safety.h"
#include "server/safety/text_model.h"
#include "server/util.h"
#include "tests/unit/seeded_reply_check.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU, not wall time: the machine may be busy */
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	bool with_model = argc > 1 && strcmp(argv[1], "--text-model") == 0;
	const char *path = argc > 1 + with_model ? argv[1 + with_model] : SOURCE_ROOT "/tests/reply_eval/set1.tsv";
	safety *s = seeded_reply_check_load(NULL);
	text_model *tm = with_model ? text_model_builtin() : NULL;
	if (s && tm)
		safety_set_text_model(s, tm);
	printf("%s\n", tm ? "the concept check and the text model" : "the concept check");
	char *tsv = s ? read_file(path, NULL) : NULL;
	if (!tsv) {
		fprintf(stderr, "cannot load the check or %s\n", path);
		return 2;
	}
	char *replies[512];
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(tsv, "\n", &save); line && n < 512; line = strtok_r(NULL, "\n", &save)) {
		char *f[6];
		int k = 0;
		for (char *p = line; p && k < 6; k++) {
			f[k] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (line[0] != '#' && k >= 5 && strcmp(f[2], "safe") == 0)
			replies[n++] = f[4];
	}
	for (size_t step = 4; step >= 1; step -= 3) {
		double total = 0, worst = 0, lag_sum = 0;
		size_t cap = 1 << 22, nd = 0;
		double *dts = malloc(cap * sizeof *dts);
		size_t pieces = 0, lag_max = 0, bytes = 0;
		for (int round = 0; round < 20; round++) {
			for (size_t i = 0; i < n; i++) {
				size_t len = strlen(replies[i]), out_total = 0;
				reply_filter f;
				reply_filter_init(&f);
				for (size_t at = 0; at < len; at += step) {
					size_t m = len - at < step ? len - at : step;
					const char *o;
					size_t ol;
					double t0 = now_us();
					reply_filter_feed(&f, s, replies[i] + at, m, &o, &ol);
					double dt = now_us() - t0;
					total += dt;
					worst = dt > worst ? dt : worst;
					if (dts && nd < cap)
						dts[nd++] = dt;
					out_total += ol;
					size_t lag = at + m - out_total;
					lag_sum += (double)lag;
					lag_max = lag > lag_max ? lag : lag_max;
					pieces++;
				}
				const char *o;
				size_t ol;
				reply_filter_finish(&f, s, &o, &ol);
				reply_filter_clear(&f);
				bytes += len;
			}
		}
		if (dts)
			qsort(dts, nd, sizeof *dts, cmp_double);
		printf("pieces of %zu bytes: %zu pieces, CPU per piece mean %.2f us, p99 %.1f us, slowest %.1f us; held "
		       "back per piece mean %.0f bytes, at most %zu bytes (one sentence)\n",
		       step, pieces, total / (double)pieces, dts && nd ? dts[nd * 99 / 100] : 0, worst,
		       lag_sum / (double)pieces, lag_max);
		free(dts);
		if (step == 1)
			break;
	}
	size_t sentences = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t at = 0, len = strlen(replies[i]); at < len; sentences++)
			at = safety_sentence_end(replies[i], len, at, true);
	double t0 = now_us();
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < n; i++)
			safety_reply_unsafe(s, replies[i]);
	double us = (now_us() - t0) / 20.0;
	printf("plain check: %.1f us per reply, %.1f us per sentence (%zu safe replies, %zu sentences, of %s)\n",
	       us / (double)n, us / (double)sentences, n, sentences, path);
	free(tsv);
	safety_unref(s);
	text_model_free(tm);
	return 0;
}
