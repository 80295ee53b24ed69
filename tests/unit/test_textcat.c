/* The generic text classifier (server/textcat.h): it learns a small
 * separable set (also in scripts without spaces, and with a table so small
 * that features collide), trains deterministically, and scores any input:
 * empty, invalid UTF-8, 64 KB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/textcat.h"
#include "tests/unit/check.h"

static const textcat_params params = {
	.bits = 16, .ngram_min = 2, .ngram_max = 5, .words = 2, .epochs = 20, .rate = 0.3, .l2 = 1e-6, .seed = 7};

/* Label 1: fruit; 0: cars. In three scripts. */
static const char *const fruit[] = {"I ate an apple and a banana", "cherries and plums for dessert",
				    "a ripe mango, sweet pears", "Bananen und Äpfel zum Frühstück",
				    "我喜欢吃苹果和香蕉", "التفاح والموز لذيذ"};
static const char *const cars[] = {"the engine of my car stalled", "new tyres and brakes for the truck",
				   "the motor needs oil, the gearbox grinds", "Der Motor und die Bremsen sind kaputt",
				   "我的汽车发动机坏了", "محرك السيارة معطل"};
#define NDOC 6

static size_t docs(textcat_doc *d)
{
	for (size_t i = 0; i < NDOC; i++) {
		d[2 * i] = (textcat_doc){.text = fruit[i], .len = strlen(fruit[i]), .y = {1}};
		d[2 * i + 1] = (textcat_doc){.text = cars[i], .len = strlen(cars[i]), .y = {0}};
	}
	return 2 * NDOC;
}

static double p_of(const textcat *m, const char *s)
{
	double p = -1;
	CHECK_INT_EQ(textcat_score(m, s, strlen(s), &p), 0);
	return p;
}

static void test_learns(const textcat_params *p)
{
	textcat_doc d[2 * NDOC];
	size_t n = docs(d);
	textcat *m = textcat_train(p, 1, d, n);
	if (!CHECK(m != NULL))
		return;
	CHECK_INT_EQ(textcat_outputs(m), 1);
	for (size_t i = 0; i < NDOC; i++) {
		CHECK(p_of(m, fruit[i]) > 0.5);
		CHECK(p_of(m, cars[i]) < 0.5);
	}
	/* unseen texts made of the same words */
	CHECK(p_of(m, "a banana and a mango") > p_of(m, "the brakes of the truck"));
	CHECK(p_of(m, "香蕉") > p_of(m, "发动机"));
	textcat_free(m);
}

static void test_deterministic(void)
{
	textcat_doc d[2 * NDOC];
	size_t n = docs(d);
	textcat *a = textcat_train(&params, 1, d, n), *b = textcat_train(&params, 1, d, n);
	const char *probe[] = {"apple engine", "", "Motor", "التفاح", "random words here"};
	if (CHECK(a && b))
		for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
			double x = p_of(a, probe[i]), y = p_of(b, probe[i]);
			CHECK(memcmp(&x, &y, sizeof x) == 0);
		}
	textcat_free(a);
	textcat_free(b);
}

static void test_inputs(void)
{
	textcat_doc d[2 * NDOC];
	size_t n = docs(d);
	textcat *m = textcat_train(&params, 1, d, n);
	if (!CHECK(m != NULL))
		return;
	double p = -1, q = -1;
	CHECK_INT_EQ(textcat_score(m, NULL, 0, &p), 0); /* empty: the bias alone */
	CHECK(p > 0 && p < 1);
	CHECK_INT_EQ(textcat_score(m, "", 0, &q), 0);
	CHECK(p == q);
	static const char bad[] = "\xff\xfe apple \xc3 \xed\xa0\x80 banana \xf4\x90\x80\x80";
	CHECK_INT_EQ(textcat_score(m, bad, sizeof bad - 1, &p), 0);
	CHECK(p > 0.5 && p < 1); /* the valid words still count */
	static const char nul[] = "apple\0banana";
	CHECK_INT_EQ(textcat_score(m, nul, sizeof nul - 1, &p), 0);
	CHECK(p > 0.5);
	size_t big = 64 * 1024;
	char *s = malloc(big);
	if (CHECK(s != NULL)) {
		for (size_t i = 0; i < big; i++)
			s[i] = "engine car \xe6\xb1\xbd\xe8\xbd\xa6 "[i % 18];
		CHECK_INT_EQ(textcat_score(m, s, big, &p), 0);
		CHECK(isfinite(p) && p >= 0 && p < 0.5);
		free(s);
	}
	CHECK_INT_EQ(textcat_score(NULL, "x", 1, &p), -1);
	textcat_free(m);
	textcat_free(NULL);
}

