#!/usr/bin/env bash
# The classifier stage (RISK_CLASSIFIER): on by default, three kinds
# (moderation, llama-guard, chat-json) against the fake backend; it runs
# beside generation, can only raise the level, holds a stream's deltas
# until it has answered (bounded by RISK_CLASSIFIER_TIMEOUT_MS), checks
# replies (moderation, llama-guard), and reports itself in safety, the log
# and /metrics. The fake answers by markers in the text (tests/fake_llm.c).
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
crisis_en=$(psql "$DATABASE_URL" -Atc "SELECT body FROM crisis_messages WHERE lang = 'en'")
TABLE="$SOURCE_ROOT/tests/risk_table.tsv"
pick() { awk -F'\t' -v l="$1" -v v="$2" -v c="${3:-}" '$1 == l && $2 == v && (c == "" || $3 == c) { print $4; exit }' "$TABLE"; }
PRIVATE="PRIVATE-$RANDOM$RANDOM"
# msg TEXT [extra jq fields]: a /support body (corpus annotations, one call)
msg() { jq -nc --arg m "Work was long today and I miss my family. $PRIVATE $1" "{message: \$m, culture: \"german\", annotator: \"corpus\", strategy: \"redditor\"${2:-}}"; }
mods() { fake_requests | jq -c '[.[] | select(._endpoint == "moderations")]'; }
chats() { fake_requests | jq -c '[.[] | select(._endpoint == null)]'; }
now_ms() { date +%s%3N; }
# stop: SIGTERM; a clean exit (under the sanitizers: no leak, no error)
stop() {
  serve_stop
  eq "SIGTERM: exit 0" "$SERVER_RC" 0
  ok "no sanitizer report" bash -c '! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1"' _ "$SERVER_LOG"
}
# stream BODY FILE [PATH]: a streamed reply, each line prefixed by its arrival time (ms)
stream() {
  curl -sN -m 20 -H 'Content-Type: application/json' --data-binary "$1" "$BASE${3:-/support}" |
    while IFS= read -r line; do printf '%s %s\n' "$(date +%s%3N)" "$line"; done >"$2"
}
# first_ms FILE PATTERN: arrival time of the first line matching
first_ms() { grep -m1 -- "$2" "$1" | cut -d' ' -f1; }
# sse FILE: the events of a timestamped stream
sse() { cut -d' ' -f2- "$1" >"$1.raw"; sse_events "$1.raw"; }

