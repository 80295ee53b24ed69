#!/usr/bin/env bash
# The annotation workflow: candidates made concurrently (three one-second
# calls in about one second, no thread more), items listed with an opaque
# cursor (each once while others are inserted), ratings (upsert, 422 off
# the scale), preferences, the judge (digits, missing, G-Eval weighting,
# aggregates), statistics against a hand-computed example (means, Emo /
# Cult / All, Krippendorff's alpha, win rates), deletion by token and
# retention erasing everything of an item, and no message text in a log.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up

MARK="ANN-PRIVATE-$RANDOM$RANDOM"
msg() { echo "Since I moved to a new city I feel so alone and far from my family. $MARK-$1"; }
cand() { # BODY-EXTRA-JSON TAG
  req POST /candidates -H 'Content-Type: application/json' \
    --data-binary "$(jq -cn --arg m "$(msg "${2:-x}")" --argjson e "${1:-"{}"}" '{message: $m, culture: "jewish"} + $e')"
}
rows() { psql "$DATABASE_URL" -Atc "SELECT count(*) FROM $1${2:+ WHERE $2}"; }
dump() { pg_dump --data-only "$DATABASE_URL" 2>/dev/null; }

# ---- storing off: 409 ----
serve_up
cand '{"n": 2}' off
eq "storing off: 409 storage_disabled" "$STATUS $(jb .error.code)" "409 storage_disabled"
eq "storing off: no backend call" "$(fake_count)" 0
serve_stop

STORE_MESSAGES=on RETENTION_DAYS=30 serve_up

# ---- validation ----
cand '{"strategies": ["redditor", "nope"]}'
eq "unknown strategy: 422" "$STATUS $(jb .error.details.field)" "422 strategies"
cand '{"n": 11}'
eq "n over 10: 422" "$STATUS $(jb .error.details.field)" "422 n"
cand '{"strategies": ["redditor"], "n": 2}'
eq "strategies and n together: 422" "$STATUS" 422
cand '{"annotator": "model"}'
eq "unknown annotator: 422" "$STATUS $(jb .error.details.field)" "422 annotator"
req POST /candidates -H 'Content-Type: application/json' --data-binary '{"message": "x", "culture": "klingon"}'
eq "unknown culture: 422" "$STATUS $(jb .error.details.field)" "422 culture"
ok "validation errors never echo the message" bash -c '! grep -q "$1" "$2"' _ "$MARK" "$T/body"

