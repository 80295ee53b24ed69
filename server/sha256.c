/* SHA-256 through OpenSSL's EVP interface (see server/sha256.h). */
#include "server/sha256.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include "server/log.h"

void sha256(const void *data, size_t len, unsigned char out[32])
{
	/* Fails only when libcrypto cannot allocate its context: a digest
	 * that silently went wrong would match nothing (keys) or refuse a
	 * correct schema (migrations), so the process stops instead. */
	if (!EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL)) {
		log_json(LOG_ERROR, "SHA-256 failed (libcrypto)", NULL);
		abort();
	}
}

void sha256_hex(const void *data, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[32];
	sha256(data, len, d);
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}
