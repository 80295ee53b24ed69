#!/usr/bin/env bash
# POST /support with "stream": true (Server-Sent Events) end to end: the real
# binary, a real PostgreSQL and the fake backend (tests/fake_llm.c) streaming
# chat.completion.chunk events. Also the backend client's retries (429 with
# Retry-After, 5xx, no retry on 4xx) and its fallback backends.
#
# Three servers, one after the other (each stopped with SIGTERM, exit 0):
#   A  SSE_KEEPALIVE_MS=300: the stream format, many pieces, keep-alive
#      comments, a broken stream, a 500, a client leaving, a slow reader,
#      retries;
#   B  LLM_IDLE_TIMEOUT_MS=1000, LLM_FIRST_TOKEN_TIMEOUT_MS=1000: a stalled
#      stream;
#   C  LLM_BASE_URL on a closed port, LLM_FALLBACK_URLS the fake: fallback.
# Timing bounds are generous (a loaded 2-core machine) except the stated ones.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up

MARK="STREAM-PRIVATE-$RANDOM$RANDOM"
MSG="Since I moved away I cannot keep shabbat with my family and I feel so alone. $MARK"

# ---- helpers ----

# The request body: a streamed redditor reply (one backend call) plus EXTRA.
body() {
  jq -cn --arg m "$MSG" --argjson extra "${1:-"{}"}" \
    '{message: $m, culture: "jewish", strategy: "redditor", annotator: "corpus", stream: true} + $extra'
}

# stream NAME [EXTRA [curl args...]]: POST /support streamed; the raw stream
# in $T/NAME.sse; sets STATUS, CURL_RC, HEADERS and EV (sse_events).
stream() {
  local name=$1 extra=${2:-"{}"}
  shift 2 || shift $#
  CURL_RC=0
  STATUS=$(curl -sN -m 60 -D "$T/$name.h" -o "$T/$name.sse" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary "$(body "$extra")" "$@" "$BASE/support") || CURL_RC=$?
  HEADERS=$(tr -d '\r' <"$T/$name.h" 2>/dev/null || true)
  EV=$(sse_events "$T/$name.sse")
}