# ---- three candidates concurrently: one second, not three; no thread more ----
fake_script '{"delay_ms": 1000, "content": "You are not alone in this; many who moved far from family feel the same."}'
fake_clear
idle=$(threads_of "$SERVER_PID")
status_threads() { awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status"; }
threads_before=$(status_threads)
body=$(jq -cn --arg m "$(msg three)" '{message: $m, culture: "jewish", strategies: ["redditor", "profile", "guided_annotation"], metadata: {batch: "t1"}}')
start=$(date +%s%N)
curl -s -m 20 -o "$T/three.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$body" "$BASE/candidates" >"$T/three.status" &
peak_while $! "$idle" threads_of "$SERVER_PID"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
BODY=$(cat "$T/three.json")
echo "# three candidates with a backend answering each call after 1 s: ${ms} ms; threads idle $idle, peak $PEAK"
eq "three candidates: 201" "$(cat "$T/three.status")" 201
ok "about one second, not three (${ms} ms < 1900)" test "$ms" -lt 1900
ok "and not less than the backend's second (${ms} ms >= 1000)" test "$ms" -ge 1000
eq "thread count constant ($idle)" "$PEAK" "$idle"
eq "Threads in /proc/PID/status before and after" "$(status_threads)" "$threads_before"
eq "three backend calls" "$(fake_count)" 3
eq "candidates in order with their strategies" "$(jb '[.candidates[] | "\(.position):\(.strategy)"] | join(",")')" "1:redditor,2:profile,3:guided_annotation"
eq "each a reply, mode normal" "$(jb '[.candidates[] | select(.reply | length > 0) | .response_mode] | unique | join(",")')" normal
eq "one shared annotation set, the caller's metadata" "$(jb '[(.annotations | type), .metadata.batch] | join(",")')" "object,t1"
ITEM=$(jb .id)
TOKEN=$(jb .storage.deletion_token)
C1=$(jb '.candidates[0].id'); C2=$(jb '.candidates[1].id'); C3=$(jb '.candidates[2].id')
eq "stored: item id, a 43-character token" "$(jb '[.storage.stored, (.storage.id == .id), (.storage.deletion_token | length)] | map(tostring) | join(",")')" "true,true,43"
schema_ok "candidates reply" CandidatesReply
eq "one item row, three candidate rows" "$(rows annotation_items "id = '$ITEM'"),$(rows annotation_candidates "item_id = '$ITEM'")" "1,3"
eq "the prompts differ by strategy (three distinct system prompts)" "$(fake_requests | jq '[.[].messages[0].content] | unique | length')" 3
eq "the token is not stored" "$(dump | grep -c -- "$TOKEN" || true)" 0

# n of one strategy
fake_script '{"content": "A reply."}'
cand '{"strategy": "cga", "n": 2}' two
eq "n=2 of one strategy: 201, two guided_annotation candidates" "$STATUS $(jb '[.candidates[].strategy] | join(",")')" "201 guided_annotation,guided_annotation"
ITEM2=$(jb .id); TOKEN2=$(jb .storage.deletion_token); D1=$(jb '.candidates[0].id'); D2=$(jb '.candidates[1].id')

# the model's annotations, one call before the candidates, shared by them
fake_script "$(jq -cn '{content: "A reply.", json_content: ({emotional_distress: [{phrase: "I feel so alone", intensity: "moderate"}], cultural_signals: []} | tojson)}')"
fake_clear
cand '{"strategies": ["guided_annotation", "annotation_without_profile"], "annotator": "llm"}' llm
eq "annotator llm: 201, the model's annotations" "$STATUS $(jb '[.annotator, .annotations.emotional_distress[0].source, .annotations.emotional_distress[0].phrase] | join(",")')" "201 llm,llm,I feel so alone"
eq "annotator llm: one annotator call and two candidates" "$(fake_requests | jq -c '[.[] | (.response_format.type // "text")] | sort')" '["json_object","text","text"]'
eq "both prompts show the shared annotation (with its intensity)" "$(fake_requests | jq '[.[] | select(.response_format == null) | .messages[1].content | contains("moderate")] | all')" true
LLMITEM=$(jb .id); LLMTOKEN=$(jb .storage.deletion_token)
fake_script '{"content": "A reply.", "json_mode": "garbage"}'
cand '{"n": 2, "annotator": "auto"}' llmbad
eq "annotator auto, the model's answer unusable: the corpus's, and why" "$STATUS $(jb .annotator) $(jb '.annotator_fallback | length > 0')" "201 corpus true"
req DELETE "/items/$LLMITEM" -H "X-Deletion-Token: $LLMTOKEN"
eq "(erased)" "$STATUS" 204
fake_script '{"content": "A reply."}'

# a failing backend: nothing stored
before=$(rows annotation_items)
fake_script '{"mode": "error", "status": 500}'
cand '{"n": 3}' fails
eq "backend failing: 502, nothing stored" "$STATUS,$(rows annotation_items)" "502,$before"
ok "the error names no text" bash -c '! grep -q "$1" "$2"' _ "$MARK" "$T/body"
fake_script '{"content": "A reply."}'

# crisis: no candidates, the crisis reply
crisis=$(awk -F'\t' '$1 == "en" && $2 == "imminent" { print $4; exit }' "$SOURCE_ROOT/tests/risk_table.tsv")
fake_clear
req POST /candidates -H 'Content-Type: application/json' --data-binary "$(jq -cn --arg m "$crisis $MARK-crisis" '{message: $m, culture: "german", n: 3}')"
eq "crisis: 200, no candidates, escalate, nothing stored" "$STATUS $(jb '[(.candidates|length), .safety.escalate, .storage.stored, (.response|length > 0)] | map(tostring) | join(",")')" "200 0,true,false,true"
eq "crisis: no backend call" "$(fake_count)" 0
eq "crisis: no item with its text" "$(dump | grep -c -- "$MARK-crisis" || true)" 0

# an unsafe generated reply is replaced
fake_script '{"content": "I think you should kill yourself."}'
cand '{"n": 1}' unsafe
eq "unsafe candidate: replaced by the crisis message" "$STATUS $(jb '.candidates[0].response_mode')" "201 replaced"
fake_script '{"content": "A reply."}'

# ---- pagination: every item once while items are inserted ----
for i in $(seq 1 21); do cand '{"n": 1}' "p$i" >/dev/null; done
psql "$DATABASE_URL" -Atc "SELECT id FROM annotation_items ORDER BY id" >"$T/before.ids"
req GET "/items?limit=4"
eq "items: 200" "$STATUS" 200
schema_ok "items page" ItemList
ok "newest first" jqok '[.items[].created_at] as $t | $t == ($t | sort | reverse)' <<<"$BODY"
jb '.items[].id' >"$T/listed.ids"
cursor=$(jb .next_cursor)
( for i in $(seq 1 12); do
    curl -s -m 10 -o /dev/null -H 'Content-Type: application/json' \
      --data-binary "$(jq -cn --arg m "$(msg "during$i")" '{message: $m, culture: "jewish", n: 1}')" "$BASE/candidates"
  done ) &
inserter=$!
pages=1
while [ -n "$cursor" ] && [ "$cursor" != null ]; do
  req GET "/items?limit=4&cursor=$cursor"
  [ "$STATUS" = 200 ] || break
  jb '.items[].id' >>"$T/listed.ids"
  cursor=$(jb '.next_cursor // empty')
  pages=$((pages + 1))
  sleep 0.05
done
wait "$inserter"
echo "# $(wc -l <"$T/listed.ids") items in $pages pages while 12 were inserted"
eq "no item listed twice" "$(sort "$T/listed.ids" | uniq -d | wc -l)" 0
eq "every item present at the start listed, none inserted meanwhile" "$(sort "$T/listed.ids")" "$(cat "$T/before.ids")"
ok "the last page has no next_cursor" jqok 'has("next_cursor") | not' <<<"$BODY"
ok "more were inserted meanwhile" test "$(rows annotation_items)" -gt "$(wc -l <"$T/before.ids")"
req GET "/items?limit=100&strategy=profile"
eq "strategy filter" "$(jb '[.items[].id] | join(",")')" "$ITEM"
req GET "/items?cursor=zz"
eq "a cursor we did not give: 422" "$STATUS $(jb .error.details.field)" "422 cursor"
req GET "/items?rated=maybe"
eq "rated must be true or false" "$STATUS" 422
req GET "/items/$ITEM"
eq "one item" "$STATUS $(jb '.candidates | length')" "200 3"

# ---- ratings ----
rate() { req POST "/candidates/$1/ratings" -H 'Content-Type: application/json' --data-binary "$2"; }
rate "$C1" '{"rater": "r1", "scores": {"empathy": 5}}'
eq "first rating: 201 created" "$STATUS $(jb .created)" "201 true"
rate "$C1" '{"rater": "r1", "scores": {"empathy": 2, "helpfulness": 4}, "comment": "warm but vague"}'
eq "second by the same rater: 200, replaced" "$STATUS $(jb .created)" "200 false"
eq "one row, the second's values" "$(psql "$DATABASE_URL" -Atc "SELECT count(*), max(empathy), max(helpfulness) FROM annotation_ratings WHERE candidate_id = '$C1'")" "1|2|4"
rate "$C1" '{"rater": "r2", "scores": {"empathy": 2}}'
eq "another rater: 201" "$STATUS" 201
rate "$C1" '{"rater": "r3", "scores": {"empathy": 6}}'
eq "6 is off the scale: 422" "$STATUS $(jb .error.details.field)" "422 scores.empathy"
rate "$C1" '{"rater": "r3", "scores": {"empathy": 0}}'
eq "0 is off the scale: 422" "$STATUS" 422
rate "$C1" '{"rater": "r3", "scores": {"empathy": 3.5}}'
eq "3.5 is off the scale: 422" "$STATUS" 422
rate "$C1" '{"rater": "r3", "scores": {"kindness": 3}}'
eq "unknown metric: 422 with the allowed ones" "$STATUS $(jb '.error.details.allowed | length')" "422 7"
rate "$C1" '{"rater": "r3", "scores": {}}'
eq "no score: 422" "$STATUS" 422
rate "$C1" '{"rater": "", "scores": {"empathy": 3}}'
eq "empty rater: 422" "$STATUS" 422
rate "$(cat /proc/sys/kernel/random/uuid)" '{"rater": "r1", "scores": {"empathy": 3}}'
eq "unknown candidate: 404" "$STATUS" 404
ITEMB=$(psql "$DATABASE_URL" -Atc "SELECT id FROM annotation_items WHERE id <> '$ITEM' AND id <> '$ITEM2' ORDER BY seq LIMIT 1")
# a second item for agreement: the unsafe/pagination items have one redditor-less candidate each;
# make one more with the three strategies
fake_script '{"content": "A reply."}'
cand '{"strategies": ["redditor", "profile", "guided_annotation"]}' second
ITEMB=$(jb .id); B1=$(jb '.candidates[0].id'); B2=$(jb '.candidates[1].id'); B3=$(jb '.candidates[2].id')
rate "$B1" '{"rater": "r1", "scores": {"empathy": 3}}'
rate "$B1" '{"rater": "r2", "scores": {"empathy": 4}}'
req GET "/items?rated=true&limit=100"
eq "rated=true lists the two rated items" "$(jb '[.items[].id] | sort | join(",")')" "$(printf '%s\n' "$ITEM" "$ITEMB" | sort | paste -sd,)"

# ---- preferences ----
pref() { req POST "/items/$1/preferences" -H 'Content-Type: application/json' --data-binary "$2"; }
pref "$ITEM" "{\"rater\": \"r1\", \"ranking\": [\"$C3\", \"$C2\", \"$C1\"]}"
eq "a ranking: 201" "$STATUS" 201
pref "$ITEMB" "{\"rater\": \"r1\", \"ranking\": [\"$B1\", \"$B2\"], \"tie\": true}"
eq "a tie: 201" "$STATUS" 201
pref "$ITEM" "{\"rater\": \"r1\", \"ranking\": [\"$C3\", \"$B2\"]}"
eq "a candidate of another item: 422" "$STATUS $(jb .error.details.field)" "422 ranking"
pref "$ITEM" "{\"rater\": \"r1\", \"ranking\": [\"$C3\", \"$C3\"]}"
eq "a candidate twice: 422" "$STATUS" 422
pref "$ITEM" "{\"rater\": \"r1\", \"ranking\": [\"$C3\", \"$C2\", \"$C1\"], \"tie\": true}"
eq "a tie of three: 422" "$STATUS" 422

# ---- the judge ----
fake_script '{"judge_answers": {"Empathy": "5", "Helpfulness": "4", "Socio-political influence": "I cannot tell.", "Knowledge": "2", "Cultural context": "3", "Fluency": "Score: 5", "Communication": "4"},
  "judge_top_logprobs": {"Empathy": [{"token": "5", "logprob": -0.35667494393873245}, {"token": "4", "logprob": -1.2039728043259361}]}}'
