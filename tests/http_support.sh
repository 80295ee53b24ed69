#!/usr/bin/env bash
# POST /support end to end: the real binary, a real PostgreSQL, and the fake
# OpenAI-compatible backend (tests/fake_llm.c) on loopback.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
LLM_MODEL=test-model LLM_TIMEOUT_MS=1500 serve_up
req GET /readyz
eq "ready once the corpus is in memory" "$STATUS" 200

MSG='Since I moved away I cannot keep shabbat with my family and I feel so alone. My parents call every week and I just cry afterwards.'
mj=$(jq -Rn --arg m "$MSG" '$m')

# ---- the five strategies: what the backend receives ----
for s in redditor profile guided_without_profile annotation_without_profile guided_annotation; do
  fake_clear
  post "{\"message\": $mj, \"culture\": \"jewish\", \"strategy\": \"$s\", \"annotator\": \"corpus\", \"include_prompt\": true}"
  eq "$s: 200" "$STATUS" 200
  eq "$s: the model's text is the response" "$(jb .response)" "This is a fake reply."
  eq "$s: strategy echoed" "$(jb .strategy)" "$s"
  sys=$(fake_last system); usr=$(fake_last user)
  eq "$s: the backend got the prompt the reply reports" "$(jb '.prompt[0].content')" "$sys"
  contains "$s: output rules in every system prompt" "$sys" "Write only your reply"
  case $s in profile|guided_annotation) contains "$s: culture role-play" "$sys" "Jewish member" ;;
    *) ok "$s: no culture role-play" bash -c '[[ "$1" != *"Jewish member"* ]]' _ "$sys" ;; esac
  case $s in guided_without_profile)
      contains "$s: guideline 1" "$sys" "Value and respect"
      contains "$s: guideline 7" "$sys" "Acknowledge cultural differences" ;;
    guided_annotation)
      contains "$s: guideline 3" "$sys" "social and political system"
      ok "$s: not guideline 1" bash -c '[[ "$1" != *"Value and respect"* ]]' _ "$sys"
      ok "$s: not guideline 7" bash -c '[[ "$1" != *"Acknowledge cultural differences"* ]]' _ "$sys" ;;
    *) ok "$s: no guidelines" bash -c '[[ "$1" != *"social and political system"* ]]' _ "$sys" ;; esac
  case $s in annotation_without_profile|guided_annotation)
      contains "$s: signal type definitions" "$sys" "Norms and Morals"
      contains "$s: annotations follow the message" "$usr" "Annotations:"
      contains "$s: the corpus signal is annotated" "$usr" "shabbat"
      contains "$s: support hints by default" "$sys" "Recommended support strategies" ;;
    *) eq "$s: the user turn is the message alone" "$usr" "$MSG"
       ok "$s: no definitions" bash -c '[[ "$1" != *"Norms and Morals"* ]]' _ "$sys" ;; esac
  eq "$s: temperature 0.7" "$(fake_requests | jq -r '.[-1].temperature')" 0.7
  eq "$s: max tokens 1000" "$(fake_requests | jq -r '.[-1].max_tokens')" 1000
  eq "$s: the configured model" "$(fake_requests | jq -r '.[-1].model')" test-model
done
fake_clear
post "{\"message\": $mj, \"culture\": \"jewish\", \"strategy\": \"cga\", \"annotator\": \"corpus\", \"support_hints\": false}"
sys=$(fake_last system)
ok "support_hints:false: no hint section" bash -c '[[ "$1" != *"Recommended support strategies"* ]]' _ "$sys"
for alias in standard:redditor culture:profile guided:guided_without_profile annotation:annotation_without_profile cga:guided_annotation; do
  post "{\"message\": \"hello\", \"culture\": \"jewish\", \"strategy\": \"${alias%%:*}\", \"dry_run\": true}"
  eq "alias ${alias%%:*}" "$(jb .strategy)" "${alias##*:}"
done
post "{\"message\": \"hello\", \"culture\": \"jewish\", \"dry_run\": true}"
eq "default strategy guided_annotation" "$(jb .strategy)" guided_annotation

# ---- metadata ----
post "{\"message\": $mj, \"culture\": \"JEW\", \"annotator\": \"corpus\"}"
eq "culture aliases, any case" "$(jb .culture)" jewish
eq "a stored signal is found with type and source corpus" \
  "$(jb '.annotations.cultural_signals[]|select(.match.phrase=="shabbat")|[.type,.source]|join(",")')" "Norms and Morals,corpus"
