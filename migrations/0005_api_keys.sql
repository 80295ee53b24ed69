-- 0005: API keys. Only a key's SHA-256 is stored (keys are 256-bit random
-- secrets, so a fast hash is enough); its first characters identify it in
-- listings and logs. Created and revoked with `culturecare keys`, which
-- notifies running services (NOTIFY culturecare, 'keys').

CREATE TABLE api_keys (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (name <> ''),
    prefix         text NOT NULL UNIQUE CHECK (prefix ~ '^cc_[A-Za-z0-9_-]{8}$'),
    key_sha256     bytea NOT NULL UNIQUE CHECK (length(key_sha256) = 32),
    scopes         text[] NOT NULL CHECK (cardinality(scopes) > 0
                       AND scopes <@ ARRAY['support', 'annotate', 'admin']::text[]),
    rate_limit_rpm integer CHECK (rate_limit_rpm > 0),
    max_streams    integer CHECK (max_streams > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);

COMMENT ON TABLE api_keys IS 'Keys for Authorization: Bearer. Revoked keys stay listed with revoked_at set.';
COMMENT ON COLUMN api_keys.id IS 'Surrogate key, used by keys revoke.';
COMMENT ON COLUMN api_keys.name IS 'Who or what holds the key (a frontend, an annotation tool).';
COMMENT ON COLUMN api_keys.prefix IS 'The key''s first 11 characters, safe to show and log.';
COMMENT ON COLUMN api_keys.key_sha256 IS 'SHA-256 of the whole key; the key itself is shown once and never stored.';
COMMENT ON COLUMN api_keys.scopes IS 'support (replies, cultures, deletion), annotate (stored replies for rating), admin (everything).';
COMMENT ON COLUMN api_keys.rate_limit_rpm IS 'Requests per minute for this key; NULL: RATE_LIMIT_RPM.';
COMMENT ON COLUMN api_keys.max_streams IS 'Streams open at once for this key; NULL: RATE_LIMIT_STREAMS.';
COMMENT ON COLUMN api_keys.created_at IS 'When the key was created.';
COMMENT ON COLUMN api_keys.revoked_at IS 'When the key was revoked; a revoked key is refused (401).';
