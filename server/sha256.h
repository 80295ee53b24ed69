/* SHA-256 (FIPS 180-4) from libcrypto, for migration checksums, record
 * fingerprints and API key hashes. */
#ifndef CC_SHA256_H
#define CC_SHA256_H
#include <stddef.h>

/* Digest of data (len bytes) into out. */
void sha256(const void *data, size_t len, unsigned char out[32]);

/* Hex digest of data: 64 chars + NUL into hex[65]. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
