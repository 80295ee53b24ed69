#!/usr/bin/env bash
# The fault matrix (README "Faults, tried"): every fault of the backend, the
# database and the clients, each answered with its status or stream event;
# after each the process is up, its descriptors, requests, streams and pool
# slots are back to idle (/proc/PID/fd, /metrics), its RSS is back near the
# idle level, and the stored replies are exactly those that were confirmed.
. "$(dirname "$0")/lib.sh"
t_suite=$(date +%s)
# 10,000 idle connections need descriptors on both ends: raise the soft
# limit before the server starts (it inherits it).
ulimit -n 12000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Under AddressSanitizer freed memory waits in a quarantine (256 MiB) and
# its allocator gives pages back only when asked to: a small quarantine and
# a prompt release make RSS mean here what it means in the plain build.
ASAN=false
if grep -q __asan_init "$CULTURECARE"; then
  ASAN=true
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:allocator_release_to_os_interval_ms=200"
fi
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
FAKE_PORT=${FAKE##*:}
POOL=2
export STORE_MESSAGES=on DB_POOL_SIZE=$POOL DB_TIMEOUT_MS=6000 LLM_RETRIES=0 \
  LLM_TIMEOUT_MS=3000 LLM_FIRST_TOKEN_TIMEOUT_MS=1000 LLM_IDLE_TIMEOUT_MS=1000 \
  REQUEST_TIMEOUT_MS=5000 MAX_BODY_BYTES=2097152 MAX_CONNECTIONS=11000

MSG="Since I moved away I feel so alone and I cannot sleep."
# support_body [EXTRA]: a stored redditor reply (one backend call) + EXTRA.
support_body() {
  jq -cn --arg m "$MSG" --argjson extra "${1:-"{}"}" \
    '{message: $m, culture: "german", strategy: "redditor", annotator: "corpus"} + $extra'
}
sup() { post "$(support_body "${1:-"{}"}")"; }
# stream NAME [EXTRA]: the same streamed; EV holds its events.
stream() {
  curl -sN -m 30 -o "$T/$1.sse" -H 'Content-Type: application/json' \
    --data-binary "$(support_body "$(jq -c '. + {stream: true}' <<<"${2:-"{}"}")")" "$BASE/support" || true
  EV=$(sse_events "$T/$1.sse")
}
# The stream's event names; its last event's error code.
names() { jq -r '[.[] | select(.event) | .event] | join(",")' <<<"$EV" | sed -E 's/(,delta)+/,deltas/'; }
last_code() { jq -r '[.[] | select(.event)][-1].data.error.code // "none"' <<<"$EV"; }
rows() { psql "$DATABASE_URL" -Atc "SELECT count(*) FROM support_records"; }
# own_fds: the server's open descriptors but its kept-alive connections to
# the backend (libcurl keeps some open for the next calls: at most one per
# call that ran at the same time); backend_fds: those.
backend_fds() {
  local hex inodes
  hex=$(printf '%04X' "$FAKE_PORT")
  inodes=$(awk -v p=":$hex" 'FNR > 1 && substr($3, length($3) - 4) == p {print $10}' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  find "/proc/$SERVER_PID/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' |
    grep -cxF -f <(echo "${inodes:-none}") || true
}
own_fds() { echo $(($(fds_of "$SERVER_PID") - $(backend_fds))); }
# The service's state at rest: what the checks below compare with REST.
mval() { awk -v k="$2" '$1 == k {print $2}' <<<"$1"; }
rest_state() {
  local m fds
  m=$(curl -s -m 5 "$BASE/metrics")
  fds=$(own_fds)
  [ "$fds" -le "$IDLE_FDS" ] && fds=idle
  echo "fds=$fds in_flight=$(mval "$m" culturecare_http_requests_in_flight)" \
    "streams=$(mval "$m" culturecare_http_streams_open)" \
    "pool_in_use=$(mval "$m" 'culturecare_db_pool_connections{state="in_use"}')" \
    "pool_idle=$(mval "$m" 'culturecare_db_pool_connections{state="idle"}')" \
    "pool_waiting=$(mval "$m" culturecare_db_pool_waiting)"
}
REST="fds=idle in_flight=1 streams=0 pool_in_use=0 pool_idle=$POOL pool_waiting=0"
# settled WHAT ROWS [no-rss]: after a fault, the process is up and back at rest, and
# the store holds ROWS replies, none of them empty.
settled() {
  local st= rss
  for _ in $(seq 1 60); do
    st=$(rest_state)
    [ "$st" = "$REST" ] && break
    sleep 0.1
  done
  req GET /healthz
  eq "$1: the process is up (healthz 200)" "$STATUS" 200
  eq "$1: descriptors, requests, streams, pool slots at rest" "$st" "$REST"
  # memory of many closed connections goes back at the next sweep (every
  # REQUEST_TIMEOUT_MS / 4)
  for _ in $(seq 1 30); do
    rss=$(rss_kb "$SERVER_PID")
    [ "$rss" -le $((IDLE_RSS + RSS_TOL)) ] && break
    sleep 0.1
  done
  if [ "${3:-}" = no-rss ]; then
    skip_check "$1: RSS ($rss KB, idle $IDLE_RSS KB)" "AddressSanitizer's allocator keeps the pages of a size class until that class is used again"
  else ok "$1: RSS $rss KB, within $RSS_TOL KB of idle ($IDLE_RSS KB)" test "$rss" -le $((IDLE_RSS + RSS_TOL)); fi
  ok "$1: at most 8 kept-alive backend connections ($(backend_fds))" test "$(backend_fds)" -le 8
  eq "$1: stored replies" "$(rows)" "$2"
  eq "$1: none half-written" "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM support_records WHERE reply = '' OR message = ''")" 0
}

# start_server: serve_up, warmed up by each kind of request, then the idle
# descriptors and RSS measured.
start_server() {
  serve_up
  fake_script '{}'
  for _ in 1 2 3; do sup; stream warm; post "$(support_body '{"store": false}')"; done
  sleep 0.5
  IDLE_FDS=$(own_fds)
  IDLE_RSS=$(rss_kb "$SERVER_PID")
  # glibc keeps some freed memory in its arenas; ASan keeps freed blocks
  # in quarantine. The tolerance: a quarter of idle, at least 8 MiB.
  RSS_TOL=$((IDLE_RSS / 4 > 8192 ? IDLE_RSS / 4 : 8192))
  echo "# idle: $IDLE_FDS descriptors, RSS $IDLE_RSS KB"
  ROWS=$(rows)
}
start_server

# ================= backend =================
# refuses: the backend's port is closed
kill -TERM "$FAKE_PID"
wait "$FAKE_PID" || true
sup
eq "backend refuses: 502 backend_failed" "$STATUS $(jb .error.code)" "502 backend_failed"
stream refused
eq "backend refuses, stream: meta then error backend_failed" "$(names) $(last_code)" "meta,error backend_failed"
settled "backend refuses" "$ROWS"
"$FAKE_LLM" --port "$FAKE_PORT" >"$T/fake.out" 2>"$T/fake.err" &
FAKE_PID=$!
wait_for 5 grep -q '"port"' "$T/fake.out"

# resets mid-body: Content-Length promised more than comes
fake_script '{"cut_body_at": 40}'
sup
eq "backend resets mid-body: 502 backend_failed" "$STATUS $(jb .error.code)" "502 backend_failed"
fake_script '{"pieces": ["One. ", "Two. ", "Three. "], "piece_interval_ms": 50, "break_after": 1}'
stream reset
eq "backend resets mid-stream: a delta, then error backend_failed" "$(names) $(last_code)" "meta,deltas,error backend_failed"
settled "backend resets" "$ROWS"

for code in 429 500 503; do
  fake_script "{\"mode\": \"error\", \"status\": $code}"
  sup
  eq "backend $code: 502 naming it" "$STATUS $(jb .error.code) $(jb .error.details.upstream_status)" "502 backend_failed $code"
  stream "s$code"
  eq "backend $code, stream: error naming it" "$(names) $(jq -r '.[-1].data.error.details.upstream_status' <<<"$EV")" "meta,error $code"
done
settled "backend 429/500/503" "$ROWS"

fake_script '{"mode": "garbage"}'
sup
eq "backend garbage JSON: 502 bad_reply" "$STATUS $(jb .error.details.reason)" "502 bad_reply"
stream garbage
eq "backend garbage, stream: error backend_failed" "$(names) $(last_code)" "meta,error backend_failed"
settled "backend garbage" "$ROWS"

fake_script '{"mode": "hang"}'
sup
eq "backend stalls before headers: 504 backend_timeout" "$STATUS $(jb .error.code)" "504 backend_timeout"
stream hang
eq "backend stalls before headers, stream: error backend_timeout" "$(names) $(last_code)" "meta,error backend_timeout"
fake_script '{"pieces": ["One. ", "Two. ", "Three. "], "stall_after": 1}'
stream stall
eq "backend stalls mid-stream: a delta, then error backend_timeout" "$(names) $(last_code)" "meta,deltas,error backend_timeout"
settled "backend stalls" "$ROWS"

# A 100 MB answer: the non-streamed one is refused at 8 MiB, the stream's
# text is cut there. Sending 8 MiB of deltas takes seconds on a busy
# machine: a server whose backend timeout does not end it first.
serve_stop
LLM_TIMEOUT_MS=60000 start_server
fake_script '{"body_bytes": 100000000}'
curl -s -m 30 -o "$T/big.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "$(support_body)" "$BASE/support" >"$T/big.code" &
peak_while $! "$IDLE_RSS" rss_kb "$SERVER_PID"
BODY=$(cat "$T/big.json")
STATUS=$(cat "$T/big.code")
eq "backend 100 MB reply: 502, reply too large" "$STATUS $(jb '"\(.error.code) \(.error.details.detail)"')" "502 backend_failed reply too large"
echo "# 100 MB reply: peak RSS $PEAK KB"
stream big_s '{}' &
peak_while $! "$PEAK" rss_kb "$SERVER_PID"
EV=$(sse_events "$T/big_s.sse")
eq "backend 100 MB stream: deltas, then error reply_too_long" "$(names) $(last_code) $(jq -r '.[-1].data.error.details.reason' <<<"$EV")" "meta,deltas,error backend_failed reply_too_long"
echo "# 100 MB stream: peak RSS $PEAK KB"
ok "the 100 MB bodies were never held whole (peak RSS $PEAK KB < idle + 64 MiB)" test "$PEAK" -lt $((IDLE_RSS + 65536))
settled "backend 100 MB" "$ROWS"
fake_script '{}'


# ================= PostgreSQL =================
# stopped mid-load and started again: four clients send stored replies the
# whole time; each answer is 200, stored or saying it was not; the store
# holds exactly the confirmed ones; readyz follows.
load() { # until $T/load.stop exists (at most 300 requests)
  local i
  for i in $(seq 1 300); do
    [ -e "$T/load.stop" ] && break
    curl -s -m 10 -o "$T/load.$1.$i" -w '%{http_code}\n' -H 'Content-Type: application/json' \
      --data-binary "$(support_body)" "$BASE/support" || echo "curl-failed"
    sleep 0.05
  done >"$T/load.$1.codes"
}
# readyz_becomes STATUS SECONDS: polls /readyz until it says STATUS; sets st.
readyz_becomes() {
  for _ in $(seq 1 $(($2 * 10))); do
    st=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$BASE/readyz")
    [ "$st" = "$1" ] && return 0
    sleep 0.1
  done
}
loaders=()
for w in 1 2 3 4; do load "$w" & loaders+=($!); done
sleep 0.5
pg_stop >/dev/null
readyz_becomes 503 5
eq "database stopped under load: readyz 503" "$st" 503
sleep 0.5
pg_up
readyz_becomes 200 10
eq "database started again: readyz 200, no restart" "$st" 200
sleep 1
touch "$T/load.stop"
wait "${loaders[@]}"
codes=$(cat "$T"/load.*.codes | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
echo "# answers under the outage: $codes"
eq "every answer under the outage was 200" "$(cat "$T"/load.*.codes | sort -u | tr '\n' ' ')" "200 "
stored=$(cat "$T"/load.*.*[0-9] | jq -s '[.[] | select(.storage.stored == true)] | length')
unstored=$(cat "$T"/load.*.*[0-9] | jq -s '[.[] | select(.storage.stored == false and .storage.reason == "unavailable")] | length')
total=$(cat "$T"/load.*.codes | wc -l)
echo "# $total replies: $stored stored, $unstored not stored (database down)"
ok "some replies were stored, some met the outage ($stored, $unstored)" test "$stored" -gt 0 -a "$unstored" -gt 0
eq "each reply says whether it was stored" "$((stored + unstored))" "$total"
ROWS=$((ROWS + stored))
settled "database restarted" "$ROWS"

# a query cancelled, and a connection terminated, while an insert waits on a
# lock: the reply goes out unstored, the pool recovers
pool_pids() { psql "$DATABASE_URL" -Atc "SELECT pid FROM pg_stat_activity WHERE application_name = 'culturecare' AND wait_event_type = 'Lock'"; }
for how in cancelled terminated; do
  fn=${how%led}; fn=${fn%d}
  psql "$DATABASE_URL" -qc "BEGIN; LOCK TABLE support_records IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT" >/dev/null &
  locker=$!
  sleep 0.3
  curl -s -m 10 -o "$T/$how.json" -H 'Content-Type: application/json' --data-binary "$(support_body)" "$BASE/support" &
  client=$!
  pid=
  for _ in $(seq 1 30); do pid=$(pool_pids); [ -n "$pid" ] && break; sleep 0.1; done
  eq "pg_${fn}_backend on the waiting insert" "$(psql "$DATABASE_URL" -Atc "SELECT pg_${fn}_backend(${pid:-0})")" t
  wait "$client" || true
  wait "$locker" || true
  eq "query ${how}: the reply goes out, not stored" "$(jq -r '"\(.response != null) \(.storage.stored) \(.storage.reason)"' "$T/$how.json")" "true false unavailable"
  readyz_becomes 200 5
  sup
  eq "query ${how}: the next reply is stored" "$STATUS $(jb .storage.stored)" "200 true"
  ROWS=$((ROWS + 1))
  settled "query ${how}" "$ROWS"
done
psql "$DATABASE_URL" -Atc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'culturecare'" >/dev/null
readyz_becomes 200 5
sup
eq "every pool connection terminated: the pool reconnects, replies are stored" "$STATUS $(jb .storage.stored)" "200 true"
ROWS=$((ROWS + 1))
settled "pool terminated" "$ROWS"

# the pool exhausted: 8 stored replies at once on 2 connections held by a lock
psql "$DATABASE_URL" -qc "BEGIN; LOCK TABLE support_records IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT" >/dev/null &
locker=$!
sleep 0.3
clients=()
for i in $(seq 1 8); do
  curl -s -m 15 -o "$T/ex.$i" -H 'Content-Type: application/json' --data-binary "$(support_body)" "$BASE/support" &
  clients+=($!)
done
waiting=0
for _ in $(seq 1 50); do
  w=$(mval "$(curl -s -m 2 "$BASE/metrics")" culturecare_db_pool_waiting)
  [ "${w:-0}" -gt "$waiting" ] && waiting=$w
  [ "$waiting" -ge 6 ] && break
  sleep 0.05
done
ok "pool exhausted: queries queue for a slot (waiting reached $waiting)" test "$waiting" -ge 6
req GET /healthz
eq "pool exhausted: other routes answer" "$STATUS" 200
wait "${clients[@]}" "$locker"
eq "pool exhausted: all 8 stored once the slots came free" "$(cat "$T"/ex.* | jq -s '[.[] | select(.storage.stored == true)] | length')" 8
ROWS=$((ROWS + 8))
settled "pool exhausted" "$ROWS"

# ================= clients =================
PORT_=${BASE##*:}
n0=$(fake_count)
# disconnect mid-request: headers and part of a body, then gone (x20)
for _ in $(seq 1 20); do
  exec 5<>"/dev/tcp/127.0.0.1/$PORT_"
  printf 'POST /support HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"message": "I fe' >&5
  exec 5<&-
done
eq "client gone mid-request: no backend call" "$(fake_count)" "$n0"
settled "client gone mid-request" "$ROWS"

# disconnect mid-stream: the client leaves after some deltas
early0=$(curl -s -m 5 "$FAKE/_stats" | jq .client_closed_early)
fake_script '{"pieces": ["One. ", "Two. ", "Three. ", "Four. ", "Five. ", "Six. "], "piece_interval_ms": 300}'
clients=()
for i in 1 2 3; do
  curl -sN -m 1 -o "$T/gone.$i.sse" -H 'Content-Type: application/json' \
    --data-binary "$(support_body '{"stream": true}')" "$BASE/support" &
  clients+=($!)
done
wait "${clients[@]}" || true
sleep 1
ok "client gone mid-stream: it had received deltas" grep -q '^event: delta' "$T/gone.1.sse"
eq "client gone mid-stream: the backend streams were closed" "$(curl -s -m 5 "$FAKE/_stats" | jq "[.client_closed_early - $early0, .streams_open] | join(\" \")")" '"3 0"'
settled "client gone mid-stream (not stored: the reply never went out whole)" "$ROWS"
fake_script '{}'

# slowloris: 20 clients send a header line, and 20 a body byte, every 0.5 s;
# REQUEST_TIMEOUT_MS (5 s) closes them; other clients are served meanwhile.
slow() { # KIND: writes until the server closes; prints the seconds it took
  trap '' PIPE
  local t0=$SECONDS i
  exec 6<>"/dev/tcp/127.0.0.1/$PORT_" || { echo refused; return; }
  if [ "$1" = headers ]; then
    printf 'GET /healthz HTTP/1.1\r\nHost: t\r\n' >&6
  else
    printf 'POST /support HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n' >&6
  fi
  for i in $(seq 1 40); do
    sleep 0.5
    if [ "$1" = headers ]; then printf 'X-Slow-%d: y\r\n' "$i" >&6 2>/dev/null || break
    else printf ' ' >&6 2>/dev/null || break; fi
  done
  [ "$i" = 40 ] && echo "never closed" || echo "$((SECONDS - t0))"
}
slowpids=()
for i in $(seq 1 20); do
  slow headers >"$T/slow.h.$i" &
  slowpids+=($!)
  slow body >"$T/slow.b.$i" &
  slowpids+=($!)
done
sleep 1.5
t0=$(date +%s%N)
req GET /healthz
sup
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq "slowloris: other clients are served meanwhile" "$STATUS $(jb .storage.stored)" "200 true"
ROWS=$((ROWS + 1))
ok "slowloris: promptly ($ms ms for two requests)" test "$ms" -lt 2000
wait "${slowpids[@]}"
echo "# slowloris: closed after (s): headers $(cat "$T"/slow.h.* | sort | uniq -c | tr -s ' \n' ' '), bodies $(cat "$T"/slow.b.* | sort | uniq -c | tr -s ' \n' ' ')"
ok "slowloris: every slow header and body was closed by the server within 10 s" \
  bash -c '! grep -qv "^[0-9]$\|^10$" "$@"' _ "$T"/slow.*
settled "slowloris" "$ROWS"

# pipelined: four requests in one write, a malformed one among them; four
# answers in order on the one connection
pbody=$(support_body)
exec 5<>"/dev/tcp/127.0.0.1/$PORT_"
printf 'GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nPOST /support HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%sPOST /support HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a": [GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' "${#pbody}" "$pbody" >&5
piped=$(timeout 10 cat <&5 | tr -d '\r' || true)
exec 5<&-
eq "pipelined: four answers in order" "$(grep -o '^HTTP/1.1 [0-9]*' <<<"$piped" | cut -d' ' -f2 | tr '\n' ' ')" "200 200 400 200 "
ok "pipelined: the reply in its place" grep -q '"storage":{"stored":true' <<<"$piped"
ROWS=$((ROWS + 1))
settled "pipelined" "$ROWS"

# invalid UTF-8 (a bare byte, an overlong form, a lone surrogate escape),
# deep nesting, 1 MB bodies
bad_utf8() { printf '{"message": "I feel %b alone", "culture": "german"}' "$1" >"$T/u8"; req POST /support -H 'Content-Type: application/json' --data-binary "@$T/u8"; }
for b in '\xff' '\xc0\xaf' '\\ud800'; do
  bad_utf8 "$b"
  eq "invalid UTF-8 ($b): 400 malformed_json" "$STATUS $(jb .error.code)" "400 malformed_json"
  ok "invalid UTF-8 ($b): the message is not echoed" bash -c '! grep -q alone <<<"$1"' _ "$BODY"
done
deep() { # DEPTH FIELD: a request with FIELD nested DEPTH arrays deep
  { printf '{"message": "I feel alone", "culture": "german", "%s": ' "$2"
    head -c "$1" /dev/zero | tr '\0' '['; head -c "$1" /dev/zero | tr '\0' ']'; printf '}'; } >"$T/deep"
  req POST /support -H 'Content-Type: application/json' --data-binary "@$T/deep"
}
deep 100000 annotations
eq "nested 100,000 deep: 400 malformed_json" "$STATUS $(jb .error.code)" "400 malformed_json"
deep 1000 annotations
eq "nested 1,000 deep where an object belongs: 422 naming the field" "$STATUS $(jb .error.details.field)" "422 annotations"
deep 1000 colour
eq "nested 1,000 deep in an unknown field: 422 naming it" "$STATUS $(jb .error.details.field)" "422 colour"
{ printf '{"message": "'; head -c 1000000 /dev/zero | tr '\0' 'a'; printf '", "culture": "german"}'; } >"$T/mb"
req POST /support -H 'Content-Type: application/json' --data-binary "@$T/mb"
eq "1 MB message: 422 message" "$STATUS $(jb .error.details.field)" "422 message"
{ support_body | head -c -2; head -c 1000000 /dev/zero | tr '\0' ' '; printf '}'; } >"$T/mb"
req POST /support -H 'Content-Type: application/json' --data-binary "@$T/mb"
eq "1 MB of valid JSON ($(wc -c <"$T/mb") bytes): 200, stored" "$STATUS $(jb .storage.stored)" "200 true"
ROWS=$((ROWS + 1))
settled "invalid UTF-8, deep, 1 MB" "$ROWS"

# 10,000 idle connections: held, others served, closed by REQUEST_TIMEOUT_MS
if [ "$(ulimit -n)" -lt 10200 ]; then
  skip_check "10,000 idle connections" "the descriptor limit is $(ulimit -n) and cannot be raised here"
else
  base_fds=$(fds_of "$SERVER_PID")
  t0=$SECONDS
  conns=()
  for _ in $(seq 1 10000); do
    exec {c}<>"/dev/tcp/127.0.0.1/$PORT_" 2>/dev/null || break
    conns+=("$c")
  done
  opened=${#conns[@]}
  held=$(($(fds_of "$SERVER_PID") - base_fds))
  echo "# 10,000 idle connections: $opened opened in $((SECONDS - t0)) s, $held held by the server, RSS $(rss_kb "$SERVER_PID") KB"
  eq "10,000 idle connections opened" "$opened" 10000
  ok "the server holds them ($held)" test "$held" -ge 9000
  t1=$(date +%s%N)
  sup
  ms=$(( ($(date +%s%N) - t1) / 1000000 ))
  eq "10,000 idle connections: a reply meanwhile" "$STATUS $(jb .storage.stored)" "200 true"
  ROWS=$((ROWS + 1))
  echo "# a reply among 10,000 idle connections: $ms ms"
  for c in "${conns[@]}"; do exec {c}>&-; done
  settled "10,000 idle connections" "$ROWS" "$($ASAN && echo no-rss)"
fi

# ================= PostgreSQL: its host name does not resolve =================
serve_stop
eq "SIGTERM after the matrix: exit 0" "$SERVER_RC" 0
saved=$DATABASE_URL
DATABASE_URL="postgresql://cc@no-such-host.invalid/cc" SERVE_READY_TRIES=1 serve_up
curls=()
for i in $(seq 1 20); do curl -s -m 10 -o "$T/dns.$i" -w '%{http_code}' "$BASE/cultures" >"$T/dns.$i.code" & curls+=($!); done
t0=$(date +%s%N)
req GET /healthz
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq "DNS fails: healthz 200" "$STATUS" 200
ok "DNS fails: while database routes fail, the loop answers at once ($ms ms)" test "$ms" -lt 500
wait "${curls[@]}"
eq "DNS fails: database routes 503 database_unavailable" "$(for f in "$T"/dns.*.code; do cat "$f"; echo; done | sort -u) $(jq -r .error.code "$T/dns.1")" "503 database_unavailable"
req GET /readyz
eq "DNS fails: readyz 503" "$STATUS" 503
f1=$(fds_of "$SERVER_PID")
sleep 3
f2=$(fds_of "$SERVER_PID")
ok "DNS fails: reconnect attempts leak no descriptors ($f1, then $f2)" test "$f2" -le "$f1"
serve_stop
eq "DNS fails: SIGTERM, exit 0" "$SERVER_RC" 0
DATABASE_URL=$saved
echo "# the fault matrix took $(($(date +%s) - t_suite)) s"
finish