ok "a signal's span is its sentence of the message, with the corpus phrase in it" \
  jqok '.annotations.cultural_signals[]|select(.match.phrase=="shabbat")|.phrase|ascii_downcase|contains("shabbat") and length > 7' <<<"$BODY"
ok "support strategies with weights and examples" jqok '.support_strategies|length > 0 and all(.[]; .weight > 0 and (.examples|length) <= 3)' <<<"$BODY"
eq "model as the backend reported" "$(jb .model)" test-model
ok "usage" jqok '.usage.prompt_tokens > 0 and .usage.completion_tokens > 0' <<<"$BODY"
ok "timings" jqok '.timings_ms|(.store >= 0 and .backend > 0 and .total >= .backend)' <<<"$BODY"
ok "an id (UUID)" grep -Eq '^[0-9a-f-]{36}$' <<<"$(jb .id)"
ok "no prompt unless asked" jqok 'has("prompt")|not' <<<"$BODY"
schema_ok "a reply" SupportReply

# ---- annotators ----
fake_clear
fake_script '{"json_content": "{\"emotional_distress\":[{\"phrase\":\"i feel so alone\",\"intensity\":\"moderate\"}],\"cultural_signals\":[{\"phrase\":\"shabbat\",\"type\":\"Norms and Morals\"},{\"phrase\":\"not in the message\",\"type\":\"Values\"}]}"}'
post "{\"message\": $mj, \"culture\": \"jewish\", \"annotator\": \"llm\"}"
eq "annotator llm: 200" "$STATUS" 200
eq "annotator llm: one JSON-mode call then the reply" "$(fake_requests | jq -r '[.[] | (.response_format.type // "none")]|join(",")')" "json_object,none"
eq "llm annotations, with the message's spelling" "$(jb '.annotations.emotional_distress[0]|[.phrase,.intensity,.source]|join(",")')" "I feel so alone,moderate,llm"
schema_ok "a reply with llm annotations" SupportReply
eq "phrases not in the message are dropped" "$(jb '[.annotations.cultural_signals[].phrase]|join(",")')" "shabbat"
contains "and the reply prompt carries them" "$(fake_last user)" "I feel so alone"
eq "annotator used" "$(jb .annotator.used)" llm
fake_clear
post "{\"message\": $mj, \"culture\": \"jewish\"}"
eq "annotator auto = llm for an annotation strategy" "$(fake_count)" 2
fake_clear
post "{\"message\": $mj, \"culture\": \"jewish\", \"strategy\": \"profile\"}"
eq "annotator auto = no extra call for other strategies" "$(fake_count)" 1
fake_script '{"json_content": "sorry, I cannot do JSON"}'
post "{\"message\": $mj, \"culture\": \"jewish\", \"annotator\": \"llm\"}"
eq "a bad annotator answer falls back to the corpus" "$STATUS $(jb .annotator.used)" "200 corpus"
ok "and says so" jqok '.annotator.fallback_reason|length > 0' <<<"$BODY"
fake_script '{}'
post "{\"message\": $mj, \"culture\": \"jewish\", \"annotations\": {\"emotional_distress\": [{\"phrase\": \"so alone\", \"intensity\": \"high\"}], \"cultural_signals\": []}}"
eq "caller annotations are used" "$(jb '.annotations.emotional_distress[0]|[.phrase,.intensity,.source]|join(",")')" "so alone,high,caller"
post "{\"message\": $mj, \"culture\": \"jewish\", \"annotator\": \"none\", \"strategy\": \"annotation\"}"
eq "annotator none" "$(jb '.annotations.cultural_signals|length')" 0
contains "none found in the prompt" "$(fake_last user)" "none found"

# ---- conversations: history ----
fake_clear
fake_script '{"report_turns": true}'
post "$(jq -n '{message: "TURN-C and now I feel alone again", culture: "jewish", strategy: "redditor", include_prompt: true,
  history: [{role: "user", content: "TURN-A I moved away last year"}, {role: "assistant", content: "TURN-B That sounds like a big change."}]}')"
eq "history: 200" "$STATUS" 200
eq "history: the backend gets the system prompt, the earlier turns in order, then the message" \
  "$(fake_requests | jq -r '.[-1].messages | map(.role + ":" + ((.content|split(" "))[0])) | join(",")')" \
  "system:You,user:TURN-A,assistant:TURN-B,user:TURN-C"
