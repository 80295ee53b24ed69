#!/usr/bin/env bash
# Self-test of tests/fake_llm.c, the fake OpenAI-compatible chat backend the
# HTTP suites run against: answer shapes, recording, every scripted mode,
# delays, fail_first, hanging clients, 2,000 concurrent delayed requests on a
# fixed number of threads (wrk), and a clean exit on SIGTERM.
# Usage: FAKE_LLM=build/tests/fake_llm tests/fake_llm_test.sh
set -uo pipefail

: "${FAKE_LLM:?FAKE_LLM must name the fake backend binary}"
[ -x "$FAKE_LLM" ] || { echo "no executable $FAKE_LLM"; exit 2; }
for tool in curl jq; do
	command -v "$tool" >/dev/null || { echo "$tool is required"; exit 2; }
done
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

T=$(mktemp -d "${TMPDIR:-/tmp}/fake_llm_test.XXXXXX")
PID=

cleanup() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

. "$(dirname "$0")/checks.sh"

# req METHOD PATH [BODY [CURL ARGS...]]: prints the status; the body is left
# in $T/body, the headers in $T/headers.
req() {
	local method=$1 path=$2
	shift 2
	local data=()
	if [ $# -gt 0 ]; then
		data=(-H 'Content-Type: application/json' --data-binary "$1")
		shift
	fi
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$method" \
		"${data[@]}" "$@" "$BASE$path"
}

control() { req POST /_control "$1" >/dev/null; }
jqb() { jq -r "$1" "$T/body"; }
header() { tr -d '\r' <"$T/headers" | sed -n "s/^$1: //Ip"; }
threads() { ls "/proc/$PID/task" | wc -l; }

"$FAKE_LLM" >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 50); do
	[ -s "$T/out" ] && break
	sleep 0.1
done
PORT=$(jq -r .port "$T/out" 2>/dev/null)
ok "prints its port" test -n "$PORT" -a "$PORT" != null
eq "prints exactly one line" "$(wc -l <"$T/out")" 1
BASE=http://127.0.0.1:$PORT
IDLE=$(threads)
echo "# threads at idle: $IDLE"

# ---- a normal call ----
CHAT='{"model":"gpt-test","messages":[{"role":"system","content":"0123456789abcdef"},{"role":"user","content":"hello world!"}]}'
eq "normal call: 200" "$(req POST /v1/chat/completions "$CHAT" -H 'Authorization: Bearer sk-test')" 200
eq "normal call: content type" "$(header Content-Type)" application/json
eq "normal call: object" "$(jqb .object)" chat.completion
eq "normal call: model echoed" "$(jqb .model)" gpt-test
ok "normal call: id" grep -q '"id":"chatcmpl-fake-[0-9]*"' "$T/body"
ok "normal call: created" test "$(jqb .created)" -ge "$(($(date +%s) - 5))"
eq "normal call: choice" "$(jq -c '.choices[0] | [.index, .message.role, .message.content, .finish_reason]' "$T/body")" \
	'[0,"assistant","This is a fake reply.","stop"]'
eq "normal call: usage (28 prompt bytes, 21 reply bytes)" "$(jq -c '.usage' "$T/body")" \
	'{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12}'
eq "/chat/completions also answers, default model" \
	"$(req POST /chat/completions '{"messages":[]}')/$(jqb .model)/$(jqb .usage.prompt_tokens)" 200/fake-model/1

# ---- recording ----
eq "_requests: 200" "$(req GET /_requests)" 200
eq "_requests: both, oldest first" "$(jq -c '[.[] | [.model, ._authorization]]' "$T/body")" \
	'[["gpt-test","Bearer sk-test"],[null,null]]'
