#!/usr/bin/env bash
# 1,000 concurrent requests on loopback all succeed, and the service's thread
# count does not move: no thread per request. (Correctness under load, not a
# speed test: the figures are printed by tests/bench/.)
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || skip "wrk is not installed (apt-get install wrk)"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
serve_up
idle=$(threads_of "$SERVER_PID")
echo "# threads at idle: $idle"

# Every response is checked in wrk's threads (status 200 and a body naming
# the culture); done() adds up the threads' counts into a file read below.
cat >"$T/count.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
checked = 0
bad = 0
function response(status, headers, body)
  checked = checked + 1
  if status ~= 200 or not string.find(body, '"culture":"chinese"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local c, b = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("checked")
    b = b + t:get("bad")
  end
  local f = assert(io.open(os.getenv("WRK_COUNT_FILE"), "w"))
  f:write(string.format("checked=%d bad=%d\n", c, b))
  f:close()
  io.write(string.format("requests=%d errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
LUA
WRK_COUNT_FILE=$T/count.out wrk -t2 -c1000 -d4s --timeout 10s -s "$T/count.lua" "$BASE/cultures/chinese/signals?q=lonely%20in%20my%20WeChat%20group&limit=5" >"$T/wrk.out" 2>&1 &
peak_while $! "$idle" threads_of "$SERVER_PID"
max=$PEAK
cat "$T/wrk.out"
summary=$(grep '^requests=' "$T/wrk.out")
reqs=$(sed 's/requests=\([0-9]*\).*/\1/' <<<"$summary")
ok "at least 1000 requests were made ($reqs)" test "${reqs:-0}" -ge 1000
contains "none failed" "$summary" "errors=0 "
counted=$(cat "$T/count.out" 2>/dev/null || true)
echo "# bodies checked in wrk: ${counted:-none (done() wrote nothing)}"
checked=$(sed -n 's/^checked=\([0-9]*\) .*/\1/p' <<<"$counted")
ok "every response was checked (${checked:-0} of ${reqs:-0})" test "${checked:-0}" -ge "${reqs:-1}" -a "${checked:-0}" -ge 1000
contains "every body was a 200 match for the culture" "$counted" " bad=0"
eq "thread count unchanged from idle ($idle)" "$max" "$idle"
req GET /healthz
eq "still healthy" "$STATUS" 200
serve_stop
eq "SIGTERM: exit 0" "$SERVER_RC" 0
finish
