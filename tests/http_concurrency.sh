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

cat >"$T/count.lua" <<'LUA'
local bad = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"culture":"chinese"', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("requests=%d errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
LUA
wrk -t2 -c1000 -d4s --timeout 10s -s "$T/count.lua" "$BASE/cultures/chinese/signals?q=lonely%20in%20my%20WeChat%20group&limit=5" >"$T/wrk.out" 2>&1 &
peak_while $! "$idle" threads_of "$SERVER_PID"
max=$PEAK
cat "$T/wrk.out"
summary=$(grep '^requests=' "$T/wrk.out")
reqs=$(sed 's/requests=\([0-9]*\).*/\1/' <<<"$summary")
ok "at least 1000 requests were made ($reqs)" test "${reqs:-0}" -ge 1000
contains "none failed" "$summary" "errors=0 "
ok "every body was a match for the culture" bash -c '! grep -q "Non-2xx" "$1"' _ "$T/wrk.out"
eq "thread count unchanged from idle ($idle)" "$max" "$idle"
req GET /healthz
eq "still healthy" "$STATUS" 200
serve_stop
eq "SIGTERM: exit 0" "$SERVER_RC" 0
finish
