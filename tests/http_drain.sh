#!/usr/bin/env bash
# Graceful shutdown with streams: on SIGTERM the service stops accepting,
# lets streams that end within SHUTDOWN_DRAIN_MS finish, and gives those
# still running when it is over an `event: error` (not_ready, reason
# shutting_down) before it exits 0.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
body='{"message": "I feel alone since I moved.", "culture": "german", "strategy": "redditor", "annotator": "corpus", "stream": true}'
# term_during_stream NAME SECONDS: opens a stream (raw events in $T/NAME),
# sends SIGTERM SECONDS later; sets RC (the service's exit status), MS (from
# the signal to its exit) and EV (the stream's events).
term_during_stream() {
  curl -sN -m 30 -o "$T/$1" -H 'Content-Type: application/json' -d "$body" "$BASE/support" &
  local client=$! t0
  sleep "$2"
  t0=$(date +%s%N)
  kill -TERM "$SERVER_PID"
  wait "$client" || true
  wait "$SERVER_PID" && RC=0 || RC=$?
  MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  SERVER_PID=
  EV=$(sse_events "$T/$1")
}

# ---- a stream that ends within the drain time finishes normally ----
SHUTDOWN_DRAIN_MS=3000 serve_up
fake_script '{"pieces": ["one ", "two ", "three"], "piece_interval_ms": 300}'
term_during_stream short 0.3
eq "short stream: exit 0" "$RC" 0
eq "short stream: all of it, then done" "$(jq -r '[.[] | select(.event == "delta") | .data.text] | join("")' <<<"$EV"),$(jq -r '.[-1].event' <<<"$EV")" "one two three,done"
ok "short stream: the service left as soon as it was done ($MS ms)" test "$MS" -lt 2900

# ---- a stream longer than the drain time gets a clear error ----
# (each piece a sentence: the output check releases it at once)
SHUTDOWN_DRAIN_MS=700 serve_up
fake_script '{"pieces": ["A. ", "B. ", "C. ", "D. ", "E. ", "F. ", "G. ", "H."], "piece_interval_ms": 500}'
term_during_stream long 0.8
eq "long stream: exit 0" "$RC" 0
eq "long stream: it ends with an error event" "$(jq -r '.[-1].event' <<<"$EV")" error
eq "long stream: code not_ready, reason shutting_down" \
  "$(jq -r '.[-1].data.error | [.code, .details.reason] | join(",")' <<<"$EV")" "not_ready,shutting_down"
ok "long stream: some pieces came first" jqok '[.[] | select(.event == "delta")] | length >= 1' <<<"$EV"
ok "long stream: exit within the drain time and a little ($MS ms)" test "$MS" -ge 600 -a "$MS" -lt 2500
ok "the backend's connection was closed" jqok '.[-1]._client_closed_ms != null' <<<"$(fake_requests)"

# ---- a request still coming after the drain time ----
# Its headers came before SIGTERM, its body after the drain deadline, when
# the pool and the backend client are gone: 503 shutting_down, and the
# connection is closed.
SHUTDOWN_DRAIN_MS=400 serve_up
port=${BASE##*:}
exec 5<>"/dev/tcp/127.0.0.1/$port"
late='{"message": "I feel alone since I moved.", "culture": "german"}'
printf 'POST /support HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{' "${#late}" >&5
sleep 0.3
kill -TERM "$SERVER_PID"
sleep 0.8
printf '%s' "${late:1}" >&5
reply=$(timeout 5 cat <&5 | tr -d '\r' || true)
exec 5<&-
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=
contains "late request: 503" "$reply" "HTTP/1.1 503"
contains "not_ready, shutting_down" "$reply" '"reason":"shutting_down"'
contains "and its connection is closed" "$reply" "Connection: close"
eq "the service still exits 0" "$rc" 0
finish
