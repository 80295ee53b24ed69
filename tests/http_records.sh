#!/usr/bin/env bash
# Stored replies as health data: STORE_MESSAGES and "store": false decide
# whether anything is kept; a stored reply carries a deletion token that
# DELETE /support/{id} takes to erase its one row (message, reply,
# annotations and the earlier turns of a conversation); the service's own purge erases what is older than
# RETENTION_DAYS.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up

MARK="REC-PRIVATE-$RANDOM$RANDOM"
body() { # [EXTRA]
  jq -cn --arg m "Since the move I feel so alone and far from my family. $MARK-${2:-x}" --argjson e "${1:-"{}"}" \
    '{message: $m, culture: "jewish", annotator: "corpus"} + $e'
}
rows() { psql "$DATABASE_URL" -Atc "SELECT count(*) FROM support_records${1:+ WHERE $1}"; }
# every byte of the database's data, for "is this text anywhere"
dump() { pg_dump --data-only "$DATABASE_URL" 2>/dev/null; }
v1() { req POST /v1/chat/completions -H 'Content-Type: application/json' --data-binary "$1"; }

# ---- storing off (the default) ----
serve_up
post "$(body)"
eq "default: 200" "$STATUS" 200
eq "default: nothing stored, and the reply says why" "$(jb '[.storage.stored, .storage.reason]|map(tostring)|join(",")')" "false,disabled"
eq "default: no row" "$(rows)" 0
schema_ok "reply with storage" SupportReply
serve_stop

# ---- storing on ----
STORE_MESSAGES=on RETENTION_DAYS=30 serve_up
post "$(body '{}' one)"
eq "on: 200" "$STATUS" 200
ID=$(jb .id)
TOKEN=$(jb .storage.deletion_token)
eq "on: stored under the reply's id" "$(jb '[.storage.stored, (.storage.id == .id)]|map(tostring)|join(",")')" "true,true"
ok "on: a 43-character deletion token" test "${#TOKEN}" -eq 43
exp=$(jb .storage.expires_at)
want=$(date -u -d '+30 days' +%Y-%m-%d)
contains "on: expires after RETENTION_DAYS" "$exp" "$want"
schema_ok "stored reply" SupportReply
eq "on: one row with the message, the reply and the annotations" \
  "$(rows "id = '$ID' AND message LIKE '%$MARK-one' AND reply <> '' AND jsonb_typeof(annotations) = 'object'")" 1
eq "on: the token is not stored, only its SHA-256" "$(dump | grep -c -- "$TOKEN" || true)" 0
eq "on: its hash is" "$(rows "token_sha256 = sha256('$TOKEN'::bytea)")" 1

post "$(body '{"store": false}' declined)"
eq "store:false: not stored, says why" "$(jb '[.storage.stored, .storage.reason]|map(tostring)|join(",")')" "false,declined"
eq "store:false: no row with its text" "$(dump | grep -c -- "$MARK-declined" || true)" 0
post "$(body '{"dry_run": true}' dry)"
eq "dry run: not stored" "$(jb .storage.reason)" dry_run
post "$(jq -cn --arg m "{\"culture\": 1}" '{message: $m}')"
eq "bad request: 422, nothing stored" "$STATUS,$(rows)" "422,1"

# a conversation: the record keeps the turns it was given, in order
post "$(body "$(jq -cn --arg u "I moved in spring. $MARK-hist-user" --arg a "That is a big change. $MARK-hist-asst" \
  '{history: [{role: "user", content: $u}, {role: "assistant", content: $a}]}')" conv)"
eq "history: stored" "$STATUS $(jb .storage.stored)" "200 true"
HID=$(jb .id); HTOKEN=$(jb .storage.deletion_token)
eq "history: the row keeps the turns given, in order" \
  "$(psql "$DATABASE_URL" -Atc "SELECT string_agg(t->>'role', ',' ORDER BY n) FROM support_records, jsonb_array_elements(history) WITH ORDINALITY AS h(t, n) WHERE id = '$HID'")" "user,assistant"