# ---- the default: on, chat-json through the chat backend ----
RISK_CLASSIFIER= serve_up
ok "default: the classifier is on (auto: chat-json) and says so" grep -q '"msg":"risk classifier".*"kind":"chat-json"' "$SERVER_LOG"
fake_clear
fake_script '{"json_content": "{\"risk_level\": \"none\", \"categories\": []}"}'
post "$(msg '')"
eq "default: a plain reply with the classifier's outcome" "$STATUS $(jb .safety.classifier.kind) $(jb .safety.classifier.outcome) $(jb .safety.classifier.level)" "200 chat-json agreed none"
ok "default: its latency" jqok '.safety.classifier.latency_ms >= 0' <<<"$BODY"
eq "default: a grading call (JSON mode) and the reply" "$(fake_requests | jq -c '[.[] | has("response_format")] | sort')" "[false,true]"
ok "the grading call is deterministic and short" jqok '[.[] | select(has("response_format"))][0] | .temperature == 0 and .max_tokens == 200' <<<"$(fake_requests)"
eq "chat-json checks no replies" "$(jb '.safety.classifier | has("reply")')" false
post "$(msg '' ', dry_run: true')"
eq "dry run: skipped (no backend call)" "$(jb .safety.classifier.outcome) $(jb '.safety.classifier | has("latency_ms")')" "skipped false"
fake_clear
post "$(jq -n --arg m "$(pick en imminent self)" '{message: $m, culture: "german"}')"
eq "rules at imminent: the crisis reply, no call" "$(jb .safety.response_mode) $(jb .safety.classifier.outcome) $(fake_count)" "crisis not_needed 0"
# a stream held by a classifier that never answers: the timeout lets it go
stop
RISK_CLASSIFIER=chat-json RISK_CLASSIFIER_TIMEOUT_MS=800 serve_up
fake_script '{"json_mode": "hang", "pieces": ["Hello ", "there."]}'
t0=$(now_ms)
stream "$(msg '' ', stream: true')" "$T/hang.sse"
ev=$(sse "$T/hang.sse")
eq "a hanging classifier: meta, the deltas, done" "$(jq -r '[.[].event | select(. != null)] | join(" ")' <<<"$ev" | sed -E 's/(delta )+/delta... /')" "meta delta... done"
eq "the reply whole" "$(jq -r '[.[] | select(.event == "delta") | .data.text] | join("")' <<<"$ev")" "Hello there."
d=$(( $(first_ms "$T/hang.sse" 'event: delta') - t0 ))
ok "the deltas only after RISK_CLASSIFIER_TIMEOUT_MS ($d ms)" test "$d" -ge 750
ok "and not much later ($d ms)" test "$d" -lt 3000
eq "meta said pending, done says timeout" "$(jq -r '[.[] | select(.event == "meta" or .event == "done") | .data.safety.classifier.outcome] | join(",")' <<<"$ev")" "pending,timeout"
eq "the rules' level stands" "$(jq -r '.[] | select(.event == "done") | .data.safety.risk_level' <<<"$ev")" none
fake_script '{}'
stop
RISK_CLASSIFIER= RISK_MODEL_CHECK=on serve_up
ok "RISK_MODEL_CHECK=on: the chat-json classifier (an older name)" grep -q '"kind":"chat-json"' "$SERVER_LOG"
stop

# ---- off ----
RISK_CLASSIFIER=off serve_up
ok "off: a warning at start-up" grep -q '"level":"warn".*RISK_CLASSIFIER=off' "$SERVER_LOG"
fake_clear
post "$(msg '')"
eq "off: no classifier in safety, one backend call" "$(jb '.safety | has("classifier")') $(fake_count)" "false 1"
stop
out=$(RISK_CLASSIFIER=moderation MODERATION_URL= "$CULTURECARE" serve 2>&1 || true)
contains "moderation without MODERATION_URL: start-up stops, saying so" "$out" "MODERATION_URL"

