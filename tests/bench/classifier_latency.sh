#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing about speed): the latency the
# classifier stage adds to a plain POST /support. The fake backend answers
# every chat call after GEN_MS (default 300); R sequential requests (default
# 20) per setting, the client's total time (curl), median and 90th
# percentile in ms:
#   off                  no classifier;
#   chat-json            the JSON-mode grading, as slow as the generation
#                        (GEN_MS) and beside it: about nothing added;
#   moderation           the moderation API answering after MOD_MS (default
#                        50): the message's check runs beside the
#                        generation (nothing added), the reply's check after
#                        it (about MOD_MS added).
# Usage: tests/bench/classifier_latency.sh [BUILD_DIR] [RUNS] [GEN_MS] [MOD_MS]
# Loopback only; about RUNS x 3 x GEN_MS.
. "$(dirname "$0")/bench.sh" "$@"
runs=${2:-20}
gen_ms=${3:-300}
mod_ms=${4:-50}

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
body='{"message": "Work was long today and I miss my family.", "culture": "german", "annotator": "corpus", "strategy": "redditor"}'

# measure NAME: RUNS requests; prints and sets MEDIAN
measure() {
  local name=$1 i
  : >"$T/times"
  curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary "$body" "$BASE/support" # warm-up
  for i in $(seq 1 "$runs"); do
    curl -s -o "$T/reply" -w '%{time_total}\n' -H 'Content-Type: application/json' --data-binary "$body" "$BASE/support" >>"$T/times"
  done
  local outcome
  outcome=$(jq -r '(.safety.classifier.outcome // "-") + "/" + (.safety.classifier.reply.outcome // "-")' "$T/reply")
  read -r MEDIAN P90 < <(awk '{print $1 * 1000}' "$T/times" | sort -n |
    awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; p = v[int(NR * 0.9 + 0.5)]; printf "%.1f %.1f\n", m, p}')
  printf '%-34s median %7.1f ms  p90 %7.1f ms  (classifier %s)\n' "$name" "$MEDIAN" "$P90" "$outcome"
}

echo "plain POST /support, backend answering after ${gen_ms} ms, ${runs} runs each"
fake_script "{\"delay_ms\": $gen_ms, \"json_content\": \"{\\\"risk_level\\\": \\\"none\\\"}\"}"
RISK_CLASSIFIER=off serve_up
measure "off"
off=$MEDIAN
serve_stop
RISK_CLASSIFIER=chat-json serve_up
measure "chat-json (${gen_ms} ms, beside)"
chat=$MEDIAN
serve_stop
fake_script "{\"delay_ms\": $gen_ms, \"moderation_delay_ms\": $mod_ms}"
RISK_CLASSIFIER=moderation MODERATION_URL="$FAKE/v1" serve_up
measure "moderation (${mod_ms} ms, + reply check)"
mod=$MEDIAN
serve_stop
awk -v o="$off" -v c="$chat" -v m="$mod" -v mm="$mod_ms" 'BEGIN {
  printf "added by the message check (chat-json): %+.1f ms\n", c - o
  printf "added by moderation, message and reply: %+.1f ms (the reply check alone takes %d ms at the fake)\n", m - o, mm }'