eq "_requests: body kept" "$(jq -r '.[0].messages[1].content' "$T/body")" "hello world!"
eq "invalid JSON: 400" "$(req POST /v1/chat/completions '{"model":')" 400
eq "not an object: 400" "$(req POST /v1/chat/completions '[1]')" 400
eq "DELETE /_requests: 204" "$(req DELETE /_requests)" 204
eq "_requests cleared" "$(req GET /_requests)/$(jqb length)" 200/0
eq "_stats counts every chat call" "$(req GET /_stats)/$(jqb .requests)/$(jqb .hanging)" 200/4/0
eq "unknown path: 404" "$(req GET /nope)" 404
eq "wrong method: 405" "$(req GET /v1/chat/completions)" 405
eq "control: bad mode 400" "$(req POST /_control '{"mode":"sideways"}')" 400
eq "control: unknown field 400" "$(req POST /_control '{"delay":5}')" 400
eq "control: not JSON 400" "$(req POST /_control 'mode=ok')" 400
eq "body over 1 MiB: 413" "$(head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/big" &&
	curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big" "$BASE/v1/chat/completions")" 413

# ---- error ----
eq "control: 204" "$(req POST /_control '{"mode":"error","status":429,"retry_after":1}')" 204
eq "error: status" "$(req POST /v1/chat/completions "$CHAT")" 429
eq "error: Retry-After" "$(header Retry-After)" 1
eq "error: body" "$(jq -c . "$T/body")" '{"error":{"message":"fake failure","type":"server_error","code":null}}'
control '{"mode":"error","status":503}'
eq "error 503 without Retry-After" "$(req POST /v1/chat/completions "$CHAT")/$(header Retry-After)" 503/

# ---- garbage ----
control '{"mode":"garbage"}'
eq "garbage: 200" "$(req POST /v1/chat/completions "$CHAT")" 200
eq "garbage: body" "$(cat "$T/body")" 'this is not json {'
eq "garbage: content type" "$(header Content-Type)" application/json

# ---- json_object requests ----
JCHAT='{"model":"annot","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"x"}]}'
control '{}'
eq "json_object: default json_content" "$(req POST /v1/chat/completions "$JCHAT")/$(jqb '.choices[0].message.content')" \
	'200/{"emotional_distress":[],"cultural_signals":[]}'
control '{"content":"plain","json_content":"{\"a\":1}","json_mode":"garbage"}'
eq "json_mode garbage: plain call still ok" "$(req POST /v1/chat/completions "$CHAT")/$(jqb '.choices[0].message.content')" 200/plain
eq "json_mode garbage: json call garbled" "$(req POST /v1/chat/completions "$JCHAT")/$(cat "$T/body")" '200/this is not json {'
control '{"json_content":"{\"a\":1}"}'
eq "json_object: custom json_content" "$(req POST /v1/chat/completions "$JCHAT")/$(jqb '.choices[0].message.content')" '200/{"a":1}'

# ---- delay ----
control '{"delay_ms":300}'
t=$(curl -s -o "$T/body" -w '%{http_code} %{time_total}' -d "$CHAT" "$BASE/v1/chat/completions")
eq "delay: 200" "${t% *}" 200
ok "delay: took >= 300 ms (${t#* } s)" awk -v t="${t#* }" 'BEGIN { exit !(t >= 0.3) }'
control '{"mode":"error","delay_ms":300}'
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -d "$CHAT" "$BASE/v1/chat/completions")
ok "delayed error: 500 after >= 300 ms ($t)" awk -v c="${t% *}" -v t="${t#* }" 'BEGIN { exit !(c == 500 && t >= 0.3) }'

# ---- fail_first ----
control '{"fail_first":2,"status":503}'
codes=
for _ in 1 2 3 4; do codes="$codes $(req POST /v1/chat/completions "$CHAT")"; done
eq "fail_first 2: two errors then ok" "$codes" " 503 503 200 200"

# ---- hang ----
control '{"mode":"hang"}'
curl -s -o /dev/null -m 1 -d "$CHAT" "$BASE/v1/chat/completions" &
cpid=$!
sleep 0.5
eq "hang: counted while held" "$(req GET /_stats >/dev/null; jqb .hanging)" 1
wait "$cpid"
eq "hang: client times out (curl 28)" $? 28
h=1
for _ in $(seq 20); do
	req GET /_stats >/dev/null
	h=$(jqb .hanging)
	[ "$h" = 0 ] && break
	sleep 0.1
