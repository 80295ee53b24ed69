/* Unit tests for server/util.c and config_parse_uint. */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/unicode.h"
#include "server/util.h"
#include "tests/unit/check.h"

#define U8(lit) (lit), (sizeof(lit) - 1)

static void fill(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

static void test_request_id_valid(void)
{
	CHECK(request_id_valid("a"));
	CHECK(request_id_valid("abc-123"));
	CHECK(request_id_valid("Req_1.2-x"));
	CHECK(request_id_valid("0"));
	CHECK(request_id_valid("9f1c2e3a-1b2c-4d5e-8f90-a1b2c3d4e5f6"));
	CHECK(request_id_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"));

	CHECK(!request_id_valid(NULL));
	CHECK(!request_id_valid(""));
	CHECK(!request_id_valid("a b"));
	CHECK(!request_id_valid(" a"));
	CHECK(!request_id_valid("a\"b"));
	CHECK(!request_id_valid("a'b"));
	CHECK(!request_id_valid("a\nb"));
	CHECK(!request_id_valid("a\rb"));
	CHECK(!request_id_valid("a\tb"));
	CHECK(!request_id_valid("a/b"));
	CHECK(!request_id_valid("a:b"));
	CHECK(!request_id_valid("a;b"));
	CHECK(!request_id_valid("a%b"));
	CHECK(!request_id_valid("caf\xc3\xa9")); /* é */
	CHECK(!request_id_valid("abc\x7f"));

	char buf[200];
	fill(buf, 'a', 128);
	CHECK(request_id_valid(buf));
	fill(buf, 'a', 127);
	CHECK(request_id_valid(buf));
	fill(buf, 'a', 129);
	CHECK(!request_id_valid(buf));
	fill(buf, 'Z', 199);
	CHECK(!request_id_valid(buf));
	/* a bad character at the very end of a 128-char id */
	fill(buf, 'a', 128);
	buf[127] = ' ';
	CHECK(!request_id_valid(buf));
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 8-4-4-4-12 lowercase hex, version 4, RFC 4122 variant. */
static bool uuid_shape_ok(const char *u)
{
	if (strlen(u) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (!is_lower_hex(u[i])) {
			return false;
		}
	}
	return true;
}

static void test_uuid_v4(void)
{
	char a[37], b[37];
	memset(a, 'X', sizeof a);
	memset(b, 'X', sizeof b);
	uuid_v4(a);
	uuid_v4(b);
	CHECK_INT_EQ(strlen(a), 36);
	CHECK(uuid_shape_ok(a));
	CHECK(uuid_shape_ok(b));
	CHECK(a[14] == '4');
	CHECK(a[19] != '\0' && strchr("89ab", a[19]) != NULL);
	CHECK(strcmp(a, b) != 0);
	CHECK(request_id_valid(a)); /* our own ids pass our own validation */

	/* many draws: the shape, version and variant always hold, and no repeats */
	enum { N = 256 };
	static char many[N][37];
	bool shapes = true, versions = true, variants = true, distinct = true;
	for (int i = 0; i < N; i++) {
		uuid_v4(many[i]);
		shapes = shapes && uuid_shape_ok(many[i]);
		versions = versions && many[i][14] == '4';
		variants = variants && many[i][19] != '\0' && strchr("89ab", many[i][19]) != NULL;
		for (int k = 0; k < i && distinct; k++)
			distinct = strcmp(many[i], many[k]) != 0;
	}
	CHECK(shapes);
	CHECK(versions);
	CHECK(variants);
	CHECK(distinct);
	/* the variant nibble is not stuck on one value over 256 draws */
	int kinds = 0;
	for (const char *v = "89ab"; *v; v++) {
		for (int i = 0; i < N; i++) {
			if (many[i][19] == *v) {
				kinds++;
				break;
			}
		}
	}
	CHECK(kinds >= 2);
}

static void test_utf8_valid(void)
{
	CHECK(utf8_valid(U8("")));
	CHECK(utf8_valid(U8("hello, world")));
	CHECK(utf8_valid(U8("\xe5\x8e\x8b\xe5\x8a\x9b")));                 /* 压力 */
	CHECK(utf8_valid(U8("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7")));  /* مرحبا */
	CHECK(utf8_valid(U8("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d")));         /* שלום */
	CHECK(utf8_valid(U8("\xf0\x9f\x98\x94")));                         /* 😔 */
	CHECK(utf8_valid(U8("I feel \xf0\x9f\x98\x94 \xe5\x8e\x8b\xe5\x8a\x9b")));
	CHECK(utf8_valid(U8("\xe2\x80\x9c" "quoted" "\xe2\x80\x9d")));  /* curly quotes */
	CHECK(utf8_valid(U8("\xc2\x80")));                                 /* U+0080, smallest 2-byte */
	CHECK(utf8_valid(U8("\xe0\xa0\x80")));                             /* U+0800, smallest 3-byte */
	CHECK(utf8_valid(U8("\xed\x9f\xbf")));                             /* U+D7FF, just below surrogates */
	CHECK(utf8_valid(U8("\xee\x80\x80")));                             /* U+E000, just above */
	CHECK(utf8_valid(U8("\xef\xbf\xbf")));                             /* U+FFFF */
	CHECK(utf8_valid(U8("\xf0\x90\x80\x80")));                         /* U+10000, smallest 4-byte */
	CHECK(utf8_valid(U8("\xf4\x8f\xbf\xbf")));                         /* U+10FFFF, the largest */
	CHECK(utf8_valid("a\0b", 3));                                      /* NUL is a valid code point */

	CHECK(!utf8_valid(U8("\x80")));                 /* lone continuation byte */
	CHECK(!utf8_valid(U8("abc\x80")));
	CHECK(!utf8_valid(U8("\xbf")));
	CHECK(!utf8_valid(U8("\xe5\x8e")));             /* truncated 3-byte sequence */
	CHECK(!utf8_valid(U8("\xe5\x8e" "a")));         /* interrupted 3-byte sequence */
	CHECK(!utf8_valid(U8("\xf0\x9f\x98")));         /* truncated 4-byte sequence */
	CHECK(!utf8_valid(U8("\xc3")));                 /* truncated 2-byte sequence */
	CHECK(!utf8_valid(U8("\xc0\xaf")));             /* overlong '/' */
	CHECK(!utf8_valid(U8("\xc1\xbf")));             /* overlong */
	CHECK(!utf8_valid(U8("\xe0\x80\xaf")));         /* overlong 3-byte */
	CHECK(!utf8_valid(U8("\xf0\x80\x80\xaf")));     /* overlong 4-byte */
	CHECK(!utf8_valid(U8("\xed\xa0\x80")));         /* U+D800 surrogate */
	CHECK(!utf8_valid(U8("\xed\xbf\xbf")));         /* U+DFFF surrogate */
	CHECK(!utf8_valid(U8("\xf4\x90\x80\x80")));     /* U+110000 */
	CHECK(!utf8_valid(U8("\xf5\x80\x80\x80")));
	CHECK(!utf8_valid(U8("\xf8\x88\x80\x80\x80"))); /* 5-byte form */
	CHECK(!utf8_valid(U8("\xfe")));
	CHECK(!utf8_valid(U8("\xff")));
	/* the length bounds the check: a valid prefix of an invalid buffer */
	CHECK(utf8_valid("ab\xff", 2));
	CHECK(!utf8_valid("\xe5\x8e\x8b", 2));
}

static void test_utf8_length(void)
{
	CHECK_INT_EQ(utf8_length(U8("")), 0);
	CHECK_INT_EQ(utf8_length(U8("abc")), 3);
	CHECK_INT_EQ(utf8_length(U8("\xe5\x8e\x8b\xe5\x8a\x9b")), 2);                /* 压力 */
	CHECK_INT_EQ(utf8_length(U8("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7")), 5); /* مرحبا */
	CHECK_INT_EQ(utf8_length(U8("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d")), 4);        /* שלום */
	CHECK_INT_EQ(utf8_length(U8("\xf0\x9f\x98\x94")), 1);                        /* 😔 */
	CHECK_INT_EQ(utf8_length(U8("a\xe5\x8e\x8b\xf0\x9f\x98\x94z")), 4);
	CHECK_INT_EQ(utf8_length("a\0b", 3), 3);
	CHECK_INT_EQ(utf8_length(U8("\xf4\x8f\xbf\xbf")), 1);
}

static void test_config_parse_uint(void)
{
	unsigned long long v = 12345;
	CHECK_INT_EQ(config_parse_uint("0", 0, 10, &v), 0);
	CHECK_INT_EQ(v, 0);
	CHECK_INT_EQ(config_parse_uint("10", 0, 10, &v), 0);
	CHECK_INT_EQ(v, 10);
	CHECK_INT_EQ(config_parse_uint("6", 6, 6, &v), 0);
	CHECK_INT_EQ(v, 6);
	CHECK_INT_EQ(config_parse_uint("8080", 0, 65535, &v), 0);
	CHECK_INT_EQ(v, 8080);
	CHECK_INT_EQ(config_parse_uint("65535", 0, 65535, &v), 0);
	CHECK_INT_EQ(v, 65535);
	CHECK_INT_EQ(config_parse_uint("18446744073709551615", 0, ULLONG_MAX, &v), 0);
	CHECK(v == ULLONG_MAX);

	/* out of range */
	v = 777;
	CHECK_INT_EQ(config_parse_uint("11", 0, 10, &v), -1);
	CHECK_INT_EQ(v, 777); /* untouched on error */
	CHECK_INT_EQ(config_parse_uint("65536", 0, 65535, &v), -1);
	CHECK_INT_EQ(config_parse_uint("0", 1, 256, &v), -1);
	CHECK_INT_EQ(config_parse_uint("5", 6, 10, &v), -1);
	/* overflow */
	CHECK_INT_EQ(config_parse_uint("18446744073709551616", 0, ULLONG_MAX, &v), -1);
	CHECK_INT_EQ(config_parse_uint("99999999999999999999999999", 0, ULLONG_MAX, &v), -1);
	/* signs and leading white space */
	CHECK_INT_EQ(config_parse_uint("+5", 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint("-5", 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint("-0", 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint("-1", 0, ULLONG_MAX, &v), -1);
	CHECK_INT_EQ(config_parse_uint(" 5", 0, 10, &v), -1);
	CHECK_INT_EQ(v, 777);
	/* empty, missing, trailing garbage */
	CHECK_INT_EQ(config_parse_uint("", 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint(NULL, 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint("5x", 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint("5 ", 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint("5.0", 0, 10, &v), -1);
	CHECK_INT_EQ(config_parse_uint("0x10", 0, 100, &v), -1);
	CHECK_INT_EQ(config_parse_uint("1e3", 0, 10000, &v), -1);
	CHECK_INT_EQ(config_parse_uint("abc", 0, 10, &v), -1);
	CHECK_INT_EQ(v, 777);

	/* leading white space other than ' ' (strtoull would skip it), and a
	 * sign hidden behind it: not an unsigned decimal either */
	unsigned long long w = 0;
	CHECK_INT_EQ(config_parse_uint("\t5", 0, 10, &w), -1);
	CHECK_INT_EQ(config_parse_uint("\n5", 0, 10, &w), -1);
	CHECK_INT_EQ(config_parse_uint("\t-1", 0, ULLONG_MAX, &w), -1);
	CHECK_INT_EQ(config_parse_uint("\t-0", 0, 10, &w), -1);
}

static void test_uuid_valid_and_token(void)
{
	char u[37];
	uuid_v4(u);
	CHECK(uuid_valid(u));
	CHECK(uuid_valid("7C9E6679-7425-40DE-944B-E07FC1F90AE7"));
	CHECK(!uuid_valid("7c9e6679-7425-40de-944b-e07fc1f90ae"));   /* short */
	CHECK(!uuid_valid("7c9e6679-7425-40de-944b-e07fc1f90ae7a")); /* long */
	CHECK(!uuid_valid("7c9e6679x7425-40de-944b-e07fc1f90ae7"));  /* dash missing */
	CHECK(!uuid_valid("7c9e6679-7425-40de-944b-e07fc1f90aeg"));  /* not hex */
	CHECK(!uuid_valid(""));

	char a[44], b[44];
	CHECK_INT_EQ(random_token(a), 0);
	CHECK_INT_EQ(random_token(b), 0);
	CHECK_INT_EQ((long long)strlen(a), 43);
	CHECK(strcmp(a, b) != 0);
	bool alphabet = true;
	for (int i = 0; i < 43; i++)
		alphabet = alphabet && (isalnum((unsigned char)a[i]) || a[i] == '-' || a[i] == '_');
	CHECK(alphabet);
	/* every base64url digit turns up over many tokens (all 256 bits used) */
	bool seen[128] = {0};
	for (int k = 0; k < 200; k++) {
		CHECK_INT_EQ(random_token(a), 0);
		for (int i = 0; i < 43; i++)
			seen[(unsigned char)a[i] & 127] = true;
	}
	int distinct = 0;
	for (int c = 0; c < 128; c++)
		distinct += seen[c];
	CHECK_INT_EQ(distinct, 64);
}

static void test_ascii_lower_dup(void)
{
	/* n bytes exactly (a NUL inside included), ASCII letters only lowered */
	char *d = ascii_lower_dup("AbC\xc3\x89Z-9tail", 7);
	CHECK_STR_EQ(d, "abc\xc3\x89z-");
	free(d);
	d = ascii_lower_dup("A\0B", 3);
	CHECK(d[0] == 'a' && d[1] == '\0' && d[2] == 'b' && d[3] == '\0');
	free(d);
	d = ascii_lower_dup("", 0);
	CHECK_STR_EQ(d, "");
	free(d);
}

int main(void)
{
	test_ascii_lower_dup();
	test_uuid_valid_and_token();
	test_request_id_valid();
	test_uuid_v4();
	test_utf8_valid();
	test_utf8_length();
	test_config_parse_uint();
	return check_done();
}