fake_clear
req POST /evaluations -H 'Content-Type: application/json' --data-binary "{\"candidate_id\": \"$C1\"}"
eq "judge: 200" "$STATUS" 200
eq "seven judge calls, all at once" "$(fake_count)" 7
ok "each asks for top_logprobs 5 and one digit" jqok 'all(.[]; .logprobs == true and .top_logprobs == 5 and (.messages[0].content | contains("Answer with one digit")))' <<<"$(fake_requests)"
eq "digits parsed" "$(jb '[.scores.empathy.score, .scores.helpfulness.score, .scores.knowledge.score, .scores.cultural_context.score, .scores.fluency.score, .scores.communication.score] | map(tostring) | join(",")')" "5,4,2,3,5,4"
eq "no digit: missing with the answer's length, never 0" "$(jb '[.scores.socio_political.score, .scores.socio_political.missing, .scores.socio_political.answer_length, .missing[0]] | map(tostring) | join(",")')" "null,true,14,socio_political"
# hand-computed: Emo (5+4)/2 = 4.5; Cult (2+3)/2 = 2.5 (socio-political missing); All (5+4+2+3+5+4)/6 = 3.8333
eq "aggregates" "$(jb '[.aggregates.emo, .aggregates.cult, (.aggregates.all * 10000 | round)] | map(tostring) | join(",")')" "4.5,2.5,38333"
# G-Eval: p(5) = 0.7, p(4) = 0.3: 5 * 0.7 + 4 * 0.3 = 4.7
eq "probability-weighted empathy" "$(jb '(.scores.empathy.weighted * 1000 | round) / 1000, (.scores.empathy.probability * 1000 | round) / 1000' | paste -sd,)" "4.7,0.7"
eq "stored with model and prompt version" "$(psql "$DATABASE_URL" -Atc "SELECT count(*), count(score), max(prompt_version) FROM judge_scores WHERE candidate_id = '$C1'")" "7|6|cc-judge-v1"
schema_ok "evaluation" Evaluation
req POST /evaluations -H 'Content-Type: application/json' --data-binary "$(jq -cn --arg m "$(msg judge)" '{message: $m, response: "I hear you.", culture: "jewish", metrics: ["empathy", "fluency"]}')"
eq "a given pair, two metrics: not stored" "$STATUS $(jb '[(.scores | keys | join("+")), .stored] | map(tostring) | join(",")')" "200 empathy+fluency,false"
req POST /evaluations -H 'Content-Type: application/json' --data-binary '{"message": "x", "response": "y", "metrics": ["charm"]}'
eq "unknown metric: 422" "$STATUS" 422
req POST /evaluations -H 'Content-Type: application/json' --data-binary "{\"candidate_id\": \"$(cat /proc/sys/kernel/random/uuid)\"}"
eq "unknown candidate: 404" "$STATUS" 404

