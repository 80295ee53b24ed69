/* The one Unicode toolkit of the service, on utf8proc: UTF-8 decoding,
 * encoding, validation and length, and lower-casing. The risk rules
 * (server/safety/risk.c), the matcher (server/support/lexicon.c) and request checks all
 * read text through it, so they agree on what is a character. */
#ifndef CC_UNICODE_H
#define CC_UNICODE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s (len > 0 bytes left): returns its length in
 * bytes and sets *cp, or returns 1 with *cp = -1 when s does not start a
 * well-formed sequence (invalid or truncated, an overlong form, a surrogate
 * or a value above U+10FFFF). */
size_t utf8_decode(const char *s, size_t len, int32_t *cp);

/* Writes code point cp (valid) into out (room for 4 bytes); returns the
 * number of bytes. */
size_t utf8_encode(int32_t cp, char *out);

/* True if s (len bytes) is well-formed UTF-8 (NUL included). */
bool utf8_valid(const char *s, size_t len);

/* Number of code points in well-formed UTF-8. */
size_t utf8_length(const char *s, size_t len);

/* The simple (one code point) lower-case mapping of the Unicode Character
 * Database: A to a, Ä to ä, ẞ to ß, İ to i, Σ to σ, Д to д; cp itself when
 * it has none (ß, Han, Arabic, Hebrew). Never more than one UTF-8 byte
 * longer than cp (Ⱥ, Ⱦ: 2 bytes to 3). */
int32_t unicode_lower(int32_t cp);

/* Folds text (len bytes, any bytes) for matching: invalid UTF-8 becomes
 * U+FFFD and NUL a space, then NFKC, Unicode case folding, combining marks
 * and default-ignorable characters removed, and look-alike punctuation
 * lumped (utf8proc's LUMP). A new NUL-terminated string of *out_len bytes,
 * or NULL when out of memory. */
char *unicode_fold(const char *text, size_t len, size_t *out_len);

/* True for a letter or a digit (any script). */
bool unicode_alnum(int32_t cp);

#endif
