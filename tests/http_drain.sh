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
stream_bg() { # NAME: a stream in the background, raw events in $T/NAME
  curl -sN -m 30 -o "$T/$1" -H 'Content-Type: application/json' -d "$body" "$BASE/support" &
}

# ---- a stream that ends within the drain time finishes normally ----
SHUTDOWN_DRAIN_MS=3000 serve_up
fake_script '{"pieces": ["one ", "two ", "three"], "piece_interval_ms": 300}'
stream_bg short
c1=$!
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$SERVER_PID"
wait "$c1" || true
wait "$SERVER_PID" && rc=0 || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq "short stream: exit 0" "$rc" 0
SERVER_PID=
ev=$(sse_events "$T/short")
eq "short stream: all of it, then done" "$(jq -r '[.[] | select(.event == "delta") | .data.text] | join("")' <<<"$ev"),$(jq -r '.[-1].event' <<<"$ev")" "one two three,done"
ok "short stream: the service left as soon as it was done ($ms ms)" test "$ms" -lt 2900

# ---- a stream longer than the drain time gets a clear error ----
SHUTDOWN_DRAIN_MS=700 serve_up
fake_script '{"pieces": ["a ", "b ", "c ", "d ", "e ", "f ", "g ", "h"], "piece_interval_ms": 500}'
stream_bg long
c2=$!
sleep 0.8
t0=$(date +%s%N)
kill -TERM "$SERVER_PID"
wait "$c2" || true
wait "$SERVER_PID" && rc=0 || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
SERVER_PID=
eq "long stream: exit 0" "$rc" 0
ev=$(sse_events "$T/long")
eq "long stream: it ends with an error event" "$(jq -r '.[-1].event' <<<"$ev")" error
eq "long stream: code not_ready, reason shutting_down" \
  "$(jq -r '.[-1].data.error | [.code, .details.reason] | join(",")' <<<"$ev")" "not_ready,shutting_down"
ok "long stream: some pieces came first" jqok '[.[] | select(.event == "delta")] | length >= 1' <<<"$ev"
ok "long stream: exit within the drain time and a little ($ms ms)" test "$ms" -ge 600 -a "$ms" -lt 2500
ok "the backend's connection was closed" jqok '.[-1]._client_closed_ms != null' <<<"$(fake_requests)"
finish
