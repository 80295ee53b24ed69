#!/usr/bin/env bash
# Self-test of tests/fake_llm.c, the fake OpenAI-compatible chat backend the
# HTTP suites run against: answer shapes, recording, every scripted mode,
# delays, fail_first, hanging clients, streaming (pieces, timing, stalls,
# breaks, clients leaving, slow readers, 500 concurrent streams), 2,000
# concurrent delayed requests on a fixed number of threads (wrk), and a clean
# exit on SIGTERM.
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
# Under valgrind (FAKE_LLM a wrapper exec'ing it) memory and speed checks
# are only reported: freed blocks are held back, everything runs ~20x slower.
VALGRIND=
tr '\0' ' ' <"/proc/$PID/cmdline" | grep -q valgrind && VALGRIND=1
# AddressSanitizer holds freed memory back too (its quarantine).
grep -q libasan "/proc/$PID/maps" 2>/dev/null && VALGRIND=1
# fast DESCRIPTION COMMAND...: ok, unless under valgrind (then just reported).
fast() {
	if [ -n "$VALGRIND" ]; then
		"${@:2}" && echo "# (valgrind) would pass - $1" || echo "# (valgrind) not checked - $1"
	else
		ok "$@"
	fi
}

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
eq "body over 4 MiB: 413" "$(head -c 4300000 /dev/zero | tr '\0' ' ' >"$T/big" &&
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

# ---- streaming ----
SCHAT='{"model":"gpt-test","stream":true,"messages":[{"role":"system","content":"0123456789abcdef"},{"role":"user","content":"hello world!"}]}'
# stream BODY [CURL ARGS...]: prints "HTTP_CODE CURL_EXIT"; the events are
# left in $T/sse, the headers in $T/headers.
stream() {
	local body=$1
	shift
	curl -sN -o "$T/sse" -D "$T/headers" -w '%{http_code} ' --data-binary "$body" "$@" \
		"$BASE/v1/chat/completions"
	echo $?
}
events() { sed -n 's/^data: //p' "$T/sse"; }
chunks() { events | grep -v '^\[DONE\]$'; }
joined() { chunks | jq -j '.choices[0].delta.content // empty'; }
stat_of() { curl -s -m 5 "$BASE/_stats" | jq -r ".$1"; }
last_req() { curl -s -m 5 "$BASE/_requests" | jq -c ".[-1] | $1"; }
now_ms() { date +%s%3N; }
# wait_stat KEY VALUE: waits up to 3 s for /_stats KEY to be VALUE; prints it.
wait_stat() {
	local v=
	for _ in $(seq 30); do
		v=$(stat_of "$1")
		[ "$v" = "$2" ] && break
		sleep 0.1
	done
	echo "$v"
}
# ms_between LOW X HIGH: LOW <= X <= HIGH (numbers with fractions).
ms_between() { awk -v l="$1" -v x="$2" -v h="$3" 'BEGIN { exit !(x != "" && x != "null" && l <= x && x <= h) }'; }

control '{}'
eq "stream: 200, transfer complete" "$(stream "$SCHAT")" "200 0"
eq "stream: content type" "$(header Content-Type)" text/event-stream
eq "stream: pieces joined give the content" "$(joined)" "This is a fake reply."
eq "stream: one chunk per piece, split after each space" \
	"$(chunks | jq -c '.choices[0].delta.content // empty' | jq -sc .)" '["This ","is ","a ","fake ","reply."]'
eq "stream: role chunk first" \
	"$(events | head -1 | jq -c '[.object, .model, .choices[0].index, .choices[0].delta, .choices[0].finish_reason]')" \
	'["chat.completion.chunk","gpt-test",0,{"role":"assistant"},null]'
eq "stream: content chunks not finished" "$(chunks | sed '1d;$d' | jq -r '.choices[0].finish_reason' | sort -u)" null
eq "stream: final chunk, no usage unasked" \
	"$(chunks | tail -1 | jq -c '[.choices[0].delta, .choices[0].finish_reason, has("usage")]')" '[{},"stop",false]'
eq "stream: [DONE] last" "$(events | tail -1)" "[DONE]"
eq "stream: 8 events" "$(events | wc -l)" 8
ok "stream: every event ends with a blank line" awk \
	'NR % 2 == 1 && !/^data: / { bad = 1 } NR % 2 == 0 && $0 != "" { bad = 1 } END { exit bad || NR % 2 }' "$T/sse"
