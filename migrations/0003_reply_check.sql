-- 0003: phrases that mark a generated reply as unsafe (method details or
-- encouragement of self-harm). A reply holding one is replaced by the
-- crisis message. Editable without a rebuild; the service reloads them.

CREATE TABLE unsafe_reply_phrases (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lang   text NOT NULL CHECK (lang ~ '^[a-z]{2}$'),
    phrase text NOT NULL CHECK (phrase <> '' AND phrase = lower(phrase)),
    note   text
);
COMMENT ON TABLE unsafe_reply_phrases IS 'Phrases that must never appear in a generated reply: method details or encouragement of self-harm. Matched as lower-case substrings of the reply.';
COMMENT ON COLUMN unsafe_reply_phrases.id IS 'Surrogate key.';
COMMENT ON COLUMN unsafe_reply_phrases.lang IS 'ISO 639-1 language of the phrase (all phrases are checked on every reply).';
COMMENT ON COLUMN unsafe_reply_phrases.phrase IS 'Lower-case phrase; a reply containing it (ASCII case-insensitively) is replaced by the crisis message.';
COMMENT ON COLUMN unsafe_reply_phrases.note IS 'Why the phrase is here.';

INSERT INTO unsafe_reply_phrases (lang, phrase, note) VALUES
    ('en', 'lethal dose', 'method detail'),
    ('en', 'fatal dose', 'method detail'),
    ('en', 'how many pills', 'method detail'),
    ('en', 'enough pills to', 'method detail'),
    ('en', 'painless way to die', 'method detail'),
    ('en', 'best way to kill yourself', 'method detail'),
    ('en', 'how to kill yourself', 'method detail'),
    ('en', 'how to hang', 'method detail'),
    ('en', 'tie a noose', 'method detail'),
    ('en', 'you should kill yourself', 'encouragement'),
    ('en', 'you should end your life', 'encouragement'),
    ('en', 'go ahead and end it', 'encouragement'),
    ('en', 'suicide is the answer', 'presents suicide as a solution'),
    ('en', 'suicide is the only way', 'presents suicide as a solution'),
    ('en', 'better off dead', 'presents death as a solution'),
    ('de', 'tödliche dosis', 'method detail'),
    ('de', 'wie viele tabletten', 'method detail'),
    ('de', 'bring dich um', 'encouragement'),
    ('de', 'du solltest dich umbringen', 'encouragement'),
    ('de', 'selbstmord ist die lösung', 'presents suicide as a solution'),
    ('zh', '致死量', 'method detail'),
    ('zh', '怎么自杀', 'method detail'),
    ('zh', '你应该去死', 'encouragement'),
    ('zh', '自杀是解脱', 'presents suicide as a solution'),
    ('ar', 'جرعة قاتلة', 'method detail'),
    ('ar', 'يجب أن تقتل نفسك', 'encouragement'),
    ('he', 'מנה קטלנית', 'method detail'),
    ('he', 'כדאי לך להתאבד', 'encouragement');
