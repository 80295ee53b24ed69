#!/usr/bin/env bash
# The OpenAI-compatible face: GET /v1/models, POST /v1/chat/completions plain
# and streamed, errors in OpenAI's shape; then the official openai npm client
# (when node and the package are available, see tests/run.sh).
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
serve_up
CONTENT="I hear how lonely this move has made you. Missing shabbat with family is a real loss."
fake_script "$(jq -cn --arg c "$CONTENT" '{content: $c}')"

req GET /v1/models -H 'Authorization: Bearer sk-anything'
eq "models 200" "$STATUS $(jb .object)" "200 list"
ok "one model per culture and per culture/strategy" jqok '[.data[].id] | index("culturecare/jewish") != null and index("culturecare/jewish/guided_annotation") != null and length == 24' <<<"$BODY"

oa() { req POST /v1/chat/completions -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-anything' --data-binary "$1"; }
MSGS='[{"role":"system","content":"be nice"},{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":"Since I moved away I cannot keep shabbat and I feel alone."}]'
fake_clear
oa "{\"model\": \"culturecare/jewish/profile\", \"messages\": $MSGS, \"temperature\": 0.2, \"user\": \"u1\"}"
eq "plain completion 200" "$STATUS" 200
eq "OpenAI shape" "$(jb '[.object, .choices[0].message.role, .choices[0].finish_reason, .model]|join(",")')" "chat.completion,assistant,stop,culturecare/jewish/profile"
eq "the reply" "$(jb '.choices[0].message.content')" "$CONTENT"
ok "id chatcmpl-..." grep -q '^chatcmpl-' <<<"$(jb .id)"
ok "usage with total_tokens" jqok '.usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens' <<<"$BODY"
eq "metadata in an extra field" "$(jb '.culturecare|[.culture,.strategy]|join(",")')" "jewish,profile"
eq "the last user message is the distress message, last" "$(fake_requests | jq -r '.[-1].messages[-1]|.role + ":" + .content')" "user:Since I moved away I cannot keep shabbat and I feel alone."
eq "the earlier turns go before it; the client's system message is left out" "$(fake_requests | jq -r '.[-1].messages|map(.role)|join(",")')" "system,user,assistant,user"
ok "the client's system message reaches the backend nowhere" bash -c '! grep -q "be nice" <<<"$1"' _ "$(fake_requests | jq -c '.[-1].messages')"
eq "and the metadata says so" "$(jb '.culturecare.context|[.history_turns,.turns_used,.system_messages_ignored]|join(",")')" "2,2,1"
schema_ok "a completion of a conversation" ChatCompletion
contains "the strategy comes from the model name" "$(fake_last system)" "Jewish member"
oa "{\"model\": \"anything\", \"metadata\": {\"culture\": \"china\", \"strategy\": \"standard\"}, \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"I failed the gaokao\"}]}]}"
eq "culture and strategy from metadata; content parts" "$STATUS $(jb '.culturecare|[.culture,.strategy]|join(",")')" "200 chinese,redditor"

# Streaming
fake_script "$(jq -cn --arg c "$CONTENT" '{content: $c}')"
curl -s -N -m 15 -D "$T/sh" -H 'Content-Type: application/json' --data-binary "{\"model\": \"culturecare/jewish/cga\", \"stream\": true, \"messages\": $MSGS}" "$BASE/v1/chat/completions" >"$T/stream"
contains "event-stream" "$(tr -d '\r' <"$T/sh")" "Content-Type: text/event-stream"
eq "ends with data: [DONE]" "$(grep '^data: ' "$T/stream" | tail -1)" "data: [DONE]"
grep '^data: {' "$T/stream" | sed 's/^data: //' >"$T/chunks"
ok "every chunk is a chat.completion.chunk" jq -se 'all(.[]; .object == "chat.completion.chunk")' "$T/chunks" >/dev/null
eq "the first chunk carries the role and the metadata" "$(head -1 "$T/chunks" | jq -r '[.choices[0].delta.role, .culturecare.culture]|join(",")')" "assistant,jewish"
eq "the pieces joined are the reply" "$(jq -sr 'map(.choices[0].delta.content // "")|join("")' "$T/chunks")" "$CONTENT"
ok "in several chunks" test "$(jq -s 'map(select(.choices[0].delta.content != null and .choices[0].delta.content != ""))|length' "$T/chunks")" -gt 1
eq "the last chunk says stop" "$(tail -1 "$T/chunks" | jq -r '.choices[0].finish_reason')" stop

# Conversations: risk over the turns, bad turns refused
fake_clear
oa '{"model": "culturecare/jewish/profile", "metadata": {"annotator": "corpus"}, "messages": [{"role": "user", "content": "I wrote a goodbye note to my parents and left it on the kitchen table."}, {"role": "assistant", "content": "Please reach out to someone now."}, {"role": "user", "content": "ok. thanks anyway"}]}'
ok "an imminent earlier turn keeps the level at high or above" jqok '.culturecare.safety.risk_level|IN("high","imminent")' <<<"$BODY"
eq "safe messaging with resources, a generated reply" "$(jb .culturecare.safety.response_mode) $(jb '.culturecare.safety.resources|length > 0') $(fake_count)" "safe_messaging true 1"
ok "no persona prompt" bash -c '[[ "$1" != *"Jewish member"* && "$1" == *"not a member of any community"* ]]' _ "$(fake_last system)"
fake_clear
oa '{"model": "culturecare/jewish", "messages": [{"role": "user", "content": "hi"}, {"role": "tool", "content": "x", "tool_call_id": "1"}, {"role": "user", "content": "hello"}]}'
eq "a tool message: 422 naming it" "$STATUS $(jb .error.type) $(jb .error.param)" "422 invalid_request_error messages[1]"
oa '{"model": "culturecare/jewish", "messages": [{"role": "assistant", "content": 5}, {"role": "user", "content": "hello"}]}'
eq "an earlier turn without text: 422 naming it" "$STATUS $(jb .error.param)" "422 messages[0]"
oa "$(jq -n '{model: "culturecare/jewish", messages: ([range(41) | {role: "user", content: "hi"}] + [{role: "user", content: "hello"}])}')"
eq "41 earlier turns: 422" "$STATUS $(jb .error.param) $(jb .error.details.max_turns)" "422 messages 40"
eq "41 earlier turns: error.message says why, as details.reason does" "$(jb .error.message)" "$(jb .error.details.reason)"
eq "bad conversations reach no backend" "$(fake_count)" 0

# Errors in OpenAI's shape
oa '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'
eq "unknown model: 422 invalid_request_error" "$STATUS $(jb .error.type) $(jb .error.param)" "422 invalid_request_error model"
oa '{"model": "culturecare/klingon", "messages": [{"role": "user", "content": "hi"}]}'
eq "unknown culture: 422, known listed" "$STATUS $(jb '.error.details.known|length')" "422 4"
eq "unknown culture: error.message says why" "$(jb .error.message)" "unknown culture"
oa '{"model": "culturecare/jewish/poetic", "messages": [{"role": "user", "content": "hi"}]}'
eq "unknown strategy: 422" "$STATUS" 422
oa '{"model": "culturecare/jewish", "messages": [{"role": "system", "content": "hi"}]}'
eq "no user message: 422 on messages" "$STATUS $(jb .error.param)" "422 messages"
oa '{"model": "culturecare/jewish", "messages": [{"role": "user", "content": "hi"}], "n": 3}'
eq "n > 1: 422" "$STATUS $(jb .error.param)" "422 n"
oa '{"model": '
eq "malformed JSON: 400 in OpenAI's shape" "$STATUS $(jb .error.type)" "400 invalid_request_error"
fake_script '{"mode": "error", "status": 400}'
oa "{\"model\": \"culturecare/jewish/profile\", \"messages\": $MSGS}"
eq "backend failure: 502 api_error" "$STATUS $(jb .error.type) $(jb .error.code)" "502 api_error backend_failed"
fake_script "$(jq -cn --arg c "$CONTENT" '{content: $c}')"

# The official client
if command -v node >/dev/null && [ -d "${SCHEMA_DEPS:-/nonexistent}/node_modules/openai" ]; then
  out=$(node "$SOURCE_ROOT/tests/openai_client.mjs" "$BASE" culturecare/jewish/profile "$CONTENT" 2>&1)
  echo "$out"
  ok "the openai npm client works unchanged, plain and streamed" grep -q "openai client: all passed" <<<"$out"
  fake_script '{"report_turns": true}'
  fake_clear
  out=$(node "$SOURCE_ROOT/tests/openai_client.mjs" "$BASE" culturecare/jewish/profile \
    "I read 4 messages: system, user TURN-1, assistant TURN-2, user TURN-3." conversation 2>&1)
  echo "$out"
  ok "the openai npm client's three-turn conversation: the reply was built from all three" grep -q "openai client: all passed" <<<"$out"
  eq "and the backend got them in order after the system prompt" \
    "$(fake_requests | jq -r '.[-1].messages|map(.role + ":" + ((.content|split(" "))[0]))|join(",")')" "system:You,user:TURN-1,assistant:TURN-2,user:TURN-3"
  fake_script "$(jq -cn --arg c "$CONTENT" '{content: $c}')"
else
  skip_check "the openai npm client works unchanged, plain and streamed" "node or SCHEMA_DEPS/node_modules/openai not available"
fi

marker="PRIVATE-MARKER-$RANDOM$RANDOM"
oa "{\"model\": \"culturecare/jewish\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"alone $marker\"}]}"
oa "{\"model\": \"culturecare/nowhere\", \"messages\": [{\"role\": \"user\", \"content\": \"alone $marker\"}]}"
ok "the message never reaches the logs" bash -c '! grep -q "$1" "$2"' _ "$marker" "$SERVER_LOG"
serve_stop
eq "SIGTERM: exit 0" "$SERVER_RC" 0
finish
