#!/usr/bin/env bash
# GET /metrics: the text is valid Prometheus exposition (tests/prom_parse.mjs,
# strict, and promtool when installed), and after a known set of requests
# (corpus, 404, 405, support plain and streamed, a backend answering 500, a
# stream whose backend never starts, a crisis message, an unsafe reply
# replaced, a client leaving a stream) every counter and histogram moved by
# exactly what they caused. No text of a request reaches the metrics.
# METRICS_PORT moves /metrics to a listener of its own.
#
# The in-flight gauge counts the scrape that reads it: at rest it is 1.
. "$(dirname "$0")/lib.sh"
command -v node >/dev/null || skip "node is needed for tests/prom_parse.mjs"
PARSE="$SOURCE_ROOT/tests/prom_parse.mjs"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
serve_up --llm-retries 1 --llm-retry-base-ms 10 --llm-first-token-timeout-ms 300 --sse-keepalive-ms 200

SCRAPES=0
# scrape NAME [BASE_URL]: GET /metrics into $T/NAME.txt (headers NAME.headers);
# fails unless the strict parser accepts it; its samples go to NAME.json.
scrape() {
  curl -s -m 5 -D "$T/$1.headers" -o "$T/$1.txt" "${2:-$BASE}/metrics" || return 1
  SCRAPES=$((SCRAPES + 1))
  node "$PARSE" "$T/$1.txt" >"$T/$1.json" 2>"$T/$1.err" || { cat "$T/$1.err" >&2; return 1; }
}
# L k=v ...: a jq condition on the labels.
L() {
  local c=true kv
  for kv in "$@"; do c+=" and .labels[\"${kv%%=*}\"] == \"${kv#*=}\""; done
  echo "$c"
}
# val NAME METRIC [CONDITION]: the sum of the matching samples of scrape NAME.
val() { jq -rs --arg n "$2" "map(select(.name == \$n and (${3:-true})) | .value) | add // 0" "$T/$1.json"; }
# delta METRIC [CONDITION]: how much it moved from scrape "before" to "after".
delta() { jq -rn --argjson a "$(val after "$@")" --argjson b "$(val before "$@")" '$a - $b'; }

# /readyz needs one database connection; wait (5 s at most) for all four,
# which a slow start (sanitizers, a loaded machine) may not have yet
for _ in $(seq 1 50); do
  curl -s -m 5 "$BASE/metrics" | grep -q '^culturecare_db_pool_connections{state="idle"} 4$' && break
  sleep 0.1
done
ok "the first scrape parses strictly" scrape before
eq "200 text/plain version 0.0.4" "$(sed -n 1p "$T/before.headers" | tr -d '\r' | cut -d' ' -f2) $(tr -d '\r' <"$T/before.headers" | sed -n 's/^Content-Type: //ip')" \
  "200 text/plain; version=0.0.4; charset=utf-8"
for level in none low moderate high imminent; do
  eq "risk level $level exists from the start" "$(jq -rs --arg l "$level" 'map(select(.name == "culturecare_risk_assessments_total" and .labels.level == $l)) | length' "$T/before.json")" 1
done
eq "every backend error kind exists from the start" \
  "$(jq -rs '[.[] | select(.name == "culturecare_backend_errors_total") | .labels.kind] | sort | join(",")' "$T/before.json")" \
  "cancelled,client_gone,connect,first_token_timeout,http_4xx,http_5xx,http_other,idle_timeout,invalid_reply,rate_limited,timeout"
eq "build info" "$(val before culturecare_build_info "$(L version=0.1.0)")" 1
ok "process start time is a recent epoch time" jqok --argjson t "$(date +%s)" \
  '-s' 'map(select(.name == "process_start_time_seconds"))[0].value | . > $t - 600 and . <= $t + 1' "$T/before.json"
eq "database pool: 4 idle, none in use or down, nothing waiting" \
  "$(val before culturecare_db_pool_connections "$(L state=idle)") $(val before culturecare_db_pool_connections "$(L state=in_use)") $(val before culturecare_db_pool_connections "$(L state=down)") $(val before culturecare_db_pool_waiting)" \
  "4 0 0 0"
n0=$((SCRAPES - 1)) # "before" completes after it was rendered: it counts in "after"

