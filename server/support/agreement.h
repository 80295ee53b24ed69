/* Inter-rater agreement: Krippendorff's alpha with the ordinal distance,
 * for ratings on a scale kmin..kmax with any number of raters per unit and
 * missing values (Krippendorff, "Computing Krippendorff's Alpha-
 * Reliability", 2011). Pure functions. */
#ifndef CC_AGREEMENT_H
#define CC_AGREEMENT_H
#include <stddef.h>

/* values holds the ratings unit by unit: unit u has unit_sizes[u]
 * consecutive values. Values outside kmin..kmax count as missing (and
 * kmax - kmin must be below 16). Units with fewer than two values are not
 * pairable and do not count. Returns alpha (1 perfect agreement, 0 chance,
 * negative below chance), or NAN when it is undefined: no pairable unit,
 * or every value the same (no expected disagreement). *pairable (may be
 * NULL) gets the number of units with two or more values. */
double agreement_alpha_ordinal(const int *values, const size_t *unit_sizes, size_t units, int kmin, int kmax,
			       size_t *pairable);

/* The same from a coincidence matrix already made (o: nk x nk, row-major;
 * values kmin.. in order), e.g. summed by the database. NAN when
 * undefined. */
double agreement_alpha_ordinal_coincidences(const double *o, int nk);

#endif