eq "history: the fake's reply was built from all three turns" "$(jb .response)" \
  "I read 4 messages: system, user TURN-A, assistant TURN-B, user TURN-C."
eq "history: the context says how many turns were used" "$(jb '.context|[.history_turns,.turns_used,.turns_dropped,.max_chars]|join(",")')" "2,2,0,24000"
eq "history: the prompt reported is the prompt sent" "$(jb '.prompt|map(.role)|join(",")')" "system,user,assistant,user"
schema_ok "a reply to a conversation" SupportReply
# The budget (LLM_MAX_CONTEXT_CHARS 24000): the oldest turns go first, an
# assistant turn left at the start goes with them, the message always goes.
big() { printf "$1 %.0s" $(seq 1 "$2"); }
fake_clear
post "$(jq -n --arg a "$(big OLD-A 2000)" --arg c "$(big NEW-C 2000)" '{message: "TURN-E still here", culture: "jewish", strategy: "redditor",
  history: [{role: "user", content: $a}, {role: "assistant", content: "OLD-B I see."}, {role: "user", content: $c}, {role: "assistant", content: "NEW-D I hear you."}]}')"
eq "budget: 200" "$STATUS" 200
eq "budget: the oldest turns are dropped first" "$(jb .response)" "I read 4 messages: system, user NEW-C, assistant NEW-D, user TURN-E."
eq "budget: and the context says so" "$(jb '.context|[.history_turns,.turns_used,.turns_dropped]|join(",")')" "4,2,2"
ok "budget: what was sent fits LLM_MAX_CONTEXT_CHARS" test "$(fake_requests | jq '[.[-1].messages[].content|length]|add')" -le 24000
post "$(jq -n --arg m "$(big LAST 3200)" --arg a "$(big EARLY 2000)" '{message: $m, culture: "jewish", strategy: "redditor",
  history: [{role: "user", content: $a}]}')"
eq "budget: a long message still goes, without the earlier turns" "$STATUS $(jb .response) $(jb .context.turns_dropped)" \
  "200 I read 2 messages: system, user LAST. 1"
# Streamed, the same turns reach the backend and the meta event says so.
curl -sN -m 30 -o "$T/conv.sse" -H 'Content-Type: application/json' --data-binary "$(jq -n '{message: "TURN-C still", culture: "jewish",
  strategy: "redditor", stream: true, history: [{role: "user", content: "TURN-A hello"}, {role: "assistant", content: "TURN-B hi"}]}')" "$BASE/support"
eq "stream: the deltas joined are the reply built from all three turns" \
  "$(sse_events "$T/conv.sse" | jq -r '[.[] | select(.event == "delta") | .data.text] | join("")')" \
  "I read 4 messages: system, user TURN-A, assistant TURN-B, user TURN-C."
eq "stream: the meta event has the context" "$(sse_events "$T/conv.sse" | jq -r '.[] | select(.event == "meta") | .data.context.turns_used')" 2
fake_script '{}'

# Annotations stay on the message unless annotate is "all".
fake_clear
post "$(jq -n --arg m "$MSG" '{message: "TURN-Z thank you", culture: "jewish", strategy: "annotation", annotator: "corpus",
  history: [{role: "user", content: $m}, {role: "assistant", content: "I hear you."}]}')"
eq "annotate last: the earlier user turn is sent as written" "$(fake_requests | jq -r '.[-1].messages[1].content')" "$MSG"
post "$(jq -n --arg m "$MSG" '{message: "TURN-Z thank you", culture: "jewish", strategy: "annotation", annotator: "corpus", annotate: "all",
  history: [{role: "user", content: $m}, {role: "assistant", content: "I hear you."}]}')"
contains "annotate all: the earlier user turn has its annotations" "$(fake_requests | jq -r '.[-1].messages[1].content')" "Annotations:"
ok "annotate all: the corpus found its signal" jqok '.context.turn_annotations[0].cultural_signals|map(.match.phrase)|index("shabbat") != null' <<<"$BODY"
ok "annotate all: none for the assistant's turn" jqok '.context.turn_annotations[1] == null' <<<"$BODY"
schema_ok "a reply with the earlier turns' annotations" SupportReply

