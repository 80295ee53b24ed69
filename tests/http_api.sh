#!/usr/bin/env bash
# Every endpoint and error of the service, through the real binary on
# loopback with a real PostgreSQL.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
serve_up

uuid_re='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

req GET /healthz
eq "healthz 200" "$STATUS" 200
eq "healthz body" "$(jb .status)" ok
contains "JSON content type" "$HEADERS" "Content-Type: application/json"
rid=$(sed -n 's/^X-Request-Id: //p' <<<"$HEADERS")
ok "a request id is generated (UUID v4)" grep -Eq "$uuid_re" <<<"$rid"

req GET /healthz -H 'X-Request-Id: trace-abc.123_x'
contains "a valid X-Request-Id is honoured" "$HEADERS" "X-Request-Id: trace-abc.123_x"
req GET /healthz -H 'X-Request-Id: bad id with spaces'
rid=$(sed -n 's/^X-Request-Id: //p' <<<"$HEADERS")
ok "an invalid X-Request-Id is replaced" grep -Eq "$uuid_re" <<<"$rid"

req GET /readyz
eq "readyz 200" "$STATUS" 200
eq "readyz reports the schema version" "$(jb .schema_version)" "$(ls "$SOURCE_ROOT"/migrations/*.sql | wc -l)"

req GET /cultures
eq "cultures 200" "$STATUS" 200
eq "cultures lists the imported ones" "$(jb '[.cultures[].code]|join(",")')" "arabic,chinese,german,jewish"
eq "display names from the data" "$(jb '.cultures[]|select(.code=="jewish").display_name')" Jewish
eq "chinese counts" "$(jb '.cultures[]|select(.code=="chinese").counts|[.posts,.distress_phrases,.post_signals,.response_signals,.support_phrases]|join(",")')" \
  "$(psql "$DATABASE_URL" -Atc "SELECT count(DISTINCT p.id) || ',' ||
     (SELECT count(*) FROM distress_phrases d JOIN posts x ON x.id=d.post_id WHERE x.culture='chinese') || ',' ||
     (SELECT count(*) FROM cultural_signals s JOIN posts x ON x.id=s.post_id WHERE x.culture='chinese' AND side='post') || ',' ||
     (SELECT count(*) FROM cultural_signals s JOIN posts x ON x.id=s.post_id WHERE x.culture='chinese' AND side='response') || ',' ||
     (SELECT count(*) FROM support_phrases s JOIN posts x ON x.id=s.post_id WHERE x.culture='chinese')
     FROM posts p WHERE p.culture='chinese'")"
eq "strategy counts add up (null strategies excluded)" \
  "$(jb '[.cultures[]|select(.code=="arabic").strategies[].count]|add')" \
  "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM support_phrases s JOIN posts p ON p.id=s.post_id WHERE p.culture='arabic' AND strategy IS NOT NULL")"
contains "aliases listed" "$(jb '.cultures[]|select(.code=="chinese").aliases|join(",")')" china

req GET "/cultures/chinese/signals?q=my%20WeChat%20group%20is%20silent"
eq "signals 200" "$STATUS" 200
eq "signals name the culture" "$(jb .culture)" chinese
eq "WeChat is found with its type and side" "$(jb '.signals[]|select(.phrase=="WeChat")|[.type,.side]|join(",")')" "Artifacts,post"
ok "best first" jqok '[.signals[].similarity] as $s | $s == ($s|sort|reverse)' <<<"$BODY"
ok "similarities within 0..1" jqok 'all(.signals[]; .similarity >= 0 and .similarity <= 1)' <<<"$BODY"
ok "the reply does not repeat the text" bash -c '! grep -q silent <<<"$1"' _ "$BODY"
req GET "/cultures/CHINA/signals?q=wechat&limit=1"
eq "aliases resolve, any case" "$(jb .culture)" chinese
eq "limit is applied" "$(jb '.signals|length')" 1
req GET "/cultures/jewish/signals?q=we%20keep%20shabbat"
eq "a single-word signal inside a message is found" "$(jb '.signals[0].phrase')" shabbat
req GET "/cultures/german/signals?q=Abitur"
eq "an exact word is found with similarity 1" "$(jb '.signals[]|select(.phrase=="Abitur").similarity')" 1
req GET "/cultures/german/signals?q=zzzzqqqq"
eq "no match is an empty list, not an error" "$STATUS $(jb '.signals|length')" "200 0"

req GET "/cultures/klingon/signals?q=x"
eq "unknown culture 404" "$STATUS" 404
eq "with code unknown_culture" "$(jb .error.code)" unknown_culture
eq "listing the known codes" "$(jb '.error.details.known|join(",")')" "arabic,chinese,german,jewish"
eq "and the request id" "$(jb .request_id)" "$(sed -n 's/^X-Request-Id: //p' <<<"$HEADERS")"
req GET "/cultures/german/signals"
eq "missing q 422" "$STATUS $(jb .error.code) $(jb .error.details.field)" "422 invalid_field q"
req GET "/cultures/german/signals?q="
eq "empty q 422" "$STATUS" 422
long=$(printf 'a%.0s' $(seq 1 1001))
req GET "/cultures/german/signals?q=$long"
eq "q over 1000 characters 422" "$STATUS $(jb .error.details.field)" "422 q"
zh=$(printf '%%E5%%8E%%8B%.0s' $(seq 1 1000))
req GET "/cultures/chinese/signals?q=$zh"
eq "1000 Chinese characters are 1000, not 3000" "$STATUS" 200
for bad in 0 101 -1 abc 1e2; do
  req GET "/cultures/german/signals?q=x&limit=$bad"
  eq "limit=$bad 422" "$STATUS $(jb .error.details.field)" "422 limit"
