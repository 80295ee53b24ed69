/* The backend's plain reply: llm_reply_parse (server/llm/llm.c) on any
 * bytes. A reply it accepts has its content, and what it reports points into
 * the document it hands back. */
#include <string.h>

#include "server/llm/llm.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	llm_result res = {.outcome = LLM_BAD_REPLY, .prompt_tokens = -1, .completion_tokens = -1};
	json_t *doc = (json_t *)data; /* must be overwritten */
	int rc = llm_reply_parse((const char *)data, size, &res, &doc);
	if (rc == 0) {
		FUZZ_CHECK(res.outcome == LLM_OK && !res.reason && res.content && doc);
		FUZZ_CHECK(json_is_object(doc));
		json_t *content = json_object_get(
			json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message"), "content");
		FUZZ_CHECK(res.content == json_string_value(content));
		FUZZ_CHECK(!res.model || strlen(res.model) > 0);
		json_decref(doc);
	} else {
		FUZZ_CHECK(rc == -1 && res.outcome == LLM_BAD_REPLY && res.reason && !doc);
	}
	return 0;
}