eq "stream: one id, created, object for all chunks" \
	"$(chunks | jq -c '[.id, .created, .object]' | sort -u | wc -l)" 1
ok "stream: id chatcmpl-fake-N" grep -q '"id":"chatcmpl-fake-[0-9]*"' "$T/sse"
eq "stream: recorded as a stream, done, not closed early" \
	"$(last_req '[._stream, (._first_piece_ms | type), (._done_ms | type), ._client_closed_ms]')" \
	'[true,"number","number",null]'
eq "stream: include_usage gives usage" \
	"$(stream "${SCHAT%\}},\"stream_options\":{\"include_usage\":true}}")/$(chunks | tail -1 | jq -c '[.choices[0].finish_reason, .usage]')" \
	'200 0/["stop",{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12}]'
eq "stream: usage only in the final chunk" "$(chunks | jq -c 'has("usage")' | tr '\n' ' ')" \
	'false false false false false false true '
eq "not streamed: normal call recorded with nulls" "$(req POST /v1/chat/completions "$CHAT")/$(header Content-Type)/$(last_req \
	'[._stream, ._first_piece_ms, ._done_ms, ._client_closed_ms]')" '200/application/json/[false,null,null,null]'
eq "stream false: not streamed" "$(req POST /v1/chat/completions '{"stream":false}')/$(header Content-Type)" 200/application/json
eq "stream \"yes\": not streamed" "$(req POST /v1/chat/completions '{"stream":"yes"}')/$(header Content-Type)" 200/application/json
eq "stream null options ignored" "$(stream '{"stream":true,"stream_options":null}')/$(joined)" "200 0/This is a fake reply."
eq "stream_options not an object ignored" "$(stream '{"stream":true,"stream_options":[1]}')/$(chunks | tail -1 | jq 'has("usage")')" "200 0/false"

control '{"content":"plain","pieces":["Hel","lo, ","wör","ld"," "]}'
eq "pieces: streamed as given" "$(stream '{"stream":true}')/$(chunks | jq -c '.choices[0].delta.content // empty' | jq -sc .)" \
	'200 0/["Hel","lo, ","wör","ld"," "]'
eq "pieces: model defaults" "$(events | head -1 | jq -r .model)" fake-model
eq "pieces: not streamed, the content is the pieces joined" \
	"$(req POST /v1/chat/completions '{}')/$(jqb '.choices[0].message.content')" "200/Hello, wörld "
control '{"pieces":[]}'
eq "pieces []: role, final, [DONE]" "$(stream '{"stream":true}')/$(events | wc -l)/$(joined)" "200 0/3/"
control '{"content":""}'
eq "empty content: no content chunk" "$(stream '{"stream":true}')/$(events | wc -l)" "200 0/3"
control '{"content":"a  b "}'
eq "double and trailing spaces kept" "$(stream '{"stream":true}')/$(chunks | jq -c '.choices[0].delta.content // empty' | jq -sc .)" \
	'200 0/["a "," ","b "]'

JSCHAT='{"model":"annot","stream":true,"response_format":{"type":"json_object"},"messages":[{"role":"user","content":"x"}]}'
control '{"pieces":["p"],"json_content":"{\"a\": 1, \"b\": 2}"}'
eq "json_object without stream: not streamed" "$(req POST /v1/chat/completions "$JCHAT")/$(header Content-Type)/$(jqb '.choices[0].message.content')" \
	'200/application/json/{"a": 1, "b": 2}'
eq "json_object with stream: json_content streamed" "$(stream "$JSCHAT")/$(joined)/$(chunks | wc -l)" \
	'200 0/{"a": 1, "b": 2}/6'
control '{"mode":"error","status":503}'
eq "error mode: stream request gets the JSON error" "$(req POST /v1/chat/completions "$SCHAT")/$(header Content-Type)/$(last_req ._stream)" \
	503/application/json/false
control '{"mode":"garbage"}'
eq "garbage mode: stream request gets garbage" "$(req POST /v1/chat/completions "$SCHAT")/$(cat "$T/body")" '200/this is not json {'

