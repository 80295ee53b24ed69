#!/usr/bin/env bash
# The web page (GET /, server/ui/) in a real browser: Debian's chromium
# driven by puppeteer-core (tests/ui_browser.mjs), against the real service
# with a real PostgreSQL and the fake backend, with AUTH off and on; the
# Rate tab's round trip on an item made by POST /candidates (messages
# stored, a key with the support and annotate scopes). Skipped
# (77) when chromium or puppeteer-core is missing; tests/run.sh installs
# both (deploy/deps.sh, the node cache ~/.cache/culturecare-node). The
# screenshots go to UI_ARTIFACTS (default: a new folder under /tmp, named
# at the end).
. "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NODE_DEPS=${UI_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/culturecare-node}
[ -x "$CHROMIUM" ] || skip "chromium is not installed ($CHROMIUM; apt-get install chromium)"
command -v node >/dev/null || skip "node is not installed"
[ -d "$NODE_DEPS/node_modules/puppeteer-core" ] || skip "puppeteer-core is not in $NODE_DEPS (npm install puppeteer-core there)"
ART=${UI_ARTIFACTS:-$(mktemp -d "${TMPDIR:-/tmp}/culturecare-ui.XXXXXX")}

pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
export LLM_RETRIES=0

browser() { # AUTH KEY: the browser checks, counted as this suite's checks
  local out rc=0
  out=$(node "$SOURCE_ROOT/tests/ui_browser.mjs" --base "$BASE" --fake "$FAKE" --deps "$NODE_DEPS" \
    --chromium "$CHROMIUM" --out "$ART/auth-$1" ${2:+--key "$2"} 2>&1) || rc=$?
  sed "s/^\(ok\|FAIL\) - /\1 - AUTH=$1: /" <<<"$out"
  CHECKS=$((CHECKS + $(grep -c '^\(ok\|FAIL\) - ' <<<"$out" || true)))
  FAILED=$((FAILED + $(grep -c '^FAIL - ' <<<"$out" || true)))
  if [ "$rc" != 0 ] && ! grep -q '^FAIL - ' <<<"$out"; then
    CHECKS=$((CHECKS + 1)); FAILED=$((FAILED + 1)); echo "FAIL - AUTH=$1: the browser run failed (exit $rc)"
  fi
}

# item KEY: one stored item to rate (POST /candidates: two candidates of
# different strategies, so that the page posts a ranking too).
item() {
  fake_script '{"content": "Moving far from family is hard; many who moved feel this. Could you call one of them tonight?"}'
  req POST /candidates -H 'Content-Type: application/json' ${1:+-H "Authorization: Bearer $1"} \
    --data-binary '{"message": "Since I moved to a new city I feel so alone and far from my family.", "culture": "jewish", "strategies": ["redditor", "guided_annotation"]}'
  eq "AUTH=$2: an item to rate (POST /candidates, STORE_MESSAGES=on)" "$STATUS $(jb '.candidates | length')" "201 2"
}

# The Rate tab needs stored items (STORE_MESSAGES=on) and, with AUTH=on, a
# key with the annotate scope (the Try tab's routes need support).
AUTH=off STORE_MESSAGES=on serve_up
item "" off
browser off
serve_stop

KEY=$(cc keys create --scope support,annotate --name ui-test 2>/dev/null)
AUTH=on STORE_MESSAGES=on serve_up
item "$KEY" on
browser on "$KEY"
serve_stop

marker="I took all my pills an hour ago"
ok "no message text in the service's logs" bash -c '! grep -q "$1" "$2"' _ "$marker" "$SERVER_LOG"
echo "# screenshots in $ART"
finish
