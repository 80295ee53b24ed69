/* Krippendorff's alpha, ordinal (see agreement.h). From the coincidence
 * matrix o[c][k] (each unit with m values adds, for every ordered pair of
 * its values from different raters, 1 / (m - 1)), the marginals n_c and
 * their total n:
 *   delta2(c, k) = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2
 *   alpha = 1 - (n - 1) * sum o[c][k] delta2 / sum n_c n_k delta2 */
#include "server/support/agreement.h"

#include <math.h>
#include <string.h>

#define KMAX 16

/* alpha from a coincidence matrix o (nk x nk, rows stride apart). */
static double alpha_of(const double *o, int stride, int nk)
{
	double nc[KMAX] = {0}, n = 0;
	for (int c = 0; c < nk; c++) {
		for (int k = 0; k < nk; k++)
			nc[c] += o[c * stride + k];
		n += nc[c];
	}
	double observed = 0, expected = 0;
	for (int c = 0; c < nk; c++)
		for (int k = 0; k < nk; k++) {
			if (c == k)
				continue;
			int lo = c < k ? c : k, hi = c < k ? k : c;
			double sum = 0;
			for (int g = lo; g <= hi; g++)
				sum += nc[g];
			double d = sum - (nc[c] + nc[k]) / 2.0;
			double d2 = d * d;
			observed += o[c * stride + k] * d2;
			expected += nc[c] * nc[k] * d2;
		}
	if (expected <= 0 || n <= 1)
		return NAN;
	return 1.0 - (n - 1.0) * observed / expected;
}

double agreement_alpha_ordinal(const int *values, const size_t *unit_sizes, size_t units, int kmin, int kmax,
			       size_t *pairable)
{
	size_t np = 0;
	if (pairable)
		*pairable = 0;
	int nk = kmax - kmin + 1;
	if (nk < 2 || nk > KMAX)
		return NAN;
	double o[KMAX][KMAX];
	memset(o, 0, sizeof o);
	size_t at = 0;
	for (size_t u = 0; u < units; u++) {
		const int *v = values + at;
		size_t m = unit_sizes[u];
		at += m;
		int counts[KMAX] = {0};
		size_t mu = 0;
		for (size_t i = 0; i < m; i++)
			if (v[i] >= kmin && v[i] <= kmax) {
				counts[v[i] - kmin]++;
				mu++;
			}
		if (mu < 2)
			continue;
		np++;
		for (int c = 0; c < nk; c++)
			for (int k = 0; k < nk; k++) {
				double pairs = c == k ? (double)counts[c] * (counts[c] - 1) : (double)counts[c] * counts[k];
				o[c][k] += pairs / (double)(mu - 1);
			}
	}
	if (pairable)
		*pairable = np;
	if (np == 0)
		return NAN;
	return alpha_of(&o[0][0], KMAX, nk);
}

double agreement_alpha_ordinal_coincidences(const double *o, int nk)
{
	if (nk < 2 || nk > KMAX)
		return NAN;
	return alpha_of(o, nk, nk);
}
