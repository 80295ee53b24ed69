#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing about speed): what API keys
# and the per-key rate limit cost per request. wrk runs GET /cultures and a
# dry-run POST /support (corpus annotator, no backend) against the same
# service started with AUTH=off and with AUTH=on (one key, a limit high
# enough never to refuse), three rounds each, and prints requests/s and
# latency medians.
# Usage: tests/bench/access_overhead.sh [BUILD_DIR] [SECONDS]
# Loopback only; bounded in time (rounds x SECONDS).
. "$(dirname "$0")/bench.sh" "$@"
secs=${2:-5}
need_wrk

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
KEY=$(cc keys create --scope support --name bench --rpm 1000000 2>/dev/null)
body='{"message": "Since I moved away I cannot keep shabbat with my family and I feel so alone.", "culture": "jewish", "annotator": "corpus", "dry_run": true}'
cat >"$T/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA
cat >"$T/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $KEY"
LUA

run() { # LABEL SCRIPT PATH
  local out
  out=$(wrk -t1 -c32 -d"${secs}s" --latency -s "$2" "$BASE$3" 2>&1)
  printf '%-28s %10s req/s  p50 %s  p99 %s\n' "$1" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}
for round in 1 2 3; do
  for auth in off on; do
    AUTH=$auth serve_up
    run "round $round AUTH=$auth GET /cultures" "$T/get.lua" /cultures
    run "round $round AUTH=$auth POST /support" "$T/post.lua" /support
    echo "  429 answers: $(grep -c '"status":429' "$SERVER_LOG" || true)"
    serve_stop
  done
done