# ---- moderation (auto picks it when MODERATION_URL is set) ----
RISK_CLASSIFIER= MODERATION_URL="$FAKE/v1/" MODERATION_API_KEY=mod-key RISK_CLASSIFIER_TIMEOUT_MS=1000 serve_up
ok "auto with MODERATION_URL: moderation" grep -q '"msg":"risk classifier".*"kind":"moderation"' "$SERVER_LOG"
fake_clear
post "$(msg '')"
eq "moderation: agreed, none; the reply passed" "$(jb .safety.classifier.kind) $(jb .safety.classifier.outcome) $(jb .safety.classifier.level) $(jb .safety.classifier.reply.outcome)" "moderation agreed none passed"
eq "and the generated reply" "$(jb .response) $(jb .safety.response_mode)" "This is a fake reply. normal"
m=$(mods)
eq "two moderation calls: the message, then the reply" "$(jq length <<<"$m")" 2
ok "request shape: model, input, the key" jqok --arg m "$(jq -r .message <<<"$(msg '')")" '.[0] | .model == "omni-moderation-latest" and .input == $m and ._authorization == "Bearer mod-key" and (keys - ["model","input"] | all(startswith("_")))' <<<"$m"
eq "the reply's input is the reply" "$(jq -r '.[1].input' <<<"$m")" "This is a fake reply."
schema_ok "a reply with the classifier" SupportReply
# raised to high: the crisis reply, whatever was generated
fake_clear
post "$(msg 'MOD-INTENT')"
eq "self-harm/intent over its threshold: high, the crisis reply" "$(jb .safety.risk_level) $(jb .safety.response_mode) $(jb .safety.escalate) $(jb .model)" "high crisis true none"
eq "reported as raised to high" "$(jb .safety.classifier.outcome) $(jb .safety.classifier.level)" "raised high"
eq "the crisis message" "$(jb .response)" "$crisis_en"
ok "with resources" jqok '.safety.resources | length > 0' <<<"$BODY"
post "$(msg 'MOD-INSTRUCTIONS')"
eq "self-harm/instructions over its threshold: high" "$(jb .safety.risk_level) $(jb .safety.classifier.outcome)" "high raised"
# raised to moderate: generated again with safe-messaging instructions
fake_clear
post "$(msg 'MOD-SH')"
eq "self-harm over its threshold: moderate, safe messaging" "$(jb .safety.risk_level) $(jb .safety.response_mode) $(jb .safety.classifier.outcome)" "moderate safe_messaging raised"
# (the cancelled call and the new one may reach the fake in either order)
eq "the reply's prompt, made again, has the safe-messaging instructions" "$(chats | jq '[.[] | select(.messages[0].content | test("safe-messaging"))] | length')" 1
eq "the reply is the generated one" "$(jb .response)" "This is a fake reply."
fake_clear
post "$(jq -n --arg m "$(pick en imminent self)" '{message: $m, culture: "german"}')"
eq "rules at imminent: not needed, no moderation call" "$(jb .safety.classifier.outcome) $(fake_count)" "not_needed 0"
# lower is ignored
fake_clear
post "$(jq -n --arg m "$(pick en moderate self)" '{message: $m, culture: "german", annotator: "corpus", strategy: "redditor"}')"
eq "rules moderate, classifier none: lower_ignored, moderate stands" "$(jb .safety.risk_level) $(jb .safety.classifier.outcome) $(jb .safety.classifier.level)" "moderate lower_ignored none"
eq "one generation call" "$(chats | jq length)" 1
# thresholds
post "$(msg 'MOD-SCORE=0.4')"
eq "scores of 0.4 under the default thresholds (0.5): agreed" "$(jb .safety.risk_level) $(jb .safety.classifier.outcome)" "none agreed"
# garbage, errors, timeouts: the rules' level stands
post "$(msg 'MOD-GARBAGE')"
eq "a garbage answer: failed, the rules' level, the reply" "$(jb .safety.classifier.outcome) $(jb .safety.risk_level) $(jb .response)" "failed none This is a fake reply."
post "$(msg 'MOD-ERROR')"
eq "an error answer: failed" "$(jb .safety.classifier.outcome) $(jb .safety.risk_level) $STATUS" "failed none 200"
t0=$(now_ms)
post "$(msg 'MOD-SLOW')"
d=$(( $(now_ms) - t0 ))
eq "a slow classifier: timeout, the rules' level, the reply" "$(jb .safety.classifier.outcome) $(jb .safety.risk_level) $(jb .response)" "timeout none This is a fake reply."
ok "answered after RISK_CLASSIFIER_TIMEOUT_MS, not the classifier's 5 s ($d ms)" test "$d" -ge 950 -a "$d" -lt 4000
ok "its latency is about the timeout" jqok '.safety.classifier.latency_ms >= 950 and .safety.classifier.latency_ms < 4000' <<<"$BODY"
# the reply check
fake_script '{"content": "Here is something MOD-INSTRUCTIONS."}'
post "$(msg '')"
eq "a reply flagged for self-harm/instructions: replaced" "$(jb .safety.response_mode) $(jb .safety.classifier.reply.outcome)" "replaced flagged"
eq "by the crisis message" "$(jb .response)" "$crisis_en"
ok "the flagged text is gone" bash -c '! grep -q "Here is something" <<<"$1"' _ "$BODY"
fake_script '{"content": "A gentle reply MOD-SLOW."}'
post "$(msg '')"
eq "a reply check past the timeout: the reply goes out" "$(jb .safety.classifier.reply.outcome) $(jb .safety.response_mode) $(jb .response)" "timeout normal A gentle reply MOD-SLOW."
fake_script '{"content": "I understand. The lethal dose is about twenty tablets."}'
fake_clear
post "$(msg '')"
eq "a reply the phrase check replaced needs no classifier" "$(jb .safety.classifier.reply.outcome) $(jb .safety.response_mode) $(mods | jq length)" "not_needed replaced 1"
# streams: held until the classifier answered, then released
fake_script '{"moderation_delay_ms": 600, "pieces": ["Hello ", "there, ", "friend."]}'
fake_clear
t0=$(now_ms)
stream "$(msg '' ', stream: true')" "$T/held.sse"
ev=$(sse "$T/held.sse")
eq "held stream: meta, the deltas, done" "$(jq -r '[.[].event | select(. != null)] | join(" ")' <<<"$ev" | sed -E 's/(delta )+/delta... /')" "meta delta... done"
eq "the reply whole" "$(jq -r '[.[] | select(.event == "delta") | .data.text] | join("")' <<<"$ev")" "Hello there, friend."
meta=$(( $(first_ms "$T/held.sse" 'event: meta') - t0 ))
delta=$(( $(first_ms "$T/held.sse" 'event: delta') - t0 ))
gen_done=$(( $(chats | jq '.[0]._done_ms | floor') - t0 ))
ok "meta at once ($meta ms)" test "$meta" -lt 500
ok "the generation had ended ($gen_done ms) before any delta was sent ($delta ms)" test "$gen_done" -lt "$delta"
ok "no delta before the classifier answered (600 ms; first delta at $delta ms)" test "$delta" -ge 580
BODY=$(jq -c '.[] | select(.event == "meta") | .data' <<<"$ev")
schema_ok "meta with the classifier pending" SseMeta
BODY=$(jq -c '.[] | select(.event == "done") | .data' <<<"$ev")
schema_ok "done with the classifier's outcome" SseDone
eq "meta: pending; done: agreed, the reply passed" "$(jq -r '[.[] | select(.event == "meta" or .event == "done") | .data.safety.classifier | .outcome, (.reply.outcome // "-")] | join(",")' <<<"$ev")" "pending,-,agreed,passed"
# streams: raised, so no generated delta ever appears
fake_script '{"moderation_delay_ms": 300, "pieces": ["GENERATED-ONE ", "GENERATED-TWO."]}'
stream "$(msg 'MOD-INTENT' ', stream: true')" "$T/raised.sse"
ev=$(sse "$T/raised.sse")
eq "raised stream: meta, replaced, done" "$(jq -c '[.[].event | select(. != null)]' <<<"$ev")" '["meta","replaced","done"]'
ok "no generated text was sent" bash -c '! grep -q GENERATED "$1"' _ "$T/raised.sse"
eq "replaced: the crisis message, crisis safety" "$(jq -r '.[] | select(.event == "replaced") | [.data.text == $c, .data.safety.response_mode, .data.safety.classifier.outcome] | map(tostring) | join(",")' --arg c "$crisis_en" <<<"$ev")" "true,crisis,raised"
eq "done: no model, high" "$(jq -r '.[] | select(.event == "done") | [(.data | has("model")), .data.safety.risk_level] | map(tostring) | join(",")' <<<"$ev")" "false,high"
stream "$(jq -nc --arg m "Work was long today and I miss my family. MOD-INTENT" '{model: "culturecare/german/standard", messages: [{role: "user", content: $m}], stream: true}')" "$T/raised-v1.sse" /v1/chat/completions
ok "/v1 stream raised: no generated text" bash -c '! grep -q GENERATED "$1"' _ "$T/raised-v1.sse"
ok "/v1 stream raised: the crisis message as the content" jqok --arg c "$crisis_en" '[.[] | select(.event == "message") | .data | objects | .choices[0].delta.content // empty] | join("") == $c' <<<"$(sse "$T/raised-v1.sse")"
ok "/v1 stream raised: ends with [DONE]" grep -q 'data: \[DONE\]' "$T/raised-v1.sse"
# streams: the reply flagged at its end
fake_script '{"pieces": ["Fine words. ", "Then MOD-INSTRUCTIONS here."]}'
stream "$(msg '' ', stream: true')" "$T/flagged.sse"
ev=$(sse "$T/flagged.sse")
eq "a stream whose reply is flagged: a replaced event before done" "$(jq -c '[.[].event | select(. != null)] | .[-2:]' <<<"$ev")" '["replaced","done"]'
eq "and the reply's outcome" "$(jq -r '.[] | select(.event == "done") | .data.safety.classifier.reply.outcome' <<<"$ev")" flagged
fake_script '{}'
# metrics and log
req GET /metrics
contains "metrics: raised messages counted" "$BODY" 'culturecare_risk_classifier_total{kind="moderation",stage="message",outcome="raised"} '
for o in agreed raised lower_ignored failed timeout not_needed; do
  ok "metrics: message outcome $o counted" bash -c 'grep -q "^culturecare_risk_classifier_total{kind=\"moderation\",stage=\"message\",outcome=\"$1\"} [1-9]" <<<"$2"' _ "$o" "$BODY"