# stream_ts NAME [EXTRA]: like stream, but every line of the stream is written
# to $T/NAME.ts prefixed with the wall-clock millisecond it arrived; T_START
# is the millisecond the request was sent.
ms_now() { local t=${EPOCHREALTIME//[!0-9]/}; echo "${t:0:-3}"; }
stream_ts() {
  local name=$1 extra=${2:-"{}"} b
  b=$(body "$extra")
  T_START=$(ms_now)
  curl -sN -m 60 -H 'Content-Type: application/json' --data-binary "$b" "$BASE/support" |
    while IFS= read -r line; do
      t=${EPOCHREALTIME//[!0-9]/}
      printf '%s %s\n' "${t:0:-3}" "${line%$'\r'}"
    done >"$T/$name.ts"
  cut -d' ' -f2- "$T/$name.ts" >"$T/$name.sse"
  EV=$(sse_events "$T/$name.sse")
}

evq() { jq -r "$1" <<<"$EV"; }
# jqok FILTER [jq args]: a check on stdin, quietly.
# Event names, comments left out, comma-separated.
names() { evq '[.[] | select(.event) | .event] | join(",")'; }
# The text of the delta events joined.
joined() { evq '[.[] | select(.event == "delta") | .data.text] | join("")'; }
header() { sed -n "s/^$1: *//Ip" <<<"$HEADERS" | head -1; }
stats() { curl -s -m 5 "$FAKE/_stats"; }
streams_closed() { [ "$(stats | jq -r .streams_open)" = 0 ]; }
last_req() { fake_requests | jq -r ".[-1]$1"; }

# ============ server A ============
SERVER_LOG=$T/server-a.log
LLM_MODEL=test-model SSE_KEEPALIVE_MS=300 LOG_LEVEL=debug serve_up
req GET /readyz
eq "A: ready" "$STATUS" 200

# ---- 1. the stream: headers, meta, deltas, done ----
REPLY="You are not alone. Missing shabbat with your family is hard, and it is fine to miss them."
fake_script "$(jq -cn --arg c "$REPLY" '{content: $c}')"
fake_clear
stream s1
eq "stream: 200" "$STATUS" 200
eq "stream: curl ends cleanly (the stream is terminated)" "$CURL_RC" 0
contains "stream: Content-Type text/event-stream" "$(header Content-Type)" "text/event-stream"
eq "stream: Cache-Control no-cache" "$(header Cache-Control)" "no-cache"
eq "stream: X-Accel-Buffering no" "$(header X-Accel-Buffering)" "no"
ok "stream: an X-Request-Id" test -n "$(header X-Request-Id)"
ok "stream: meta first, then deltas only, done last" \
  jqok '[.[] | select(.event) | .event] | .[0] == "meta" and .[-1] == "done" and (.[1:-1] | length > 1 and all(. == "delta"))' <<<"$EV"
eq "meta: culture, strategy" "$(evq '.[0].data | [.culture, .strategy] | join(",")')" "jewish,redditor"
ok "meta: an id (UUID)" grep -Eq '^[0-9a-f]{8}-[0-9a-f-]{27}$' <<<"$(evq '.[0].data.id')"
ok "meta: annotations (corpus) and support strategies" jqok '.[0].data |
  (.annotations.emotional_distress | type == "array") and (.annotations.cultural_signals | type == "array")
  and (.annotations.cultural_signals | any(.match.phrase == "shabbat" and .source == "corpus"))
  and (.support_strategies | type == "array" and length > 0)' <<<"$EV"
eq "deltas joined are the backend's text" "$(joined)" "$REPLY"
# The output check holds back each sentence until it ends: one delta per
# sentence, whatever the backend's pieces.
eq "one delta per sentence" "$(evq '[.[] | select(.event == "delta") | .data.text] | join("|")')" \
  "You are not alone.| Missing shabbat with your family is hard, and it is fine to miss them."
eq "done: model" "$(evq '.[-1].data.model')" test-model
ok "done: usage" jqok '.[-1].data.usage | .prompt_tokens > 0 and .completion_tokens > 0' <<<"$EV"
ok "done: timings" jqok '.[-1].data.timings_ms | .store >= 0 and .backend > 0 and .total >= .backend' <<<"$EV"
eq "done: backend index 0, one attempt" "$(evq '.[-1].data.backend | "\(.index) \(.attempts) \(.base_url)"')" "0 1 $FAKE/v1"
ok "done: not a dry run, no response field" jqok '.[-1].data | .dry_run == false and (has("response") | not)' <<<"$EV"
eq "the backend was asked for a stream (stream, include_usage)" \
  "$(last_req '| [.stream, .stream_options.include_usage, ._stream] | map(tostring) | join(",")')" "true,true,true"
ok "the backend finished its stream" test "$(last_req ._done_ms)" != null
eq "one backend call" "$(fake_count)" 1
stream s1b '{"dry_run": true}'
eq "dry run streamed: meta then done, no backend call" "$(names) $(fake_count)" "meta,done 1"

# ---- 2. 200 pieces, 20 ms apart, each a sentence ----
PIECES=$(jq -cn '[range(200) | "p\(.)!"]')
fake_script "{\"pieces\": $PIECES, \"piece_interval_ms\": 20}"
stream s2
eq "200 pieces: 200" "$STATUS" 200
eq "200 pieces: 200 deltas" "$(evq '[.[] | select(.event == "delta")] | length')" 200
ok "200 pieces: each piece its own delta, in order" jqok --argjson p "$PIECES" '[.[] | select(.event == "delta") | .data.text] == $p' <<<"$EV"
eq "200 pieces: joined" "$(joined)" "$(jq -r 'join("")' <<<"$PIECES")"
eq "200 pieces: done last" "$(evq '[.[] | select(.event)][-1].event')" "done"

# ---- 3. keep-alive comments on a slow stream ----
fake_script '{"pieces": ["slow ", "and ", "steady"], "piece_interval_ms": 1000}'
stream s3
ok "keep-alive: at least one ': keep-alive' line ($(grep -c '^: keep-alive' "$T/s3.sse") in 3 s)" grep -q '^: keep-alive\r\?$' "$T/s3.sse"
eq "keep-alive: the text is intact" "$(joined)" "slow and steady"
ok "keep-alive: meta, deltas, done ($(names))" grep -Eq '^meta(,delta)+,done$' <<<"$(names)"

# ---- 4. failures in a stream ----
fake_script '{"pieces": ["One! ", "Two! ", "Three! ", "Four"], "piece_interval_ms": 50, "break_after": 2}'
fake_clear
stream s4
eq "break_after 2: 200 (the stream was open)" "$STATUS" 200
eq "break_after 2: two deltas then an error" "$(names)" "meta,delta,delta,error"
eq "break_after 2: the deltas (the space after the last sentence waits)" "$(joined)" "One! Two!"
eq "break_after 2: backend_failed" "$(evq '.[-1].data.error.code')" backend_failed
ok "break_after 2: the error has a message and details" jqok '.[-1].data.error | (.message | length > 0) and (.details | type == "object")' <<<"$EV"
eq "break_after 2: the error carries the request id" "$(evq '.[-1].data.request_id')" "$(header X-Request-Id)"
eq "break_after 2: the stream ends (curl exits 0)" "$CURL_RC" 0
eq "break_after 2: no retry once text went out" "$(fake_count)" 1

fake_script '{"mode": "error", "status": 500}'
fake_clear
stream s4c
eq "backend 500 on a stream: 200 (the stream opens before the backend call)" "$STATUS" 200
eq "backend 500: meta then error" "$(names)" "meta,error"
eq "backend 500: backend_failed, upstream 500" "$(evq '.[-1].data.error | "\(.code) \(.details.upstream_status)"')" "backend_failed 500"
eq "backend 500: retried (LLM_RETRIES=2): 3 attempts" "$(evq '.[-1].data.error.details.attempts') $(fake_count)" "3 3"

fake_script '{"fail_first": 2, "status": 503, "pieces": ["after ", "retries"]}'
fake_clear
stream s4d
eq "503 twice then a stream: deltas and done" "$(names | sed -E 's/(,delta)+/,deltas/') $(joined)" "meta,deltas,done after retries"
eq "503 twice then a stream: 3 attempts" "$(evq '.[-1].data.backend.attempts') $(fake_count)" "3 3"

# ---- 5. the client goes away ----
fake_script '{}'
stream s5warm
idle_fds=$(fds_of "$SERVER_PID")
early0=$(stats | jq -r .client_closed_early)
fake_script "{\"pieces\": $PIECES, \"piece_interval_ms\": 20}"
fake_clear
curl -sN -m 1 -o "$T/s5.sse" -H 'Content-Type: application/json' --data-binary "$(body)" "$BASE/support" || true
quit_ms=$(date +%s%3N)
ok "client gone: it had received some deltas" grep -q '^event: delta' "$T/s5.sse"
wait_for 5 bash -c '[ "$(curl -s -m 5 "$1/_requests" | jq -r ".[-1]._client_closed_ms")" != null ]' _ "$FAKE" || true
closed=$(last_req ._client_closed_ms)
if [ "$closed" != null ]; then
  lag=$(jq -n "($closed - $quit_ms) | floor")
  ok "client gone: the backend stream was closed $lag ms after the client quit (< 1000)" test "$lag" -lt 1000
else
  ok "client gone: the backend stream was closed (_client_closed_ms set)" false
fi
eq "client gone: the backend did not finish its 200 pieces" "$(last_req ._done_ms)" null
ok "client gone: the fake's streams_open back to 0" wait_for 5 streams_closed
eq "client gone: the fake counted it as closed early" "$(stats | jq -r .client_closed_early)" "$((early0 + 1))"
req GET /healthz
eq "client gone: still healthy" "$STATUS" 200
ok "client gone: open descriptors back to the idle count ($idle_fds)" wait_for 5 fds_at_most "$idle_fds"

# A client that leaves a silent stream (the backend stalls: nothing is
# written) is noticed by the service's liveness check within about a second.
fake_script '{"pieces": ["a ", "b ", "c "], "stall_after": 1}'
fake_clear
curl -sN -m 1 -o "$T/s5b.sse" -H 'Content-Type: application/json' --data-binary "$(body)" "$BASE/support" || true
quit_ms=$(date +%s%3N)
wait_for 5 bash -c '[ "$(curl -s -m 5 "$1/_requests" | jq -r ".[-1]._client_closed_ms")" != null ]' _ "$FAKE" || true
closed=$(last_req ._client_closed_ms)
if [ "$closed" != null ]; then
  lag=$(jq -n "($closed - $quit_ms) | floor")
  ok "client gone from a silent stream: the backend stream was closed $lag ms after (< 2500)" test "$lag" -lt 2500
else
  ok "client gone from a silent stream: the backend stream was closed" false
fi

# ---- 6. a slow reader ----
# The fake's /_control takes 4 MiB at most, too little for 4000 pieces of
# 1000 bytes; many three-character pieces ("x! ", each a sentence, so the
# output check releases it at once) make a big stream instead: each becomes
# a ~35-byte delta event (~10 MB for the client) and a ~150-byte chunk from
# the fake. (A reply of 1 MB would fit in the loopback socket buffers and
# prove nothing; with backpressure disabled in the service, this one grows
# its VmRSS by several MB.) curl 7.88 does not always hold --limit-rate on
# loopback (it may read ~2 MB in the 4 s); it is still far slower than the
# backend.
NSLOW=300000
jq -cn --argjson n "$NSLOW" '{pieces: [range($n) | "x! "], piece_interval_ms: 0}' >"$T/slow.json"
fake_script "@$T/slow.json"
fake_clear
rss0=$(rss_kb "$SERVER_PID")
curl -sN --limit-rate 20k -m 4 -o "$T/s6.sse" -H 'Content-Type: application/json' --data-binary "$(body)" "$BASE/support" &
peak_while $! "$rss0" rss_kb "$SERVER_PID"
peak=$PEAK
got=$(stat -c %s "$T/s6.sse")
echo "# slow reader: VmRSS before ${rss0} kB, peak ${peak} kB, growth $((peak - rss0)) kB; client read $got bytes in 4 s; ${NSLOW} pieces"
ok "slow reader: the client got the stream's start" grep -q '^event: delta' "$T/s6.sse"
# Under AddressSanitizer freed memory stays in quarantine (256 MB), and under
# a wrapper (valgrind) SERVER_PID is the wrapper: VmRSS says nothing then.
if [ -n "${CC_WRAPPER:-}" ] || grep -q 'libasan\|libtsan\|libmsan' "/proc/$SERVER_PID/maps" 2>/dev/null; then
  skip_check "slow reader: resident memory bound" "the server runs under a sanitizer or a wrapper, VmRSS says nothing"
else
  ok "slow reader: resident memory grew less than 3 MB ($((peak - rss0)) kB)" test $((peak - rss0)) -lt 3072
fi
eq "slow reader: the backend was not read to its end (backpressure)" "$(last_req ._done_ms)" null
ok "slow reader: the backend stream closed after the client left" wait_for 5 streams_closed
ok "slow reader: open descriptors back to the idle count ($idle_fds)" wait_for 5 fds_at_most "$idle_fds"

# ---- 7. retries (not streamed) ----
plain() { post "$(jq -cn --arg m "$MSG" '{message: $m, culture: "jewish", strategy: "redditor", annotator: "corpus"}')"; }
fake_script '{"fail_first": 2, "status": 429, "retry_after": 1}'
fake_clear
t0=$(date +%s%3N)
plain
took=$(($(date +%s%3N) - t0))
eq "429 twice with Retry-After: 1, then ok: 200" "$STATUS" 200
ok "429: Retry-After honoured ($took ms: >= 1800, < 6000)" test "$took" -ge 1800 -a "$took" -lt 6000
eq "429: backend.attempts 3" "$(jb .backend.attempts)" 3
eq "429: the fake saw 3 requests" "$(fake_count)" 3
eq "429: the reply is the model's" "$(jb .response)" "This is a fake reply."
fake_script '{"fail_first": 1, "status": 500}'
fake_clear
plain
eq "500 once, then ok: 200, 2 attempts" "$STATUS $(jb .backend.attempts) $(fake_count)" "200 2 2"
fake_script '{"mode": "error", "status": 400}'
fake_clear
plain
eq "400 is not retried: 502 upstream 400" "$STATUS $(jb .error.code) $(jb .error.details.upstream_status)" "502 backend_failed 400"
eq "400: 1 attempt" "$(jb .error.details.attempts) $(fake_count)" "1 1"
fake_script '{}'

req GET /healthz
eq "A: still healthy" "$STATUS" 200
serve_stop
eq "A: SIGTERM, exit 0" "$SERVER_RC" 0
ok "A: the message never reaches the log (normal, error, retry paths)" bash -c '! grep -q "$1" "$2"' _ "$MARK" "$T/server-a.log"

# ============ server B: stream timeouts ============
SERVER_LOG=$T/server-b.log
LLM_IDLE_TIMEOUT_MS=1000 LLM_FIRST_TOKEN_TIMEOUT_MS=1000 serve_up
fake_script '{"pieces": ["First. ", "never"], "stall_after": 1}'
fake_clear
stream_ts s7
eq "stall after one piece: meta, delta, error" "$(names)" "meta,delta,error"
eq "stall: backend_timeout" "$(evq '.[-1].data.error.code')" backend_timeout
contains "stall: the idle limit is named" "$(evq '.[-1].data.error.details.reason')" "LLM_IDLE_TIMEOUT_MS"
t_err=$(grep -m1 ' event: error' "$T/s7.ts" | cut -d' ' -f1)
t_delta=$(grep -m1 ' event: delta' "$T/s7.ts" | cut -d' ' -f1)
after=$((${t_err:-0} - T_START))
ok "stall: the error arrives 1-3 s after the request (${after} ms; ${t_delta:+$((t_err - t_delta)) ms after the delta})" \
  test "$after" -ge 900 -a "$after" -le 3500
eq "stall: not retried once text went out" "$(fake_count)" 1
ok "stall: the backend connection is closed" wait_for 5 streams_closed

fake_script '{"stall_after": 0}'
fake_clear
stream s7b
eq "no first piece: meta then error" "$(names)" "meta,error"
eq "no first piece: backend_timeout after 3 attempts" "$(evq '.[-1].data.error | "\(.code) \(.details.attempts)"') $(fake_count)" "backend_timeout 3 3"
contains "no first piece: the first-token limit is named" "$(evq '.[-1].data.error.details.reason')" "LLM_FIRST_TOKEN_TIMEOUT_MS"
ok "no first piece: the backend connections are closed" wait_for 5 streams_closed
fake_script '{}'
serve_stop
eq "B: SIGTERM, exit 0" "$SERVER_RC" 0
ok "B: the message never reaches the log" bash -c '! grep -q "$1" "$2"' _ "$MARK" "$T/server-b.log"

# ============ server C: a fallback backend ============
SERVER_LOG=$T/server-c.log
LLM_BASE_URL=http://127.0.0.1:9/v1 LLM_FALLBACK_URLS="$FAKE/v1" serve_up
fake_clear
plain
eq "refused backend, fallback: 200" "$STATUS" 200
eq "fallback: backend index 1 and its URL" "$(jb '.backend | "\(.index) \(.base_url)"')" "1 $FAKE/v1"
eq "fallback: 3 attempts on the refused one, then 1 (attempts 4)" "$(jb .backend.attempts)" 4
eq "fallback: the fake saw 1 request" "$(fake_count)" 1
stream s8
eq "fallback, streamed: deltas and done from backend 1" "$(joined) $(evq '.[-1].data.backend.index')" "This is a fake reply. 1"
req GET /healthz
eq "C: healthy" "$STATUS" 200
serve_stop
eq "C: SIGTERM, exit 0" "$SERVER_RC" 0
ok "C: the message never reaches the log" bash -c '! grep -q "$1" "$2"' _ "$MARK" "$T/server-c.log"
finish
