-- 0004: stored replies (only when STORE_MESSAGES is on and the request did
-- not say "store": false). One row holds every text of a reply: the
-- message, the reply and its annotations, so erasing the row erases them
-- all. Rows older than RETENTION_DAYS are erased by the service itself.

CREATE TABLE support_records (
    id            uuid PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    token_sha256  bytea NOT NULL CHECK (length(token_sha256) = 32),
    culture       text NOT NULL,
    strategy      text NOT NULL,
    risk_level    text NOT NULL,
    response_mode text NOT NULL,
    model         text NOT NULL,
    message       text NOT NULL,
    reply         text NOT NULL,
    annotations   jsonb NOT NULL
);
CREATE INDEX support_records_created_at ON support_records (created_at);
-- Erased rows leave dead tuples until vacuum; vacuum this table early.
ALTER TABLE support_records SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20);

COMMENT ON TABLE support_records IS 'Replies kept for review and annotation; health data. Erased after RETENTION_DAYS or by DELETE /support/{id} with the deletion token.';
COMMENT ON COLUMN support_records.id IS 'The reply id returned to the caller.';
COMMENT ON COLUMN support_records.created_at IS 'When the reply was stored; the retention period runs from here.';
COMMENT ON COLUMN support_records.token_sha256 IS 'SHA-256 of the deletion token; the token itself is never stored.';
COMMENT ON COLUMN support_records.culture IS 'Culture code of the request.';
COMMENT ON COLUMN support_records.strategy IS 'Prompting strategy used.';
COMMENT ON COLUMN support_records.risk_level IS 'Risk level assessed for the message.';
COMMENT ON COLUMN support_records.response_mode IS 'normal, check_in, safe_messaging, crisis or replaced.';
COMMENT ON COLUMN support_records.model IS 'Model that wrote the reply (none for the crisis message).';
COMMENT ON COLUMN support_records.message IS 'The message as received.';
COMMENT ON COLUMN support_records.reply IS 'The reply as delivered.';
COMMENT ON COLUMN support_records.annotations IS 'Emotional distress and cultural signals used for the prompt.';
