#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing): the resident memory of the
# service while it streams an export of N stored items (default 10000, each
# with three candidates of about 600 bytes, ratings and judge scores),
# compared with N/10 items: an export that streams page by page holds about
# the same memory whatever its size. Prints, per format and size, the bytes
# written, the time, VmRSS before and its peak during the export (sampled
# every 100 ms), and the service's thread count.
# Usage: tests/bench/export_memory.sh [BUILD_DIR] [ITEMS]
. "$(dirname "$0")/bench.sh" "$@"
n=${2:-10000}
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null

# N items straight into the tables (the HTTP path is tested elsewhere).
fill() { # COUNT CULTURE
  psql -q "$DATABASE_URL" <<SQL
INSERT INTO annotation_items (id, token_sha256, culture, risk_level, annotator, message, annotations, metadata)
SELECT gen_random_uuid(), sha256(g::text::bytea), '$2', 'none', 'corpus',
       'Since I moved away for work I feel lonely and my family is far; message number ' || g || repeat(' I miss them.', 20),
       '{"emotional_distress": [{"phrase": "I feel lonely", "intensity": "moderate", "source": "corpus"}], "cultural_signals": []}',
       jsonb_build_object('batch', 'bench', 'n', g)
FROM generate_series(1, $1) g;
INSERT INTO annotation_candidates (id, item_id, position, strategy, response_mode, model, reply)
SELECT gen_random_uuid(), i.id, p, (ARRAY['redditor', 'profile', 'guided_annotation'])[p], 'normal', 'bench-model',
       'That sounds really hard. Moving away from the people who know you best leaves a gap. ' || repeat('It makes sense to miss them, and it is okay to take time. ', 9)
FROM annotation_items i, generate_series(1, 3) p WHERE i.culture = '$2';
INSERT INTO annotation_ratings (candidate_id, rater, empathy, helpfulness, fluency)
SELECT c.id, 'r' || k, 1 + (abs(hashtext(c.id::text || k)) % 5), 3, 4
FROM annotation_candidates c JOIN annotation_items i ON i.id = c.item_id, generate_series(1, 2) k WHERE i.culture = '$2';
INSERT INTO judge_scores (candidate_id, metric, judge_model, prompt_version, score, weighted, probability, answer_length)
SELECT c.id, m, 'bench-judge', 'cc-judge-v1', 4, 4.2, 0.7, 1
FROM annotation_candidates c JOIN annotation_items i ON i.id = c.item_id,
     unnest(ARRAY['empathy', 'helpfulness', 'fluency']) m WHERE i.culture = '$2';
SQL
}
fill "$n" german
fill $((n / 10)) jewish
STORE_MESSAGES=on serve_up
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
curl -s -o /dev/null "$BASE/exports?format=jsonl&culture=jewish" # warm up
echo "items: german $n, jewish $((n / 10)); service threads: $(threads_of "$SERVER_PID")"
printf '%-13s %-7s %8s %12s %8s %10s %10s %8s\n' format culture items bytes seconds rss_kb peak_kb threads
for format in jsonl label-studio csv argilla; do
  for culture in jewish german; do
    before=$(rss)
    start=$(date +%s%N)
    curl -s -o "$T/out" "$BASE/exports?format=$format&culture=$culture" &
    cpid=$!
    peak=$before
    maxthreads=$(threads_of "$SERVER_PID")
    while kill -0 "$cpid" 2>/dev/null; do
      r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
      t=$(threads_of "$SERVER_PID"); [ "$t" -gt "$maxthreads" ] && maxthreads=$t
      sleep 0.1
    done
    wait "$cpid"
    secs=$(awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN { printf "%.2f", ns / 1e9 }')
    items=$([ "$culture" = german ] && echo "$n" || echo $((n / 10)))
    printf '%-13s %-7s %8s %12s %8s %10s %10s %8s\n' "$format" "$culture" "$items" "$(wc -c <"$T/out")" "$secs" "$before" "$peak" "$maxthreads"
  done
done
serve_stop
