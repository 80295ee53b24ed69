#!/usr/bin/env bash
# The delay the reply check adds to a stream, per piece: CPU time and bytes
# held back (tests/bench/reply_filter_bench.c). Prints figures, asserts
# nothing. Usage: tests/bench/reply_filter.sh [BUILD_DIR] [SET.tsv]
set -euo pipefail
build=${1:-build}
ninja -C "$build" tests/reply_filter_bench >/dev/null
exec "$build/tests/reply_filter_bench" "${@:2}"
