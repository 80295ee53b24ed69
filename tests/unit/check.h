/* A tiny test helper: CHECK macros that report file:line and the failing
 * expression on stderr and count failures; check_done() gives the exit
 * status. Meant to be included by exactly one translation unit per test
 * executable. */
#ifndef CC_TESTS_CHECK_H
#define CC_TESTS_CHECK_H
#include <stdio.h>
#include <string.h>

static unsigned check_count_;
static unsigned check_failures_;

/* Records one check; returns ok so callers can guard dependent checks. */
static inline int check_record_(int ok, const char *file, int line, const char *expr)
{
	check_count_++;
	if (!ok) {
		check_failures_++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
	}
	return ok;
}

static inline int check_str_eq_(const char *a, const char *b, const char *file, int line,
				const char *ea, const char *eb)
{
	int ok = (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
	check_count_++;
	if (!ok) {
		check_failures_++;
		fprintf(stderr, "%s:%d: check failed: %s == %s\n  left:  %s%s%s\n  right: %s%s%s\n", file,
			line, ea, eb, a ? "\"" : "", a ? a : "(null)", a ? "\"" : "", b ? "\"" : "",
			b ? b : "(null)", b ? "\"" : "");
	}
	return ok;
}

static inline int check_int_eq_(long long a, long long b, const char *file, int line, const char *ea,
				const char *eb)
{
	int ok = a == b;
	check_count_++;
	if (!ok) {
		check_failures_++;
		fprintf(stderr, "%s:%d: check failed: %s == %s\n  left:  %lld\n  right: %lld\n", file, line,
			ea, eb, a, b);
	}
	return ok;
}

static inline int check_str_contains_(const char *hay, const char *needle, const char *file, int line,
				      const char *eh, const char *en)
{
	int ok = hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
	check_count_++;
	if (!ok) {
		check_failures_++;
		fprintf(stderr, "%s:%d: check failed: %s contains %s\n  haystack: %s%s%s\n  needle:   %s\n",
			file, line, eh, en, hay ? "\"" : "", hay ? hay : "(null)", hay ? "\"" : "",
			needle ? needle : "(null)");
	}
	return ok;
}

#define CHECK(cond) check_record_((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_STR_EQ(a, b) check_str_eq_((a), (b), __FILE__, __LINE__, #a, #b)
#define CHECK_INT_EQ(a, b) check_int_eq_((long long)(a), (long long)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_STR_CONTAINS(hay, needle) \
	check_str_contains_((hay), (needle), __FILE__, __LINE__, #hay, #needle)

/* Prints the summary; returns the process exit status. */
static inline int check_done(void)
{
	fprintf(check_failures_ ? stderr : stdout, "%u checks, %u failed\n", check_count_, check_failures_);
	return check_failures_ ? 1 : 0;
}

#endif
