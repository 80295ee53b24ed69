-- 0009: the annotation workflow. An item is one message with candidate
-- replies (one per strategy, or several of one strategy) made for human
-- rating; raters score candidates on the seven metrics of the method
-- (1 to 5), rank an item's candidates, and the judge model scores them too.
-- Everything hangs off the item: erasing it (DELETE /items/{id} with the
-- deletion token, or the retention purge) erases its candidates, ratings,
-- preferences and judge scores (ON DELETE CASCADE). Health data, like
-- support_records: written only when STORE_MESSAGES is on.

CREATE TABLE annotation_items (
    id            uuid PRIMARY KEY,
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    token_sha256  bytea NOT NULL CHECK (length(token_sha256) = 32),
    culture       text NOT NULL,
    country       text,
    risk_level    text NOT NULL,
    annotator     text NOT NULL,
    message       text NOT NULL,
    annotations   jsonb NOT NULL,
    metadata      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX annotation_items_created_at ON annotation_items (created_at);
CREATE INDEX annotation_items_culture_seq ON annotation_items (culture, seq);
ALTER TABLE annotation_items SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20);

COMMENT ON TABLE annotation_items IS 'A message with candidate replies for human rating; health data. Erased after RETENTION_DAYS or by DELETE /items/{id} with the deletion token, with everything that refers to it.';
COMMENT ON COLUMN annotation_items.id IS 'The item id returned to the caller.';
COMMENT ON COLUMN annotation_items.seq IS 'Insertion order: the key of GET /items and export pagination (newest first), never reused.';
COMMENT ON COLUMN annotation_items.created_at IS 'When the item was stored; the retention period runs from here.';
COMMENT ON COLUMN annotation_items.token_sha256 IS 'SHA-256 of the deletion token; the token itself is never stored.';
COMMENT ON COLUMN annotation_items.culture IS 'Culture code of the request.';
COMMENT ON COLUMN annotation_items.country IS 'ISO 3166-1 alpha-2 country the caller gave for crisis resources, or NULL.';
COMMENT ON COLUMN annotation_items.risk_level IS 'Risk level assessed for the message (one assessment shared by the candidates).';
COMMENT ON COLUMN annotation_items.annotator IS 'Where the annotations came from: corpus, llm or none.';
COMMENT ON COLUMN annotation_items.message IS 'The message as received.';
COMMENT ON COLUMN annotation_items.annotations IS 'Emotional distress and cultural signals shared by the candidates prompts.';
COMMENT ON COLUMN annotation_items.metadata IS 'The caller''s metadata (a JSON object), e.g. a source id or a batch name.';

CREATE TABLE annotation_candidates (
    id            uuid PRIMARY KEY,
    item_id       uuid NOT NULL REFERENCES annotation_items (id) ON DELETE CASCADE,
    position      smallint NOT NULL CHECK (position BETWEEN 1 AND 10),
    strategy      text NOT NULL,
    response_mode text NOT NULL,
    model         text NOT NULL,
    reply         text NOT NULL,
    UNIQUE (item_id, position)
);
CREATE INDEX annotation_candidates_strategy ON annotation_candidates (strategy);
COMMENT ON TABLE annotation_candidates IS 'Candidate replies of an item, one backend call each.';
COMMENT ON COLUMN annotation_candidates.id IS 'The candidate id (ratings and preferences name it).';
COMMENT ON COLUMN annotation_candidates.item_id IS 'The item it belongs to.';
COMMENT ON COLUMN annotation_candidates.position IS 'Its place in the item, 1 first (cand1, cand2, ... in exports).';
COMMENT ON COLUMN annotation_candidates.strategy IS 'Prompting strategy that wrote it.';
COMMENT ON COLUMN annotation_candidates.response_mode IS 'normal, check_in, safe_messaging, or replaced (the output check replaced it with the crisis message).';
COMMENT ON COLUMN annotation_candidates.model IS 'Model that wrote it.';
COMMENT ON COLUMN annotation_candidates.reply IS 'The reply text.';

