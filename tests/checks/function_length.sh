#!/usr/bin/env bash
# Functions longer than MAX lines (default 80) in the non-test C sources and
# headers of server/, handlers/ and store/ (tracked, or new and not
# ignored): a function runs from its opening brace to its closing brace at
# the start of a line (the house style; an opening brace at the end of the
# signature's line counts too). Prints each as "file:line name lines" and
# exits 1 when there is one.
cd "${SOURCE_ROOT:-$(dirname "$0")/../..}" || exit 2
max=${1:-80}
files=$(git ls-files -co --exclude-standard 'server/*.[ch]' 'handlers/*.[ch]' 'store/*.[ch]' 2>/dev/null ||
  find server handlers store -name '*.[ch]')
[ -n "$files" ] || { echo "FAIL - no sources found"; exit 1; }
echo "$files" | xargs awk -v max="$max" '
  FNR == 1 { name = ""; start = 0 }
  /^[A-Za-z_].*\(/ && !/;[ \t]*$/ { sig = $0; sigline = FNR }
  /^\{/ { start = FNR; name = sig; line = sigline }
  /^[A-Za-z_][^=;]*\)[ \t]*\{[ \t]*$/ { start = FNR; name = $0; line = FNR }
  /^\}/ && start {
    n = FNR - start + 1
    if (n > max) {
      sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
      printf "%s:%d %s %d lines\n", FILENAME, line, name, n; bad = 1
    }
    start = 0
  }
  END { exit bad }' || exit 1
echo "ok - no function above $max lines in server/, handlers/, store/"