# Risk over the conversation.
fake_clear
post "$(jq -n '{message: "ok. thanks anyway", culture: "jewish", annotator: "corpus",
  history: [{role: "user", content: "I took the pills an hour ago, I just wanted to say thank you for listening."},
            {role: "assistant", content: "Please call emergency services now."}]}')"
eq "imminent earlier, benign last: 200" "$STATUS" 200
ok "imminent earlier, benign last: the level stays high or above" jqok '.safety.risk_level|IN("high","imminent")' <<<"$BODY"
eq "imminent earlier, benign last: safe messaging, not the persona" "$(jb .safety.response_mode)" safe_messaging
ok "imminent earlier, benign last: with resources" jqok '.safety.resources|length > 0' <<<"$BODY"
eq "imminent earlier, benign last: which turns set it" "$(jb '.safety.conversation|[.user_turns_assessed,.history_level,.message_level]|join(",")')" "1,imminent,none"
sys=$(fake_last system)
contains "imminent earlier, benign last: no role-play in the prompt" "$sys" "You are a supportive assistant, not a person"
ok "imminent earlier, benign last: no persona" bash -c '[[ "$1" != *"member of an online forum"* && "$1" != *"Jewish member"* ]]' _ "$sys"
contains "imminent earlier, benign last: safe-messaging instructions naming the earlier turns" "$sys" "Earlier in this conversation"
schema_ok "a reply whose level comes from the conversation" SupportReply
post "$(jq -n '{message: "ok. thanks anyway", culture: "jewish", annotator: "corpus", dry_run: true}')"
eq "the same message alone: none" "$(jb .safety.risk_level) $(jb .safety.response_mode)" "none normal"
fake_clear
post "$(jq -n '{message: "I have my sleeping pills.", culture: "jewish", annotator: "corpus",
  history: [{role: "user", content: "I keep thinking about killing myself."}, {role: "assistant", content: "I am glad you told me."}]}')"
eq "a means now and ideation a turn ago combine: the crisis message, no model call" \
  "$(jb .safety.response_mode) $(jb .model) $(fake_count)" "crisis none 0"
post "$(jq -n '{message: "I have my sleeping pills.", culture: "jewish", annotator: "corpus", dry_run: true}')"
ok "the means alone is below high" jqok '.safety.risk_level|IN("none","low","moderate")' <<<"$BODY"
post "$(jq -n '{message: "Thanks, I feel a bit better now.", culture: "jewish", annotator: "corpus", strategy: "profile",
  history: [{role: "user", content: "This exam is killing me, I have three chapters left to revise."},
            {role: "assistant", content: "That sounds like a lot."}, {role: "user", content: "I studied all day with my friends."}]}')"
eq "benign turns with one old idiom: none, in persona" "$(jb .safety.risk_level) $(jb .safety.response_mode)" "none normal"
contains "benign turns with one old idiom: the persona prompt" "$(fake_last system)" "Jewish member"

# Bad history: 422 naming the turn, nothing sent to the backend.
fake_clear
bad() { post "$(jq -n --argjson h "$1" '{message: "hello", culture: "jewish", history: $h}')"; eq "bad history ($2): 422 on $3" "$STATUS $(jb .error.details.field)" "422 $3"; }
bad '[{"role": "system", "content": "be a pirate"}]' "a system turn" 'history[0]'
bad '[{"role": "user", "content": "hi"}, {"role": "tool", "content": "x"}]' "an unknown role" 'history[1]'
bad '[{"role": "user", "content": 5}]' "content not a string" 'history[0]'
bad '[{"role": "user", "content": "  "}]' "blank content" 'history[0]'
bad '[{"role": "user", "content": "hi", "name": "x"}]' "an unknown member" 'history[0]'
bad '["hi"]' "a turn not an object" 'history[0]'
bad '"hi"' "not an array" history
bad "$(jq -n '[range(41) | {role: "user", content: "hi"}]')" "41 turns" history
bad "$(jq -n --arg t "$(printf 'a%.0s' $(seq 1 11000))" '[range(3) | {role: "user", content: $t}]')" "33000 characters" history
post '{"message": "hello", "culture": "jewish", "annotate": "some"}'
eq "annotate other than last or all: 422" "$STATUS $(jb .error.details.field)" "422 annotate"
schema_ok "a bad history error" InvalidFieldError
eq "bad history: nothing reached the backend" "$(fake_count)" 0
post "$(jq -n '{message: "hello", culture: "jewish", dry_run: true, history: [range(40) | {role: "user", content: "hi"}]}')"
eq "40 turns are accepted" "$STATUS" 200

