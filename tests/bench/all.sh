#!/usr/bin/env bash
# The benchmark table (prints figures, asserts nothing; run on demand, never
# by meson test). Builds a release binary in build-release/ (or BUILD_DIR),
# starts a private PostgreSQL with the full corpus when the CultureCare files
# are present (else the sample corpus, said in the output), the fake backend
# and the service, and prints one Markdown table. Every figure is the median
# of ROUNDS interleaved rounds (default 5), the fake backend called directly
# and the service measured in the same run:
#   - added latency of POST /support over the fake called directly, one
#     connection, paced at 100 requests/s for 15 s per round (tests/bench/
#     paced.c: open loop, latency from each request's due time): p50, p99,
#     p99.9 of the service minus the same of the direct path;
#   - CPU per request and throughput: wrk, 64 connections, 5 s, zero-delay
#     backend; CPU is the process's user + system time over the requests;
#   - added time to first token and between pieces of a stream: the fake
#     streams 20 sentences 20 ms apart, 2 streams/s for 10 s per round;
#   - resident memory per open stream with 2,000 and 10,000 streams held
#     (the fake stalls after the first piece), and VmRSS once they closed;
#   - idle VmRSS, start-up to ready (launch to /readyz 200, polled every
#     10 ms), binary size, image size (podman, when the image exists).
# Usage: tests/bench/all.sh [BUILD_DIR] ; ROUNDS=N to change the rounds.
# Loopback only; about 8 minutes with 5 rounds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bdir=${1:-$here/../../build-release}
[ -d "$bdir" ] || nice meson setup "$bdir" "$here/../.." --buildtype=release >/dev/null
nice ninja -C "$bdir" >/dev/null
. "$here/bench.sh" "$bdir"
need_wrk
rounds=${ROUNDS:-5}
PACED=${PACED:-$build/tests/paced}
big=$(( ($(ulimit -n) - 1000) / 2 )); [ "$big" -le 10000 ] || big=10000
big=$((big / 1000 * 1000)) # 2 descriptors per stream (client, backend): as many as the limit allows

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
if ls "$SHARED_DATA"/*_data.jsonl >/dev/null 2>&1; then
  cc import "$SHARED_DATA"/*_data.jsonl >/dev/null
  corpus="full corpus (sample + CultureCare files)"
else
  corpus="sample corpus only (no CultureCare files at $SHARED_DATA)"
fi
fake_up
export MAX_CONNECTIONS=25000 LLM_MAX_HOST_CONNECTIONS=25000 LLM_MAX_CONCURRENT=25000 LLM_IDLE_TIMEOUT_MS=120000 \
  LLM_TIMEOUT_MS=120000 SSE_KEEPALIVE_MS=2000 SHUTDOWN_DRAIN_MS=2000

# start_ready: starts the service; prints ms from launch to /readyz 200.
start_ready() {
  local t0 port=
  t0=$(date +%s%3N)
  : >"$SERVER_LOG"
  AUTH=off RISK_CLASSIFIER=off PORT=0 "$CULTURECARE" serve >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 1000); do
    port=$(grep -m1 '"msg":"listening"' "$SERVER_LOG" | sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
    [ -n "$port" ] && break
    sleep 0.01
  done
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 1000); do
    [ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] && break
    sleep 0.01
  done
  echo $(($(date +%s%3N) - t0))
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
med() { sort -g | awk '{a[NR] = $1} END {print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# fig NAME FILE COLUMN: the field COLUMN of the line starting with NAME.
fig() { awk -v n="$1" -v c="$3" '$1 == n {print $c}' "$2"; }
# capacity PID NAME URL: wrk, 64 connections, 5 s, body NAME.lua; appends
# the CPU time of process PID per request (µs) to cpu_NAME and the requests
# per second to rps_NAME.
capacity() {
  local c0 c1 n
  c0=$(cpu_ticks "$1")
  wrk -t2 -c64 -d5s -s "$T/$2.lua" "$3" >"$T/$2.wrk"
  c1=$(cpu_ticks "$1")
  n=$(awk '/requests in/ {print $1}' "$T/$2.wrk")
  awk -v t=$((c1 - c0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f\n", t * 1e6 / hz / n}' >>"$T/cpu_$2"
  awk '/Requests\/sec/ {printf "%d\n", $2}' "$T/$2.wrk" >>"$T/rps_$2"
}
fake_open() { local n; n=$(curl -s -m 10 "$FAKE/_stats" | jq -r '.streams_open // 0' 2>/dev/null || true); echo "${n:-0}"; }

msg="Since I moved to Berlin for my studies I feel so alone. My parents expect me to call every Sunday and I miss Spring Festival with my family."
jq -cn --arg m "$msg" '{message: $m, culture: "chinese", strategy: "redditor", annotator: "corpus"}' >"$T/svc.json"
jq -c '. + {stream: true}' "$T/svc.json" >"$T/svc_stream.json"
jq -cn --arg m "$msg" '{model: "m", messages: [{role: "user", content: $m}]}' >"$T/direct.json"
jq -c '. + {stream: true}' "$T/direct.json" >"$T/direct_stream.json"
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$(cat "$T/svc.json")" >"$T/svc.lua"
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' "$(cat "$T/direct.json")" >"$T/direct.lua"
stream_script=$(jq -cn '{pieces: [range(20) | "Sentence \(.) is here. "], piece_interval_ms: 20}')

: >"$T/startup"
for r in $(seq 1 "$rounds"); do
  start_ready >>"$T/startup"
  [ "$r" = "$rounds" ] || serve_stop
done
# Warm up, then the idle figure.
fake_script '{}'
"$PACED" -u "$BASE/support" -r 50 -d 2 -c 1 -b "$T/svc.json" >/dev/null
sleep 1
idle_rss=$(rss_kb "$SERVER_PID")
idle_anon=$(awk '/^RssAnon/ {print $2}' "/proc/$SERVER_PID/status")
idle_file=$(awk '/^RssFile/ {print $2}' "/proc/$SERVER_PID/status")
echo "corpus: $corpus; $rounds rounds; service pid $SERVER_PID" >&2

for r in $(seq 1 "$rounds"); do
  echo "round $r of $rounds" >&2
  fake_script '{}'
  "$PACED" -u "$FAKE/v1/chat/completions" -r 100 -d 15 -c 1 -b "$T/direct.json" >"$T/d.lat" || true
  "$PACED" -u "$BASE/support" -r 100 -d 15 -c 1 -b "$T/svc.json" >"$T/s.lat" || true
  for c in 2 3 4; do
    echo $(($(fig latency "$T/s.lat" $c) - $(fig latency "$T/d.lat" $c))) >>"$T/lat$c"
  done
  fig latency "$T/d.lat" 2 >>"$T/direct_p50"

  capacity "$FAKE_PID" direct "$FAKE/v1/chat/completions"
  capacity "$SERVER_PID" svc "$BASE/support"
  ! grep -q 'Non-2xx' "$T/svc.wrk" || echo "round $r: $(grep Non-2xx "$T/svc.wrk")" >&2

  fake_script "$stream_script"
  "$PACED" -u "$FAKE/v1/chat/completions" -r 2 -d 10 -c 4 -m 'Sentence' -b "$T/direct_stream.json" >"$T/d.str" || true
  "$PACED" -u "$BASE/support" -r 2 -d 10 -c 4 -m 'event: delta' -b "$T/svc_stream.json" >"$T/s.str" || true
  echo $(($(fig first_token "$T/s.str" 2) - $(fig first_token "$T/d.str" 2))) >>"$T/ttft"
  echo $(($(fig gap "$T/s.str" 2) - $(fig gap "$T/d.str" 2))) >>"$T/gap"
done

# hold N: N streams held open (the fake stalls after one piece); prints
# "per_stream_kB rss_open_kB rss_after_kB held".
hold() {
  local n=$1 before open= held=0 o
  fake_script '{"stall_after": 1}'
  before=$(rss_kb "$SERVER_PID")
  "$PACED" -u "$BASE/support" -r 1000 -d "$((n / 1000))" -c "$n" -t 30 -b "$T/svc_stream.json" >/dev/null 2>&1 &
  local p=$!
  for _ in $(seq 1 60); do
    o=$(fake_open)
    if [ "$o" -ge "$n" ]; then sleep 2; open=$(rss_kb "$SERVER_PID"); held=$(fake_open); break; fi
    sleep 1
  done
  [ -n "$open" ] || { open=$(rss_kb "$SERVER_PID"); held=$(fake_open); }
  wait "$p" || true
  for _ in $(seq 1 30); do [ "$(fake_open)" = 0 ] && break; sleep 1; done
  sleep 2
  awk -v a="$before" -v b="$open" -v h="$held" -v r="$(rss_kb "$SERVER_PID")" \
    'BEGIN {printf "%.1f %d %d %d\n", h ? (b - a) / h : 0, b, r, h}'
}
read -r per2k open2k after2k held2k <<<"$(hold 2000)"
read -r per10k open10k after10k held10k <<<"$(hold "$big")"
fds_after=$(fds_of "$SERVER_PID")
serve_stop

bin=$(stat -c %s "$CULTURECARE")
strip -o "$T/stripped" "$CULTURECARE" && sbin=$(stat -c %s "$T/stripped")
image="not measured (no culturecare image in podman's store)"
if command -v podman >/dev/null; then
  img=$(podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' 2>/dev/null | awk '/culturecare/ {print; exit}')
  [ -z "$img" ] || image="$img"
fi
kb() { awk -v k="$1" 'BEGIN {printf "%.1f MB", k / 1024}'; }

echo
echo "corpus: $corpus; $rounds rounds; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| figure | measured |"
echo "|---|---|"
echo "| added latency of POST /support vs the fake called directly, 1 connection, 100 requests/s paced | p50 $(med <"$T/lat2") µs, p99 $(med <"$T/lat3") µs, p99.9 $(med <"$T/lat4") µs (direct path p50 $(med <"$T/direct_p50") µs) |"
echo "| CPU per request, 64 connections, zero-delay backend | service $(med <"$T/cpu_svc") µs (the fake alone $(med <"$T/cpu_direct") µs) |"
echo "| throughput, 64 connections, zero-delay backend | service $(med <"$T/rps_svc") requests/s (the fake alone $(med <"$T/rps_direct") requests/s) |"
echo "| added time to first token of a stream (20 sentences 20 ms apart) | $(med <"$T/ttft") µs |"
echo "| added time between pieces of a stream | $(med <"$T/gap") µs |"
echo "| resident memory per open stream, 2,000 streams | $per2k kB ($held2k held; VmRSS $(kb "$open2k")) |"
echo "| resident memory per open stream, $big streams (the descriptor limit, $(ulimit -n), allows no more) | $per10k kB ($held10k held; VmRSS $(kb "$open10k")) |"
echo "| idle VmRSS | $(kb "$idle_rss") (anonymous $(kb "$idle_anon"), file-backed: code and shared libraries $(kb "$idle_file")) |"
echo "| VmRSS after 2,000 streams closed vs idle | $(kb "$after2k") ($(awk -v a="$after2k" -v i="$idle_rss" 'BEGIN {printf "%+.0f%%", (a - i) * 100 / i}')); after $big: $(kb "$after10k"); descriptors after: $fds_after |"
echo "| start-up to ready (launch to /readyz 200) | $(med <"$T/startup") ms |"
echo "| binary size | $(awk -v b="$bin" 'BEGIN {printf "%.2f MB", b / 1e6}') ($(awk -v b="${sbin:-0}" 'BEGIN {printf "%.2f MB", b / 1e6}') stripped) |"
echo "| image size | $image |"
