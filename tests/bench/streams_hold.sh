#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing about speed): N concurrent
# streamed POST /support (default 1000) held open for S seconds (default 30)
# against a fake backend that sends one piece and then stalls (stall_after 1),
# so every stream stays open; LLM_IDLE_TIMEOUT_MS and LLM_TIMEOUT_MS are
# raised to 120000 and SSE_KEEPALIVE_MS is 5000. Prints the service's thread
# count at idle and at its peak, VmRSS at idle and with the N streams open,
# and the resident memory per open stream; also its open descriptors, the
# streams the backend saw open, and how long the service took to release the
# backend streams once the clients had gone.
# Usage: tests/bench/streams_hold.sh [BUILD_DIR] [CONCURRENCY] [SECONDS]
# Loopback only; ends by itself (about S + 25 seconds at most).
. "$(dirname "$0")/bench.sh" "$@"
conc=${2:-1000}
secs=${3:-30}
need_wrk
[ $((conc * 2 + 100)) -le "$(ulimit -n)" ] || { echo "ulimit -n $(ulimit -n) is too low for $conc streams"; exit 1; }

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
LLM_IDLE_TIMEOUT_MS=120000 LLM_TIMEOUT_MS=120000 SSE_KEEPALIVE_MS=5000 SHUTDOWN_DRAIN_MS=2000 \
  MAX_CONNECTIONS=$((conc + 1000)) serve_up

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
fake_open() { curl -s -m 2 "$FAKE/_stats" | jq -r '.streams_open // 0' 2>/dev/null || echo 0; }

msg="Since I moved to Berlin for my studies I feel so alone. My parents expect me to call every Sunday and I miss Spring Festival with my family."
body=$(jq -cn --arg m "$msg" '{message: $m, culture: "chinese", strategy: "redditor", annotator: "corpus", stream: true}')

# Warm up (one complete stream), then the idle figures.
fake_script '{}'
curl -sN -m 10 -o /dev/null -H 'Content-Type: application/json' --data-binary "$body" "$BASE/support"
sleep 0.5
idle_threads=$(threads_of "$SERVER_PID")
idle_rss=$(rss)
idle_fds=$(fds_of "$SERVER_PID")

fake_script '{"stall_after": 1}'
cat >"$T/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
LUA
wrk -t2 -c"$conc" -d"${secs}s" --timeout 60s -s "$T/post.lua" "$BASE/support" >"$T/wrk.out" 2>&1 &
w=$!
max_threads=$idle_threads max_rss=$idle_rss max_fds=$idle_fds max_open=0
open_rss='' open_at=''
t0=$(date +%s%3N)
while kill -0 "$w" 2>/dev/null; do
  n=$(threads_of "$SERVER_PID"); [ "$n" -gt "$max_threads" ] && max_threads=$n
  r=$(rss); [ "$r" -gt "$max_rss" ] && max_rss=$r
  f=$(fds_of "$SERVER_PID"); [ "$f" -gt "$max_fds" ] && max_fds=$f
  o=$(fake_open); [ "$o" -gt "$max_open" ] && max_open=$o
  # VmRSS with every stream open: the last sample while the backend holds
  # all of them (taken again and again until the end of the run).
  if [ "$o" -ge "$conc" ]; then
    open_rss=$r
    [ -n "$open_at" ] || open_at=$(($(date +%s%3N) - t0))
  fi
  sleep 0.5
done
wait "$w" || true
t_end=$(date +%s%3N)
# The clients have gone; the service notices at its next write (a keep-alive
# within SSE_KEEPALIVE_MS) and closes the backend streams.
released=
for _ in $(seq 1 100); do
  [ "$(fake_open)" = 0 ] && { released=$(($(date +%s%3N) - t_end)); break; }
  sleep 0.1
done

echo "== $conc concurrent streamed POST /support held for ${secs} s (backend stalls after one piece)"
grep -E 'requests in|Socket errors|Non-2xx' "$T/wrk.out" || true
echo "streams open at the backend: peak $max_open of $conc${open_at:+ (all open after $open_at ms)}"
echo "threads: idle $idle_threads, peak $max_threads"
echo "open descriptors: idle $idle_fds, peak $max_fds"
if [ -n "$open_rss" ]; then
  echo "VmRSS: idle $idle_rss kB, with $conc streams open $open_rss kB (peak $max_rss kB)"
  awk -v a="$idle_rss" -v b="$open_rss" -v n="$conc" 'BEGIN {printf "resident memory per open stream: %.1f kB\n", (b - a) / n}'
else
  echo "VmRSS: idle $idle_rss kB, peak $max_rss kB (the backend never held all $conc streams at once)"
  awk -v a="$idle_rss" -v b="$max_rss" -v n="$max_open" 'BEGIN {if (n > 0) printf "resident memory per open stream (peak, %d streams): %.1f kB\n", n, (b - a) / n}'
fi
echo "backend streams released ${released:-not within 10 s} ${released:+ms }after the clients left (SSE_KEEPALIVE_MS 5000)"
echo "VmRSS after: $(rss) kB; descriptors after: $(fds_of "$SERVER_PID")"
serve_stop
echo "server exit status: $SERVER_RC"