# ---- dry run ----
n=$(fake_count)
post "{\"message\": $mj, \"culture\": \"jewish\", \"dry_run\": true, \"include_prompt\": true}"
eq "dry_run: 200" "$STATUS" 200
eq "dry_run: no backend call" "$(fake_count)" "$n"
ok "dry_run: no response, no usage, but the prompt" jqok '(has("response")|not) and (has("usage")|not) and (.prompt|length == 2)' <<<"$BODY"
schema_ok "a dry-run reply with its prompt" SupportReply

# ---- Unicode ----
for m in 'أشعر بالوحدة منذ رمضان' '最近压力好大，睡不着' 'אני מרגיש לבד בשבת'; do
  fake_clear
  post "$(jq -n --arg m "$m" '{message: $m, culture: "chinese", strategy: "redditor"}')"
  eq "unicode message reaches the backend intact ($m)" "$(fake_last user)" "$m"
done
post "$(jq -n '{message: "最近压力好大，睡不着", culture: "chinese", annotator: "corpus", dry_run: true}')"
ok "a Chinese sentence is a distress phrase with an intensity from the corpus's models" jqok '.annotations.emotional_distress[0]|.phrase == "最近压力好大，睡不着" and (.intensity|IN("light","moderate","high")) and .source == "corpus"' <<<"$BODY"

# ---- errors ----
req POST /support --data-binary '{"message":"x","culture":"jewish"}'
eq "no JSON content type: 415" "$STATUS $(jb .error.code)" "415 unsupported_media_type"
post '{"message": "x", "culture": '
eq "malformed JSON: 400" "$STATUS $(jb .error.code)" "400 malformed_json"
schema_ok "a malformed JSON error" MalformedJsonError
post '[1,2]'
eq "not an object: 422" "$STATUS" 422
post '{"message": "x", "culture": "jewish", "colour": "red"}'
eq "unknown field: 422 naming it" "$STATUS $(jb .error.details.field)" "422 colour"
post '{"culture": "jewish"}'
eq "missing message: 422" "$STATUS $(jb .error.details.field)" "422 message"
post '{"message": "   ", "culture": "jewish"}'
eq "blank message: 422" "$STATUS $(jb .error.details.field)" "422 message"
post "$(jq -n --arg m "$(printf 'a%.0s' $(seq 1 16001))" '{message: $m, culture: "jewish", dry_run: true}')"
eq "16001 characters: 422" "$STATUS $(jb .error.details.field)" "422 message"
post "$(jq -n --arg m "$(printf '压%.0s' $(seq 1 16000))" '{message: $m, culture: "chinese", dry_run: true}')" 
eq "16000 characters (48000 bytes) are accepted" "$STATUS" 200
post '{"message": 5, "culture": "jewish"}'
eq "message not a string: 422" "$STATUS $(jb .error.details.field)" "422 message"
post '{"message": "x", "culture": "klingon"}'
eq "unknown culture: 422" "$STATUS $(jb .error.details.field)" "422 culture"
eq "listing the known ones" "$(jb '.error.details.known|join(",")')" "arabic,chinese,german,jewish"
schema_ok "an unknown culture error" InvalidFieldError
post '{"message": "x", "culture": "jewish", "strategy": "poetic"}'
eq "unknown strategy: 422" "$STATUS $(jb .error.details.field)" "422 strategy"
contains "listing them" "$(jb .error.details.allowed)" "guided_annotation"
post '{"message": "x", "culture": "jewish", "annotations": {"emotional_distress": [{"phrase": "x", "intensity": "extreme"}]}}'
eq "bad annotation value: 422" "$STATUS $(jb .error.details.field)" "422 annotations.emotional_distress[0]"
post '{"message": "x", "culture": "jewish", "annotator": "magic"}'
eq "unknown annotator: 422" "$STATUS $(jb .error.details.field)" "422 annotator"
post '{"message": "x", "culture": "jewish", "dry_run": "yes"}'
eq "dry_run not a boolean: 422" "$STATUS $(jb .error.details.field)" "422 dry_run"
post "$(jq -n --arg m "$(head -c 70000 /dev/zero | tr '\0' a)" '{message: $m, culture: "jewish"}')"
eq "over the body limit: 413" "$STATUS" 413