eq "control: pieces not an array 400" "$(req POST /_control '{"pieces":"a b"}')" 400
eq "control: pieces with a number 400" "$(req POST /_control '{"pieces":["a",1]}')" 400
eq "control: piece_interval_ms string 400" "$(req POST /_control '{"piece_interval_ms":"5"}')" 400
eq "control: piece_interval_ms negative 400" "$(req POST /_control '{"piece_interval_ms":-5}')" 400
eq "control: stall_after negative 400" "$(req POST /_control '{"stall_after":-1}')" 400
eq "control: break_after fraction 400" "$(req POST /_control '{"break_after":1.5}')" 400
eq "control: nulls accepted" "$(req POST /_control '{"pieces":null,"stall_after":null,"break_after":null}')" 204

# ---- stream timing ----
control '{"piece_interval_ms":50,"content":"a b c d e"}'
t=$(curl -sN -o "$T/sse" -w '%{http_code} %{time_total}' -d '{"stream":true}' "$BASE/v1/chat/completions")
eq "piece_interval_ms 50: 5 pieces" "${t% *}/$(chunks | jq -c '.choices[0].delta.content // empty' | jq -sc .)" \
	'200/["a ","b ","c ","d ","e"]'
ok "piece_interval_ms 50: took >= 200 ms (${t#* } s)" awk -v t="${t#* }" 'BEGIN { exit !(t >= 0.2) }'
control '{"piece_interval_ms":300,"pieces":["x","y"]}'
t0=$(now_ms)
stream '{"stream":true}' >/dev/null
t1=$(now_ms)
fp=$(last_req ._first_piece_ms)
dm=$(last_req ._done_ms)
ok "_first_piece_ms: 300 ms after the start ($((${fp%.*} - t0)) ms)" ms_between $((t0 + 300)) "$fp" "$t1"
ok "_done_ms: 300 ms after the first piece, before the end" ms_between "$(awk -v f="$fp" 'BEGIN { printf "%.3f", f + 300 }')" "$dm" "$t1"
ok "_first_piece_ms has fractions" grep -q '"_first_piece_ms":[0-9]*\.[0-9]' <(curl -s "$BASE/_requests")
control '{"delay_ms":300,"piece_interval_ms":0}'
t=$(curl -sN -o "$T/sse" -w '%{http_code} %{time_total}' -d '{"stream":true}' "$BASE/v1/chat/completions")
ok "delay_ms 300: stream after >= 300 ms ($t)" awk -v c="${t% *}" -v t="${t#* }" 'BEGIN { exit !(c == 200 && t >= 0.3) }'
eq "delay_ms 300: whole stream" "$(joined)/$(events | tail -1)" "This is a fake reply./[DONE]"

# ---- stalls, breaks, clients leaving ----
cce=$(stat_of client_closed_early)
control '{"stall_after":2}'
t0=$(now_ms)
stream '{"stream":true}' -m 1 >"$T/rc" &
cpid=$!
sleep 0.5
eq "stall: stream open while stalled" "$(stat_of streams_open)" 1
wait "$cpid"
eq "stall: client times out (curl 28)" "$(cat "$T/rc")" "200 28"
eq "stall: two pieces, then nothing" "$(joined)/$(grep -c DONE "$T/sse")" "This is /0"
eq "stall: streams_open back to 0" "$(wait_stat streams_open 0)" 0
eq "stall: client_closed_early counted" "$(wait_stat client_closed_early $((cce + 1)))" $((cce + 1))
t1=$(now_ms)
ok "stall: _client_closed_ms when the client left" ms_between $((t0 + 1000)) "$(last_req ._client_closed_ms)" "$t1"
eq "stall: not done, first piece stamped" "$(last_req '[._done_ms, (._first_piece_ms | type)]')" '[null,"number"]'

control '{"piece_interval_ms":5000}'
t0=$(now_ms)
eq "between pieces: client times out" "$(stream '{"stream":true}' -m 1)" "200 28"
eq "between pieces: closed early counted" "$(wait_stat client_closed_early $((cce + 2)))/$(wait_stat streams_open 0)" $((cce + 2))/0
ok "between pieces: noticed when the client left, not at the next piece" \
	ms_between $((t0 + 1000)) "$(last_req ._client_closed_ms)" $((t0 + 3000))
eq "between pieces: no piece handed over" "$(last_req '[._first_piece_ms, ._done_ms]')" '[null,null]'
control '{"delay_ms":5000}'
eq "during delay_ms: client times out" "$(stream '{"stream":true}' -m 0.5)" "000 28"
eq "during delay_ms: closed early counted" "$(wait_stat client_closed_early $((cce + 3)))/$(wait_stat streams_open 0)" $((cce + 3))/0

