/* The text models' costs (server/safety/text_model.h): training both on
 * the sets compiled in, as the service does at start-up (the fastest and
 * the slowest of 5 runs), and scoring: the risk model on a message of 100
 * words, and the reply model on one window (a sentence with the one before
 * it), each the mean of many runs; and the risk model's scores on that
 * message (an ordinary one: it should stay below the thresholds). Processor time, not wall time (the
 * machine may be busy). Asserts nothing. Usage: text_model_bench */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/safety/text_model.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* 100 words of ordinary prose. */
static const char message[] =
	"I have been feeling tired for weeks now and I do not really know why. Work has been busy and my sister "
	"moved away last month, so the evenings are quiet. I still cook and go for walks, but everything feels a "
	"bit grey and slow. My friend says I should talk to someone about it, maybe my doctor, and I think she "
	"might be right. I am not sure what to say though, or whether it is worth their time. Do you have any "
	"advice on how to start that conversation without feeling silly about it all?";
static const char window[] = "That sounds really hard, and it makes sense that you feel worn out. Talking to your "
			     "doctor is a good step, and you can start by saying exactly what you told me.";

int main(void)
{
	double best = 1e18, worst = 0;
	text_model *m = NULL;
	for (int i = 0; i < 5; i++) {
		text_model_free(m);
		double t0 = now_us();
		m = text_model_builtin();
		double t = now_us() - t0;
		if (!m) {
			fprintf(stderr, "out of memory\n");
			return 2;
		}
		best = t < best ? t : best;
		worst = t > worst ? t : worst;
	}
	printf("start-up training (%zu messages, %zu replies): %.1f ms (slowest of 5: %.1f ms)\n", m->risk_docs,
	       m->reply_docs, best / 1e3, worst / 1e3);
	size_t words = 0;
	for (const char *p = message; *p; p++)
		words += *p == ' ';
	words++;
	enum { RUNS = 20000 };
	double a, b, sink = 0, t0 = now_us();
	for (int i = 0; i < RUNS; i++) {
		text_model_risk(m, message, sizeof message - 1, &a, &b);
		sink += a;
	}
	double risk_us = (now_us() - t0) / RUNS;
	t0 = now_us();
	for (int i = 0; i < RUNS; i++)
		sink += text_model_risk_level(m, message, sizeof message - 1);
	double level_us = (now_us() - t0) / RUNS;
	t0 = now_us();
	for (int i = 0; i < RUNS; i++)
		sink += text_model_reply(m, window, sizeof window - 1);
	double reply_us = (now_us() - t0) / RUNS;
	text_model_risk(m, message, sizeof message - 1, &a, &b);
	printf("risk model on the message: acute %.2f (threshold %.2f), any risk %.2f (threshold %.2f)\n", a,
	       m->acute_min, b, m->risk_min);
	printf("risk model: %.2f us per message of %zu words (%zu bytes)\n", risk_us, words, sizeof message - 1);
	printf("risk level (the whole message, its windows and the floor): %.2f us per message\n", level_us);
	printf("reply model: %.2f us per window of %zu bytes\n", reply_us, sizeof window - 1);
	printf("(checksum %.3f)\n", sink / RUNS);
	text_model_free(m);
	return 0;
}
