#!/usr/bin/env bash
# Migrations on a real PostgreSQL: fresh, re-run, concurrent runs, edited
# file detection, comments on every table and column, serve's schema check.
. "$(dirname "$0")/lib.sh"
pg_up

out=$(cc migrate 2>&1); rc=$?
eq "fresh migrate exits 0" "$rc" 0
contains "fresh migrate applies 0001" "$out" "applied 0001_init.sql"
out=$(cc migrate 2>&1)
contains "second migrate applies nothing" "$out" "(0 applied now)"
eq "one row per migration" "$(psql "$DATABASE_URL" -Atc 'SELECT count(*) FROM schema_migrations')" \
  "$(ls "$SOURCE_ROOT"/migrations/*.sql | wc -l)"
sum=$(sha256sum "$SOURCE_ROOT/migrations/0001_init.sql" | cut -d' ' -f1)
eq "checksum recorded is the file's SHA-256" \
  "$(psql "$DATABASE_URL" -Atc 'SELECT checksum FROM schema_migrations WHERE version = 1')" "$sum"

# Every table and column of the schema is commented.
eq "every table has a comment" "$(psql "$DATABASE_URL" -Atc "
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind = 'r' AND obj_description(c.oid, 'pg_class') IS NULL")" 0
eq "every column has a comment" "$(psql "$DATABASE_URL" -Atc "
  SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND col_description(c.oid, a.attnum) IS NULL")" 0

# Concurrent migrate runs on a fresh database: both succeed, applied once.
psql "$DATABASE_URL" -qc 'CREATE DATABASE concurrent' >/dev/null
url2="${DATABASE_URL/dbname=culturecare/dbname=concurrent}"
DATABASE_URL=$url2 "$CULTURECARE" migrate >"$T/m1" 2>&1 & p1=$!
DATABASE_URL=$url2 "$CULTURECARE" migrate >"$T/m2" 2>&1 & p2=$!
r1=0; wait $p1 || r1=$?
r2=0; wait $p2 || r2=$?
eq "two concurrent migrate runs both exit 0" "$r1 $r2" "0 0"
eq "and apply each migration once" "$(cat "$T/m1" "$T/m2" | grep -c '^applied ')" \
  "$(ls "$SOURCE_ROOT"/migrations/*.sql | wc -l)"

# An applied migration edited afterwards is detected, by migrate and serve.
mkdir "$T/edited"
cp "$SOURCE_ROOT"/migrations/*.sql "$T/edited/"
echo "-- an edit" >>"$T/edited/0001_init.sql"
rc=0; out=$(cc migrate --migrations "$T/edited" 2>&1) || rc=$?
ok "migrate refuses an edited migration" test "$rc" -ne 0
contains "and names the file" "$out" "0001_init.sql was edited"
rc=0; out=$(PORT=0 timeout 10 "$CULTURECARE" serve --migrations "$T/edited" 2>&1) || rc=$?
eq "serve refuses an edited migration (exit 1)" "$rc" 1
contains "serve names the edited file" "$out" "0001_init.sql was edited"

# A build that knows a newer migration finds the database outdated.
mkdir "$T/newer"
cp "$SOURCE_ROOT"/migrations/*.sql "$T/newer/"
n=$(ls "$SOURCE_ROOT"/migrations/*.sql | wc -l)
next=$(printf '%04d' $((n + 1)))
echo "CREATE TABLE probe (id int); COMMENT ON TABLE probe IS 'test';" >"$T/newer/${next}_probe.sql"
rc=0; out=$(PORT=0 timeout 10 "$CULTURECARE" serve --migrations "$T/newer" 2>&1) || rc=$?
eq "serve refuses an older schema (exit 1)" "$rc" 1
contains "and says to run migrate" "$out" "run \`culturecare migrate\`"
rc=0; out=$(cc import --migrations "$T/newer" "$SOURCE_ROOT/deploy/sample-corpus/German.jsonl" 2>&1) || rc=$?
ok "import refuses an older schema" test "$rc" -ne 0

# A migration that fails leaves nothing behind.
mkdir "$T/broken"
cp "$SOURCE_ROOT"/migrations/*.sql "$T/broken/"
printf 'CREATE TABLE half (id int);\nTHIS IS NOT SQL;\n' >"$T/broken/${next}_broken.sql"
rc=0; out=$(cc migrate --migrations "$T/broken" 2>&1) || rc=$?
ok "a failing migration fails migrate" test "$rc" -ne 0
contains "naming the file" "$out" "${next}_broken.sql failed"
eq "and applies nothing of it" "$(psql "$DATABASE_URL" -Atc "SELECT to_regclass('half') IS NULL")" t
eq "nor records it" "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM schema_migrations WHERE version = $((n + 1))")" 0

finish
