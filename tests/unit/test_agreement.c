/* Krippendorff's alpha (ordinal) against hand-computed examples. */
#include <math.h>

#include "server/support/agreement.h"
#include "tests/unit/check.h"

static int near(double a, double b, double eps)
{
	return fabs(a - b) <= eps;
}

/* Krippendorff's own example ("Computing Krippendorff's Alpha-
 * Reliability", 2011, section C): 4 observers, 12 units, values 1-5,
 * missing values (.):
 *   A: 1 2 3 3 2 1 4 1 2 . . .
 *   B: 1 2 3 3 2 2 4 1 2 5 . 3
 *   C: . 3 3 3 2 3 4 2 2 5 1 .
 *   D: 1 2 3 3 2 4 4 1 2 5 1 .
 * Unit 12 has one value and is not pairable: 11 pairable units, 40 values.
 * Coincidences o[c][k] (rows c = 1..5):
 *   7     4/3  1/3  1/3  0
 *   4/3   10   4/3  1/3  0
 *   1/3   4/3  8    1/3  0
 *   1/3   1/3  1/3  4    0
 *   0     0    0    0    3
 * marginals n_c = 9, 13, 10, 5, 3 (n = 40). Ordinal distances
 * delta2(c,k) = (sum_{g=c..k} n_g - (n_c + n_k)/2)^2, e.g. delta2(1,2) =
 * (22 - 11)^2 = 121, delta2(1,3) = (32 - 9.5)^2 = 506.25. Summed:
 * sum o delta2 = 1891, sum n_c n_k delta2 = 399480, so
 * alpha = 1 - 39 * 1891 / 399480 = 0.81539 (Krippendorff reports .815;
 * nominal .743, interval .849). */
static void krippendorff_example(void)
{
	const int v[] = {
		1, 1, 1,       /* unit 1: A B D */
		2, 2, 3, 2,    /* 2 */
		3, 3, 3, 3,    /* 3 */
		3, 3, 3, 3,    /* 4 */
		2, 2, 2, 2,    /* 5 */
		1, 2, 3, 4,    /* 6 */
		4, 4, 4, 4,    /* 7 */
		1, 1, 2, 1,    /* 8 */
		2, 2, 2, 2,    /* 9 */
		5, 5, 5,       /* 10: B C D */
		1, 1,          /* 11: C D */
		3,             /* 12: B only */
	};
	const size_t sizes[] = {3, 4, 4, 4, 4, 4, 4, 4, 4, 3, 2, 1};
	size_t pairable = 0;
	double a = agreement_alpha_ordinal(v, sizes, 12, 1, 5, &pairable);
	CHECK(near(a, 1.0 - 39.0 * 1891.0 / 399480.0, 1e-9));
	CHECK(near(a, 0.815, 0.0005));
	CHECK_INT_EQ(pairable, 11);
}

/* Two raters, three units: (1,1), (2,2), (1,2). o[1][1] = 2, o[2][2] = 2,
 * o[1][2] = o[2][1] = 1; n_1 = n_2 = 3, n = 6; delta2(1,2) = (6 - 3)^2 = 9.
 * sum o delta2 = 2 * 9 = 18, sum n_c n_k delta2 = 2 * 3 * 3 * 9 = 162,
 * alpha = 1 - 5 * 18 / 162 = 4/9. */
static void tiny_example(void)
{
	const int v[] = {1, 1, 2, 2, 1, 2};
	const size_t sizes[] = {2, 2, 2};
	CHECK(near(agreement_alpha_ordinal(v, sizes, 3, 1, 5, NULL), 4.0 / 9.0, 1e-12));
}

/* The same example from its coincidence matrix (as GET /stats gets it from
 * the database). */
static void from_coincidences(void)
{
	const double t = 1.0 / 3.0, f = 4.0 / 3.0;
	const double o[25] = {
		7, f, t, t, 0,
		f, 10, f, t, 0,
		t, f, 8, t, 0,
		t, t, t, 4, 0,
		0, 0, 0, 0, 3,
	};
	CHECK(near(agreement_alpha_ordinal_coincidences(o, 5), 1.0 - 39.0 * 1891.0 / 399480.0, 1e-9));
	const double tiny[4] = {2, 1, 1, 2};
	CHECK(near(agreement_alpha_ordinal_coincidences(tiny, 2), 4.0 / 9.0, 1e-12));
	const double none[4] = {0, 0, 0, 0};
	CHECK(isnan(agreement_alpha_ordinal_coincidences(none, 2)));
}

static void edges(void)
{
	size_t pairable = 7;
	const int same[] = {3, 3, 3, 3};
	const size_t two[] = {2, 2};
	CHECK(isnan(agreement_alpha_ordinal(same, two, 2, 1, 5, &pairable))); /* no expected disagreement */
	CHECK_INT_EQ(pairable, 2);
	const int single[] = {1, 5, 3};
	const size_t ones[] = {1, 1, 1};
	CHECK(isnan(agreement_alpha_ordinal(single, ones, 3, 1, 5, &pairable))); /* nothing pairable */
	CHECK_INT_EQ(pairable, 0);
	const int perfect[] = {1, 1, 5, 5, 3, 3};
	const size_t pairs[] = {2, 2, 2};
	CHECK(near(agreement_alpha_ordinal(perfect, pairs, 3, 1, 5, NULL), 1.0, 1e-12));
	/* values off the scale are missing: unit 2 loses its 9 and its 0 */
	const int off[] = {1, 1, 9, 0, 2, 2, 1, 2};
	const size_t sizes[] = {2, 2, 2, 2};
	CHECK(near(agreement_alpha_ordinal(off, sizes, 4, 1, 5, &pairable), 4.0 / 9.0, 1e-12));
	CHECK_INT_EQ(pairable, 3);
	/* systematic disagreement is below chance */
	const int opposite[] = {1, 5, 5, 1, 1, 5};
	CHECK(agreement_alpha_ordinal(opposite, pairs, 3, 1, 5, NULL) < 0);
}

int main(void)
{
	krippendorff_example();
	tiny_example();
	from_coincidences();
	edges();
	return check_done();
}
