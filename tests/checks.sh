# Check helpers shared by the shell suites: each check prints "ok - ..." or
# "FAIL - ..."; a check that cannot run here prints "SKIP - ..." (skip_check);
# finish prints "N checks, M failed, K skipped" and fails if any failed.
CHECKS=0
FAILED=0
SKIPPED=0

# ok DESCRIPTION COMMAND...: one check; passes when COMMAND succeeds.
ok() {
  local what=$1
  shift
  CHECKS=$((CHECKS + 1))
  if "$@"; then
    echo "ok - $what"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL - $what"
  fi
}

# eq DESCRIPTION ACTUAL EXPECTED
eq() {
  CHECKS=$((CHECKS + 1))
  if [ "$2" == "$3" ]; then
    echo "ok - $1"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL - $1: got [$2], expected [$3]"
  fi
}

# contains DESCRIPTION HAYSTACK NEEDLE
contains() {
  CHECKS=$((CHECKS + 1))
  if [[ "$2" == *"$3"* ]]; then
    echo "ok - $1"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL - $1: [$3] not in [${2:0:400}]"
  fi
}

# skip_check DESCRIPTION REASON: a check this machine cannot run, counted
# and said, never passed silently (tests/run.sh adds these up).
skip_check() {
  SKIPPED=$((SKIPPED + 1))
  echo "SKIP - $1: $2"
}

finish() {
  echo "$CHECKS checks, $FAILED failed, $SKIPPED skipped"
  [ "$FAILED" -eq 0 ]
}

skip() {
  echo "SKIP: $*"
  exit 77
}

# jqok ARGS...: jq -e quietly (for ok "..." jqok FILTER FILE-or-<<<"$JSON").
jqok() { jq -e "$@" >/dev/null; }