eq "history: a reply without it keeps an empty list" "$(rows "id = '$ID' AND history = '[]'")" 1
n=$(rows)
post "$(body '{"history": [{"role": "moderator", "content": "x"}]}' badhist)"
eq "bad history: 422, nothing stored" "$STATUS,$(rows)" "422,$n"
eq "bad history: no row with its text" "$(dump | grep -c -- "$MARK-badhist" || true)" 0
v1 "$(jq -cn --arg u "$MARK-v1hist-user earlier" --arg m "I feel alone since the move. $MARK-v1conv" \
  '{model: "culturecare/jewish", messages: [{role: "system", content: "be brief"}, {role: "user", content: $u}, {role: "assistant", content: "I hear you."}, {role: "user", content: $m}]}')"
eq "/v1 history: the record keeps the user and assistant turns, not the client's system message" \
  "$(psql "$DATABASE_URL" -Atc "SELECT jsonb_path_query_array(history, '\$[*].role') FROM support_records WHERE message LIKE '%$MARK-v1conv'")" '["user", "assistant"]'

# streamed: the done event carries the storage object
curl -sN -m 30 -o "$T/s.sse" -H 'Content-Type: application/json' --data-binary "$(body '{"stream": true}' streamed)" "$BASE/support"
done_ev=$(sse_events "$T/s.sse" | jq -c '[.[] | select(.event == "done")][0].data.storage')
eq "stream: stored, token in the done event" "$(jq -r '[.stored, (.deletion_token|length)]|map(tostring)|join(",")' <<<"$done_ev")" "true,43"
eq "stream: the row holds the whole reply" "$(rows "message LIKE '%$MARK-streamed' AND length(reply) > 0")" 1

# OpenAI face: culturecare.storage; OpenAI's own "store": false is honoured
v1 "$(jq -cn --arg m "I feel alone since the move. $MARK-v1" '{model: "culturecare/jewish", messages: [{role: "user", content: $m}]}')"
eq "/v1: stored" "$(jb '.culturecare.storage.stored')" true
V1ID=$(jb .culturecare.storage.id)
contains "/v1: the record id is the completion's UUID" "$(jb .id)" "$V1ID"
v1 "$(jq -cn --arg m "I feel alone since the move. $MARK-v1off" '{model: "culturecare/jewish", store: false, messages: [{role: "user", content: $m}]}')"
eq "/v1 store:false: not stored" "$(jb '.culturecare.storage.reason')" declined

# crisis replies are health data too: stored like the rest, marked crisis
crisis=$(awk -F'\t' '$1 == "en" && $2 == "imminent" { print $4; exit }' "$SOURCE_ROOT/tests/risk_table.tsv")
post "$(jq -cn --arg m "$crisis $MARK-crisis" '{message: $m, culture: "german"}')"
eq "crisis: stored in crisis mode" "$(jb .storage.stored),$(rows "response_mode = 'crisis'")" "true,1"

# ---- what annotation tools read: GET /records ----
req GET "/records?limit=100"
eq "records: 200" "$STATUS" 200
all=$(jb '.records|length')
eq "records: every stored reply" "$all" "$(rows)"
ok "records: newest first" jqok '[.records[].created_at] as $t | $t == ($t|sort|reverse)' <<<"$BODY"
ok "records: the message, the reply and the annotations" jqok "[.records[] | select(.id == \"$ID\") | (.message|endswith(\"$MARK-one\")) and (.reply|length > 0) and (.annotations|type == \"object\")] == [true]" <<<"$BODY"
schema_ok "records page" RecordList
req GET "/records?limit=2"
eq "records: limit" "$(jb '.records|length')" 2
first=$(jb '[.records[].id]|join(",")')
req GET "/records?limit=100&before=$(jb .next_before)"
eq "records: the next page has the rest" "$(jb '.records|length')" "$((all - 2))"
ok "records: no overlap" test -z "$(comm -12 <(tr , '\n' <<<"$first" | sort) <(jb '.records[].id' | sort))"
req GET "/records?limit=0"
eq "records: limit 0 is 422" "$STATUS" 422
req GET "/records?before=x"
eq "records: a bad cursor is 422" "$STATUS" 422

