#!/usr/bin/env bash
# The service across database outages and shutdown: /readyz follows the
# database without a restart; SIGTERM lets requests in flight finish.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
serve_up --db-timeout-ms 2000

req GET /readyz
eq "ready with the database up" "$STATUS" 200

pg_stop
t0=$(date +%s%N)
st=
for _ in $(seq 1 50); do
  req GET /readyz
  st=$STATUS
  [ "$st" = 503 ] && break
  sleep 0.1
done
t1=$(date +%s%N)
eq "database stopped: readyz 503" "$st" 503
eq "reason database_unreachable" "$(jb .error.details.reason)" database_unreachable
ok "within a few seconds ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 5000
req GET /cultures
eq "queries answer 503 database_unavailable" "$STATUS $(jb .error.code)" "503 database_unavailable"
req GET /healthz
eq "the process keeps running (healthz 200)" "$STATUS" 200

pg_up
st=
for _ in $(seq 1 100); do
  req GET /readyz
  st=$STATUS
  [ "$st" = 200 ] && break
  sleep 0.1
done
eq "database back: readyz 200 without a restart" "$st" 200
req GET /cultures
eq "and queries work again" "$STATUS" 200

# SIGTERM while a request waits on the database: it still completes.
psql "$DATABASE_URL" -qc "BEGIN; LOCK TABLE cultures IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.5); COMMIT;" >/dev/null &
locker=$!
sleep 0.3
curl -s -m 10 -o "$T/inflight" -w '%{http_code}' "$BASE/cultures" >"$T/inflight_status" &
client=$!
sleep 0.3
kill -TERM "$SERVER_PID"
sleep 0.2
rc=0; curl -s -m 2 -o /dev/null "$BASE/healthz" || rc=$?
ok "after SIGTERM new connections are refused" test "$rc" -ne 0
wait "$client" || true
eq "the request in flight completes" "$(cat "$T/inflight_status")" 200
ok "with its full body" jqok '.cultures|length == 4' "$T/inflight"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=
eq "and the service exits 0" "$rc" 0
wait "$locker" || true
contains "shutdown is logged" "$(cat "$SERVER_LOG")" '"msg":"stopped"'

# Host names are looked up off the loop (store/pg_resolve.c): a name that
# does not resolve, or one whose port is closed, leaves the service up and
# says why (libpq's message names the address it was given).
saved_url=$DATABASE_URL
DATABASE_URL="postgresql://cc@no-such-host.invalid,localhost:1/cc?connect_timeout=2" SERVE_READY_TRIES=1 serve_up
req GET /healthz
eq "unresolvable and refused hosts: healthz 200" "$STATUS" 200
req GET /readyz
eq "and readyz 503" "$STATUS" 503
for _ in $(seq 1 50); do grep -q '"msg":"database connection down"' "$SERVER_LOG" && break; sleep 0.1; done
down=$(grep -m1 '"msg":"database connection down"' "$SERVER_LOG" || true)
contains "the log names the refused address, looked up from localhost" "$down" '\"127.0.0.1\", port 1 failed: Connection refused'
serve_stop
eq "it stops cleanly (exit 0)" "$SERVER_RC" 0
DATABASE_URL="postgresql://cc@no-such-host.invalid/cc" SERVE_READY_TRIES=1 serve_up
for _ in $(seq 1 50); do grep -q '"msg":"database connection down"' "$SERVER_LOG" && break; sleep 0.1; done
down=$(grep -m1 '"msg":"database connection down"' "$SERVER_LOG" || true)
contains "a name that does not resolve: the lookup is the reason" "$down" '"reason":"host name lookup failed"'
contains "naming the host" "$down" 'no-such-host.invalid'
serve_stop
DATABASE_URL=$saved_url

finish