# ---- statistics, hand-computed ----
# redditor (jewish): ratings of C1 (r1: e2 h4; r2: e2) and B1 (r1: e3; r2: e4).
#   empathy mean (2+2+3+4)/4 = 2.75; helpfulness 4 (one rating): Emo = (2.75+4)/2 = 3.375, Cult null.
#   alpha(empathy): units (2,2), (3,4): o22 = 2, o34 = o43 = 1; n2 = 2, n3 = n4 = 1, n = 4;
#   delta2(3,4) = 1, delta2(2,3) = 2.25, delta2(2,4) = 6.25; Do = 2, De = 2 (2*2.25 + 2*6.25 + 1) = 36;
#   alpha = 1 - 3 * 2 / 36 = 0.8333 on 2 items; helpfulness: no item with two ratings.
# win rates: item 1 ranks guided_annotation > profile > redditor; item 2 ties redditor and profile:
#   redditor 0 wins, 2 losses, 1 tie: (0 + 0.5) / 3; profile 1, 1, 1: 0.5; guided_annotation 2, 0, 0: 1.
req GET "/stats?culture=jewish"
eq "stats: 200" "$STATUS" 200
schema_ok "stats" Stats
g() { jq -c ".groups[] | select(.strategy == \"$1\") | $2" <<<"$BODY"; }
eq "redditor: means" "$(g redditor '[.human.means.empathy, .human.means.helpfulness, .human.n.empathy, .human.ratings]')" "[2.75,4,4,4]"
eq "redditor: Emo, Cult, All" "$(g redditor '[.human.emo, .human.cult, .human.all]')" "[3.375,null,3.375]"
eq "redditor: alpha (empathy) on 2 items" "$(g redditor '[(.agreement.empathy.alpha * 10000 | round), .agreement.empathy.items]')" "[8333,2]"
eq "redditor: no alpha for helpfulness" "$(g redditor '[.agreement.helpfulness.alpha, .agreement.helpfulness.items]')" "[null,0]"
eq "redditor: win rate" "$(g redditor '[.preferences.wins, .preferences.losses, .preferences.ties, (.preferences.win_rate * 10000 | round)]')" "[0,2,1,1667]"
eq "profile: win rate" "$(g profile '[.preferences.wins, .preferences.losses, .preferences.ties, .preferences.win_rate]')" "[1,1,1,0.5]"
eq "guided_annotation: win rate" "$(g guided_annotation '[.preferences.wins, .preferences.losses, .preferences.win_rate]')" "[2,0,1]"
eq "redditor: the judge's means and aggregates" "$(g redditor '.judge[0] | [.means.empathy, .means.socio_political, .missing.socio_political, .emo, .cult]')" "[5,null,1,4.5,2.5]"
req GET "/stats?culture=jewish&strategy=profile"
eq "strategy filter" "$(jb '[.groups[].strategy] | join(",")')" profile
req GET "/stats?strategy=bogus"
eq "unknown strategy: 422" "$STATUS" 422

# ---- deletion: everything of an item ----
del() { req DELETE "/items/$1" ${2:+-H "X-Deletion-Token: $2"}; }
del "$ITEM" "$TOKEN2"
eq "another item's token: 404" "$STATUS" 404
del "$ITEM"
eq "no token: 422" "$STATUS" 422
del "$ITEM" "$TOKEN"
eq "right token: 204" "$STATUS" 204
eq "item, candidates, ratings, preferences, judge scores gone" \
  "$(rows annotation_items "id = '$ITEM'"),$(rows annotation_candidates "item_id = '$ITEM'"),$(rows annotation_ratings "candidate_id IN ('$C1','$C2','$C3')"),$(rows annotation_preferences "item_id = '$ITEM'"),$(rows judge_scores "candidate_id = '$C1'")" "0,0,0,0,0"
eq "no table holds its message" "$(dump | grep -c -- "$MARK-three" || true)" 0
del "$ITEM" "$TOKEN"
eq "again: 404" "$STATUS" 404
serve_stop
eq "clean exit (no leak under the sanitizers)" "$SERVER_RC" 0
ok "no sanitizer report" bash -c '! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1"' _ "$SERVER_LOG"
eq "no message text in this run's log" "$(grep -c -- "$MARK" "$SERVER_LOG" || true)" 0
eq "no deletion token in this run's log" "$(grep -c -- "$TOKEN" "$SERVER_LOG" || true)" 0

# ---- retention: items go with the purge ----
STORE_MESSAGES=on RETENTION_DAYS=0.00003 PURGE_INTERVAL_MS=300 serve_up
cand '{"n": 2}' short
CS=$(jb '.candidates[0].id')
rate "$CS" '{"rater": "r1", "scores": {"fluency": 4}}'
for _ in $(seq 1 60); do
  [ "$(rows annotation_items)" = 0 ] && break
  sleep 0.2
done
eq "retention: every item gone" "$(rows annotation_items)" 0
eq "with its candidates and ratings" "$(rows annotation_candidates),$(rows annotation_ratings)" "0,0"
serve_stop
eq "clean exit" "$SERVER_RC" 0

ok "no sanitizer report" bash -c '! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1"' _ "$SERVER_LOG"
eq "no message text in the logs" "$(grep -c -- "$MARK" "$SERVER_LOG" || true)" 0
eq "no deletion token in the logs" "$(grep -c -- "$TOKEN" "$SERVER_LOG" || true)" 0

# ---- the judge's own backend: JUDGE_BASE_URL, JUDGE_MODEL, JUDGE_API_KEY ----
JUDGE_BASE_URL="$FAKE" JUDGE_MODEL=judge-x JUDGE_API_KEY=judge-key serve_up
fake_script '{"judge_answers": {"Fluency": "4"}}'
fake_clear
judge_pair='{"message": "I miss home.", "response": "That sounds hard.", "metrics": ["fluency"]}'
req POST /evaluations -H 'Content-Type: application/json' --data-binary "$judge_pair"
eq "judge settings: its model and key" "$(fake_requests | jq -r '.[0] | [.model, ._authorization] | join(",")')" "judge-x,Bearer judge-key"
eq "judge settings: its model in the answer" "$STATUS $(jb .judge.model) $(jb .scores.fluency.score)" "200 judge-x 4"
serve_stop
JUDGE_BASE_URL=http://127.0.0.1:9 LLM_RETRIES=0 serve_up
req POST /evaluations -H 'Content-Type: application/json' --data-binary "$judge_pair"
eq "an unreachable judge backend (the generation backend is up): 502" "$STATUS $(jb .error.code)" "502 backend_failed"
serve_stop
eq "clean exit" "$SERVER_RC" 0
ok "no sanitizer report" bash -c '! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1"' _ "$SERVER_LOG"
finish
