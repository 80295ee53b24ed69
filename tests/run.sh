#!/usr/bin/env bash
# Runs every test: installs what is missing, builds with warnings as errors,
# runs all suites; then again under AddressSanitizer and UBSan; the unit
# tests and the API suite under valgrind; lints the OpenAPI contract; builds
# the container image and runs the stack under podman (tests/container.sh).
# Ends with one line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. deploy/deps.sh
ensure_packages test || exit 1
# The container step's tools, only where they can be installed (else it skips).
if [ "$(id -u)" = 0 ]; then
  ensure_packages container || echo "note: the container test's packages could not be installed"
fi

passed=0
failed=0
count_meson() { # adds meson test's summary of the log in $1
  local ok fail to
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0} + ${to:-0}))
  if [ -z "$ok" ]; then failed=$((failed + 1)); fi
}
exec 3>&1
step() { # NAME COMMAND...: one pass/fail step (its verdict on fd 3)
  local name=$1
  shift
  if "$@"; then
    echo "ok - $name" >&3
    passed=$((passed + 1))
  else
    echo "FAIL - $name" >&3
    failed=$((failed + 1))
    return 1
  fi
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Node tools for the contract: the linter, and Ajv to validate real replies
# against the schemas (the http suite skips those checks without them);
# puppeteer-core drives chromium for the web page's test (tests/http_ui.sh).
nodedeps=${XDG_CACHE_HOME:-$HOME/.cache}/culturecare-node
if command -v npm >/dev/null; then
  if [ ! -d "$nodedeps/node_modules/ajv" ] || [ ! -d "$nodedeps/node_modules/openai" ] || [ ! -x "$nodedeps/node_modules/.bin/redocly" ] || [ ! -d "$nodedeps/node_modules/puppeteer-core" ]; then
    mkdir -p "$nodedeps"
    (cd "$nodedeps" && { [ -f package.json ] || npm init -y >/dev/null 2>&1; } &&
      npm install --silent --no-audit --no-fund @redocly/cli@2 ajv@8 yaml@2 openai@4 puppeteer-core@23 >/dev/null 2>&1) \
      || echo "note: npm could not install the contract tools"
  fi
  [ -d "$nodedeps/node_modules/ajv" ] && export SCHEMA_DEPS=$nodedeps
fi

echo "== build (warnings are errors) and all suites"
if [ ! -f build-test/build.ninja ]; then
  meson setup build-test -Dwerror=true >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
if ninja -C build-test >/dev/null; then
  meson test -C build-test --print-errorlogs 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):'
  count_meson "$log"
else
  echo "FAIL - build"
  failed=$((failed + 1))
fi

echo "== AddressSanitizer + UBSan: all suites"
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true >/dev/null
fi
if ninja -C build-asan >/dev/null; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):'
  count_meson "$log"
else
  echo "FAIL - sanitizer build"
  failed=$((failed + 1))
fi

echo "== valgrind: unit tests and the API suite"
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
for t in build-test/tests/unit/test_*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  step "valgrind $(basename "$t")" "${vg[@]}" "$t" >/dev/null
done
step "valgrind http-api (the server under valgrind)" env CC_WRAPPER="${vg[*]}" \
  CULTURECARE="$root/build-test/culturecare" SOURCE_ROOT="$root" bash tests/http_api.sh >"$log" 2>&1 \
  || tail -n 30 "$log"

echo "== OpenAPI lint"
if command -v npm >/dev/null; then
  if [ -x "$nodedeps/node_modules/.bin/redocly" ]; then
    step "redocly lint openapi/openapi.yaml" "$nodedeps/node_modules/.bin/redocly" lint --format stylish openapi/openapi.yaml >"$log" 2>&1 \
      || cat "$log"
  else
    echo "SKIP - OpenAPI lint: @redocly/cli could not be installed from npm"
  fi
else
  echo "SKIP - OpenAPI lint: node/npx not installed"
fi

echo "== containers: the image, the stack through nginx, compose and Kubernetes files"
if FAKE_LLM="$root/build-test/tests/fake_llm" bash tests/container.sh >"$log" 2>&1; then rc=0; else rc=$?; fi
grep '^# ' "$log"
if [ "$rc" = 77 ]; then
  echo "SKIP - tests/container.sh: $(sed -n 's/^SKIP: //p' "$log" | head -n 1)"
else
  step "tests/container.sh ($(tail -n 1 "$log"))" test "$rc" = 0 || grep -v '^ok - ' "$log" | tail -n 40
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
