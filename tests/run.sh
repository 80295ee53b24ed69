#!/usr/bin/env bash
# Runs every test: installs what is missing, builds with warnings as errors,
# runs all suites; then again under AddressSanitizer and UBSan; the unit
# tests and the API suite under valgrind; lints the OpenAPI contract; builds
# the container image and runs the stack under podman (tests/container.sh).
# Ends with one line "N passed, N failed, N skipped": skipped counts the
# suites meson skipped (exit 77), this script's SKIP steps, and the checks a
# suite could not run here (its "SKIP - " lines), each listed before it.
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
skipped=0
skips=$(mktemp)
# skipped_checks WHERE FILE: counts and lists the "SKIP - " lines of a
# suite's output (checks it could not run here).
skipped_checks() {
  local n
  n=$(grep -c '^SKIP - ' "$2" 2>/dev/null || true)
  skipped=$((skipped + ${n:-0}))
  grep '^SKIP - ' "$2" 2>/dev/null | sed "s|^SKIP - |SKIP - $1: |" >>"$skips" || true
}
count_meson() { # adds meson test's summary of the log in $1; $2: the build folder
  local ok fail to sk
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0} + ${to:-0}))
  skipped=$((skipped + ${sk:-0}))
  grep -E '^ *[0-9]+/[0-9]+ .* SKIP ' "$1" | sed "s|^ *[0-9]*/[0-9]* *|SKIP - $2: suite |" >>"$skips" || true
  if [ -z "$ok" ]; then failed=$((failed + 1)); fi
  # the checks skipped inside suites that passed: their output is in the
  # full log only
  skipped_checks "$2" "$2/meson-logs/testlog.txt"
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
trap 'rm -f "$log" "$skips"' EXIT
skip_step() { # REASON: a step this machine cannot run
  echo "SKIP - $1"
  echo "SKIP - $1" >>"$skips"
  skipped=$((skipped + 1))
}

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
  meson setup build-test -Dwerror=true >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
if ninja -C build-test >/dev/null; then
  meson test -C build-test --print-errorlogs 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):'
  count_meson "$log" build-test
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
  count_meson "$log" build-asan
else
  echo "FAIL - sanitizer build"
  failed=$((failed + 1))
fi

echo "== valgrind: unit tests, the fuzz corpora and the API suite"
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
for t in build-test/tests/unit/test_*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  step "valgrind $(basename "$t")" "${vg[@]}" "$t" >/dev/null
done
for t in build-test/tests/fuzz/replay_*; do # the fuzz corpora, replayed
  [ -f "$t" ] && [ -x "$t" ] || continue
  step "valgrind $(basename "$t")" "${vg[@]}" "$t" "tests/fuzz/corpus/${t##*/replay_}" >/dev/null
done
step "valgrind http-api (the server under valgrind)" env CC_WRAPPER="${vg[*]}" \
  CULTURECARE="$root/build-test/culturecare" SOURCE_ROOT="$root" bash tests/http_api.sh >"$log" 2>&1 \
  || tail -n 30 "$log"
skipped_checks "valgrind http-api" "$log"

echo "== OpenAPI lint"
if command -v npm >/dev/null; then
  if [ -x "$nodedeps/node_modules/.bin/redocly" ]; then
    step "redocly lint openapi/openapi.yaml" "$nodedeps/node_modules/.bin/redocly" lint --format stylish openapi/openapi.yaml >"$log" 2>&1 \
      || cat "$log"
  else
    skip_step "OpenAPI lint: @redocly/cli could not be installed from npm"
  fi
else
  skip_step "OpenAPI lint: node/npx not installed"
fi

echo "== containers: the image, the stack through nginx, compose and Kubernetes files"
if FAKE_LLM="$root/build-test/tests/fake_llm" bash tests/container.sh >"$log" 2>&1; then rc=0; else rc=$?; fi
grep '^# ' "$log"
if [ "$rc" = 77 ]; then
  skip_step "tests/container.sh: $(sed -n 's/^SKIP: //p' "$log" | head -n 1)"
else
  step "tests/container.sh ($(tail -n 1 "$log"))" test "$rc" = 0 || grep -v '^ok - ' "$log" | tail -n 40
fi

if [ -s "$skips" ]; then
  echo "== skipped"
  cat "$skips"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