done
eq "hang: released within 2 s of the client leaving" "$h" 0
control '{"json_mode":"hang"}'
curl -s -o /dev/null -m 1 -d "$JCHAT" "$BASE/v1/chat/completions" &
cpid=$!
eq "json_mode hang: plain call answers meanwhile" "$(req POST /v1/chat/completions "$CHAT")" 200
wait "$cpid"
eq "json_mode hang: json call hangs" $? 28

# ---- 2,000 concurrent delayed requests ----
control '{"delay_ms":1000}'
if command -v wrk >/dev/null; then
	cat >"$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer load"
wrk.body = '{"model":"load","messages":[{"role":"user","content":"are you there?"}]}'
LUA
	max=$(threads)
	wrk -t2 -c2000 -d3s --timeout 5s --latency -s "$T/post.lua" "$BASE/v1/chat/completions" >"$T/wrk" 2>&1 &
	wpid=$!
	maxopen=0
	while kill -0 "$wpid" 2>/dev/null; do
		n=$(threads)
		[ "$n" -gt "$max" ] && max=$n
		o=$(curl -s -m 2 "$BASE/_stats" | jq -r .open_connections)
		[ "${o:-0}" -gt "$maxopen" ] 2>/dev/null && maxopen=$o
		sleep 0.2
	done
	wait "$wpid"
	eq "wrk: exit status" $? 0
	sed 's/^/# /' "$T/wrk"
	done_n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$T/wrk")
	echo "# threads: idle $IDLE, max under load $max; open connections max $maxopen"
	ok "wrk: at least 2,000 answered (${done_n:-none})" test "${done_n:-0}" -ge 2000
	ok "wrk: no non-2xx answers" bash -c "! grep -q 'Non-2xx' '$T/wrk'"
	ok "wrk: no socket errors" bash -c "! grep -q 'Socket errors' '$T/wrk'"
	ok "wrk: 2,000 connections held at once (max $maxopen)" test "$maxopen" -ge 2000
	eq "threads under load unchanged" "$max" "$IDLE"
	o=
	for _ in $(seq 30); do
		o=$(curl -s "$BASE/_stats" | jq -r .open_connections)
		[ "${o:-2}" -le 1 ] 2>/dev/null && break
		sleep 0.1
	done
	eq "connections all closed afterwards (only this one)" "$o" 1
else
	echo "# wrk is not installed: 300 concurrent requests with curl instead"
	urls=()
	for _ in $(seq 300); do urls+=(-o /dev/null -w '%{http_code}\n' -d "$CHAT" "$BASE/v1/chat/completions"); done
	curl -s --parallel --parallel-immediate --parallel-max 300 "${urls[@]}" >"$T/codes"
	eq "300 concurrent delayed requests all 200" "$(sort -u "$T/codes")/$(wc -l <"$T/codes")" 200/300
	eq "threads unchanged" "$(threads)" "$IDLE"
fi

# ---- shutdown with suspended connections ----
control '{"mode":"hang"}'
cpids=()
for _ in 1 2 3; do
	curl -s -o /dev/null -m 10 -d "$CHAT" "$BASE/v1/chat/completions" &
	cpids+=($!)
done
sleep 0.3
control '{"delay_ms":5000}'
for _ in 1 2 3; do
	curl -s -o /dev/null -m 10 -d "$CHAT" "$BASE/v1/chat/completions" &
	cpids+=($!)
done
sleep 0.3
eq "before SIGTERM: 3 hanging" "$(curl -s "$BASE/_stats" | jq -r .hanging)" 3
start=$(date +%s%N)
kill -TERM "$PID"
wait "$PID"
eq "SIGTERM: exit 0" $? 0
PID=
ok "SIGTERM: quick exit" test $((($(date +%s%N) - start) / 1000000)) -lt 2000
closed=0
for p in "${cpids[@]}"; do
	wait "$p"
	[ $? = 52 ] && closed=$((closed + 1))	# empty reply: connection closed
done
eq "suspended clients were disconnected" "$closed" 6
eq "nothing on stderr" "$(cat "$T/err")" ""

finish
