/* The classifier stage's pure parts: the kind chosen by the settings, the
 * moderation request and answer, the score thresholds, Llama Guard 3's
 * prompt and answer. */
#include <stdlib.h>
#include <string.h>

#include "server/safety/classifier.h"
#include "tests/unit/check.h"

static config base(void)
{
	config c;
	memset(&c, 0, sizeof c);
	c.risk_classifier = "auto";
	c.llm_model = "llama3.1:8b";
	c.moderation_intent_threshold = 0.5;
	c.moderation_instructions_threshold = 0.5;
	c.moderation_self_harm_threshold = 0.5;
	return c;
}

static void test_kind(void)
{
	config c = base();
	CHECK_INT_EQ(classifier_kind_of(&c), CLS_CHAT_JSON); /* auto without MODERATION_URL */
	c.moderation_url = "";
	CHECK_INT_EQ(classifier_kind_of(&c), CLS_CHAT_JSON);
	c.moderation_url = "https://api.openai.com/v1";
	CHECK_INT_EQ(classifier_kind_of(&c), CLS_MODERATION);
	c.risk_model_check = true; /* the older name wins over auto */
	CHECK_INT_EQ(classifier_kind_of(&c), CLS_CHAT_JSON);
	c.risk_classifier = "llama-guard";
	CHECK_INT_EQ(classifier_kind_of(&c), CLS_LLAMA_GUARD);
	c.risk_classifier = "off";
	CHECK_INT_EQ(classifier_kind_of(&c), CLS_OFF);
	c.risk_classifier = "moderation";
	CHECK_INT_EQ(classifier_kind_of(&c), CLS_MODERATION);
	CHECK_STR_EQ(classifier_kind_name(CLS_LLAMA_GUARD), "llama-guard");
	CHECK_STR_EQ(classifier_kind_name(CLS_CHAT_JSON), "chat-json");
	CHECK(classifier_checks_replies(CLS_MODERATION));
	CHECK(classifier_checks_replies(CLS_LLAMA_GUARD));
	CHECK(!classifier_checks_replies(CLS_CHAT_JSON));
	char err[128];
	c.moderation_url = NULL;
	CHECK_INT_EQ(classifier_setup(&c, err, sizeof err), -1);
	CHECK_STR_CONTAINS(err, "MODERATION_URL");
}

static void test_moderation(void)
{
	char *b = classifier_moderation_body("omni-moderation-latest", "I \"feel\" low");
	CHECK_STR_EQ(b, "{\"model\":\"omni-moderation-latest\",\"input\":\"I \\\"feel\\\" low\"}");
	free(b);
	moderation_scores s;
	CHECK_INT_EQ(classifier_moderation_parse("{\"results\":[{\"categories\":{\"self-harm\":true},\"category_scores\":"
						 "{\"self-harm\":0.7,\"self-harm/intent\":0.2,"
						 "\"self-harm/instructions\":0.01}}]}",
						 &s),
		     0);
	CHECK(s.self_harm == 0.7 && s.intent == 0.2 && s.instructions == 0.01);
	/* booleans where a score is missing */
	CHECK_INT_EQ(classifier_moderation_parse("{\"results\":[{\"categories\":{\"self-harm/intent\":true}}]}", &s), 0);
	CHECK(s.intent == 1.0 && s.self_harm == 0.0);
	CHECK_INT_EQ(classifier_moderation_parse("{\"results\":[{\"categories\":{\"violence\":true}}]}", &s), -1);
	CHECK_INT_EQ(classifier_moderation_parse("{\"results\": oops", &s), -1);
	CHECK_INT_EQ(classifier_moderation_parse("{\"results\":[]}", &s), -1);
	CHECK_INT_EQ(classifier_moderation_parse(NULL, &s), -1);

	config c = base();
	moderation_scores none = {0.1, 0.1, 0.1}, sh = {0.5, 0.1, 0.1}, intent = {0.9, 0.5, 0.0}, instr = {0.2, 0.1, 0.6};
	CHECK_INT_EQ(classifier_moderation_level(&c, &none), RISK_NONE);
	CHECK_INT_EQ(classifier_moderation_level(&c, &sh), RISK_MODERATE); /* at the threshold */
	CHECK_INT_EQ(classifier_moderation_level(&c, &intent), RISK_HIGH);
	CHECK_INT_EQ(classifier_moderation_level(&c, &instr), RISK_HIGH);
	CHECK(!classifier_moderation_flags_reply(&c, &sh)); /* a reply may speak of self-harm */
	CHECK(classifier_moderation_flags_reply(&c, &intent));
	CHECK(classifier_moderation_flags_reply(&c, &instr));
	c.moderation_intent_threshold = 0.95;
	c.moderation_self_harm_threshold = 0.95;
	CHECK_INT_EQ(classifier_moderation_level(&c, &intent), RISK_NONE);
}