done
req GET "/cultures/german/signals?q=%FF%FE"
eq "invalid UTF-8 in q 422" "$STATUS" 422

req GET /nope
eq "unknown route 404" "$STATUS $(jb .error.code)" "404 not_found"
req POST /cultures
eq "wrong method 405" "$STATUS $(jb .error.code)" "405 method_not_allowed"
contains "with Allow" "$HEADERS" "Allow: GET, HEAD"
req DELETE /cultures/german/signals
eq "405 on a parameterised route" "$STATUS" 405
req HEAD /healthz
eq "HEAD on a GET route" "$STATUS" 200
req POST /healthz -H 'Content-Type: application/json' --data-binary @<(head -c 70000 /dev/zero | tr '\0' 'a')
eq "over the body limit 413" "$STATUS $(jb .error.code)" "413 body_too_large"

req GET /openapi.yaml
eq "openapi 200" "$STATUS" 200
contains "as YAML" "$HEADERS" "Content-Type: application/yaml"
ok "the served contract is the file" cmp -s "$T/body" "$SOURCE_ROOT/openapi/openapi.yaml"

# The web page (server/ui/), served without a key under a strict policy.
req GET /
eq "the page 200" "$STATUS" 200
contains "as HTML" "$HEADERS" "Content-Type: text/html; charset=utf-8"
contains "with a strict CSP" "$HEADERS" "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';"
contains "nosniff" "$HEADERS" "X-Content-Type-Options: nosniff"
contains "no referrer" "$HEADERS" "Referrer-Policy: no-referrer"
ok "the page is server/ui/index.html" cmp -s "$T/body" "$SOURCE_ROOT/server/ui/index.html"
for f in app.js:text/javascript style.css:text/css icon.svg:image/svg+xml index.html:text/html; do
  req GET "/ui/${f%%:*}"
  eq "/ui/${f%%:*} 200" "$STATUS" 200
  contains "/ui/${f%%:*} type" "$HEADERS" "Content-Type: ${f#*:}"
  ok "/ui/${f%%:*} is the file" cmp -s "$T/body" "$SOURCE_ROOT/server/ui/${f%%:*}"
done
req GET /ui/meson.build
eq "a file that is not an asset 404" "$STATUS $(jb .error.code)" "404 not_found"
req GET /ui/screenshots
eq "the screenshots are not served" "$STATUS" 404
ok "the page loads nothing from elsewhere" bash -c '! grep -Eq "(src|href)=\"(https?:)?//" "$1"/server/ui/index.html' _ "$SOURCE_ROOT"
ok "no inline script or style in the page" bash -c '! grep -Eq "<script>|<style|[[:space:]]style=|[[:space:]]on[a-z]+=" "$1"/server/ui/index.html' _ "$SOURCE_ROOT"

# The route table and the contract agree.
routes=$(grep -o '{"[A-Z]*", "/[^"]*"' "$SOURCE_ROOT/server/router.c" | sed 's/{"\([A-Z]*\)", "\(.*\)"/\2 \1/' | sort)
spec=$(awk '/^paths:/{p=1;next} /^[a-z]/{p=0} p && /^  \/.*:$/{path=$1; sub(":$","",path)} p && /^    (get|post|put|patch|delete):/{m=$1; sub(":","",m); print path, toupper(m)}' \
  "$SOURCE_ROOT/openapi/openapi.yaml" | sort)
eq "every route is in the contract and every path of the contract is routed" "$routes" "$spec"
# ... and agree on which routes need no API key (scope NULL / security: [])
public=$(grep -o '{"[A-Z]*", "/[^"]*", [a-z_]*, NULL}' "$SOURCE_ROOT/server/router.c" | sed 's/{"\([A-Z]*\)", "\([^"]*\)".*/\2 \1/' | sort)
spec_public=$(awk '/^paths:/{p=1;next} /^[a-z]/{p=0} p && /^  \/.*:$/{path=$1; sub(":$","",path)} p && /^    (get|post|put|patch|delete):/{m=toupper($1); sub(":","",m)} p && /^      security: \[\]/{print path, m}' \
  "$SOURCE_ROOT/openapi/openapi.yaml" | sort)
eq "the routes without a key are those the contract marks public" "$public" "$spec_public"
ok "and they are healthz, readyz, metrics and the web page" test "$(tr '\n' ' ' <<<"$public")" = "/ GET /healthz GET /metrics GET /readyz GET /ui/{file} GET "
codes=$(grep -o '\[ERR_[A-Z_]*\] = {"[a-z_]*"' "$SOURCE_ROOT/server/errors.c" | sed 's/.*{"//;s/"//' | sort | tr '\n' ' ')
for c in $codes; do
  ok "error code $c is in the contract" grep -q -- "- $c\$" "$SOURCE_ROOT/openapi/openapi.yaml"
done

# Texts sent to the service never reach its logs.
marker="PRIVATE-MARKER-$RANDOM$RANDOM"
req GET "/cultures/german/signals?q=$marker"
req GET "/cultures/$marker/signals?q=$marker"
req GET "/$marker"
ok "no request text in the logs" bash -c '! grep -q "$1" "$2"' _ "$marker" "$SERVER_LOG"
ok "log lines are JSON" bash -c 'jq -e . "$1" >/dev/null' _ "$SERVER_LOG"

serve_stop
eq "SIGTERM: exit 0" "$SERVER_RC" 0

# UI=off: no page, no assets; the API is unchanged.
UI=off serve_up
req GET /
eq "UI=off: / 404" "$STATUS $(jb .error.code)" "404 not_found"
req GET /ui/app.js
eq "UI=off: assets 404" "$STATUS" 404
req GET /healthz
eq "UI=off: the API still answers" "$STATUS" 200
serve_stop
finish