marker="PRIVATE-MARKER-$RANDOM$RANDOM"
TABLE="$SOURCE_ROOT/tests/risk_table.tsv"
crisis=$(awk -F'\t' '$1 == "en" && $2 == "high" && $3 == "self" { print $4; exit }' "$TABLE")
sse() { curl -sN -m "${2:-10}" -H 'Content-Type: application/json' --data-binary "$1" "$BASE/support" >"$T/sse.out" || true; }
msg() { jq -cn --arg m "I feel so alone since I moved. $marker" --argjson extra "${1:-{\}}" '{message: $m, culture: "german", strategy: "profile"} + $extra'; }

req GET /cultures
req GET "/cultures?x=$marker"
req GET /cultures
req GET "/nope-$marker"
eq "a path no route has: 404" "$STATUS" 404
req DELETE /cultures
eq "a known path, another method: 405" "$STATUS" 405
post "$(msg)"
eq "support: 200" "$STATUS" 200
sse "$(msg '{"stream": true}')"
ok "a stream: done" grep -q '^event: done' "$T/sse.out"
fake_script '{"mode": "error", "status": 500}'
post "$(msg)"
eq "the backend answers 500 twice (one retry): 502" "$STATUS" 502
fake_script '{"mode": "hang"}'
sse "$(msg '{"stream": true}')"
ok "a stream whose backend never starts: error event" grep -q '^event: error' "$T/sse.out"
fake_script '{"content": "I understand. The lethal dose is about twenty tablets, but please talk to someone."}'
post "$(msg)"
eq "an unsafe reply is replaced" "$(jb .safety.response_mode)" replaced
fake_script '{}'
post "$(jq -cn --arg m "$crisis $marker" '{message: $m, culture: "german"}')"
eq "a crisis message: crisis mode" "$(jb .safety.response_mode)" crisis

# A client leaves a stream that stalled after its first piece (a sentence,
# so the output check releases it at once).
fake_script '{"pieces": ["Hello. ", "there. "], "stall_after": 1}'
curl -sN -m 30 -H 'Content-Type: application/json' --data-binary "$(msg '{"stream": true}')" "$BASE/support" >"$T/stall.out" &
client=$!
open=
for _ in $(seq 1 100); do
  scrape during
  open=$(val during culturecare_http_streams_open)
  [ "$open" = 1 ] && grep -q '^event: delta' "$T/stall.out" && break
  sleep 0.05
done
eq "an open stream shows in the gauge" "$open" 1
kill "$client" 2>/dev/null || true
wait "$client" 2>/dev/null || true
for _ in $(seq 1 100); do
  scrape during
  open=$(val during culturecare_http_streams_open)
  [ "$open" = 0 ] && break
  sleep 0.05
done
eq "closed once the client left" "$open" 0
fake_script '{}'
scrapes=$((SCRAPES - n0))