static void test_llama_guard(void)
{
	char *p = classifier_llama_guard_prompt("I cannot go on.", NULL);
	CHECK(strncmp(p, "Task: Check if there is unsafe content in 'User' messages", 57) == 0);
	CHECK_STR_CONTAINS(p, "S1: Violent Crimes.\n");
	CHECK_STR_CONTAINS(p, "S11: Self-Harm.\n");
	CHECK_STR_CONTAINS(p, "S14: Code Interpreter Abuse.\n<END UNSAFE CONTENT CATEGORIES>");
	CHECK_STR_CONTAINS(p, "<BEGIN CONVERSATION>\n\nUser: I cannot go on.\n\n<END CONVERSATION>");
	CHECK_STR_CONTAINS(p, "Provide your safety assessment for ONLY THE LAST User message in the above conversation:\n"
			      " - First line must read 'safe' or 'unsafe'.\n"
			      " - If unsafe, a second line must include a comma-separated list of violated categories.");
	CHECK(strstr(p, "Agent") == NULL);
	free(p);
	p = classifier_llama_guard_prompt("I cannot go on.", "You are not alone.");
	CHECK(strncmp(p, "Task: Check if there is unsafe content in 'Agent' messages", 58) == 0);
	CHECK_STR_CONTAINS(p, "User: I cannot go on.\n\nAgent: You are not alone.\n\n<END CONVERSATION>");
	CHECK_STR_CONTAINS(p, "ONLY THE LAST Agent message");
	free(p);

	bool unsafe = true;
	char codes[64];
	CHECK_INT_EQ(classifier_llama_guard_parse("safe", &unsafe, codes, sizeof codes), 0);
	CHECK(!unsafe);
	CHECK_STR_EQ(codes, "");
	CHECK_INT_EQ(classifier_llama_guard_parse("\n\nunsafe\nS11", &unsafe, codes, sizeof codes), 0);
	CHECK(unsafe);
	CHECK_STR_EQ(codes, "S11");
	CHECK(classifier_llama_guard_self_harm(codes));
	CHECK_INT_EQ(classifier_llama_guard_parse("Unsafe\nS1, S11,S2", &unsafe, codes, sizeof codes), 0);
	CHECK_STR_EQ(codes, "S1,S11,S2");
	CHECK(classifier_llama_guard_self_harm(codes));
	CHECK_INT_EQ(classifier_llama_guard_parse("unsafe\nS1", &unsafe, codes, sizeof codes), 0);
	CHECK(!classifier_llama_guard_self_harm(codes)); /* S1 is not S11 */
	CHECK(!classifier_llama_guard_self_harm("S111,S110"));
	CHECK_INT_EQ(classifier_llama_guard_parse("unsafe\nS11x S9999 <script>", &unsafe, codes, sizeof codes), 0);
	CHECK_STR_EQ(codes, ""); /* only well-formed codes */
	CHECK_INT_EQ(classifier_llama_guard_parse("safety first", &unsafe, codes, sizeof codes), -1);
	CHECK_INT_EQ(classifier_llama_guard_parse("I am not sure.", &unsafe, codes, sizeof codes), -1);
	CHECK_INT_EQ(classifier_llama_guard_parse("", &unsafe, codes, sizeof codes), -1);
	CHECK_INT_EQ(classifier_llama_guard_parse(NULL, &unsafe, codes, sizeof codes), -1);
	char small[5];
	CHECK_INT_EQ(classifier_llama_guard_parse("unsafe\nS1,S11", &unsafe, small, sizeof small), 0);
	CHECK_STR_EQ(small, "S1"); /* what fits */
}

int main(void)
{
	test_kind();
	test_moderation();
	test_llama_guard();
	return check_done();
}