control '{"break_after":2,"piece_interval_ms":20}'
eq "break_after 2: transfer cut (curl 18)" "$(stream '{"stream":true}')" "200 18"
eq "break_after 2: role and two pieces, no final chunk, no [DONE]" \
	"$(joined)/$(events | wc -l)/$(grep -c '"stop"' "$T/sse")/$(grep -c DONE "$T/sse")" "This is /3/0/0"
eq "break_after 2: not counted as the client's doing" \
	"$(wait_stat streams_open 0)/$(stat_of client_closed_early)/$(last_req '[._done_ms, ._client_closed_ms]')" \
	"0/$((cce + 3))/[null,null]"
control '{"break_after":0}'
eq "break_after 0: role chunk only" "$(stream '{"stream":true}')/$(events | wc -l)" "200 18/1"
control '{"break_after":5}'
eq "break_after = pieces: every piece, no final chunk" "$(stream '{"stream":true}')/$(joined)/$(grep -c DONE "$T/sse")" \
	"200 18/This is a fake reply./0"
control '{"body_bytes":1000000}'
eq "body_bytes: a completion whose content is the bytes asked for (rounded up to 16 KiB)" \
	"$(req POST /v1/chat/completions '{"model":"m"}') $(jqb '.choices[0].message.content | length')" "200 1015808"
eq "body_bytes, streamed: the pieces add up, then the final chunk and [DONE]" \
	"$(stream '{"stream":true}') $(chunks | jq -rs '[.[].choices[0].delta.content // ""] | add | length') $(chunks | tail -1 | jq -r '.choices[0].finish_reason') $(events | tail -1)" \
	"200 0 1015808 stop [DONE]"
control '{"cut_body_at":30}'
eq "cut_body_at 30: the transfer is cut there (curl 18)" \
	"$(curl -s -o "$T/cut" -w '%{http_code}' -d '{"model":"m"}' "$BASE/v1/chat/completions"; echo " $?") $(wc -c <"$T/cut")" "200 18 30"
eq "control: body_bytes negative 400" "$(req POST /_control '{"body_bytes":-1}')" 400
control '{"stall_after":6,"break_after":9}'
eq "stall_after, break_after beyond the pieces: a whole stream" "$(stream '{"stream":true}')/$(joined)/$(events | tail -1)" \
	"200 0/This is a fake reply./[DONE]"

# ---- large pieces and slow readers ----
{ printf '{"pieces":["'; head -c 300000 /dev/zero | tr '\0' x; printf '"," end"]}'; } >"$T/big"
eq "control: a 300 KB piece" "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big" "$BASE/_control")" 204
eq "300 KB piece, slow reader (1 MB/s): intact" \
	"$(stream '{"stream":true}' --limit-rate 1M)/$(joined | wc -c)/$(joined | tail -c 4)/$(events | tail -1)" \
	"200 0/300004/ end/[DONE]"
