# Test harness for the shell suites (db, http). Sourced by each test.
# Environment (set by tests/meson.build): CULTURECARE (the binary),
# SOURCE_ROOT, SHARED_DATA (folder of the CultureCare files, may be absent),
# CC_WRAPPER (optional command to run the server under, e.g. valgrind).
set -euo pipefail

: "${CULTURECARE:?CULTURECARE must name the binary}"
: "${SOURCE_ROOT:?SOURCE_ROOT must name the source tree}"
SHARED_DATA=${SHARED_DATA:-$SOURCE_ROOT/../shared/culturecare}

T=$(mktemp -d "${TMPDIR:-/tmp}/cctest.XXXXXX")
chmod 0755 "$T"
SERVER_PID=
SERVER_LOG=$T/server.log

cleanup() {
  if [ -n "${FAKE_PID:-}" ]; then kill -TERM "$FAKE_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  "$SOURCE_ROOT/deploy/pg-local.sh" stop "$T/pg" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# Starts a private PostgreSQL; exports DATABASE_URL.
pg_up() {
  DATABASE_URL=$(PG_FAST=1 "$SOURCE_ROOT/deploy/pg-local.sh" start "$T/pg")
  export DATABASE_URL
}
pg_stop() { "$SOURCE_ROOT/deploy/pg-local.sh" stop "$T/pg"; }

cc() { "$CULTURECARE" "$@"; }

# Starts `culturecare serve` on a free port; sets SERVER_PID and BASE. Waits
# up to SERVE_READY_TRIES (100) tenths of a second for /readyz to say 200.
serve_up() {
  : >"$SERVER_LOG"
  # Suites test what they are about; keys are tested by http_access.sh,
  # the classifier stage (on by default) by http_classifier.sh, the text
  # model (on by default) by http_text_model.sh: the others see the rules'
  # own levels.
  AUTH=${AUTH:-off} RISK_CLASSIFIER=${RISK_CLASSIFIER-off} RISK_TEXT_MODEL=${RISK_TEXT_MODEL-off} PORT=0 ${CC_WRAPPER:-} "$CULTURECARE" serve "$@" >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  local port=
  for _ in $(seq 1 200); do
    port=$(grep -m1 '"msg":"listening"' "$SERVER_LOG" 2>/dev/null | sed -n 's/.*"port":\([0-9]*\).*/\1/p' || true)
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; return 1; }
    sleep 0.05
  done
  [ -n "$port" ] || { echo "server did not start" >&2; cat "$SERVER_LOG" >&2; return 1; }
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 "${SERVE_READY_TRIES:-100}"); do
    [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] && return 0
    sleep 0.1
  done
  return 0
}

# Stops the server with SIGTERM; sets SERVER_RC to its exit status.
serve_stop() {
  kill -TERM "$SERVER_PID"
  SERVER_RC=0
  wait "$SERVER_PID" || SERVER_RC=$?
  SERVER_PID=
}

# req METHOD PATH [curl args...]: sets STATUS, BODY, HEADERS.
req() {
  local method=$1 path=$2
  shift 2
  local m=(-X "$method")
  [ "$method" = HEAD ] && m=(-I)
  STATUS=$(curl -s -m 15 "${m[@]}" -D "$T/headers" -o "$T/body" -w '%{http_code}' "$@" "$BASE$path" || true)
  BODY=$(cat "$T/body" 2>/dev/null || true)
  HEADERS=$(tr -d '\r' <"$T/headers" 2>/dev/null || true)
}

# jq on BODY
jb() { jq -r "$1" <<<"$BODY"; }

threads_of() { ls "/proc/$1/task" | wc -l; }

# Starts the fake model backend (tests/fake_llm.c); sets FAKE_PID, FAKE and
# LLM_BASE_URL (exported for the server).
fake_up() {
  : "${FAKE_LLM:?FAKE_LLM must name the fake backend binary}"
  "$FAKE_LLM" --port 0 >"$T/fake.out" 2>"$T/fake.err" &
  FAKE_PID=$!
  local port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' "$T/fake.out" 2>/dev/null | head -1 || true)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "fake backend did not start" >&2; return 1; }
  FAKE="http://127.0.0.1:$port"
  export LLM_BASE_URL="$FAKE/v1"
}
# fake_script JSON: sets the fake's behaviour.
fake_script() { curl -s -m 5 -X POST -H 'Content-Type: application/json' --data-binary "$1" "$FAKE/_control" >/dev/null; }
fake_requests() { curl -s -m 5 "$FAKE/_requests"; }
fake_clear() { curl -s -m 5 -X DELETE "$FAKE/_requests" >/dev/null; }
fake_count() { fake_requests | jq length; }
# The last request's system / user prompt.
fake_last() { fake_requests | jq -r ".[-1].messages[] | select(.role == \"$1\") | .content"; }

# post JSON [curl args]: POST /support with a JSON body.
post() {
  local body=$1
  shift
  req POST /support -H 'Content-Type: application/json' --data-binary "$body" "$@"
}
fds_of() { ls "/proc/$1/fd" | wc -l; }
fds_at_most() { [ "$(fds_of "$SERVER_PID")" -le "$1" ]; }
# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
  local n=$(($1 * 10))
  shift
  for _ in $(seq 1 "$n"); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}

# schema_ok DESCRIPTION SCHEMA: validates BODY against a schema of the
# contract (tests/schema_check.mjs, Ajv). Needs node and SCHEMA_DEPS (a
# folder with node_modules/ajv and yaml; tests/run.sh installs them); a
# skipped check (skip_check) without them.
schema_ok() {
  if ! command -v node >/dev/null || [ ! -d "${SCHEMA_DEPS:-/nonexistent}/node_modules/ajv" ]; then
    skip_check "$1 (schema $2)" "node or SCHEMA_DEPS with ajv and yaml not available"
    return 0
  fi
  printf '%s' "$BODY" >"$T/schema_body.json"
  ok "$1 (schema $2)" node "$SOURCE_ROOT/tests/schema_check.mjs" "$SOURCE_ROOT/openapi/openapi.yaml" "$2" "$T/schema_body.json"
}

# sse_events FILE: the events of a captured stream as a JSON array, in order:
# {"event", "data"} per event (data parsed when it is JSON; an event without
# a name is "message") and {"comment"} per comment line. An event that was
# not terminated by a blank line is not counted (SSE).
sse_events() {
  tr -d '\r' <"$1" | jq -R -s '
    reduce (split("\n")[]) as $l ({out: [], ev: null, data: null};
      if $l == "" then
        (if .data != null then .out += [{event: (.ev // "message"), data: (.data as $d | try ($d|fromjson) catch $d)}] else . end)
        | .ev = null | .data = null
      elif ($l|startswith(":")) then .out += [{comment: ($l[1:]|ltrimstr(" "))}]
      elif ($l|startswith("event:")) then .ev = ($l[6:]|ltrimstr(" "))
      elif ($l|startswith("data:")) then .data = ((if .data == null then "" else .data + "\n" end) + ($l[5:]|ltrimstr(" ")))
      else . end)
    | .out'
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# peak_while PID START COMMAND...: sets PEAK to the largest number COMMAND
# prints (and START), sampled every 0.2 s while process PID (a child of this
# shell: not from a subshell, which could not reap it) runs; waits for PID.
peak_while() {
  local pid=$1 max=$2 n
  shift 2
  while kill -0 "$pid" 2>/dev/null; do
    n=$("$@")
    [ "$n" -gt "$max" ] && max=$n
    sleep 0.2
  done
  wait "$pid" || true
  PEAK=$max
}
