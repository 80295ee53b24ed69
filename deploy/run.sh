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

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(deploy/pg-local.sh start "$root/.local/pg")
  export DATABASE_URL
  echo "PostgreSQL running in .local/pg (stop it with: deploy/pg-local.sh stop .local/pg)" >&2
fi
build/culturecare migrate
build/culturecare import deploy/sample-corpus/*.jsonl
exec build/culturecare serve "$@"