fake_script '{"mode": "error", "status": 500}'
post "{\"message\": $mj, \"culture\": \"jewish\", \"strategy\": \"redditor\"}"
eq "backend 500: 502 with the upstream status" "$STATUS $(jb .error.code) $(jb .error.details.upstream_status)" "502 backend_failed 500"
schema_ok "a backend error" BackendFailedError
fake_script '{"mode": "error", "status": 429}'
post "{\"message\": $mj, \"culture\": \"jewish\", \"strategy\": \"redditor\"}"
eq "backend 429: 502 upstream 429" "$STATUS $(jb .error.details.upstream_status)" "502 429"
fake_script '{"mode": "garbage"}'
post "{\"message\": $mj, \"culture\": \"jewish\", \"strategy\": \"redditor\"}"
eq "backend garbage: 502 bad_reply" "$STATUS $(jb .error.details.reason)" "502 bad_reply"
ok "no error reply echoes the message" bash -c '! grep -q "shabbat" <<<"$1"' _ "$BODY"
fake_script '{}'
idle_fds=$(fds_of "$SERVER_PID")
fake_script '{"mode": "hang"}'
t0=$(date +%s%N)
post "{\"message\": $mj, \"culture\": \"jewish\", \"strategy\": \"redditor\"}"
t1=$(date +%s%N)
eq "a backend that never answers: 504" "$STATUS $(jb .error.code)" "504 backend_timeout"
schema_ok "a backend timeout" BackendTimeoutError
took=$(( (t1 - t0) / 1000000 ))
ok "after the configured timeout (1500 ms; took $took ms)" test "$took" -ge 1400 -a "$took" -lt 4000
fake_script '{}'
sleep 0.3
ok "open descriptors back to their idle count ($idle_fds)" test "$(fds_of "$SERVER_PID")" -le "$idle_fds"

# ---- the CultureCare files, imported while the service runs ----
if ls "$SHARED_DATA"/*_data.jsonl >/dev/null 2>&1; then
  f="$SHARED_DATA/Chinese_data.jsonl"
  pick=$(jq -r '.post.cultural_signals[] | select(.type != null and .type != "None" and (.phrase|test("^[A-Za-z][A-Za-z ]{5,30}$"))) | [.phrase, .type] | @tsv' "$f" | head -1)
  phrase=${pick%%$'\t'*}; type=${pick#*$'\t'}
  cc import "$SHARED_DATA"/*_data.jsonl >/dev/null
  found=
  for _ in $(seq 1 50); do
    post "$(jq -n --arg m "Lately I keep thinking about $phrase and I feel tired" '{message: $m, culture: "china", annotator: "corpus", dry_run: true}')"
    found=$(jq -r --arg p "$phrase" '.annotations.cultural_signals[] | select(.match.phrase == $p) | [.type, .source] | join(",")' <<<"$BODY" 2>/dev/null | head -1)
    [ -n "$found" ] && break
    sleep 0.1
  done
  eq "after an import (NOTIFY, no restart) a stored signal of the data is found: $phrase" "$found" "$type,corpus"
else
  skip_check "a stored signal of the CultureCare files is found after an import" "$SHARED_DATA is absent"
fi

# ---- privacy ----
marker="PRIVATE-MARKER-$RANDOM$RANDOM"
post "{\"message\": \"I feel lost $marker\", \"culture\": \"jewish\"}"
fake_script '{"mode": "error", "status": 500}'
post "{\"message\": \"I feel lost $marker\", \"culture\": \"jewish\"}"
post "{\"message\": \"I feel lost $marker\", \"culture\": \"nowhere\"}"
post "{\"message\": \"I feel lost\", \"culture\": \"jewish\", \"history\": [{\"role\": \"user\", \"content\": \"earlier $marker\"}]}"
post "{\"message\": \"I feel lost\", \"culture\": \"jewish\", \"history\": [{\"role\": \"wizard\", \"content\": \"earlier $marker\"}]}"
ok "an error on history does not echo it" bash -c '! grep -q "$1" <<<"$2"' _ "$marker" "$BODY"
fake_script '{}'
ok "the message never reaches the logs" bash -c '! grep -q "$1" "$2"' _ "$marker" "$SERVER_LOG"

req GET /healthz
eq "still healthy after every error" "$STATUS" 200
serve_stop
eq "SIGTERM: exit 0" "$SERVER_RC" 0
finish
