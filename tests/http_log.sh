#!/usr/bin/env bash
# The log on a pipe never holds the loop up. A reader that reads gets every
# line, "stopped" last (flushed at exit); a reader that stalls costs log
# lines, counted in culturecare_log_lines_dropped_total, never latency:
# requests are still answered at once and SIGTERM still ends the process.
# (The other suites write the log to a file, which is written directly.)
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null

# start_on FIFO: serve with stdout on FIFO; sets SERVER_PID and BASE from
# the first line, read from fd 7 (the FIFO's reading end, opened by the
# caller).
start_on() {
  AUTH=off RISK_CLASSIFIER=off PORT=0 ${CC_WRAPPER:-} "$CULTURECARE" serve >"$1" 2>"$T/stderr" &
  SERVER_PID=$!
  local line port=
  while IFS= read -r -t 20 line <&7; do
    echo "$line" >>"$T/first.log"
    port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\),.*/\1/p' <<<"$line")
    [ -n "$port" ] && break
  done
  [ -n "$port" ] || { echo "server did not start" >&2; cat "$T/stderr" "$T/first.log" >&2; return 1; }
  BASE="http://127.0.0.1:$port"
}

# ---- a reader that reads ----
mkfifo "$T/read.fifo"
cat "$T/read.fifo" >"$T/read.log" &
reader=$!
AUTH=off RISK_CLASSIFIER=off PORT=0 ${CC_WRAPPER:-} "$CULTURECARE" serve >"$T/read.fifo" 2>"$T/stderr" &
SERVER_PID=$!
port=
for _ in $(seq 1 200); do
  # (the number's end included: the line may still be arriving)
  port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\),.*/\1/p' "$T/read.log" | head -n 1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "server did not start" >&2; cat "$T/stderr" "$T/read.log" >&2; exit 1; }
BASE="http://127.0.0.1:$port"
answered=0
for i in $(seq 1 200); do
  [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$BASE/healthz" || true)" = 200 ] && answered=$((answered + 1))
done
eq "200 requests answered" "$answered" 200
if [ "$answered" != 200 ]; then
  echo "# server stderr:"; sed 's/^/#   /' "$T/stderr"
  echo "# its log:"; tail -n 5 "$T/read.log" | sed 's/^/#   /'
fi
kill -0 "$SERVER_PID" 2>/dev/null && serve_stop || { SERVER_RC=dead; SERVER_PID=; }
eq "SIGTERM: exit 0" "$SERVER_RC" 0
wait "$reader" || true
eq "every request's line arrived" "$(grep -c '"msg":"request"' "$T/read.log")" 200
contains "the last line is the exit's" "$(tail -n 1 "$T/read.log")" '"msg":"stopped"'

# ---- a reader that stalls ----
mkfifo "$T/stall.fifo"
exec 7<>"$T/stall.fifo" # held open and never read after the first line
start_on "$T/stall.fifo"
# Requests until the buffer overflows (a few seconds of wrk; curl without it).
dropped_now() {
  curl -s -m 5 "$BASE/metrics" | sed -n 's/^culturecare_log_lines_dropped_total \([0-9]*\)$/\1/p'
}
for round in 1 2 3 4 5; do
  if command -v wrk >/dev/null; then
    wrk -t2 -c50 -d2s "$BASE/healthz" >"$T/wrk.out" 2>&1 || true
    echo "# round $round: $(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$T/wrk.out") requests while the log reader stalled"
  else
    for i in $(seq 1 3000); do echo "url = \"$BASE/healthz\""; done >"$T/urls"
    curl -s -K "$T/urls" -o /dev/null || true
  fi
  [ "$(dropped_now)" -gt 0 ] 2>/dev/null && break
done
t0=$(date +%s%N)
req GET /healthz
t1=$(date +%s%N)
eq "healthz still answers" "$STATUS" 200
ok "at once ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 1000
req GET /metrics
dropped=$(sed -n 's/^culturecare_log_lines_dropped_total \([0-9]*\)$/\1/p' <<<"$BODY")
echo "# log lines dropped: $dropped"
ok "the lines that did not fit are counted as dropped ($dropped)" test "${dropped:-0}" -gt 0
t0=$(date +%s)
serve_stop
t1=$(date +%s)
eq "SIGTERM with the reader still stalled: exit 0" "$SERVER_RC" 0
ok "within seconds ($((t1 - t0)) s)" test $((t1 - t0)) -le 5
exec 7<&-
finish