ok "the second scrape parses strictly" scrape after
R=culturecare_http_requests_total
eq "GET /cultures 200: +3 (the query string is not a label)" "$(delta $R "$(L route=/cultures method=GET status=200)")" 3
eq "unknown path: route unmatched, +1" "$(delta $R "$(L route=unmatched method=GET status=404)")" 1
eq "405 counts under the path's route" "$(delta $R "$(L route=/cultures method=DELETE status=405)")" 1
eq "POST /support 200: +6" "$(delta $R "$(L route=/support method=POST status=200)")" 6
eq "POST /support 502: +1" "$(delta $R "$(L route=/support method=POST status=502)")" 1
eq "GET /metrics 200: one per scrape" "$(delta $R "$(L route=/metrics method=GET status=200)")" "$scrapes"
eq "no other series moved" "$(delta $R)" $((3 + 1 + 1 + 6 + 1 + scrapes))
ok "every route label is a pattern of the table or unmatched" jqok -s --arg p "$(grep -o '{"[A-Z]*", "/[^"]*"' "$SOURCE_ROOT/server/router.c" | sed 's/.*, "//;s/"$//' | tr '\n' ' ')" \
  '[.[] | select(.labels.route) | .labels.route] | unique | all(. as $r | ($p | split(" ")) + ["unmatched"] | index($r) != null)' "$T/after.json"
H=culturecare_http_request_duration_seconds
eq "duration count of /support: +7" "$(delta ${H}_count "$(L route=/support)")" 7
eq "duration count of /cultures: +4" "$(delta ${H}_count "$(L route=/cultures)")" 4
eq "duration count of unmatched: +1" "$(delta ${H}_count "$(L route=unmatched)")" 1
ok "durations add up to more than 0" jqok -n --argjson d "$(delta ${H}_sum "$(L route=/support)")" '$d > 0'
eq "in flight: the scrape itself" "$(val after culturecare_http_requests_in_flight)" 1
eq "no stream open" "$(val after culturecare_http_streams_open)" 0

E=culturecare_backend_errors_total
eq "backend 500: http_5xx +2" "$(delta $E "$(L kind=http_5xx)")" 2
eq "a stream that never started: first_token_timeout +2" "$(delta $E "$(L kind=first_token_timeout)")" 2
eq "the client that left: client_gone +1" "$(delta $E "$(L kind=client_gone)")" 1
eq "no other error" "$(delta $E)" 5
eq "retries +2" "$(delta culturecare_backend_retries_total)" 2
eq "no fallback (one backend)" "$(delta culturecare_backend_fallbacks_total)" 0
B=culturecare_backend_request_duration_seconds_count
eq "backend calls ok: +3" "$(delta $B "$(L backend=0 outcome=ok)")" 3
eq "http_error +1, timeout +1, client_gone +1" \
  "$(delta $B "$(L backend=0 outcome=http_error)") $(delta $B "$(L backend=0 outcome=timeout)") $(delta $B "$(L backend=0 outcome=client_gone)")" "1 1 1"
eq "time to first token: the two streams that got a piece" "$(delta culturecare_backend_time_to_first_token_seconds_count)" 2
eq "risk assessed for every support message: +7" "$(delta culturecare_risk_assessments_total)" 7
eq "the crisis message: high or imminent +1" \
  "$(jq -rn --argjson a "$(delta culturecare_risk_assessments_total "$(L level=high)")" --argjson b "$(delta culturecare_risk_assessments_total "$(L level=imminent)")" '$a + $b')" 1
eq "one reply replaced" "$(delta culturecare_safety_replies_replaced_total)" 1

# Histograms: the parser checked le ascending, cumulative buckets, +Inf ==
# _count; here also that each bucket only grew.
ok "no bucket went down between the scrapes" jqok -n --slurpfile a "$T/after.json" --slurpfile b "$T/before.json" \
  '[$b[] | select(.name | endswith("_bucket"))] | all(. as $x | ([$a[] | select(.name == $x.name and .labels == $x.labels)][0].value // -1) >= $x.value)'
# The same text with the first +Inf bucket off by one must not parse.
tampered_rejected() {
  awk '!d && /le="\+Inf"/ { $NF = $NF + 1; d = 1 } { print }' "$T/after.txt" >"$T/tampered.txt"
  ! cmp -s "$T/after.txt" "$T/tampered.txt" && ! node "$PARSE" "$T/tampered.txt" >/dev/null 2>&1
}
ok "the parser is strict: it rejects a +Inf bucket off by one" tampered_rejected
if command -v promtool >/dev/null; then
  ok "promtool check metrics accepts it" promtool check metrics <"$T/after.txt"
else
  skip_check "promtool check metrics accepts it" "promtool not installed (Debian package prometheus)"
fi
ok "no request text in the metrics" bash -c '! grep -q "$1" "$2" "$3" "$4"' _ "$marker" "$T/before.txt" "$T/during.txt" "$T/after.txt"
ok "nor in the logs" bash -c '! grep -q "$1" "$2"' _ "$marker" "$SERVER_LOG"
serve_stop
eq "SIGTERM: exit 0" "$SERVER_RC" 0

# METRICS_PORT: /metrics only there; the main port answers 404 for it.
METRICS_PORT=0 serve_up
mport=$(jq -r 'select(.msg == "listening") | .metrics_port' "$SERVER_LOG")
ok "the metrics listener's port is logged" test "$mport" -gt 0
req GET /metrics
eq "main port: /metrics is 404" "$STATUS $(jb .error.code)" "404 not_found"
ok "the metrics port answers" scrape separate "http://127.0.0.1:$mport"
contains "with the exposition's type" "$(cat "$T/separate.headers")" "text/plain; version=0.0.4"
eq "and counted the main port's 404 as unmatched" "$(val separate $R "$(L route=unmatched method=GET status=404)")" 1
eq "the metrics port serves nothing else" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/healthz")" 404
req GET /healthz
eq "the main port serves the API" "$STATUS" 200
serve_stop
eq "SIGTERM with two listeners: exit 0" "$SERVER_RC" 0
finish
