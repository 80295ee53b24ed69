-- 0001: the CultureCare corpus: cultures, annotated posts and their phrases.
-- Applied by `culturecare migrate` inside one transaction.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE distress_intensity AS ENUM ('light', 'moderate', 'high');
COMMENT ON TYPE distress_intensity IS 'How strongly a distress phrase expresses discomfort: light (subtle), moderate (clearly expressed), high (overwhelming).';

CREATE TYPE signal_type AS ENUM ('Concepts', 'Knowledge', 'Values', 'Norms and Morals',
                                 'Language', 'Artifacts', 'Demographics');
COMMENT ON TYPE signal_type IS 'The seven kinds of cultural signal of the CultureCare annotation scheme.';

CREATE TYPE signal_side AS ENUM ('post', 'response');
COMMENT ON TYPE signal_side IS 'Whether a cultural signal was annotated in the distressed writer''s post or in a peer''s reply.';

CREATE TYPE support_strategy AS ENUM ('Questions', 'Restatement or Paraphrasing',
  'Reflection of Feelings', 'Self-disclosure', 'Affirmation and Reassurance',
  'Providing Suggestions', 'Information', 'Others');
COMMENT ON TYPE support_strategy IS 'The eight emotional-support strategies of ESConv used to label reply phrases.';

CREATE TABLE cultures (
    code         text PRIMARY KEY CHECK (code = lower(code) AND code <> ''),
    display_name text NOT NULL UNIQUE CHECK (display_name <> ''),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cultures IS 'Cultures present in the imported data; created by the importer, never from a list in code.';
COMMENT ON COLUMN cultures.code IS 'Lower-cased culture value of the data (e.g. chinese); the identifier used in the API.';
COMMENT ON COLUMN cultures.display_name IS 'The culture value exactly as the data spells it (e.g. Chinese); used in prompts.';
COMMENT ON COLUMN cultures.created_at IS 'When the first import created this culture.';

CREATE TABLE culture_aliases (
    alias        text PRIMARY KEY CHECK (alias = lower(alias) AND alias <> ''),
    culture_code text NOT NULL
);
COMMENT ON TABLE culture_aliases IS 'Other names accepted for a culture code (case-insensitive). An alias only resolves when its culture has been imported, so aliases may name cultures not loaded yet.';
COMMENT ON COLUMN culture_aliases.alias IS 'Lower-cased alternative name, e.g. china.';
COMMENT ON COLUMN culture_aliases.culture_code IS 'The cultures.code this alias stands for (not a foreign key: see the table comment).';

-- The names the CultureCare paper's code uses for its cultures.
INSERT INTO culture_aliases (alias, culture_code) VALUES
    ('china', 'chinese'), ('zh', 'chinese'),
    ('germany', 'german'), ('de', 'german'),
    ('arab', 'arabic'), ('ar', 'arabic'),
    ('jew', 'jewish'), ('he', 'jewish');

CREATE TABLE posts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    culture       text NOT NULL REFERENCES cultures (code),
    source_id     text NOT NULL CHECK (source_id <> ''),
    source_url    text,
    empathy       smallint CHECK (empathy BETWEEN 1 AND 5),
    demographics  jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(demographics) = 'object'),
    record_sha256 text NOT NULL,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (culture, source_id)
);
COMMENT ON TABLE posts IS 'One annotated post of a distressed writer with its peer reply, as imported from a CultureCare JSONL line.';
COMMENT ON COLUMN posts.id IS 'Surrogate key.';
COMMENT ON COLUMN posts.culture IS 'The culture whose community the post belongs to.';
COMMENT ON COLUMN posts.source_id IS 'post_id of the source record; unique per culture, the key that makes import idempotent.';
COMMENT ON COLUMN posts.source_url IS 'Where the post was published (post.text of the record: a URL, not the post itself).';
COMMENT ON COLUMN posts.empathy IS 'Empathy of the human reply, 1 (not empathetic) to 5 (very empathetic); NULL when not rated.';
COMMENT ON COLUMN posts.demographics IS 'Demographics of the writer (settlement, gender, age, ...), values as strings, "unknown" when not stated.';
COMMENT ON COLUMN posts.record_sha256 IS 'SHA-256 of the normalised source record: an unchanged record is skipped on re-import, a changed one replaced.';
COMMENT ON COLUMN posts.imported_at IS 'When this version of the record was imported.';

CREATE TABLE distress_phrases (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id   bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    ord       integer NOT NULL,
    phrase    text NOT NULL,
    intensity distress_intensity
);
CREATE INDEX distress_phrases_post ON distress_phrases (post_id);
CREATE INDEX distress_phrases_trgm ON distress_phrases USING gin (phrase gin_trgm_ops);
COMMENT ON TABLE distress_phrases IS 'Spans of a post where the writer expresses psychological discomfort.';
COMMENT ON COLUMN distress_phrases.id IS 'Surrogate key.';
COMMENT ON COLUMN distress_phrases.post_id IS 'The post the phrase belongs to.';
COMMENT ON COLUMN distress_phrases.ord IS 'Position of the phrase in the source record (0-based).';
COMMENT ON COLUMN distress_phrases.phrase IS 'The span, trimmed of surrounding white space.';
COMMENT ON COLUMN distress_phrases.intensity IS 'Annotated intensity; NULL where the data gives none.';

CREATE TABLE cultural_signals (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    side    signal_side NOT NULL,
    ord     integer NOT NULL,
    phrase  text NOT NULL,
    type    signal_type
);
CREATE INDEX cultural_signals_post ON cultural_signals (post_id);
CREATE INDEX cultural_signals_trgm ON cultural_signals USING gin (phrase gin_trgm_ops);
COMMENT ON TABLE cultural_signals IS 'Spans carrying behaviour, symbols, language or practice of a cultural group, in a post or its reply.';
COMMENT ON COLUMN cultural_signals.id IS 'Surrogate key.';
COMMENT ON COLUMN cultural_signals.post_id IS 'The post (with its reply) the signal was annotated in.';
COMMENT ON COLUMN cultural_signals.side IS 'post: in the writer''s text; response: in the peer''s reply.';
COMMENT ON COLUMN cultural_signals.ord IS 'Position of the signal in its list in the source record (0-based).';
COMMENT ON COLUMN cultural_signals.phrase IS 'The span, trimmed of surrounding white space.';
COMMENT ON COLUMN cultural_signals.type IS 'Signal type; NULL where the data says "None" or gives none.';

CREATE TABLE support_phrases (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id  bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    ord      integer NOT NULL,
    phrase   text NOT NULL,
    strategy support_strategy
);
CREATE INDEX support_phrases_post ON support_phrases (post_id);
CREATE INDEX support_phrases_trgm ON support_phrases USING gin (phrase gin_trgm_ops);
COMMENT ON TABLE support_phrases IS 'Spans of the peer reply labelled with the support strategy they use.';
COMMENT ON COLUMN support_phrases.id IS 'Surrogate key.';
COMMENT ON COLUMN support_phrases.post_id IS 'The post whose reply holds the phrase.';
COMMENT ON COLUMN support_phrases.ord IS 'Position of the phrase in the source record (0-based).';
COMMENT ON COLUMN support_phrases.phrase IS 'The span, trimmed of surrounding white space.';
COMMENT ON COLUMN support_phrases.strategy IS 'ESConv strategy; NULL where the data gives none.';
