/* The CultureCare line importer: import_line (store/import.c) on each line
 * of the input. A record it accepts is an object whose every member the
 * normaliser wrote; a refusal says why. */
#include <string.h>

#include "store/import.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t off = 0;
	while (off < size) {
		const char *nl = memchr(s + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (s + off)) + 1 : size - off;
		char err[256] = "";
		json_t *rec = (json_t *)s; /* must be overwritten */
		int rc = import_line(s + off, len, &rec, err, sizeof err);
		if (rc == 1) {
			FUZZ_CHECK(json_is_object(rec));
			char *dump = json_dumps(rec, 0);
			FUZZ_CHECK(dump);
			free(dump);
			json_decref(rec);
		} else {
			FUZZ_CHECK(!rec && (rc == 0 || (rc == -1 && err[0])));
		}
		off += len;
	}
	return 0;
}