# ---- deletion ----
del() { req DELETE "/support/$1" ${2:+-H "X-Deletion-Token: $2"}; }
before=$(rows)
other=$([ "${TOKEN:0:1}" = A ] && echo B || echo A)${TOKEN:1}
del "$ID" "$other"
eq "a token one character off: 404" "$STATUS" 404
del "$ID" "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-43)"
eq "another token: 404" "$STATUS" 404
del "$ID"
eq "no token: 422" "$STATUS" 422
del "not-a-uuid" "$TOKEN"
eq "bad id: 404" "$STATUS" 404
del "$(cat /proc/sys/kernel/random/uuid)" "$TOKEN"
eq "unknown id: 404" "$STATUS" 404
eq "nothing erased by wrong requests" "$(rows)" "$before"
contains "the error names no text" "$BODY" "No stored reply"
del "$ID" "$TOKEN"
eq "right token: 204" "$STATUS" 204
eq "204 has no body" "$BODY" ""
eq "the row is gone" "$(rows "id = '$ID'")" 0
eq "no table holds the message any more" "$(dump | grep -c -- "$MARK-one" || true)" 0
eq "the others stay" "$(rows)" "$((before - 1))"
del "$ID" "$TOKEN"
eq "deleting again: 404" "$STATUS" 404
req GET "/records?limit=100"
eq "erased records are gone from /records" "$(jb "[.records[] | select(.id == \"$ID\")] | length")" 0
eq "/records shows a conversation's turns" "$(jb "[.records[] | select(.id == \"$HID\") | .history[].role] | join(\",\")")" "user,assistant"
del "$HID" "$HTOKEN"
eq "a conversation's record: deleted" "$STATUS" 204
eq "no table holds its earlier turns any more" "$(dump | grep -c -- "$MARK-hist-" || true)" 0

# the database away: the person still gets the reply, unstored
pg_stop >/dev/null
post "$(body '{}' down)"
eq "database down: 200, not stored" "$STATUS,$(jb .storage.stored),$(jb .storage.reason)" "200,false,unavailable"
del "$V1ID" "$TOKEN"
eq "database down: DELETE 503" "$STATUS" 503
pg_up
serve_stop

# ---- retention: 2.6 s, purged every 300 ms ----
STORE_MESSAGES=on RETENTION_DAYS=0.00003 PURGE_INTERVAL_MS=300 serve_up
post "$(body '{}' short)"
eq "short retention: stored" "$(jb .storage.stored)" true
eq "short retention: there before the period ends" "$(rows "message LIKE '%$MARK-short'")" 1
for _ in $(seq 1 60); do
  [ "$(rows)" = 0 ] && break
  sleep 0.2
done
eq "short retention: every record is gone after the period" "$(rows)" 0
ok "the purge logged a count" grep -q '"msg":"expired records erased"' "$SERVER_LOG"
serve_stop
eq "clean exit" "$SERVER_RC" 0

# ---- the request log: one line per request, with backend, model, durations ----
line=$(grep '"msg":"request"' "$SERVER_LOG" | grep '"route":"/support"' | grep '"status":200' | tail -1)
ok "a /support log line names backend and model" jqok '(.backend == 0) and (.model | type == "string") and (.attempts == 1)' <<<"$line"
ok "and the durations of each step" jqok '[.duration_ms, .store_ms, .annotator_ms, .backend_ms] | all(type == "number")' <<<"$line"

# ---- nothing of the texts or tokens in the logs ----
eq "no message text in stdout/stderr" "$(grep -c -- "$MARK" "$SERVER_LOG" || true)" 0
eq "no deletion token in stdout/stderr" "$(grep -c -- "$TOKEN" "$SERVER_LOG" || true)" 0
finish
