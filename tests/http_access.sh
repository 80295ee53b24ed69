#!/usr/bin/env bash
# Access control and limits with AUTH on (the default): API keys (hashed in
# PostgreSQL, made and revoked with `culturecare keys`), scopes, the per-key
# request rate and open streams, the process-wide limit on backend calls,
# CORS, and the limits on headers, connections per address and slow
# requests.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up

# ---- keys on the command line ----
SUPPORT=$(cc keys create --scope support --name frontend 2>"$T/create.err")
ok "keys create prints one key" test "$(printf '%s\n' "$SUPPORT" | wc -l)" = 1
ok "the key has its form" grep -Eq '^cc_[A-Za-z0-9_-]{43}$' <<<"$SUPPORT"
contains "and says it is shown once, by prefix only" "$(cat "$T/create.err")" "${SUPPORT:0:11}"
eq "not the key itself on stderr" "$(grep -c -- "$SUPPORT" "$T/create.err" || true)" 0
ANNOTATE=$(cc keys create --scope annotate --name rating-tool 2>/dev/null)
ADMIN=$(cc keys create --scope admin --name ops 2>/dev/null)
LIMITED=$(cc keys create --scope support --name limited --rpm 60 --streams 1 2>/dev/null)
cc keys create --scope root --name x >/dev/null 2>"$T/bad.err" && bad=0 || bad=$?
eq "an unknown scope is refused (exit 2)" "$bad" 2
cc keys create --name x >/dev/null 2>&1 && bad=0 || bad=$?
eq "no scope is refused" "$bad" 2
eq "only hashes are stored" "$(pg_dump --data-only "$DATABASE_URL" | grep -c -- "${SUPPORT:11}" || true)" 0
eq "the hash is" "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM api_keys WHERE key_sha256 = sha256('$SUPPORT'::bytea)")" 1
list=$(cc keys list)
contains "keys list shows prefixes and scopes" "$list" "${SUPPORT:0:11}	frontend	support"
eq "keys list never shows a key" "$(grep -c -- "${SUPPORT:11}" <<<"$list" || true)" 0

serve_up_auth() { AUTH=on serve_up "$@"; }
serve_up_auth
auth() { echo "Authorization: Bearer $1"; }
dry='{"message": "I feel alone since I moved.", "culture": "german", "dry_run": true}'

# ---- who may do what ----
req GET /healthz
eq "healthz needs no key" "$STATUS" 200
req GET /readyz
eq "readyz needs no key (keys loaded)" "$STATUS" 200
post "$dry"
eq "no key: 401" "$STATUS" 401
contains "with WWW-Authenticate" "$HEADERS" "WWW-Authenticate: Bearer"
eq "code unauthorized" "$(jb .error.code)" unauthorized
post "$dry" -H "$(auth cc_notakeyatallnotakeyatallnotakeyatallnotakeyat)"
eq "an unknown key: 401" "$STATUS" 401
post "$dry" -H "Authorization: Basic dXNlcjpwYXNz"
eq "another scheme: 401" "$STATUS" 401
req GET /openapi.yaml
eq "the contract needs a key too" "$STATUS" 401
req GET /openapi.yaml -H "$(auth "$ANNOTATE")"
eq "any valid key reads the contract" "$STATUS" 200
post "$dry" -H "$(auth "$SUPPORT")"
eq "support key: POST /support" "$STATUS" 200
req GET /v1/models -H "$(auth "$SUPPORT")"
eq "support key: /v1/models" "$STATUS" 200
req GET /records -H "$(auth "$SUPPORT")"
eq "support key on /records: 403" "$STATUS" 403
eq "forbidden names the scope" "$(jb .error.code),$(jb .error.details.required_scope)" "forbidden,annotate"
req GET /records -H "$(auth "$ANNOTATE")"
eq "annotate key: /records" "$STATUS" 200
post "$dry" -H "$(auth "$ANNOTATE")"
eq "annotate key on /support: 403" "$STATUS" 403
post "$dry" -H "$(auth "$ADMIN")"
eq "admin key: /support" "$STATUS" 200
req GET /records -H "$(auth "$ADMIN")"
eq "admin key: /records" "$STATUS" 200
contains "the log names the key by prefix" "$(grep '"msg":"request"' "$SERVER_LOG" | tail -1)" "\"key\":\"${ADMIN:0:11}\""

