-- 0010: conversations. A reply to a message sent with earlier turns keeps
-- those turns in its record (only when storing is on), in the same row as
-- the message and the reply, so erasing the row erases them too.

ALTER TABLE support_records ADD COLUMN history jsonb NOT NULL DEFAULT '[]';

COMMENT ON COLUMN support_records.history IS 'The earlier turns of the conversation as the client sent them, oldest first: [{"role": "user" | "assistant", "content"}].';
