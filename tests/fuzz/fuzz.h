/* What the fuzz harnesses share: the libFuzzer entry point each defines,
 * and a check that aborts (so that both libFuzzer and the corpus replay
 * report the input) when a property of the code under test fails. */
#ifndef CC_FUZZ_H
#define CC_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif
