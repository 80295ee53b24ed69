#!/usr/bin/env bash
# Safety on every path: crisis replies without any model call at high and
# imminent risk (in the message's language, with resources for the country),
# safe-messaging instructions at moderate risk, the output check on generated
# replies, and no message text in the logs. Messages come from
# tests/risk_table.tsv (the table the rules are measured on).
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
serve_up
TABLE="$SOURCE_ROOT/tests/risk_table.tsv"
# first message of the table with language $1, level $2 (and categories $3)
pick() { awk -F'\t' -v l="$1" -v v="$2" -v c="${3:-}" '$1 == l && $2 == v && (c == "" || $3 == c) { print $4; exit }' "$TABLE"; }

declare -A COUNTRY=([en]=US [de]=DE [zh]=CN [ar]=XX [he]=IL)
declare -A NUMBER=([en]=988 [de]="0800 111 0 111" [zh]=12356 [he]=1201)
for lang in en de zh ar he; do
  for level in imminent high; do
    msg=$(pick "$lang" "$level" self)
    [ -n "$msg" ] || continue
    fake_clear
    post "$(jq -n --arg m "$msg" --arg c "${COUNTRY[$lang]}" '{message: $m, culture: "jewish", country: $c}')"
    eq "$lang $level: 200 (never blocked)" "$STATUS" 200
    eq "$lang $level: assessed at least high, escalated, crisis mode" \
      "$(jb '[(.safety.risk_level|test("high|imminent")), .safety.escalate, .safety.response_mode]|map(tostring)|join(",")')" "true,true,crisis"
    eq "$lang $level: the message's language" "$(jb .safety.language)" "$lang"
    eq "$lang $level: the model was never asked" "$(fake_count)" 0
    crisis=$(psql "$DATABASE_URL" -Atc "SELECT body FROM crisis_messages WHERE lang = '$lang'")
    eq "$lang $level: the crisis message in that language" "$(jb .response)" "$crisis"
    if [ -n "${NUMBER[$lang]:-}" ]; then
      contains "$lang $level: the country's crisis line" "$(jb '[.safety.resources[].phone]|join(";")')" "${NUMBER[$lang]}"
    fi
    ok "$lang $level: and the international directory" jqok '[.safety.resources[].country] | index("INT") != null' <<<"$BODY"
  done
done
msg=$(pick en high self)
post "$(jq -n --arg m "$msg" '{message: $m, culture: "german", country: "de"}')"
ok "DE: the EU emergency number 112 too" jqok '[.safety.resources[].phone] | index("112") != null' <<<"$BODY"
post "$(jq -n --arg m "$msg" '{message: $m, culture: "german"}')"
eq "without a country: the international directories only" "$(jb '[.safety.resources[].country]|join(",")')" INT,INT
schema_ok "a crisis reply" SupportReply
de_msg=$(pick de high self)
post "$(jq -n --arg m "$de_msg" '{message: $m, culture: "german"}')" -H 'Accept-Language: de-DE,de;q=0.9'
eq "a German message with Accept-Language de picks no country" "$(jb '[.safety.resources[].country]|join(",")')" INT,INT

# What a person needs to act on each resource: tel: URI, text and chat
# options, hours and open_now (structured hours, the country's time zone).
post "$(jq -n --arg m "$msg" '{message: $m, culture: "german", country: "DE"}')"
eq "DE: the first line is open now (24/7), free, with its tel: URI" \
  "$(jb '.safety.resources[0] | [.tel, .open_now, .open_24_7, .free_of_charge, .verified] | map(tostring) | join(" ")')" \
  "tel:08001110111 true true true true"
ok "every resource has tel and open_now" jqok '.safety.resources | all(has("tel") and has("open_now") and has("sms"))' <<<"$BODY"
ok "the directories come last" jqok '[.safety.resources[].country] | .[-2:] == ["INT", "INT"]' <<<"$BODY"
schema_ok "resources with their new fields" SupportReply
post "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish", country: "IL"}')"
ok "IL: SAHAR with its weekly hours and a definite open_now" \
  jqok '.safety.resources[] | select(.name | startswith("SAHAR")) | (.open_now | type) == "boolean" and .time_zone == "Asia/Jerusalem" and .phone == null and .tel == null' <<<"$BODY"
ok "IL: ERAN's hours are not confirmed: open_now null" \
  jqok '.safety.resources[] | select(.phone == "1201") | .open_now == null and .open_24_7 == false' <<<"$BODY"
ok "IL: open now first, then unknown, then closed" \
  jqok '[.safety.resources[] | select(.country == "IL") | if .open_now == true then 0 elif .open_now == null then 1 else 2 end] | . == sort' <<<"$BODY"
post "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish", country: "CN"}')"
ok "CN: 12356 is not claimed open (hours differ by city)" \
  jqok '.safety.resources[] | select(.phone == "12356") | .open_now == null and .open_24_7 == false and .verified' <<<"$BODY"
post "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish", country: "GB"}')"
ok "GB: Shout by text, with its sms: URI" \
  jqok '.safety.resources[] | select(.name == "Shout") | .sms == "sms:85258?body=SHOUT" and .open_now == true' <<<"$BODY"
# A resource configured for a culture comes without a country too.
psql "$DATABASE_URL" -qc "INSERT INTO crisis_resources (country, name, phone, cultures, note)
  VALUES ('AE', 'Culture test line', '800 0000', '{arabic}', 'test row'); NOTIFY culturecare, 'corpus'"
for _ in $(seq 1 50); do
  post "$(jq -n --arg m "$msg" '{message: $m, culture: "arabic"}')"
  [ "$(jb '[.safety.resources[].name] | index("Culture test line") != null')" = true ] && break
  sleep 0.1
done
eq "without a country: the culture's resource, then the directories" \
  "$(jb '[.safety.resources[].country]|join(",")')" AE,INT,INT
post "$(jq -n --arg m "$msg" '{message: $m, culture: "german"}')"
eq "but not for another culture" "$(jb '[.safety.resources[].country]|join(",")')" INT,INT

# Moderate: normal generation with safe-messaging instructions and resources.
msg=$(pick en moderate self)
fake_clear
post "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish", strategy: "profile"}')"
eq "moderate: a generated reply" "$STATUS $(jb .safety.response_mode) $(fake_count)" "200 safe_messaging 1"
contains "moderate: safe-messaging instructions in the system prompt" "$(fake_last system)" "never describe or discuss methods"
contains "moderate: no role-play, a plain supportive assistant" "$(fake_last system)" "You are a supportive assistant, not a person"
eq "moderate: not the strategy's forum persona" "$(fake_last system | grep -c 'member of an online forum' || true)" 0
ok "moderate: resources" jqok '.safety.resources | length > 0' <<<"$BODY"
msg=$(pick en low self)
post "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish", strategy: "profile"}')"
eq "low: a gentle check-in" "$(jb .safety.response_mode)" check_in
contains "low: check-in instruction" "$(fake_last system)" "check in"
contains "low: no persona either (RISK_ROLE_PLAY_AT_LOW=off)" "$(fake_last system)" "You are a supportive assistant, not a person"

# Negation and third persons
post '{"message": "I would never kill myself, but this exam is killing me.", "culture": "jewish", "strategy": "profile"}'
eq "negation and a figure of speech: no risk" "$(jb .safety.risk_level) $(jb .safety.response_mode)" "none normal"
msg=$(pick en none third_person)
if [ -n "$msg" ]; then
  post "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish", strategy: "profile"}')"
  contains "concern for someone else: its category" "$(jb '.safety.categories|join(",")')" concern_for_someone_else
  ok "with resources" jqok '.safety.resources | length > 0' <<<"$BODY"
fi

# The output check: a reply with method details is replaced.
fake_script '{"content": "I understand. The lethal dose is about twenty tablets, but please talk to someone."}'
post '{"message": "I feel so alone since I moved.", "culture": "jewish", "strategy": "profile"}'
crisis_en=$(psql "$DATABASE_URL" -Atc "SELECT body FROM crisis_messages WHERE lang = 'en'")
eq "an unsafe generated reply is replaced by the crisis message" "$(jb .response)" "$crisis_en"
eq "and marked so" "$(jb .safety.response_mode)" replaced
ok "the method detail is gone" bash -c '! grep -q "lethal dose" <<<"$1"' _ "$BODY"
curl -sN -m 10 -H 'Content-Type: application/json' --data-binary '{"message": "I feel so alone since I moved.", "culture": "jewish", "strategy": "profile", "stream": true}' "$BASE/support" >"$T/unsafe.sse"
ok "streamed: the unsafe piece is not forwarded" bash -c '! grep -q "lethal dose" "$1"' _ "$T/unsafe.sse"
ok "streamed: a replaced event carries the crisis message" grep -q '^event: replaced' "$T/unsafe.sse"
ok "streamed: not even the start of the unsafe phrase was sent" bash -c '! grep -q "\"text\":\"[^\"]*lethal" "$1"' _ "$T/unsafe.sse"
fake_script '{}'

# The check works by concepts, on folded text: case, non-breaking and doubled
# spaces do not hide an endorsement; safe-messaging replies stay untouched.
replaced0=$(curl -s "$BASE/metrics" | awk '$1 == "culturecare_safety_replies_replaced_total" { print $2 }')
fake_script "$(jq -cn '{content: "I hear you.  YOU  SHOULD\u00a0JUST DO IT."}')"
post '{"message": "I feel so alone since I moved.", "culture": "jewish", "strategy": "profile"}'
eq "plain: case and spacing variants are caught" "$(jb .safety.response_mode)" replaced
eq "plain: the crisis message instead" "$(jb .response)" "$crisis_en"
SAFE_REPLY="If you ever think about ending your life, please call or text 988. Could you give the pills to a friend for tonight?"
fake_script "$(jq -cn --arg c "$SAFE_REPLY" '{content: $c}')"
post '{"message": "I feel so alone since I moved.", "culture": "jewish", "strategy": "profile"}'
eq "plain: a safe-messaging reply is kept" "$(jb .response)" "$SAFE_REPLY"
ok "plain: and not marked replaced" test "$(jb .safety.response_mode)" != replaced

# Streams: each sentence waits until it ends and passes; the unsafe one is
# never sent, the generation stops, and the replaced event follows at once.
fake_script '{"pieces": ["I hear you", ". It has been ", "so hard. Honestly, nobody would ", "miss you", ", so why ", "wait? ", "More ", "that ", "never ", "comes."], "piece_interval_ms": 300}'
fake_clear
t0=$(date +%s%3N)
curl -sN -m 10 -H 'Content-Type: application/json' --data-binary '{"message": "I feel so alone since I moved.", "culture": "jewish", "strategy": "profile", "stream": true}' "$BASE/support" >"$T/split.sse"
took=$(($(date +%s%3N) - t0))
sse_texts() { grep '^data: ' "$1" | sed 's/^data: //' | jq -rs '[.[] | .text? // empty] | join("|")'; }
eq "streamed: the safe sentences, then the crisis message" "$(grep '^event:' "$T/split.sse" | tr '\n' ' ')" "event: meta event: delta event: delta event: replaced event: done "
eq "streamed: what was sent before the replaced event" "$(sse_texts "$T/split.sse" | cut -d'|' -f1-2)" "I hear you.| It has been so hard."
ok "streamed: no word of the unsafe sentence went out" bash -c '! grep -qi "miss you\|nobody" "$1"' _ "$T/split.sse"
ok "streamed: the generation was stopped (the backend did not finish)" test "$(fake_requests | jq -r '.[-1]._done_ms')" = null
ok "streamed: the reply ended before the backend's last pieces ($took ms < 2700)" test "$took" -lt 2700
ok "streamed: the replaced event says replaced" bash -c 'grep -A1 "^event: replaced" "$1" | grep -q "\"response_mode\":\"replaced\""' _ "$T/split.sse"

# The final check runs at the end of a stream: a last sentence without an end.
fake_script '{"pieces": ["All right. ", "You should ", "just do it"]}'
curl -sN -m 10 -H 'Content-Type: application/json' --data-binary '{"message": "I feel so alone since I moved.", "culture": "jewish", "strategy": "profile", "stream": true}' "$BASE/support" >"$T/tail.sse"
eq "streamed: an unended last sentence is checked too" "$(grep '^event:' "$T/tail.sse" | tr '\n' ' ')" "event: meta event: delta event: replaced event: done "
ok "streamed: and never sent" bash -c '! grep -qi "just do it" "$1"' _ "$T/tail.sse"

# The OpenAI face: plain and streamed.
fake_script "$(jq -cn '{content: "The roof of that building is high enough."}')"
req POST /v1/chat/completions -H 'Content-Type: application/json' --data-binary '{"model": "culturecare/jewish", "messages": [{"role": "user", "content": "I feel so alone since I moved."}]}'
eq "/v1: an unsafe reply is replaced" "$(jb '.choices[0].message.content')" "$crisis_en"
eq "/v1: marked replaced" "$(jb .culturecare.safety.response_mode)" replaced
fake_script '{"pieces": ["Sure. ", "The roof ", "is high ", "enough. ", "Bye."]}'
curl -sN -m 10 -H 'Content-Type: application/json' --data-binary '{"model": "culturecare/jewish", "stream": true, "messages": [{"role": "user", "content": "I feel so alone since I moved."}]}' "$BASE/v1/chat/completions" >"$T/v1.sse"
ok "/v1 streamed: the unsafe sentence is not sent" bash -c '! grep -qi "roof\|high enough" "$1"' _ "$T/v1.sse"
contains "/v1 streamed: the crisis message is" "$(grep '^data: {' "$T/v1.sse" | sed 's/^data: //' | jq -rs '[.[] | .choices[0].delta.content? // empty] | join("")')" "$crisis_en"
eq "/v1 streamed: ends with [DONE]" "$(grep '^data: ' "$T/v1.sse" | tail -1)" "data: [DONE]"
replaced1=$(curl -s "$BASE/metrics" | awk '$1 == "culturecare_safety_replies_replaced_total" { print $2 }')
eq "metrics: every replaced reply counted" "$((replaced1 - replaced0))" 5
ok "the log says which concept failed" grep -q '"reply_check":"encouragement"' "$SERVER_LOG"
ok "the log never holds the replaced text" bash -c '! grep -qi "high enough\|nobody would\|just do it" "$1"' _ "$SERVER_LOG"
fake_script '{}'

# Streams and the OpenAI face carry safety too; crisis streams need no model.
msg=$(pick en imminent self)
fake_clear
curl -sN -m 10 -H 'Content-Type: application/json' --data-binary "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish", stream: true, country: "GB"}')" "$BASE/support" >"$T/crisis.sse"
eq "a crisis stream: meta, the message, done" "$(grep '^event:' "$T/crisis.sse" | tr '\n' ' ')" "event: meta event: delta event: done "
ok "the meta event carries safety" bash -c 'grep -A1 "^event: meta" "$1" | grep -q "\"response_mode\":\"crisis\""' _ "$T/crisis.sse"
contains "with the UK line" "$(cat "$T/crisis.sse")" "116 123"
eq "and no model call" "$(fake_count)" 0
req POST /v1/chat/completions -H 'Content-Type: application/json' --data-binary "$(jq -n --arg m "$msg" '{model: "culturecare/jewish", messages: [{role: "user", content: $m}], metadata: {country: "IL"}}')"
eq "OpenAI face: the crisis message as the reply" "$(jb '.choices[0].message.content')" "$crisis_en"
eq "with safety in the metadata" "$(jb .culturecare.safety.response_mode)" crisis

# Privacy: crisis messages never reach the logs.
marker="PRIVATE-MARKER-$RANDOM$RANDOM"
post "$(jq -n --arg m "$msg $marker" '{message: $m, culture: "jewish"}')"
curl -sN -m 10 -H 'Content-Type: application/json' --data-binary "$(jq -n --arg m "$msg $marker" '{message: $m, culture: "jewish", stream: true}')" "$BASE/support" >/dev/null
ok "no crisis message text in the logs" bash -c '! grep -q "$1" "$2"' _ "$marker" "$SERVER_LOG"
serve_stop
eq "SIGTERM: exit 0" "$SERVER_RC" 0

# ---- RISK_CLASSIFIER=chat-json: the model's second opinion, never lowering ----
# (beside the role-play call; tests/http_classifier.sh tests the stage)
RISK_CLASSIFIER=chat-json serve_up
neutral='{"message": "Work was long today and I miss my family.", "culture": "german", "annotator": "corpus", "strategy": "redditor"}'
fake_clear
fake_script '{"json_content": "{\"risk_level\": \"high\", \"categories\": []}", "content": "role-play reply"}'
post "$neutral"
eq "the model grades higher: its level wins" "$(jb .safety.risk_level),$(jb .safety.response_mode),$(jb .safety.escalate)" "high,crisis,true"
eq "reported as raised" "$(jb .safety.classifier.outcome),$(jb .safety.classifier.level)" "raised,high"
eq "the crisis message, not a role-play" "$(jb .response)" "$crisis_en"
eq "one grading call (JSON mode)" "$(fake_requests | jq -c '[.[] | select(has("response_format"))] | length')" 1
ok "the grading call carries the message only in the user turn" jqok '[.[] | select(has("response_format"))][0] | .messages[0].role == "system" and (.messages[1].content | startswith("Work was long"))' <<<"$(fake_requests)"
moderate=$(pick en moderate self)
fake_clear
fake_script '{"json_content": "{\"risk_level\": \"none\"}", "content": "a reply"}'
post "$(jq -n --arg m "$moderate" '{message: $m, culture: "german", annotator: "corpus", strategy: "redditor"}')"
eq "the model grades lower: the rules' level stays" "$(jb .safety.risk_level),$(jb .safety.classifier.outcome)" "moderate,lower_ignored"
contains "and safe messaging still applies" "$(fake_requests | jq -r '[.[] | select(has("response_format") | not)][-1].messages[0].content')" "safe-messaging"
fake_script '{"json_content": "not json at all", "content": "a reply"}'
post "$neutral"
eq "an unreadable grade: the rules' level, marked failed" "$(jb .safety.risk_level),$(jb .safety.classifier.outcome)" "none,failed"
eq "and the reply is generated" "$(jb .response)" "a reply"
post "$(jq -n --arg m "$msg" '{message: $m, culture: "jewish"}')"
eq "already high by the rules: no need to ask" "$(jb .safety.classifier.outcome)" not_needed
schema_ok "safety with classifier" SupportReply
fake_script '{}'
serve_stop
finish
