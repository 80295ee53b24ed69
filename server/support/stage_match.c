/* Stage: the corpus in memory. The message against the culture's cultural
 * signals, its most similar annotated distress phrases and the support
 * strategies peers used (server/support/lexicon.h): microseconds, no
 * database round trip. */
#include "server/support/run.h"

#include <stdio.h>

#include "server/support/corpus_annotator.h"

int stage_match(support_run *s)
{
	const support_input *in = &s->in;
	char uuid[37];
	uuid_v4(uuid);
	/* OpenAI ids look like chatcmpl-...; keep the UUID inside. */
	snprintf(s->id, sizeof s->id, "%s%s", run_is_openai(in->format) ? "chatcmpl-" : "", uuid);
	uint64_t t = now_ns();
	lexicon_opts o;
	corpus_match_opts(&o);
	if (lexicon_match(s->lex, s->culture, in->message, in->message_len, &o, &s->match) < 0) {
		run_fail(s, ERR_INTERNAL, NULL, NULL);
		return -1;
	}
	s->ms_store = run_ms_since(t);
	return 0;
}
