/* Unit tests for the SHA-256 wrapper (server/sha256.c, libcrypto) against
 * the FIPS 180-2 / NIST vectors. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/sha256.h"
#include "tests/unit/check.h"

static void to_hex(const unsigned char d[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}

static const char empty_sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char abc_sha[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char m448_sha[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
static const char m896_sha[] = "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1";
static const char million_a_sha[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static void test_vectors(void)
{
	char hex[65];
	sha256_hex("", 0, hex);
	CHECK_STR_EQ(hex, empty_sha);
	sha256_hex("abc", 3, hex);
	CHECK_STR_EQ(hex, abc_sha);
	sha256_hex(m448, strlen(m448), hex);
	CHECK_STR_EQ(hex, m448_sha);
	sha256_hex(m896, strlen(m896), hex);
	CHECK_STR_EQ(hex, m896_sha);

	/* the raw digest */
	unsigned char d[32];
	sha256("abc", 3, d);
	to_hex(d, hex);
	CHECK_STR_EQ(hex, abc_sha);
}

static void test_million_a(void)
{
	enum { N = 1000000 };
	unsigned char *a = malloc(N);
	if (!CHECK(a != NULL))
		return;
	memset(a, 'a', N);
	char hex[65];

	sha256_hex(a, N, hex);
	CHECK_STR_EQ(hex, million_a_sha);

	free(a);
}

/* Lengths around the padding boundaries (55/56 bytes: the length field
 * fits / does not fit in the last block), reference values from sha256sum. */
static void test_padding_boundaries(void)
{
	static const struct {
		size_t n;
		const char *sha;
	} cases[] = {
		{55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
		{56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
		{63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
		{64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
		{65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
		{119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
		{120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
	};
	unsigned char x[128];
	memset(x, 'x', sizeof x);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char hex[65];
		sha256_hex(x, cases[i].n, hex);
		CHECK_STR_EQ(hex, cases[i].sha);
	}
}

static void test_hex_format(void)
{
	char hex[66];
	memset(hex, '#', sizeof hex);
	sha256_hex("abc", 3, hex);
	CHECK_INT_EQ(strlen(hex), 64);
	CHECK(hex[65] == '#'); /* writes exactly 65 bytes */
	bool lower = true;
	for (int i = 0; i < 64; i++)
		lower = lower && ((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'));
	CHECK(lower);
	/* one bit of input changes the digest */
	char other[65];
	sha256_hex("abd", 3, other);
	CHECK(strcmp(hex, other) != 0);
}

int main(void)
{
	test_vectors();
	test_million_a();
	test_padding_boundaries();
	test_hex_format();
	return check_done();
}
