#!/usr/bin/env bash
# Soak (prints figures, asserts nothing): POST /support for DURATION seconds
# at half the service's capacity for the same mix, measured first with the
# same client (64 requests in flight, 10 s; SOAK_DIVISOR=N runs at 1/N of
# it instead, SOAK_RATE requests/s at that rate),
# every other request streamed, against the fake backend (8 sentences 10 ms
# apart), with faults injected every period (DURATION / 12, at least 20 s):
#   - the backend answers 500 for 5 s,
#   - the backend stalls its streams after 2 pieces for 5 s,
#   - PostgreSQL is stopped for 3 s and started again,
# and every tenth request (a stream) hangs up after its first piece. The
# service cuts a stalled backend stream after LLM_IDLE_TIMEOUT_MS=2000. Samples
# every second into CSV (seconds, VmRSS kB, open descriptors, the service's
# connections seen by PostgreSQL, requests done) and plots it with gnuplot
# (installed with apt-get when missing) into PNG. Prints the RSS drift after
# warm-up (the first tenth, at least 30 s: median RSS of the last tenth
# against the median of the tenth after warm-up) and the ranges of
# descriptors and database connections after warm-up.
# Usage: tests/bench/soak.sh DURATION [BUILD_DIR] [CSV] [PNG]
#   defaults: build-release/, tests/bench/soak.csv, tests/bench/soak.png
# Loopback only; ends by itself after DURATION + about 60 s.
set -euo pipefail
dur=${1:?usage: soak.sh DURATION_SECONDS [BUILD_DIR] [CSV] [PNG]}
[ "$dur" -ge 60 ] && [ "$dur" -le 7200 ] || { echo "DURATION must be 60..7200 seconds"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
csv=$(realpath -m "${3:-$here/soak.csv}")
png=$(realpath -m "${4:-$here/soak.png}")
. "$here/bench.sh" "${2:-$here/../../build-release}"
PACED=$build/tests/paced
[ -x "$PACED" ] || { echo "$PACED is missing (ninja -C $build)"; exit 1; }
if ! command -v gnuplot >/dev/null; then
  apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 || echo "gnuplot-nox could not be installed: no plot"
fi

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
if ls "$SHARED_DATA"/*_data.jsonl >/dev/null 2>&1; then
  cc import "$SHARED_DATA"/*_data.jsonl >/dev/null
  echo "corpus: sample and the full CultureCare files"
else
  echo "corpus: the sample corpus only (no CultureCare files at $SHARED_DATA)"
fi
fake_up
normal=$(jq -cn '{pieces: [range(8) | "Sentence \(.) is here. "], piece_interval_ms: 10}')
fake_script "$normal"
MAX_CONNECTIONS=20000 LLM_MAX_HOST_CONNECTIONS=8192 LLM_IDLE_TIMEOUT_MS=2000 SHUTDOWN_DRAIN_MS=2000 serve_up

msg="Since I moved to Berlin for my studies I feel so alone. My parents expect me to call every Sunday and I miss Spring Festival with my family."
jq -cn --arg m "$msg" '{message: $m, culture: "chinese", strategy: "redditor", annotator: "corpus"}' >"$T/plain.json"
jq -c '. + {stream: true}' "$T/plain.json" >"$T/stream.json"

if [ -n "${SOAK_RATE:-}" ]; then
  rate=$SOAK_RATE
  echo "rate: $rate requests/s (SOAK_RATE)"
else
  # Capacity for the soak's own mix, the load client's cost included: the
  # client below with 64 requests in flight at most and more due than it
  # can send, for 10 s; the requests answered per second.
  cap=$("$PACED" -u "$BASE/support" -r 100000 -d 10 -c 64 -b "$T/plain.json" -b "$T/stream.json" |
    awk '$1 == "requests" {printf "%d", $4 / 11}')
  rate=$((cap / ${SOAK_DIVISOR:-2}))
  echo "capacity: $cap requests/s (64 in flight, the soak's mix, 10 s); rate: $rate requests/s (1/${SOAK_DIVISOR:-2} of it)"
fi
[ "$rate" -ge 1 ] || { echo "no capacity measured"; exit 1; }

pg_dir=$T/pg
db_conns() {
  runuser -u postgres -- psql -h "$pg_dir" -d culturecare -Atqc \
    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'culturecare' AND pid <> pg_backend_pid() AND backend_type = 'client backend'" 2>/dev/null || echo ""
}
[ "$(id -u)" = 0 ] || db_conns() { psql -h "$pg_dir" -d culturecare -Atqc \
  "SELECT count(*) FROM pg_stat_activity WHERE datname = 'culturecare' AND pid <> pg_backend_pid() AND backend_type = 'client backend'" 2>/dev/null || echo ""; }
done_count() { curl -s -m 1 "$BASE/metrics" | awk '/^culturecare_http_requests_total\{.*route="\/support"/ {s += $2} END {printf "%d", s}'; }

"$PACED" -u "$BASE/support" -r "$rate" -d "$dur" -c 4000 -t 60 -m 'event: delta' -a 10 \
  -b "$T/plain.json" -b "$T/stream.json" >"$T/paced.out" 2>&1 &
load=$!

period=$((dur / 12)); [ "$period" -ge 20 ] || period=20
echo "seconds,rss_kb,fds,db_connections,requests" >"$csv"
t0=$(date +%s)
faults=0 state=normal pg_cycle=
for ((s = 0; s <= dur + 600; s++)); do
  now=$(date +%s)
  el=$((now - t0))
  [ "$el" -gt $((dur + 5)) ] && break
  echo "$el,$(rss_kb "$SERVER_PID"),$(fds_of "$SERVER_PID"),$(db_conns),$(done_count)" >>"$csv"
  ph=$((el % period)) cyc=$((el / period))
  want=normal
  if [ "$el" -lt "$dur" ]; then
    if [ "$ph" -ge 3 ] && [ "$ph" -lt 8 ]; then want=error
    elif [ "$ph" -ge 11 ] && [ "$ph" -lt 16 ]; then want=stall; fi
  fi
  if [ "$want" != "$state" ]; then
    case $want in
      error) fake_script '{"mode": "error", "status": 500}' ;;
      stall) fake_script "$(jq -c '. + {stall_after: 2}' <<<"$normal")" ;;
      normal) fake_script "$normal" ;;
    esac
    [ "$want" = normal ] || faults=$((faults + 1))
    state=$want
  fi
  if [ "$el" -lt "$dur" ] && [ "$ph" -ge 18 ] && [ "$pg_cycle" != "$cyc" ]; then
    pg_cycle=$cyc faults=$((faults + 1))
    : >"$SERVER_LOG"   # one line per request: keep the log from filling the disk
    (pg_stop >/dev/null 2>&1 || true; sleep 3
     PG_FAST=1 "$SOURCE_ROOT/deploy/pg-local.sh" start "$pg_dir" >/dev/null) &
    restart=$!
  fi
  # The next sample at the next whole second.
  ms=$((10#$(date +%3N)))
  sleep "$(awk -v m="$ms" 'BEGIN {printf "%.3f", (1000 - m) / 1000}')"
done
wait "$load" || true
[ -z "${restart:-}" ] || wait "$restart" || true
echo "== soak: ${dur} s at $rate requests/s, every other request streamed, every tenth a client leaving mid-stream, $faults faults (period $period s)"
cat "$T/paced.out"
warm=$((dur / 10)); [ "$warm" -ge 30 ] || warm=30
tenth=$((dur / 10)); [ "$tenth" -ge 10 ] || tenth=10
awk -F, -v w="$warm" -v n="$tenth" -v end="$dur" '
  NR > 1 && $1 >= w && $1 <= end {
    if ($1 < w + n) a[++na] = $2
    if ($1 > end - n) b[++nb] = $2
    if (fmin == "" || $3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3
    if ($4 != "") { if (dmin == "" || $4 < dmin) dmin = $4; if ($4 > dmax) dmax = $4 }
    if (rmax < $2) rmax = $2
  }
  function med(v, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }; return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }
  END {
    ma = med(a, na); mb = med(b, nb)
    printf "RSS after warm-up (%d s): median %d kB in the tenth after warm-up, %d kB in the last tenth: drift %+.1f%% (peak %d kB)\n", w, ma, mb, (mb - ma) * 100 / ma, rmax
    printf "open descriptors after warm-up: %d..%d\n", fmin, fmax
    printf "database connections after warm-up (samples while PostgreSQL was up): %d..%d\n", dmin, dmax
  }' "$csv"
echo "server still up: $(kill -0 "$SERVER_PID" 2>/dev/null && echo yes || echo NO)"
serve_stop
echo "server exit status: $SERVER_RC"
if command -v gnuplot >/dev/null; then
  gnuplot <<GP
set terminal png size 1000,700
set output "$png"
set datafile separator ","
set multiplot layout 3,1 title "soak: ${dur} s at $rate requests/s, faults every $period s"
set xlabel "seconds"
set ylabel "VmRSS (kB)"
plot "$csv" every ::1 using 1:2 with lines title "RSS"
set ylabel "descriptors"
plot "$csv" every ::1 using 1:3 with lines title "open descriptors"
set ylabel "connections"
plot "$csv" every ::1 using 1:4 with points pt 7 ps 0.3 title "database connections"
unset multiplot
GP
  echo "plot: $png"
fi
echo "samples: $csv"