# 60,000 one-byte pieces: ~10 MB of events, far more than the socket buffers.
# A client that does not read must hold the stream back (MHD asks the reader
# for more only when it can send), without the fake buffering it.
printf '{"pieces":[' >"$T/many"
printf '"x",%.0s' $(seq 59999) >>"$T/many"
printf '"x"]}' >>"$T/many"
eq "control: 60,000 pieces" "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/many" "$BASE/_control")" 204
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"; }
rss0=$(rss)
body='{"stream":true}'
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	${#body} "$body" >&3
sleep 1
rss1=$(rss)
echo "# RSS before $rss0 kB, with the unread stream $rss1 kB"
eq "unread stream: still open, not done" "$(stat_of streams_open)/$(last_req ._done_ms)" "1/null"
fast "unread stream: the fake holds < 4 MB for it ($((rss1 - rss0)) kB)" test $((rss1 - rss0)) -lt 4096
timeout 30 cat <&3 >"$T/raw"
exec 3<&-
eq "unread stream, then read: every piece and [DONE]" \
	"$(grep -c '"delta":{"content":"x"}' "$T/raw")/$(tail -c 14 "$T/raw" | tr '\n' '|')" "60000/data: [DONE]||"
eq "unread stream, then read: done" "$(wait_stat streams_open 0)/$(last_req '[(._done_ms | type), ._client_closed_ms]')" \
	'0/["number",null]'

# ---- 500 concurrent streams ----
# 2 s per stream (20 pieces, 100 ms apart): long enough for both curls to
# open all of theirs even on a loaded machine
control "{\"piece_interval_ms\":100,\"content\":\"$(seq -s ' ' 20)\"}"
mkdir "$T/streams"
# streams FIRST LAST: one curl running streams FIRST..LAST in parallel
# (curl runs at most 300 transfers at once).
streams() {
	local args=() i
	for i in $(seq "$1" "$2"); do
		[ "$i" -gt "$1" ] && args+=(--next)
		args+=(-sN -o "$T/streams/$i" -w '%{http_code} %{exitcode}\n' -d '{"stream":true}'
		       "$BASE/v1/chat/completions")
	done
	curl -s --parallel --parallel-immediate --parallel-max 300 "${args[@]}"
}
max=$(threads)
maxopen=0
start=$(now_ms)
streams 1 250 >"$T/codes1" 2>/dev/null &
c1=$!
streams 251 500 >"$T/codes2" 2>/dev/null &
c2=$!
while kill -0 "$c1" 2>/dev/null || kill -0 "$c2" 2>/dev/null; do
	n=$(threads)
	[ "$n" -gt "$max" ] && max=$n
	o=$(stat_of streams_open)
	[ "${o:-0}" -gt "$maxopen" ] 2>/dev/null && maxopen=$o
	sleep 0.05
done
wait "$c1" "$c2"
took=$(($(now_ms) - start))
echo "# 500 streams: $took ms; threads: idle $IDLE, max $max; streams open at once, max $maxopen"
eq "500 streams: all 200, transfers complete" "$(cat "$T/codes1" "$T/codes2" | sort | uniq -c | tr -s ' ')" " 500 200 0"
eq "500 streams: each ends with [DONE]" "$(grep -L 'data: \[DONE\]' "$T"/streams/* | wc -l)" 0
eq "500 streams: 20 pieces each" "$(cat "$T"/streams/* | grep -c '"delta":{"content"')" 10000
eq "500 streams: one sample joined" "$(cp "$T/streams/250" "$T/sse"; joined)" "$(seq -s ' ' 20)"
fast "500 streams: (nearly) all open at once (max $maxopen)" test "$maxopen" -ge 450
ok "500 streams: concurrent, not one after the other ($took ms)" test "$took" -lt 10000
eq "500 streams: threads unchanged" "$max" "$IDLE"
eq "500 streams: none left open" "$(wait_stat streams_open 0)" 0

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
	# connect, read and write errors are failures; timeouts (an answer later
	# than 5 s) measure the machine's speed, so they count only where timing does
	ok "wrk: no connect, read or write errors" bash -c "! grep -Eq 'Socket errors: connect ([1-9]|0, read [1-9]|0, read 0, write [1-9])' '$T/wrk'"
	fast "wrk: no timeouts" bash -c "! grep -Eq 'Socket errors: .*timeout [1-9]' '$T/wrk'"
	fast "wrk: 2,000 connections held at once (max $maxopen)" test "$maxopen" -ge 2000
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
spids=()
for script in '{"stall_after":1}' '{"piece_interval_ms":5000}' '{"delay_ms":5000}'; do
	control "$script"
	curl -s -o /dev/null -m 10 -d '{"stream":true}' "$BASE/v1/chat/completions" &
	spids+=($!)
	sleep 0.2
done
eq "before SIGTERM: 3 hanging, 3 streams" "$(curl -s "$BASE/_stats" | jq -r '"\(.hanging) \(.streams_open)"')" "3 3"
start=$(date +%s%N)
kill -TERM "$PID"
wait "$PID"
eq "SIGTERM: exit 0" $? 0
PID=
ok "SIGTERM: quick exit (not waiting for the 5 s answers)" test $((($(date +%s%N) - start) / 1000000)) -lt 4000
closed=0
for p in "${cpids[@]}"; do
	wait "$p"
	[ $? = 52 ] && closed=$((closed + 1))	# empty reply: connection closed
done
eq "suspended clients were disconnected" "$closed" 6
codes=
for p in "${spids[@]}"; do
	wait "$p"
	codes="$codes $?"
done
# curl 18: the stream was cut; 52: the delayed one had sent nothing yet.
eq "suspended streams were disconnected" "$codes" " 18 18 52"
eq "nothing on stderr" "$(cat "$T/err")" ""

finish
