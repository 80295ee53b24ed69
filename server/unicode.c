/* UTF-8 and lower-casing from utf8proc (see server/unicode.h). */
#include "server/unicode.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

size_t utf8_decode(const char *s, size_t len, int32_t *cp)
{
	if ((unsigned char)s[0] < 0x80) {
		*cp = (unsigned char)s[0];
		return 1;
	}
	utf8proc_int32_t c;
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &c);
	if (n <= 0) {
		*cp = -1;
		return 1;
	}
	*cp = c;
	return (size_t)n;
}

size_t utf8_encode(int32_t cp, char *out)
{
	return (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
}

bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		int32_t cp;
		i += utf8_decode(s + i, len - i, &cp);
		if (cp < 0)
			return false;
	}
	return true;
}

size_t utf8_length(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int32_t unicode_lower(int32_t cp)
{
	return cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : utf8proc_tolower(cp);
}

char *unicode_fold(const char *text, size_t len, size_t *out_len)
{
	/* valid UTF-8 first: an invalid byte becomes U+FFFD */
	char *clean = malloc(len * 3 + 1);
	if (!clean)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &cp);
		if (k <= 0 || cp == 0) {
			if (k <= 0) {
				memcpy(clean + n, "\xEF\xBF\xBD", 3);
				n += 3;
			} else {
				clean[n++] = ' ';
			}
			i += k > 0 ? (size_t)k : 1;
			continue;
		}
		memcpy(clean + n, text + i, (size_t)k);
		n += (size_t)k;
		i += (size_t)k;
	}
	clean[n] = '\0';
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)clean, (utf8proc_ssize_t)n, &mapped,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
						  UTF8PROC_STRIPMARK | UTF8PROC_IGNORE | UTF8PROC_LUMP);
	free(clean);
	if (m < 0)
		return NULL;
	*out_len = (size_t)m;
	return (char *)mapped;
}

bool unicode_alnum(int32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return true;
	default:
		return false;
	}
}
