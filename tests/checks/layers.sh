#!/usr/bin/env bash
# The layers' import rules (README "Design"), checked on the sources:
#   handlers -> domain (server/support, server/safety, server/llm) -> store
#   -> nothing of ours; shared helpers (log, util, unicode, sha256,
#   embedded) below everything; the HTTP plumbing knows no domain; no
#   header includes itself through others; no handler sees a libpq type.
# Prints each breach and exits 1 when there is one.
cd "${SOURCE_ROOT:-$(dirname "$0")/../..}" || exit 2
bad=0
breach() { echo "FAIL - $*"; bad=1; }
includes() { sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$1"; }
helpers='^server/(log|util|unicode|sha256|embedded)\.h$'

for f in store/*.[ch]; do
  for h in $(includes "$f"); do
    [[ $h == store/* || $h =~ $helpers ]] || breach "$f includes $h (store/ includes only store/ and shared helpers)"
  done
done
for f in server/support/*.[ch] server/safety/*.[ch] server/llm/*.[ch]; do
  for h in $(includes "$f"); do
    [[ $h == handlers/* ]] && breach "$f includes $h (the domain knows no handler)"
  done
done
# HTTP plumbing: every file right in server/ but the process's own (main
# and serve, the app state they share, the route table that names the
# handlers). It knows no domain, no handler and no storage: what it counts
# or shows by the domain's names is handed to it (metrics_set_risk_levels,
# metrics_pool).
process='^server/(main\.c|serve\.c|app\.h|router\.c)$'
for f in server/*.[ch]; do
  [[ $f =~ $process ]] && continue
  for h in $(includes "$f"); do
    [[ $h =~ ^server/(support|safety|llm)/ || $h == handlers/* || $h == store/* ]] &&
      breach "$f includes $h (HTTP plumbing knows no domain, handler or storage)"
  done
done
for f in handlers/*.[ch]; do
  grep -nE 'PGresult|PGconn|libpq-fe\.h' "$f" | sed "s|^|FAIL - $f: a libpq type in a handler: |" | grep . && bad=1
done
# Header cycles: every include edge between our headers, through tsort.
edges=$(for f in $(git ls-files '*.h' 2>/dev/null || find server store handlers -name '*.h'); do
  for h in $(includes "$f"); do echo "$f $h"; done
done)
if ! echo "$edges" | tsort >/dev/null 2>/tmp/layers_tsort.$$; then
  breach "header cycle: $(tr '\n' ' ' </tmp/layers_tsort.$$)"
fi
rm -f /tmp/layers_tsort.$$
[ $bad = 0 ] && echo "ok - layers: store, domain and plumbing import one way; no header cycle; no libpq in handlers"
exit $bad
