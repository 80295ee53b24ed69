#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing about speed):
#  1. store time per POST /support with the whole corpus in memory (the
#     sample corpus plus the CultureCare files when present): median and p99
#     of timings_ms.store over 500 dry-run requests;
#  2. N concurrent POST /support (default 2000) against a fake backend that
#     answers each after one second: latency figures from wrk, and the
#     service's thread count at idle and at its peak.
# Usage: tests/bench/support_load.sh [BUILD_DIR] [CONCURRENCY] [SECONDS]
# Loopback only; bounded in count and time.
. "$(dirname "$0")/bench.sh" "$@"
conc=${2:-2000}
secs=${3:-5}
need_wrk

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
ls "$SHARED_DATA"/*_data.jsonl >/dev/null 2>&1 && cc import "$SHARED_DATA"/*_data.jsonl >/dev/null
fake_up
LLM_TIMEOUT_MS=30000 MAX_CONNECTIONS=20000 serve_up
echo "corpus: $(curl -s "$BASE/cultures" | jq -c '[.cultures[] | {(.code): (.counts.post_signals + .counts.response_signals)}] | add') signals per culture"

msg="Since I moved to Berlin for my studies I feel so alone. My parents expect me to call every Sunday and ask about my grades, and I failed my first exam. I miss Spring Festival with my family and the WeChat group is full of photos of everyone together. I cannot sleep and I feel like a disappointment, I do not know how to tell them."
body=$(jq -cn --arg m "$msg" '{message: $m, culture: "chinese", annotator: "corpus", dry_run: true}')
: >"$T/store.txt"
for _ in $(seq 1 500); do
  curl -s -m 5 -H 'Content-Type: application/json' --data-binary "$body" "$BASE/support" | jq -r .timings_ms.store >>"$T/store.txt"
done
sort -g "$T/store.txt" | awk '{a[NR]=$1} END {printf "store time per request (%d-word message, 500 requests): median %.3f ms, p99 %.3f ms, max %.3f ms\n", 70, a[int(NR/2)], a[int(NR*0.99)], a[NR]}'

fake_script '{"delay_ms": 1000}'
body=$(jq -cn --arg m "$msg" '{message: $m, culture: "chinese", strategy: "profile"}')
cat >"$T/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$body]]
LUA
idle=$(threads_of "$SERVER_PID")
wrk -t2 -c"$conc" -d"${secs}s" --timeout 10s --latency -s "$T/post.lua" "$BASE/support" >"$T/wrk.out" 2>&1 &
peak_while $! "$idle" threads_of "$SERVER_PID"
max=$PEAK
echo "== $conc concurrent POST /support, backend answering after 1 s, ${secs} s"
grep -E 'Latency|requests in|Requests/sec|Non-2xx|Socket errors|50%|75%|90%|99%' "$T/wrk.out"
echo "threads: idle $idle, peak under load $max"
echo "resident memory after the run: $(rss_kb "$SERVER_PID") kB"
serve_stop
