#!/usr/bin/env bash
# The importer on a real PostgreSQL: counts, idempotence, atomicity, quirks.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null

q() { psql "$DATABASE_URL" -Atc "$1"; }
counts() {
  q "SELECT p.culture, count(DISTINCT p.id),
       (SELECT count(*) FROM distress_phrases d JOIN posts x ON x.id = d.post_id WHERE x.culture = p.culture),
       (SELECT count(*) FROM cultural_signals s JOIN posts x ON x.id = s.post_id WHERE x.culture = p.culture AND s.side = 'post'),
       (SELECT count(*) FROM cultural_signals s JOIN posts x ON x.id = s.post_id WHERE x.culture = p.culture AND s.side = 'response'),
       (SELECT count(*) FROM support_phrases s JOIN posts x ON x.id = s.post_id WHERE x.culture = p.culture)
     FROM posts p GROUP BY p.culture ORDER BY 1"
}

# The bundled sample corpus (always present).
S="$SOURCE_ROOT/deploy/sample-corpus"
out=$(cc import "$S"/*.jsonl)
contains "sample import reports counts" "$out" "5 posts (5 new, 0 replaced, 0 unchanged)"
# Expected counts computed from the files themselves, independently of the importer.
for f in "$S"/*.jsonl; do
  code=$(jq -r .culture "$f" | head -1 | tr 'A-Z' 'a-z')
  exp="$code|$(wc -l <"$f")|$(jq '.post.emotional_distress|length' "$f" | paste -sd+ | bc)|$(jq '.post.cultural_signals|length' "$f" | paste -sd+ | bc)|$(jq '.response.cultural_signals|length' "$f" | paste -sd+ | bc)|$(jq '.response.emotional_support|length' "$f" | paste -sd+ | bc)"
  eq "sample counts for $code" "$(counts | grep "^$code|")" "$exp"
done
eq "cultures come from the data" "$(q "SELECT string_agg(code || '=' || display_name, ',' ORDER BY code) FROM cultures")" \
  "arabic=Arabic,chinese=Chinese,german=German,jewish=Jewish"
eq "intensity null kept as NULL" "$(q "SELECT count(*) > 0 FROM distress_phrases WHERE intensity IS NULL")" t
eq "type \"None\" stored as NULL" "$(q "SELECT count(*) > 0 FROM cultural_signals WHERE type IS NULL")" t
eq "empty empathy stored as NULL" "$(q "SELECT count(*) FROM posts WHERE empathy IS NULL")" \
  "$(cat "$S"/*.jsonl | jq -r '.response.empathy_score' | grep -c '^$')"
eq "numeric age stored as a string" "$(q "SELECT count(*) FROM posts WHERE jsonb_typeof(demographics->'age') <> 'string'")" 0
eq "phrases are trimmed" "$(q "SELECT count(*) FROM (SELECT phrase FROM distress_phrases UNION ALL SELECT phrase FROM cultural_signals UNION ALL SELECT phrase FROM support_phrases) x WHERE phrase <> btrim(phrase)")" 0
eq "non-Latin scripts survive" "$(q "SELECT count(*) > 0 FROM distress_phrases WHERE phrase LIKE '%压力好大%'")" t

before=$(counts; q "SELECT max(id), sum(hashtext(record_sha256)) FROM posts")
out=$(cc import "$S"/*.jsonl)
contains "re-import reports all unchanged" "$out" "5 posts (0 new, 0 replaced, 5 unchanged)"
eq "re-import changes nothing" "$(counts; q "SELECT max(id), sum(hashtext(record_sha256)) FROM posts")" "$before"

# A changed record replaces the old one; nothing else moves.
jq -c 'if .post_id == "sample-de-01" then .response.empathy_score = "5 very empathetic" else . end' \
  "$S/German.jsonl" >"$T/German2.jsonl"
out=$(cc import "$T/German2.jsonl")
contains "a changed record is replaced" "$out" "5 posts (0 new, 1 replaced, 4 unchanged)"
eq "with the new value" "$(q "SELECT empathy FROM posts WHERE source_id = 'sample-de-01'")" 5

# Atomicity: a file whose 3rd line is not JSON imports nothing.
before=$(counts)
{ head -n 2 "$S/Chinese.jsonl" | sed 's/sample-zh-0/new-zh-0/'; echo '{"culture": "Chinese", "post_id": '; } >"$T/bad.jsonl"
rc=0; out=$(cc import "$T/bad.jsonl" 2>&1) || rc=$?
ok "a file with a bad line fails" test "$rc" -ne 0
contains "the error names file and line 3" "$out" "bad.jsonl: line 3: invalid JSON"
eq "and nothing of the file is imported" "$(counts)" "$before"
# A bad field names the field.
{ head -n 1 "$S/Chinese.jsonl" | sed 's/sample-zh-0/new-zh-0/'; head -n 1 "$S/German.jsonl" | jq -c '.post.emotional_distress[0].intensity = "extreme" | .post_id = "x"'; } >"$T/badfield.jsonl"
rc=0; out=$(cc import "$T/badfield.jsonl" 2>&1) || rc=$?
ok "a bad field fails" test "$rc" -ne 0
contains "naming line and field" "$out" "line 2: field post.emotional_distress[0].intensity"
eq "and imports nothing" "$(counts)" "$before"
rc=0; out=$(cc import "$T/missing.jsonl" 2>&1) || rc=$?
ok "a missing file fails" test "$rc" -ne 0
contains "naming the file" "$out" "missing.jsonl"

# The CultureCare files, when present: exact counts from their README.
if ls "$SHARED_DATA"/*_data.jsonl >/dev/null 2>&1; then
  out=$(cc import "$SHARED_DATA"/*_data.jsonl)
  eq "shared files: 370 posts" "$(q "SELECT count(*) FROM posts WHERE source_id NOT LIKE 'sample-%'")" 370
  shared_counts() {
    q "SELECT p.culture, count(DISTINCT p.id),
         (SELECT count(*) FROM distress_phrases d JOIN posts x ON x.id = d.post_id WHERE x.culture = p.culture AND x.source_id NOT LIKE 'sample-%'),
         (SELECT count(*) FROM cultural_signals s JOIN posts x ON x.id = s.post_id WHERE x.culture = p.culture AND s.side = 'post' AND x.source_id NOT LIKE 'sample-%'),
         (SELECT count(*) FROM cultural_signals s JOIN posts x ON x.id = s.post_id WHERE x.culture = p.culture AND s.side = 'response' AND x.source_id NOT LIKE 'sample-%'),
         (SELECT count(*) FROM support_phrases s JOIN posts x ON x.id = s.post_id WHERE x.culture = p.culture AND x.source_id NOT LIKE 'sample-%')
       FROM posts p WHERE p.source_id NOT LIKE 'sample-%' GROUP BY p.culture ORDER BY 1"
  }
  eq "shared per-culture counts match the data README" "$(shared_counts | tr '\n' ' ')" \
    "arabic|110|397|250|97|261 chinese|141|399|302|13|242 german|119|402|290|48|194 "
  before=$(shared_counts; q "SELECT max(id) FROM posts")
  out=$(cc import "$SHARED_DATA"/*_data.jsonl)
  contains "re-importing the shared files finds them unchanged" "$out" "141 posts (0 new, 0 replaced, 141 unchanged)"
  eq "and changes no count" "$(shared_counts; q "SELECT max(id) FROM posts")" "$before"
else
  skip_check "the CultureCare files import, re-import unchanged" "$SHARED_DATA is absent"
fi

finish
