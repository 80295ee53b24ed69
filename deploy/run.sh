#!/usr/bin/env bash
# Brings the service up on a fresh Debian 12 machine: installs what is
# missing, builds, starts a PostgreSQL cluster under .local/pg (unless
# DATABASE_URL is set), migrates, imports the bundled sample corpus, serves.
# Configuration: the environment variables of the README (HOST, PORT, ...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. deploy/deps.sh
ensure_packages run

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null

local_pg=
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(deploy/pg-local.sh start "$root/.local/pg")
  export DATABASE_URL
  local_pg=1
  echo "PostgreSQL running in .local/pg (stop it with: deploy/pg-local.sh stop .local/pg)" >&2
fi
build/culturecare migrate
build/culturecare import deploy/sample-corpus/*.jsonl

# API keys are required (AUTH=on). For the local cluster only, keep one key
# for trying the service in .local/api-key (readable by this user only);
# make it again when the cluster was made anew.
if [ -n "$local_pg" ] && [ "${AUTH:-on}" != off ]; then
  key=.local/api-key
  if [ ! -s "$key" ] || ! build/culturecare keys list | cut -f2 | grep -qx "$(cut -c1-11 "$key")"; then
    (umask 077 && build/culturecare keys create --scope support,annotate --name local-trial >"$key")
  fi
  echo "API key for trying the service: .local/api-key (curl -H \"Authorization: Bearer \$(cat .local/api-key)\" ...)" >&2
fi
exec build/culturecare serve "$@"
