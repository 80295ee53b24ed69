/* Small helpers shared by every layer. */
#ifndef CC_UTIL_H
#define CC_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

/* Writes a random (version 4) UUID, 36 chars + NUL, into out[37]. */
void uuid_v4(char out[37]);

/* True for 36 characters of UUID form (hex digits and four dashes); false
 * for NULL (a missing member). */
bool uuid_valid(const char *s);

/* A secret: 32 random bytes from the kernel, base64url, 43 chars + NUL.
 * Returns -1 when no randomness is available (never a weaker secret). */
int random_token(char out[44]);

/* True if s is an acceptable client-sent request id: 1..128 chars of
 * [A-Za-z0-9._-]. */
bool request_id_valid(const char *s);

/* Grows array p (elements of elem bytes, capacity *cap) to hold need
 * elements, doubling. Returns the (possibly moved) array, or NULL when out
 * of memory (p is then untouched). */
void *array_grow(void *p, size_t *cap, size_t need, size_t elem);

static inline int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}
/* A malloc'd copy of the n bytes at s with ASCII letters lowered (others
 * kept), NUL-terminated; NULL when out of memory. */
char *ascii_lower_dup(const char *s, size_t n);

/* A growable string; a failed allocation is sticky (later additions do
 * nothing and sb_take returns NULL). Start from {0}. */
typedef struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
} sbuf;
void sb_addn(sbuf *b, const char *s, size_t n);
void sb_add(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string over (the caller owns it), or NULL after a failure. */
char *sb_take(sbuf *b);

/* Reads a whole file; returns a NUL-terminated malloc'd buffer (caller frees)
 * or NULL with errno set. */
char *read_file(const char *path, size_t *len);

#endif