CREATE TABLE annotation_ratings (
    candidate_id     uuid NOT NULL REFERENCES annotation_candidates (id) ON DELETE CASCADE,
    rater            text NOT NULL CHECK (length(rater) BETWEEN 1 AND 200),
    empathy          smallint CHECK (empathy BETWEEN 1 AND 5),
    helpfulness      smallint CHECK (helpfulness BETWEEN 1 AND 5),
    socio_political  smallint CHECK (socio_political BETWEEN 1 AND 5),
    knowledge        smallint CHECK (knowledge BETWEEN 1 AND 5),
    cultural_context smallint CHECK (cultural_context BETWEEN 1 AND 5),
    fluency          smallint CHECK (fluency BETWEEN 1 AND 5),
    communication    smallint CHECK (communication BETWEEN 1 AND 5),
    comment          text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (candidate_id, rater)
);
COMMENT ON TABLE annotation_ratings IS 'Human ratings, one per rater and candidate (a second rating replaces the first); NULL metrics were not rated.';
COMMENT ON COLUMN annotation_ratings.candidate_id IS 'The rated candidate.';
COMMENT ON COLUMN annotation_ratings.rater IS 'The rater''s name or pseudonym, as the caller gives it.';
COMMENT ON COLUMN annotation_ratings.empathy IS 'Empathy, 1-5 (emotional).';
COMMENT ON COLUMN annotation_ratings.helpfulness IS 'Helpfulness, 1-5 (emotional).';
COMMENT ON COLUMN annotation_ratings.socio_political IS 'Socio-political influence, 1-5 (cultural).';
COMMENT ON COLUMN annotation_ratings.knowledge IS 'Knowledge of the culture, 1-5 (cultural).';
COMMENT ON COLUMN annotation_ratings.cultural_context IS 'Cultural context, 1-5 (cultural).';
COMMENT ON COLUMN annotation_ratings.fluency IS 'Fluency, 1-5 (overall).';
COMMENT ON COLUMN annotation_ratings.communication IS 'Communication, 1-5 (overall).';
COMMENT ON COLUMN annotation_ratings.comment IS 'The rater''s free-text comment, or NULL.';
COMMENT ON COLUMN annotation_ratings.created_at IS 'When the rater first rated the candidate.';
COMMENT ON COLUMN annotation_ratings.updated_at IS 'When the rating was last replaced.';

CREATE TABLE annotation_preferences (
    item_id    uuid NOT NULL REFERENCES annotation_items (id) ON DELETE CASCADE,
    rater      text NOT NULL CHECK (length(rater) BETWEEN 1 AND 200),
    ranking    uuid[] NOT NULL CHECK (cardinality(ranking) >= 2),
    tie        boolean NOT NULL DEFAULT false CHECK (NOT tie OR cardinality(ranking) = 2),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, rater)
);
COMMENT ON TABLE annotation_preferences IS 'A rater''s ranking of an item''s candidates (one per rater and item; a second replaces the first).';
COMMENT ON COLUMN annotation_preferences.item_id IS 'The item whose candidates are ranked.';
COMMENT ON COLUMN annotation_preferences.rater IS 'The rater''s name or pseudonym.';
COMMENT ON COLUMN annotation_preferences.ranking IS 'Candidate ids, best first.';
COMMENT ON COLUMN annotation_preferences.tie IS 'A pair judged equally good (ranking then has two ids).';
COMMENT ON COLUMN annotation_preferences.created_at IS 'When the preference was given.';

CREATE TABLE judge_scores (
    candidate_id   uuid NOT NULL REFERENCES annotation_candidates (id) ON DELETE CASCADE,
    metric         text NOT NULL,
    judge_model    text NOT NULL,
    prompt_version text NOT NULL,
    score          smallint CHECK (score BETWEEN 1 AND 5),
    weighted       double precision CHECK (weighted BETWEEN 1 AND 5),
    probability    double precision CHECK (probability BETWEEN 0 AND 1),
    answer_length  integer NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (candidate_id, metric, judge_model, prompt_version)
);
COMMENT ON TABLE judge_scores IS 'The judge model''s score of a candidate on one metric (a new evaluation by the same model and prompt version replaces it).';
COMMENT ON COLUMN judge_scores.candidate_id IS 'The judged candidate.';
COMMENT ON COLUMN judge_scores.metric IS 'One of the seven metrics (empathy, helpfulness, socio_political, knowledge, cultural_context, fluency, communication).';
COMMENT ON COLUMN judge_scores.judge_model IS 'The model that judged (as the backend reported it).';
COMMENT ON COLUMN judge_scores.prompt_version IS 'Version of the judging prompt.';
COMMENT ON COLUMN judge_scores.score IS 'The first digit 1-5 of the answer; NULL when the answer had none (missing, never 0).';
COMMENT ON COLUMN judge_scores.weighted IS 'G-Eval: the probability-weighted mean over the digits 1-5 from top_logprobs; NULL when the backend gave none.';
COMMENT ON COLUMN judge_scores.probability IS 'The probability of the chosen digit (top_logprobs), or NULL.';
COMMENT ON COLUMN judge_scores.answer_length IS 'Length of the judge''s answer in bytes (the answer itself is not kept).';
COMMENT ON COLUMN judge_scores.created_at IS 'When the score was made.';