# ---- revoking takes effect at once ----
# post_until STATUS KEY: the dry run with KEY until it answers STATUS (the
# NOTIFY reaches the service within milliseconds; 5 s at most)
post_until() {
  for _ in $(seq 1 50); do
    post "$dry" -H "$(auth "$2")"
    [ "$STATUS" = "$1" ] && return
    sleep 0.1
  done
}
REVOKE=$(cc keys create --scope support --name soon-gone 2>/dev/null)
post_until 200 "$REVOKE"
eq "a new key works without a restart" "$STATUS" 200
eq "keys revoke by prefix" "$(cc keys revoke "${REVOKE:0:11}")" "revoked ${REVOKE:0:11}"
post_until 401 "$REVOKE"
eq "a revoked key: 401" "$STATUS" 401
cc keys revoke "${REVOKE:0:11}" >/dev/null 2>&1 && again=0 || again=$?
eq "revoking twice fails" "$again" 1

# ---- the request rate: 60 per minute ----
codes=""
for i in $(seq 1 61); do
  codes+="$(curl -s -m 5 -o /dev/null -w '%{http_code} ' -H "$(auth "$LIMITED")" "$BASE/cultures")"
done
eq "60 requests pass" "$(tr ' ' '\n' <<<"$codes" | grep -c '^200$')" 60
eq "the 61st is 429" "$(awk '{print $61}' <<<"$codes")" 429
req GET /cultures -H "$(auth "$LIMITED")"
eq "429 code rate_limited" "$STATUS,$(jb .error.code)" "429,rate_limited"
ra=$(sed -n 's/^Retry-After: //p' <<<"$HEADERS")
ok "with Retry-After: when the minute has passed ($ra s)" test "${ra:-0}" -ge 55 -a "${ra:-0}" -le 61
req GET /cultures -H "$(auth "$SUPPORT")"
eq "other keys are not held back" "$STATUS" 200

# ---- open streams per key (1 for LIMITED, which is out of requests: use a
# fresh key with the same stream limit) ----
STREAMER=$(cc keys create --scope support --name streamer --streams 1 2>/dev/null)
sleep 0.3
fake_script '{"pieces": ["one ", "two ", "three"], "piece_interval_ms": 700}'
body='{"message": "I feel alone since I moved.", "culture": "german", "strategy": "redditor", "annotator": "corpus", "stream": true}'
curl -sN -m 20 -o "$T/s1" -H "$(auth "$STREAMER")" -H 'Content-Type: application/json' -d "$body" "$BASE/support" &
s1=$!
sleep 0.5
post "$body" -H "$(auth "$STREAMER")"
eq "a second stream for a 1-stream key: 429" "$STATUS,$(jb .error.code)" "429,rate_limited"
wait "$s1"
contains "the first stream went on to the end" "$(cat "$T/s1")" "event: done"
post "$body" -H "$(auth "$STREAMER")"
eq "once it ended, another may open" "$STATUS" 200
serve_stop

# ---- the whole process: LLM_MAX_CONCURRENT backend calls ----
fake_script '{"content": "slow", "delay_ms": 1500}'
LLM_MAX_CONCURRENT=1 serve_up_auth
gen='{"message": "I feel alone since I moved.", "culture": "german", "strategy": "redditor", "annotator": "corpus"}'
curl -s -m 20 -o "$T/g1" -H "$(auth "$SUPPORT")" -H 'Content-Type: application/json' -d "$gen" "$BASE/support" &
g1=$!
sleep 0.5
post "$gen" -H "$(auth "$ADMIN")"
eq "over LLM_MAX_CONCURRENT: 503 overloaded" "$STATUS,$(jb .error.code)" "503,overloaded"
contains "with Retry-After" "$HEADERS" "Retry-After: 1"
wait "$g1"
eq "the call in flight was answered" "$(jq -r .response "$T/g1")" slow
serve_stop
fake_script '{"content": "fine"}'

# ---- CORS ----
CORS_ORIGINS="https://app.example, https://other.example/" serve_up_auth
req OPTIONS /support -H "Origin: https://app.example" -H "Access-Control-Request-Method: POST" \
  -H "Access-Control-Request-Headers: authorization, content-type"
