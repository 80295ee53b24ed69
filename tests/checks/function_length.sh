#!/usr/bin/env bash
# Functions longer than MAX lines (default 80) in the non-test C sources:
# a function runs from its opening brace at the start of a line to the
# closing brace at the start of a line (the house style). Prints each as
# "file:line name lines" and exits 1 when there is one.
cd "${SOURCE_ROOT:-$(dirname "$0")/../..}" || exit 2
max=${1:-80}
git ls-files 'server/*.c' 'handlers/*.c' 'store/*.c' | xargs awk -v max="$max" '
  FNR == 1 { name = ""; start = 0 }
  /^[A-Za-z_].*\(/ && !/;[ \t]*$/ { sig = $0; sigline = FNR }
  /^\{/ { start = FNR; name = sig; line = sigline }
  /^\}/ && start {
    n = FNR - start + 1
    if (n > max) {
      sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
      printf "%s:%d %s %d lines\n", FILENAME, line, name, n; bad = 1
    }
    start = 0
  }
  END { exit bad }' || exit 1