-- One page of GET /exports: one row per item with everything every export
-- format needs, newest first below after_seq. A function so that it runs
-- without JIT: compiling the plan of this query took longer than running
-- a page of it.
CREATE FUNCTION annotation_export_page(lim int, after_seq bigint, culture_code text, since timestamptz)
RETURNS TABLE (seq bigint, item json)
LANGUAGE sql STABLE
SET jit = off
AS $$
SELECT i.seq, json_build_object(
    'id', i.id,
    'created_at', to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'culture', i.culture, 'country', i.country, 'risk_level', i.risk_level, 'message', i.message,
    'annotations', i.annotations, 'metadata', i.metadata,
    'candidates', (SELECT coalesce(json_agg(json_build_object(
            'id', c.id, 'position', c.position, 'strategy', c.strategy, 'response_mode', c.response_mode,
            'model', c.model, 'reply', c.reply,
            'ratings', (SELECT coalesce(json_agg(json_build_object(
                    'rater', r.rater, 'empathy', r.empathy, 'helpfulness', r.helpfulness,
                    'socio_political', r.socio_political, 'knowledge', r.knowledge,
                    'cultural_context', r.cultural_context, 'fluency', r.fluency,
                    'communication', r.communication, 'comment', r.comment,
                    'updated_at', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
                    ORDER BY r.rater), '[]')
                FROM annotation_ratings r WHERE r.candidate_id = c.id),
            'judge', (SELECT coalesce(json_agg(json_build_object(
                    'metric', s.metric, 'model', s.judge_model, 'prompt_version', s.prompt_version,
                    'score', s.score, 'weighted', s.weighted, 'probability', s.probability)
                    ORDER BY s.judge_model, s.prompt_version, s.metric), '[]')
                FROM judge_scores s WHERE s.candidate_id = c.id))
            ORDER BY c.position), '[]')
        FROM annotation_candidates c WHERE c.item_id = i.id),
    'preferences', (SELECT coalesce(json_agg(json_build_object('rater', p.rater, 'ranking', p.ranking, 'tie', p.tie)
            ORDER BY p.rater), '[]')
        FROM annotation_preferences p WHERE p.item_id = i.id))
FROM annotation_items i
WHERE i.seq < coalesce(after_seq, 9223372036854775807)
  AND (culture_code IS NULL OR i.culture = culture_code)
  AND (since IS NULL OR i.created_at >= since)
ORDER BY i.seq DESC
LIMIT lim
$$;
COMMENT ON FUNCTION annotation_export_page(int, bigint, text, timestamptz) IS 'One page of an export (GET /exports): items newest first below after_seq, with candidates, ratings, judge scores and preferences; runs without JIT.';

-- The figures of GET /stats, aggregated here so that the service only
-- combines a few numbers per culture, strategy and metric: means and
-- counts of the ratings, the coincidence matrices of Krippendorff's alpha
-- (for each candidate rated m >= 2 times, every ordered pair of its values
-- from different ratings adds 1 / (m - 1)), the judge's means, and the
-- preferences as counts of ordered pairs of strategies. Without JIT, as
-- annotation_export_page.
CREATE FUNCTION annotation_stats(culture_code text, strategy_name text)
RETURNS json
LANGUAGE sql STABLE
SET jit = off
AS $$
WITH v AS (
    SELECT i.culture, c.strategy, c.id AS cand, m.metric, m.value
    FROM annotation_ratings r
    JOIN annotation_candidates c ON c.id = r.candidate_id
    JOIN annotation_items i ON i.id = c.item_id,
    LATERAL (VALUES ('empathy', r.empathy), ('helpfulness', r.helpfulness), ('socio_political', r.socio_political),
                    ('knowledge', r.knowledge), ('cultural_context', r.cultural_context), ('fluency', r.fluency),
                    ('communication', r.communication)) m(metric, value)
    WHERE m.value IS NOT NULL
      AND (culture_code IS NULL OR i.culture = culture_code) AND (strategy_name IS NULL OR c.strategy = strategy_name)),
cnt AS (SELECT culture, strategy, cand, metric, value, count(*)::float8 AS n FROM v GROUP BY 1, 2, 3, 4, 5),
mu AS (SELECT culture, strategy, cand, metric, sum(n) AS mu FROM cnt GROUP BY 1, 2, 3, 4 HAVING sum(n) >= 2),
co AS (
    SELECT a.culture, a.strategy, a.metric, a.value AS c, b.value AS k,
           sum(CASE WHEN a.value = b.value THEN a.n * (a.n - 1) ELSE a.n * b.n END / (mu.mu - 1)) AS o
    FROM cnt a
    JOIN cnt b ON b.culture = a.culture AND b.strategy = a.strategy AND b.cand = a.cand AND b.metric = a.metric
    JOIN mu ON mu.culture = a.culture AND mu.strategy = a.strategy AND mu.cand = a.cand AND mu.metric = a.metric
    GROUP BY 1, 2, 3, 4, 5)
SELECT json_build_object(
    'groups', (SELECT coalesce(json_agg(json_build_object('culture', k.culture, 'strategy', k.strategy,
                   'candidates', k.n, 'items', k.items,
                   'ratings', (SELECT count(*) FROM annotation_ratings r JOIN annotation_candidates c ON c.id = r.candidate_id
                               JOIN annotation_items i ON i.id = c.item_id
                               WHERE i.culture = k.culture AND c.strategy = k.strategy))
                   ORDER BY k.culture, k.strategy), '[]')
               FROM (SELECT i.culture, c.strategy, count(*) AS n, count(DISTINCT i.id) AS items
                     FROM annotation_candidates c JOIN annotation_items i ON i.id = c.item_id
                     WHERE (culture_code IS NULL OR i.culture = culture_code)
                       AND (strategy_name IS NULL OR c.strategy = strategy_name)
                     GROUP BY 1, 2) k),
    'means', (SELECT coalesce(json_agg(json_build_object('culture', culture, 'strategy', strategy, 'metric', metric,
                  'mean', mean, 'n', n)), '[]')
              FROM (SELECT culture, strategy, metric, avg(value)::float8 AS mean, count(*) AS n FROM v GROUP BY 1, 2, 3) x),
    'coincidences', (SELECT coalesce(json_agg(json_build_object('culture', culture, 'strategy', strategy, 'metric', metric,
                         'c', c, 'k', k, 'o', o)), '[]') FROM co),
    'pairable', (SELECT coalesce(json_agg(json_build_object('culture', culture, 'strategy', strategy, 'metric', metric,
                     'units', units)), '[]')
                 FROM (SELECT culture, strategy, metric, count(*) AS units FROM mu GROUP BY 1, 2, 3) x),
    'judge', (SELECT coalesce(json_agg(j ORDER BY j.culture, j.strategy, j.model, j.prompt_version, j.metric), '[]')
              FROM (SELECT i.culture, c.strategy, s.judge_model AS model, s.prompt_version, s.metric,
                           avg(s.score)::float8 AS mean, count(s.score) AS n, count(*) - count(s.score) AS missing,
                           avg(s.weighted)::float8 AS weighted_mean
                    FROM judge_scores s JOIN annotation_candidates c ON c.id = s.candidate_id
                    JOIN annotation_items i ON i.id = c.item_id
                    WHERE (culture_code IS NULL OR i.culture = culture_code)
                      AND (strategy_name IS NULL OR c.strategy = strategy_name)
                    GROUP BY 1, 2, 3, 4, 5) j),
    'pairs', (SELECT coalesce(json_agg(json_build_object('culture', culture, 'better', better, 'worse', worse,
                  'tie', tie, 'n', n)), '[]')
              FROM (SELECT i.culture, a.strategy AS better, b.strategy AS worse, p.tie, count(*) AS n
                    FROM annotation_preferences p JOIN annotation_items i ON i.id = p.item_id,
                         unnest(p.ranking) WITH ORDINALITY x(id, ord) JOIN annotation_candidates a ON a.id = x.id,
                         unnest(p.ranking) WITH ORDINALITY y(id, ord) JOIN annotation_candidates b ON b.id = y.id
                    WHERE x.ord < y.ord AND a.strategy <> b.strategy
                      AND (culture_code IS NULL OR i.culture = culture_code)
                    GROUP BY 1, 2, 3, 4) x))
$$;
COMMENT ON FUNCTION annotation_stats(text, text) IS 'The figures of GET /stats per culture and strategy (means, coincidence matrices for Krippendorff''s alpha, judge means, preference pairs); runs without JIT.';