eq "preflight from an allowed origin: 204" "$STATUS" 204
contains "allows the origin" "$HEADERS" "Access-Control-Allow-Origin: https://app.example"
contains "allows POST" "$HEADERS" "Access-Control-Allow-Methods: GET, POST, DELETE, OPTIONS"
contains "allows Authorization" "$HEADERS" "Access-Control-Allow-Headers: Authorization, Content-Type"
contains "varies by Origin" "$HEADERS" "Vary: Origin"
req OPTIONS /support -H "Origin: https://other.example" -H "Access-Control-Request-Method: POST"
eq "the list's trailing slash is ignored" "$STATUS" 204
req OPTIONS /support -H "Origin: https://evil.example" -H "Access-Control-Request-Method: POST"
eq "preflight from another origin: 403" "$STATUS" 403
eq "and no CORS headers" "$(grep -ci '^Access-Control-' <<<"$HEADERS" || true)" 0
post "$dry" -H "$(auth "$SUPPORT")" -H "Origin: https://app.example"
eq "a request from the allowed origin" "$STATUS" 200
contains "carries Allow-Origin" "$HEADERS" "Access-Control-Allow-Origin: https://app.example"
contains "and exposes the request id" "$HEADERS" "Access-Control-Expose-Headers: X-Request-Id, Retry-After"
post "$dry" -H "$(auth "$SUPPORT")" -H "Origin: https://evil.example"
eq "from another origin: no Allow-Origin" "$(grep -ci '^Access-Control-Allow-Origin' <<<"$HEADERS" || true)" 0
post "$dry" -H "Origin: https://app.example"
eq "CORS does not replace the key" "$STATUS" 401
contains "but the browser may read the 401" "$HEADERS" "Access-Control-Allow-Origin: https://app.example"
serve_stop

# ---- limits: headers, connections per address, slow requests ----
MAX_HEADER_BYTES=4096 MAX_CONNECTIONS_PER_IP=3 REQUEST_TIMEOUT_MS=1000 serve_up_auth
big=$(head -c 8000 /dev/zero | tr '\0' a)
req GET /healthz -H "X-Big: $big"
eq "headers over MAX_HEADER_BYTES: 431" "$STATUS" 431
req GET /healthz -H "X-Fits: ${big:0:2000}"
eq "headers under it: 200" "$STATUS" 200
port=${BASE##*:}
exec 5<>/dev/tcp/127.0.0.1/"$port" 6<>/dev/tcp/127.0.0.1/"$port" 7<>/dev/tcp/127.0.0.1/"$port"
req GET /healthz
eq "a 4th connection from one address: 429" "$STATUS,$(jb .error.code)" "429,too_many_connections"
exec 5>&- 6>&- 7>&-
sleep 0.3
req GET /healthz
eq "with the others closed: 200" "$STATUS" 200
# a body that trickles: 1 byte per 0.3 s, 20 bytes of 100: the connection
# is closed once REQUEST_TIMEOUT_MS is over (libmicrohttpd cannot answer in
# the middle of a body), and the log says 408
exec 5<>/dev/tcp/127.0.0.1/"$port"
printf 'POST /support HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n' "$SUPPORT" >&5
t0=$(date +%s%N)
closed=
# (a subshell that ignores SIGPIPE: the write after the close fails with EPIPE)
( trap '' PIPE
  for _ in $(seq 1 20); do
    printf '{' >&5 2>/dev/null || exit 1
    sleep 0.3
  done ) || closed=1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
exec 5>&-
ok "a body arriving too slowly: the connection is closed (after $ms ms)" test -n "$closed" -a "$ms" -lt 4000
ok "and logged as 408" grep -q '"route":"/support","status":408' "$SERVER_LOG"
req GET /healthz
eq "the service is fine after all that" "$STATUS" 200
ok "still running" kill -0 "$SERVER_PID"
serve_stop
eq "clean exit" "$SERVER_RC" 0

# ---- DATABASE_LISTEN_URL: notifications on a connection of their own ----
DATABASE_LISTEN_URL="$DATABASE_URL application_name=cc-listen" serve_up_auth
listeners() { psql "$DATABASE_URL" -Atc "SELECT string_agg(application_name, ',') FROM pg_stat_activity WHERE query = 'LISTEN culturecare'"; }
for _ in $(seq 1 50); do [ -n "$(listeners)" ] && break; sleep 0.1; done
eq "LISTEN runs on the DATABASE_LISTEN_URL connection only" "$(listeners)" cc-listen
LATE=$(cc keys create --scope support --name late 2>/dev/null)
post_until 200 "$LATE"
eq "a key made now works: the notification came through it" "$STATUS" 200
serve_stop

# ---- AUTH=off is a loud choice ----
serve_up
ok "AUTH=off logs a warning" grep -q '"level":"warn".*AUTH=off' "$SERVER_LOG"
post "$dry"
eq "AUTH=off: no key needed" "$STATUS" 200
serve_stop

eq "no key in any log" "$(cat "$SERVER_LOG" "$T"/*.err 2>/dev/null | grep -c -- "${SUPPORT:11}" || true)" 0
finish