done
for o in passed flagged timeout not_needed; do
  ok "metrics: reply outcome $o counted" bash -c 'grep -q "^culturecare_risk_classifier_total{kind=\"moderation\",stage=\"reply\",outcome=\"$1\"} [1-9]" <<<"$2"' _ "$o" "$BODY"
done
ok "metrics: the latency histogram" bash -c 'grep -q "^culturecare_risk_classifier_duration_seconds_count{kind=\"moderation\",stage=\"message\"} [1-9]" <<<"$1"' _ "$BODY"
ok "metrics: replies replaced by the classifier counted" bash -c 'grep -q "^culturecare_safety_replies_replaced_total [1-9]" <<<"$1"' _ "$BODY"
ok "the log line names the classifier's outcome" grep -q '"classifier":{"kind":"moderation","outcome":"raised"' "$SERVER_LOG"
ok "no message text in the log" bash -c '! grep -q "$1" "$2"' _ "$PRIVATE" "$SERVER_LOG"
stop
# thresholds are settings
RISK_CLASSIFIER=moderation MODERATION_URL="$FAKE/v1" MODERATION_INTENT_THRESHOLD=0.3 serve_up
post "$(msg 'MOD-SCORE=0.4')"
eq "MODERATION_INTENT_THRESHOLD=0.3: scores of 0.4 are high" "$(jb .safety.risk_level) $(jb .safety.classifier.outcome)" "high raised"
stop
RISK_CLASSIFIER=moderation MODERATION_URL="$FAKE/v1" MODERATION_INTENT_THRESHOLD=0.9 MODERATION_INSTRUCTIONS_THRESHOLD=0.9 MODERATION_SELF_HARM_THRESHOLD=0.3 serve_up
post "$(msg 'MOD-SCORE=0.4')"
eq "MODERATION_SELF_HARM_THRESHOLD=0.3: scores of 0.4 are moderate" "$(jb .safety.risk_level) $(jb .safety.classifier.level)" "moderate moderate"
stop
out=$(RISK_CLASSIFIER=moderation MODERATION_URL=x MODERATION_INTENT_THRESHOLD=1.5 "$CULTURECARE" serve 2>&1 || true)
contains "a threshold above 1 is refused" "$out" "MODERATION_INTENT_THRESHOLD"

