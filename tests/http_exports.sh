#!/usr/bin/env bash
# Exports that annotation tools import as they are, each checked against
# the tool's shape: JSON schemas written from the tools' documentation
# (tests/schemas/; no parser of Label Studio, Argilla or Prodigy is
# packaged for npm or Debian), the labeling config as XML (xmllint) whose
# names match the tasks, CSV through Python's csv module. Exports are
# chunked streams, filtered by culture and time; a Label Studio export
# comes back in as ratings and preferences.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
cc import "$SOURCE_ROOT"/deploy/sample-corpus/*.jsonl >/dev/null
fake_up
STORE_MESSAGES=on serve_up

MARK="EXP-PRIVATE-$RANDOM$RANDOM"
cand() { # CULTURE EXTRA TAG
  req POST /candidates -H 'Content-Type: application/json' \
    --data-binary "$(jq -cn --arg m "I feel so alone since I moved, \"far\" from home, and nobody calls. $MARK-$3" --arg c "$1" --argjson e "$2" '{message: $m, culture: $c} + $e')"
}
fake_script '{"content": "That sounds lonely, and it makes sense to miss them.\nMaybe call one friend this week?", "judge_answers": {"Empathy": "4", "Fluency": "5", "Knowledge": "no idea"}, "judge_top_logprobs": {"Empathy": [{"token": "4", "logprob": -0.2231435513142097}, {"token": "5", "logprob": -1.6094379124341003}]}}'
cand jewish '{"strategies": ["redditor", "guided_annotation"]}' a
A=$(jb .id); A1=$(jb '.candidates[0].id'); A2=$(jb '.candidates[1].id')
cand german '{"strategies": ["profile", "cga", "redditor"]}' b
B=$(jb .id)
cand jewish '{"n": 2, "strategy": "profile"}' c
C=$(jb .id)
req POST "/candidates/$A1/ratings" -H 'Content-Type: application/json' --data-binary '{"rater": "r1", "scores": {"empathy": 4, "fluency": 5}, "comment": "good, \"warm\""}'
req POST "/candidates/$A1/ratings" -H 'Content-Type: application/json' --data-binary '{"rater": "r2", "scores": {"empathy": 3}}'
req POST "/items/$A/preferences" -H 'Content-Type: application/json' --data-binary "{\"rater\": \"r1\", \"ranking\": [\"$A2\", \"$A1\"]}"
req POST /evaluations -H 'Content-Type: application/json' --data-binary "{\"candidate_id\": \"$A1\", \"metrics\": [\"empathy\", \"fluency\", \"knowledge\"]}"
eq "setup: judged" "$STATUS" 200

schema() { # NAME FILE [--jsonl]
  if ! command -v node >/dev/null || [ ! -d "${SCHEMA_DEPS:-/nonexistent}/node_modules/ajv" ]; then
    echo "# skipped schema check ($1): node or SCHEMA_DEPS with ajv not available"; return 0
  fi
  ok "$1 validates against tests/schemas/$1.schema.json" node "$SOURCE_ROOT/tests/json_schema_check.mjs" "$SOURCE_ROOT/tests/schemas/$1.schema.json" "$2" ${3:-}
}
export_to() { # FILE QUERY
  STATUS=$(curl -s -m 30 -D "$T/exp.headers" -o "$1" -w '%{http_code}' "$BASE/exports?$2")
  HEADERS=$(tr -d '\r' <"$T/exp.headers")
}

# ---- jsonl: the CultureCare annotation format ----
export_to "$T/all.jsonl" "format=jsonl"
eq "jsonl: 200" "$STATUS" 200
contains "streamed (chunked)" "$HEADERS" "Transfer-Encoding: chunked"
contains "as NDJSON" "$HEADERS" "Content-Type: application/x-ndjson"
contains "as a file" "$HEADERS" 'Content-Disposition: attachment; filename="culturecare-items.jsonl"'
eq "jsonl: one line per item" "$(wc -l <"$T/all.jsonl")" 3
schema culturecare-annotation "$T/all.jsonl" --jsonl
eq "jsonl: newest first" "$(jq -r .id "$T/all.jsonl" | paste -sd,)" "$C,$B,$A"
eq "jsonl: ratings, judge and preferences ride along" \
  "$(jq -c "select(.id == \"$A\") | [(.candidates[0].ratings | length), (.candidates[0].judge | length), (.preferences | length), .candidates[0].ratings[0].comment]" "$T/all.jsonl")" \
  '[2,3,1,"good, \"warm\""]'

# ---- csv: one row per candidate and metric ----
export_to "$T/all.csv" "format=csv"
contains "csv: text/csv" "$HEADERS" "Content-Type: text/csv"
csvcheck=$(python3 - "$T/all.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
want = ["item_id","candidate_id","culture","strategy","position","metric","human_mean","human_n","judge_score","judge_weighted","judge_model","judge_prompt_version"]
assert list(rows[0].keys()) == want, rows[0].keys()
emp = [r for r in rows if r["metric"] == "empathy" and r["human_n"] == "2"][0]
kn = [r for r in rows if r["candidate_id"] == emp["candidate_id"] and r["metric"] == "knowledge"][0]
print(len(rows), emp["human_mean"], emp["judge_score"], emp["judge_weighted"], kn["judge_score"] or "missing", len({r["candidate_id"] for r in rows}))
PY
)
eq "csv: 7 candidates x 7 metrics; empathy mean 3.5 (4, 3), judge 4, weighted 4.2; knowledge missing" "$csvcheck" "49 3.5 4 4.2 missing 7"

# ---- label studio: tasks, config, import back ----
export_to "$T/ls.json" "format=label-studio"
contains "label-studio: JSON" "$HEADERS" "Content-Type: application/json"
ok "label-studio: one JSON array" jqok 'type == "array" and length == 3' "$T/ls.json"
schema label-studio-tasks "$T/ls.json"
if command -v node >/dev/null && [ -d "${SCHEMA_DEPS:-/nonexistent}/node_modules/ajv" ]; then
  jq '.[0].predictions = [{model_version: "m", result: [{id: "r", from_name: "empathy_cand1", to_name: "cand1", type: "rating", value: {rating: 6}}]}]' "$T/ls.json" >"$T/ls-bad.json"
  ok "the schema refuses a rating of 6" bash -c '! node "$1/tests/json_schema_check.mjs" "$1/tests/schemas/label-studio-tasks.schema.json" "$2" >/dev/null' _ "$SOURCE_ROOT" "$T/ls-bad.json"
fi
eq "label-studio: the judge's scores as a prediction with model_version and rating results" \
  "$(jq -c ".[] | select(.data.item_id == \"$A\") | .predictions[0] | [(.model_version | endswith(\"/cc-judge-v1\")), ([.result[] | .from_name] | sort), .result[0].value.rating, (.score * 100 | round)]" "$T/ls.json")" \
  '[true,["empathy_cand1","fluency_cand1"],4,80]'
req GET "/exports/label-studio/config?candidates=3"
eq "config: 200 XML" "$STATUS $(grep -c 'Content-Type: application/xml' <<<"$HEADERS")" "200 1"
printf '%s' "$BODY" >"$T/config.xml"
ok "config: well-formed XML (xmllint)" xmllint --noout "$T/config.xml"
names=$(xmllint --xpath '//Rating/@name' "$T/config.xml" | tr ' ' '\n' | sed -n 's/name="\(.*\)"/\1/p' | sort)
eq "config: a Rating per metric and candidate" "$(wc -l <<<"$names")" 21
missing=$(jq -r '.[].predictions[].result[].from_name' "$T/ls.json" | sort -u | comm -23 - <(echo "$names"))
eq "every prediction's from_name is a Rating of the config" "$missing" ""
vars=$(xmllint --xpath '//Text/@value' "$T/config.xml" | tr ' ' '\n' | sed -n 's/value="\$\(.*\)"/\1/p' | sort)
eq "every Text reads a data key of the tasks" "$(comm -23 <(echo "$vars") <(jq -r '.[].data | keys[]' "$T/ls.json" | sort -u))" ""
req GET "/exports/label-studio/config?candidates=2"
printf '%s' "$BODY" >"$T/config2.xml"
eq "two candidates: a Pairwise over cand1 and cand2" "$(xmllint --xpath 'string(//Pairwise/@toName)' "$T/config2.xml")" "cand1,cand2"
req GET "/exports/label-studio/config?candidates=0"
eq "candidates=0: 422" "$STATUS" 422

# Label Studio's JSON export of that project, annotated by user 7 (ratings and a pairwise choice)
jq --arg a "$A" '[.[] | select(.data.item_id == $a) | . + {id: 1, annotations: [
    {id: 11, completed_by: 7, was_cancelled: false, lead_time: 12.5, created_at: "2026-11-30T10:00:00Z", updated_at: "2026-11-30T10:00:00Z",
     result: [{id: "x1", from_name: "empathy_cand1", to_name: "cand1", type: "rating", value: {rating: 2}},
              {id: "x2", from_name: "knowledge_cand2", to_name: "cand2", type: "rating", value: {rating: 5}},
              {id: "x3", from_name: "pw", to_name: "pw", type: "pairwise", value: {selected: "right"}}]},
    {id: 12, completed_by: {id: 8, email: "rater8@example.org"}, was_cancelled: true, result: [{id: "y", from_name: "empathy_cand1", to_name: "cand1", type: "rating", value: {rating: 1}}]}]}]' \
  "$T/ls.json" >"$T/ls-export.json"
req POST /imports/label-studio -H 'Content-Type: application/json' --data-binary @"$T/ls-export.json"
eq "import: 200, two ratings, one preference" "$STATUS $(jb '[.ratings, .preferences, .ratings_skipped] | map(tostring) | join(",")')" "200 2,1,0"
eq "import: rater label-studio:7, values kept" \
  "$(psql "$DATABASE_URL" -Atc "SELECT string_agg(coalesce(empathy::text, '-') || coalesce(knowledge::text, '-'), ',' ORDER BY candidate_id = '$A1' DESC) FROM annotation_ratings WHERE rater = 'label-studio:7'")" "2-,-5"
eq "import: right means cand2 first" "$(psql "$DATABASE_URL" -Atc "SELECT ranking[1] FROM annotation_preferences WHERE rater = 'label-studio:7'")" "$A2"
eq "import: a cancelled annotation is skipped" "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM annotation_ratings WHERE rater LIKE '%rater8%'")" 0
req POST /imports/label-studio -H 'Content-Type: application/json' --data-binary @"$T/ls-export.json"
eq "import again: upserts, nothing doubled" "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM annotation_ratings WHERE rater = 'label-studio:7'")" 2
req POST /imports/label-studio -H 'Content-Type: application/json' --data-binary '{"tasks": []}'
eq "import: not an array, 422" "$STATUS" 422
# a pairwise choice in a task without data.item_id is skipped (it once
# crashed the process)
req POST /imports/label-studio -H 'Content-Type: application/json' \
  --data-binary "[{\"data\": {\"cand1_id\": \"$A1\", \"cand2_id\": \"$A2\"}, \"annotations\": [{\"completed_by\": 9, \"result\": [{\"type\": \"pairwise\", \"value\": {\"selected\": \"left\"}}]}]}]"
eq "import: a pairwise choice without item_id is skipped" "$STATUS $(jb '.preferences')" "200 0"

# ---- Label Studio's ML backend protocol: the judge's stored scores as pre-annotations ----
req GET /label-studio/health
eq "ml backend: health UP" "$STATUS $(jb .status)" "200 UP"
req POST /label-studio/setup -H 'Content-Type: application/json' --data-binary '{"project": "1", "schema": "<View/>"}'
ok "ml backend: setup names the model version" jqok '.model_version | endswith("/cc-judge-v1")' <<<"$BODY"
req POST /label-studio/predict -H 'Content-Type: application/json' \
  --data-binary "$(jq -c '{tasks: [.[] | {id: 1, data: .data}], label_config: "<View/>", project: "1", params: {}}' "$T/ls.json")"
eq "ml backend: one prediction per task, in order" "$STATUS $(jb '.results | length')" "200 3"
idx=$(jq --arg a "$A" '[.[].data.item_id] | index($a)' "$T/ls.json")
eq "ml backend: the judged task gets its ratings" \
  "$(jb ".results[$idx] | [([.result[].from_name] | sort), (.model_version | endswith(\"/cc-judge-v1\"))]" | jq -c .)" \
  '[["empathy_cand1","fluency_cand1"],true]'
ok "ml backend: the others get an empty result" jqok '[.results[] | select(.result == [])] | length == 2' <<<"$BODY"
req POST /label-studio/predict -H 'Content-Type: application/json' --data-binary '{"tasks": 3}'
eq "ml backend: tasks not an array, 422" "$STATUS" 422

# ---- argilla ----
export_to "$T/argilla.jsonl" "format=argilla"
schema argilla-record "$T/argilla.jsonl" --jsonl
eq "argilla: suggestions with value, score and agent" \
  "$(jq -c "select(.id == \"$A\") | [.suggestions.empathy_cand1.value, (.suggestions.empathy_cand1.score * 10 | round), (.suggestions.empathy_cand1.agent | endswith(\"/cc-judge-v1\")), .status, (.suggestions | has(\"knowledge_cand1\"))]" "$T/argilla.jsonl")" \
  '[4,8,true,"completed",false]'
req GET "/exports/argilla/settings?candidates=3"
printf '%s' "$BODY" >"$T/settings.json"
schema argilla-settings "$T/settings.json"
eq "settings: text fields, 21 rating questions and a ranking" "$(jq -c '[(.fields | length), ([.questions[] | select(.type == "rating")] | length), ([.questions[] | select(.type == "ranking")][0].values)]' "$T/settings.json")" '[4,21,["cand1","cand2","cand3"]]'
unknown=$(jq -r '.suggestions | keys[]' "$T/argilla.jsonl" | sort -u | comm -23 - <(jq -r '.questions[].name' "$T/settings.json" | sort))
eq "every suggestion names a question of the settings" "$unknown" ""

# ---- prodigy ----
export_to "$T/a.jsonl" "format=prodigy&side=a"
export_to "$T/b.jsonl" "format=prodigy&task=compare&side=b"
schema prodigy-compare "$T/a.jsonl" --jsonl
schema prodigy-compare "$T/b.jsonl" --jsonl
eq "prodigy compare: A and B matched by id" "$(jq -r .id "$T/a.jsonl" | sort | paste -sd,)" "$(jq -r .id "$T/b.jsonl" | sort | paste -sd,)"
ok "prodigy compare: B is the second candidate" jqok "select(.id == \"$A\") | .meta.candidate_id == \"$A2\"" "$T/b.jsonl"
export_to "$T/choice.jsonl" "format=prodigy&task=choice"
schema prodigy-choice "$T/choice.jsonl" --jsonl
eq "prodigy choice: options are the candidates" "$(jq -c "select(.meta.item_id == \"$B\") | .options | length" "$T/choice.jsonl")" 3

# ---- filters and errors ----
export_to "$T/de.jsonl" "format=jsonl&culture=germany"
eq "culture filter (aliases work)" "$(jq -r .id "$T/de.jsonl")" "$B"
export_to "$T/future.jsonl" "format=jsonl&since=2999-01-01"
eq "since in the future: empty" "$STATUS $(wc -c <"$T/future.jsonl")" "200 0"
export_to "$T/ls-empty.json" "format=label-studio&since=2999-01-01"
eq "an empty Label Studio export is still an array" "$(cat "$T/ls-empty.json")" "[]"
export_to "$T/x" "format=xml"
eq "unknown format: 422" "$STATUS" 422
export_to "$T/x" "format=jsonl&since=yesterday"
eq "bad since: 422" "$STATUS" 422
export_to "$T/x" "format=jsonl&since=2026-13-45"
eq "a date that does not exist: 422" "$STATUS $(jq -r .error.details.field "$T/x")" "422 since"
export_to "$T/x" ""
eq "no format: 422" "$STATUS" 422

serve_stop
eq "clean exit" "$SERVER_RC" 0
ok "no sanitizer report" bash -c '! grep -qE "AddressSanitizer|LeakSanitizer|runtime error" "$1"' _ "$SERVER_LOG"
eq "no message text in the logs" "$(grep -c -- "$MARK" "$SERVER_LOG" || true)" 0
finish
