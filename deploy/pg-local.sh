#!/usr/bin/env bash
# A private PostgreSQL cluster in a folder, reachable only through a unix
# socket in that folder (no TCP port). Used by deploy/run.sh and the tests.
#   pg-local.sh start DIR   create the cluster if needed, start it, create
#                           the database; prints the DATABASE_URL to use
#   pg-local.sh stop DIR    stop it (fast shutdown)
#   pg-local.sh url DIR     print the DATABASE_URL
# As root, the cluster runs as the `postgres` user (initdb refuses root).
set -euo pipefail

cmd=${1:?usage: pg-local.sh start|stop|url DIR}
dir=${2:?usage: pg-local.sh start|stop|url DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
db=culturecare

pgbin=${PG_BIN:-}
if [ -z "$pgbin" ]; then
  for v in 17 16 15 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then pgbin="/usr/lib/postgresql/$v/bin"; break; fi
  done
fi
[ -n "$pgbin" ] || { echo "pg-local.sh: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
owner=$(if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi)
url="host=$dir dbname=$db user=$owner"

case "$cmd" in
  url) echo "$url" ;;
  start)
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 0755 "$dir"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$pgbin/initdb" -D "$data" -U "$owner" -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$pgbin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' $( [ -n "${PG_FAST:-}" ] && echo "-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ) -c max_connections=200" \
        start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    fi
    if ! as_owner "$pgbin/psql" -h "$dir" -U "$owner" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      as_owner "$pgbin/createdb" -h "$dir" -U "$owner" "$db"
    fi
    echo "$url"
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ]; then
      as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *) echo "pg-local.sh: unknown command $cmd" >&2; exit 2 ;;
esac