# ---- llama-guard ----
RISK_CLASSIFIER=llama-guard RISK_CLASSIFIER_MODEL=guard-test serve_up
fake_clear
post "$(msg '')"
eq "llama-guard: safe is no opinion; the reply passed" "$(jb .safety.classifier.kind) $(jb .safety.classifier.outcome) $(jb '.safety.classifier | has("level")') $(jb .safety.classifier.reply.outcome)" "llama-guard no_opinion false passed"
g=$(fake_requests | jq -c '[.[] | select(.model == "guard-test")]')
eq "two guard calls (message, reply) with the configured model" "$(jq length <<<"$g")" 2
ok "the message's prompt: one user turn, Llama Guard 3's categories and instruction" jqok '.[0] | (.messages | length) == 1 and .messages[0].role == "user" and (.messages[0].content | startswith("Task: Check if there is unsafe content in '"'"'User'"'"' messages") and contains("S11: Self-Harm.") and contains("S14: Code Interpreter Abuse.") and contains("<BEGIN CONVERSATION>\n\nUser: Work was long") and contains("Provide your safety assessment for ONLY THE LAST User message")) and .temperature == 0' <<<"$g"
ok "the reply's prompt: the Agent's turn" jqok '.[1].messages[0].content | startswith("Task: Check if there is unsafe content in '"'"'Agent'"'"' messages") and contains("Agent: This is a fake reply.") and contains("ONLY THE LAST Agent message")' <<<"$g"
post "$(msg 'LG-UNSAFE-S11')"
eq "unsafe S11: high, the crisis reply" "$(jb .safety.risk_level) $(jb .safety.response_mode) $(jb .safety.classifier.outcome) $(jb '.safety.classifier.llama_guard_categories|join(",")')" "high crisis raised S11"
post "$(msg 'LG-UNSAFE-S1')"
eq "unsafe S1 (not self-harm): no opinion, categories reported" "$(jb .safety.risk_level) $(jb .safety.classifier.outcome) $(jb '.safety.classifier.llama_guard_categories|join(",")')" "none no_opinion S1"
post "$(msg 'LG-GARBAGE')"
eq "an answer that is neither safe nor unsafe: failed" "$(jb .safety.classifier.outcome) $(jb .response)" "failed This is a fake reply."
fake_script '{"content": "You could LG-UNSAFE-S11 do that."}'
post "$(msg '')"
eq "a reply Llama Guard finds unsafe (S11): replaced" "$(jb .safety.response_mode) $(jb .safety.classifier.reply.outcome) $([ "$(jb .response)" = "$crisis_en" ] && echo crisis)" "replaced flagged crisis"
fake_script '{}'
schema_ok "a llama-guard reply" SupportReply
stop
# the backend's chat template writes Llama Guard's prompt: the turns only
RISK_CLASSIFIER=llama-guard RISK_CLASSIFIER_LLAMA_GUARD_FORMAT=conversation serve_up
fake_clear
post "$(msg '')"
g=$(fake_requests | jq -c '[.[] | select(.model == "llama-guard3")]')
eq "conversation: the default model, two calls" "$(jq length <<<"$g") $(jb .safety.classifier.outcome) $(jb .safety.classifier.reply.outcome)" "2 no_opinion passed"
ok "the message alone as the user turn" jqok --arg m "$(jq -r .message <<<"$(msg '')")" '.[0].messages == [{role: "user", content: $m}]' <<<"$g"
ok "the reply as the assistant turn after it" jqok --arg m "$(jq -r .message <<<"$(msg '')")" '.[1].messages == [{role: "user", content: $m}, {role: "assistant", content: "This is a fake reply."}]' <<<"$g"
post "$(msg 'LG-UNSAFE-S11')"
eq "conversation: unsafe S11 is high" "$(jb .safety.risk_level) $(jb .safety.classifier.outcome)" "high raised"
stop
out=$(RISK_CLASSIFIER=llama-guard RISK_CLASSIFIER_LLAMA_GUARD_FORMAT=chat "$CULTURECARE" serve 2>&1 || true)
contains "an unknown Llama Guard format is refused" "$out" "RISK_CLASSIFIER_LLAMA_GUARD_FORMAT"
finish