static void test_params(void)
{
	textcat_doc d[2 * NDOC];
	size_t n = docs(d);
	textcat_params p = params;
	p.bits = 9;
	CHECK(textcat_train(&p, 1, d, n) == NULL);
	p = params;
	p.ngram_max = 9;
	CHECK(textcat_train(&p, 1, d, n) == NULL);
	CHECK(textcat_train(&params, 0, d, n) == NULL);
	CHECK(textcat_train(&params, TEXTCAT_MAX_OUT + 1, d, n) == NULL);
	CHECK(textcat_train(&params, 1, NULL, 3) == NULL);
	textcat *m = textcat_train(&params, 2, NULL, 0); /* no documents: a model of zeros */
	double out[2] = {-1, -1};
	if (CHECK(m != NULL) && CHECK_INT_EQ(textcat_score(m, "abc", 3, out), 0))
		CHECK(out[0] == 0.5 && out[1] == 0.5);
	textcat_free(m);
}

static void test_perceptron(void)
{
	/* three classes, one feature each, plus a shared one */
	uint32_t f[3][2] = {{1, 9}, {2, 9}, {3, 9}};
	textcat_example ex[6];
	for (int i = 0; i < 6; i++)
		ex[i] = (textcat_example){.f = f[i % 3], .n = 2, .y = i % 3, .key = (uint32_t)(100 - i)};
	float *w = textcat_perceptron_train(16, 3, 5, ex, 6);
	if (!CHECK(w != NULL))
		return;
	for (int c = 0; c < 3; c++) {
		double sc[3];
		textcat_perceptron_scores(w, 3, f[c], 2, sc);
		CHECK(sc[c] > sc[(c + 1) % 3] && sc[c] > sc[(c + 2) % 3]);
	}
	free(w);
	w = textcat_perceptron_train(16, 2, 3, NULL, 0);
	CHECK(w != NULL && w[0] == 0);
	free(w);
	CHECK(textcat_hash(1, "abc", 3) == textcat_hash(1, "abc", 3));
	CHECK(textcat_hash(1, "abc", 3) != textcat_hash(2, "abc", 3));
}

/* words 3: a word paired with the words two and three before it. Label 1
 * for "took X pills", 0 for "pills X took": the same characters and words,
 * so that for a middle word X never seen, only the skip pair (took, pills)
 * tells them apart: words 2 cannot learn it, words 3 can. */
static void test_skip_pairs(void)
{
	static const char *const mid[] = {"my", "the", "all", "her", "his", "some", "those", "these"};
	textcat_doc d[2 * 8];
	char buf[2 * 8][32];
	size_t n = 0;
	for (size_t i = 0; i < 8; i++)
		for (int k = 0; k < 2; k++) {
			snprintf(buf[n], sizeof buf[n], "%s %s %s", k ? "pills" : "took", mid[i], k ? "took" : "pills");
			d[n] = (textcat_doc){.text = buf[n], .len = strlen(buf[n]), .y = {k == 0}};
			n++;
		}
	textcat_params p = {.bits = 16, .ngram_min = 1, .ngram_max = 1, .words = 2, .epochs = 30, .rate = 0.3, .seed = 3};
	double two, three;
	textcat *m = textcat_train(&p, 1, d, n);
	two = m ? p_of(m, "took our pills") : 1;
	textcat_free(m);
	p.words = 3;
	m = textcat_train(&p, 1, d, n);
	three = m ? p_of(m, "took our pills") : 0;
	CHECK(m && p_of(m, "pills our took") < 0.5);
	textcat_free(m);
	CHECK(three > 0.5);
	CHECK(two > 0.35 && two < 0.65);
	p.words = 4;
	CHECK(textcat_train(&p, 1, d, n) == NULL);
}

int main(void)
{
	test_learns(&params);
	/* 2^10 buckets for some 600 distinct features: collisions share
	 * weights, the model still separates */
	textcat_params small = params;
	small.bits = 10;
	test_learns(&small);
	test_deterministic();
	test_inputs();
	test_params();
	test_skip_pairs();
	test_perceptron();
	return check_done();
}
