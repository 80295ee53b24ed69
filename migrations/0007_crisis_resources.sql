-- 0007: crisis resources a person can rely on. Rows are marked verified
-- only where the evidence checked on 2026-11-30 confirms them (the
-- service's own page, a government page or an established institution),
-- each with its source and date; the others stay unverified and their note
-- says why. Opening hours are stored as structured data (a 24/7 flag, or
-- weekly intervals in the service's IANA time zone) so that replies can say
-- whether a line is open now; structured hours are only recorded where the
-- evidence confirms them, otherwise `hours` says what was reported and
-- open_now stays unknown. Numbers and hours change: re-check every row
-- (README, "Crisis resources").

-- True when h is a non-empty array of weekly intervals
-- {"days": ["mon", ...], "from": "HH:MM", "to": "HH:MM"}; "to" may be
-- "24:00", and a "to" at or before "from" ends on the next day.
CREATE FUNCTION crisis_opening_hours_valid(h jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(h) <> 'array' OR jsonb_array_length(h) = 0 THEN false
  ELSE NOT EXISTS (
    SELECT 1 FROM jsonb_array_elements(h) e
    WHERE CASE WHEN jsonb_typeof(e) <> 'object' THEN true
      WHEN e - 'days' - 'from' - 'to' <> '{}'::jsonb THEN true
      WHEN jsonb_typeof(e -> 'days') IS DISTINCT FROM 'array' OR jsonb_array_length(e -> 'days') = 0 THEN true
      WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(e -> 'days') d
                   WHERE jsonb_typeof(d) <> 'string'
                      OR NOT (d #>> '{}') = ANY (ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])) THEN true
      WHEN NOT coalesce(e ->> 'from' ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$', false) THEN true
      WHEN NOT coalesce(e ->> 'to' ~ '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', false) THEN true
      ELSE e ->> 'from' = e ->> 'to' END)
  END
$$;
COMMENT ON FUNCTION crisis_opening_hours_valid(jsonb) IS 'Checks crisis_resources.opening_hours: a non-empty array of {"days": [mon..sun], "from": "HH:MM", "to": "HH:MM" or "24:00"}; to <= from means the interval ends the next day.';

ALTER TABLE crisis_resources
    ADD COLUMN text_number    text CHECK (text_number ~ '^\+?[0-9][0-9 -]*$'),
    ADD COLUMN text_keyword   text CHECK (text_keyword ~ '^[A-Za-z0-9 ]+$'),
    ADD COLUMN email          text CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]+$'),
    ADD COLUMN url            text CHECK (url ~ '^https://'),
    ADD COLUMN time_zone      text CHECK (time_zone ~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$'),
    ADD COLUMN open_24_7      boolean NOT NULL DEFAULT false,
    ADD COLUMN opening_hours  jsonb CHECK (crisis_opening_hours_valid(opening_hours)),
    ADD COLUMN free_of_charge boolean,
    ADD COLUMN cultures       text[],
    ADD CHECK (text_keyword IS NULL OR text_number IS NOT NULL),
    ADD CHECK (NOT (open_24_7 AND opening_hours IS NOT NULL)),
    ADD CHECK (opening_hours IS NULL OR time_zone IS NOT NULL),
    ADD CHECK (NOT verified OR source_url IS NOT NULL);

COMMENT ON COLUMN crisis_resources.text_number IS 'Number to send a text message (SMS) to, as sent inside the country; NULL when the service takes no texts. The reply gives it as an sms: URI.';
COMMENT ON COLUMN crisis_resources.text_keyword IS 'Word to send to text_number to start a conversation (e.g. SHOUT); NULL when any text will do.';
COMMENT ON COLUMN crisis_resources.email IS 'Address that answers by e-mail; NULL when none is recorded.';
COMMENT ON COLUMN crisis_resources.url IS 'The service''s own page for a person to open (for a directory: where to search it); NULL when not known. source_url is where the row was checked.';
COMMENT ON COLUMN crisis_resources.time_zone IS 'IANA time zone of the service''s opening hours (Europe/Berlin); required with opening_hours. The service reads it from the system''s tz database.';
COMMENT ON COLUMN crisis_resources.open_24_7 IS 'true only when the evidence confirms the service answers at all hours on every day; then open_now is always true. false: not open around the clock, or not confirmed.';
COMMENT ON COLUMN crisis_resources.opening_hours IS 'Confirmed weekly opening hours in time_zone, as an array of {"days": ["sun", ...], "from": "HH:MM", "to": "HH:MM"} ("24:00" ends at midnight; to <= from ends the next day), checked by crisis_opening_hours_valid. NULL with open_24_7 false: hours unknown, open_now is null in replies (never claimed open). Record only hours the evidence confirms; reported but unconfirmed hours go into hours as text.';
COMMENT ON COLUMN crisis_resources.free_of_charge IS 'true when the evidence says calls are free of charge, false when they cost; NULL: not known.';
COMMENT ON COLUMN crisis_resources.cultures IS 'Culture codes (as in GET /cultures) for which the resource is also listed when a request names no country; NULL: none. Only for services that serve a culture wherever its people live: a culture alone never tells the country.';
COMMENT ON COLUMN crisis_resources.hours IS 'When the service answers, in words for people (e.g. "24/7", "chat Sun-Thu 16:00-24:00"), including reported but unconfirmed hours marked as such; NULL when nothing is known. Replies compute open_now from open_24_7 and opening_hours only, never from this text.';
COMMENT ON COLUMN crisis_resources.country IS 'ISO 3166-1 alpha-2 code of the country served, EU for the European Union as a whole, INT for an international directory.';
COMMENT ON COLUMN crisis_resources.source_url IS 'Where the row was checked (the organisation''s page, a government or news page); required when verified. NULL when not known.';
COMMENT ON COLUMN crisis_resources.verified_on IS 'Date the number, hours and languages were last checked against source_url; NULL: never checked. Re-check rows regularly; numbers and hours change.';

-- Superseded by the national hotline 12356 (NHC notice, December 2024).
DELETE FROM crisis_resources
WHERE country = 'CN' AND regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') IN ('8008101117', '01082951332');

-- Rows of 0002, now checked.
UPDATE crisis_resources SET chat_url = 'https://online.telefonseelsorge.de', url = 'https://www.telefonseelsorge.de',
    hours = '24/7, free of charge', open_24_7 = true, free_of_charge = true, time_zone = 'Europe/Berlin',
    source_url = 'https://www.domradio.de/glossar/telefonseelsorge-0', verified = true, verified_on = '2026-11-30',
    note = 'Confirmed 2026-11-30 (domradio.de; mail and chat: online.telefonseelsorge.de/haeufige-fragen).'
WHERE country = 'DE' AND phone IN ('0800 111 0 111', '0800 111 0 222');

UPDATE crisis_resources SET url = 'https://www.telefonseelsorge.at', hours = '24/7, free of charge', open_24_7 = true,
    free_of_charge = true, time_zone = 'Europe/Vienna', source_url = 'https://www.katholisch.at/telefonseelsorge',
    verified = true, verified_on = '2026-11-30',
    note = 'Confirmed 2026-11-30 (katholisch.at). The chat has its own row (other hours).'
WHERE country = 'AT' AND phone = '142';

UPDATE crisis_resources SET chat_url = 'https://www.143.ch', url = 'https://www.143.ch', hours = '24/7',
    open_24_7 = true, time_zone = 'Europe/Zurich', source_url = 'https://www.143.ch/unsere-geschichte/',
    verified = true, verified_on = '2026-11-30',
    note = 'Confirmed 2026-11-30 (143.ch); chat and mail via 143.ch. Whether calls are free is not recorded.'
WHERE country = 'CH' AND phone = '143';

UPDATE crisis_resources SET name = 'ERAN (ער"ן)', languages = '{he,ar,ru,am,en}', url = 'https://www.eran.org.il',
    hours = '24/7 (reported by a secondary source, not confirmed)', time_zone = 'Asia/Jerusalem',
    source_url = 'https://www.jerusaleminstitute.org.il', verified = false, verified_on = NULL,
    note = 'Probable only: number and hours from a blog of the Jerusalem Institute citing 1201; eran.org.il could not be reached. Chat and WhatsApp exist but their addresses are not confirmed. Check on eran.org.il before marking verified.'
WHERE country = 'IL' AND phone = '1201';

UPDATE crisis_resources SET name = '全国心理援助热线 (national psychological assistance hotline)',
    hours = 'Each local line at least 18 hours a day; Beijing 24 hours; not round the clock everywhere.', open_24_7 = false,
    time_zone = 'Asia/Shanghai', source_url = 'https://www.163.com', verified = true, verified_on = '2026-11-30',
    note = 'Confirmed 2026-11-30: National Health Commission notice of December 2024, as reported by 163.com (the notice itself was not seen). Hours differ by city, so no structured hours: open_now unknown. Replaces the older Beijing numbers 800-810-1117 and 010-82951332.'
WHERE country = 'CN' AND phone = '12356';

UPDATE crisis_resources SET email = 'jo@samaritans.org.hk', url = 'https://samaritans.org.hk', hours = '24/7',
    open_24_7 = true, time_zone = 'Asia/Hong_Kong', source_url = 'https://samaritans.org.hk', verified = true,
    verified_on = '2026-11-30', note = 'Confirmed 2026-11-30 (samaritans.org.hk); multilingual service.'
WHERE country = 'HK' AND phone = '2896 0000';

UPDATE crisis_resources SET text_number = '988', chat_url = 'https://988lifeline.org', url = 'https://988lifeline.org',
    hours = '24/7 (call, text or chat)', open_24_7 = true, languages = '{en,es}',
    source_url = 'https://988lifeline.org/get-help/what-to-expect', verified = true, verified_on = '2026-11-30',
    note = 'Confirmed 2026-11-30 (988lifeline.org). Spanish: press 2; interpreters for other languages. The LGBTQ+ option (press 3) ended on 2025-07-17. No time zone: open at all hours in every US zone.'
WHERE country = 'US' AND phone = '988';

UPDATE crisis_resources SET email = 'jo@samaritans.org', url = 'https://www.samaritans.org', hours = '24/7, free of charge',
    open_24_7 = true, free_of_charge = true, time_zone = 'Europe/London', source_url = 'https://www.samaritans.org',
    verified = true, verified_on = '2026-11-30', note = 'Confirmed 2026-11-30 (samaritans.org).'
WHERE country = 'GB' AND phone = '116 123';

UPDATE crisis_resources SET email = 'jo@samaritans.ie', url = 'https://www.samaritans.org', hours = '24/7, free of charge',
    open_24_7 = true, free_of_charge = true, time_zone = 'Europe/Dublin', source_url = 'https://www.samaritans.org',
    verified = true, verified_on = '2026-11-30', note = 'Confirmed 2026-11-30 (samaritans.org).'
WHERE country = 'IE' AND phone = '116 123';

UPDATE crisis_resources SET hours = '24/7', open_24_7 = true, source_url = 'https://digital-strategy.ec.europa.eu',
    verified = true, verified_on = '2026-11-30',
    note = 'Confirmed 2026-11-30 (European Commission, 112 day). For emergencies (police, ambulance, fire), not a listening line.'
WHERE country = 'EU' AND phone = '112';

UPDATE crisis_resources SET url = 'https://findahelpline.com', verified = false, verified_on = NULL,
    note = 'A directory, not a crisis line: 1,300+ services in 130 countries, maintained (Throughline developer documentation). Not marked verified: the evidence says maintained, not confirmed. Offered with every reply, and alone where no country is given or known.'
WHERE country = 'INT' AND source_url = 'https://findahelpline.com';

-- New rows: confirmed.
INSERT INTO crisis_resources (country, name, phone, text_number, text_keyword, chat_url, email, url, hours, open_24_7,
    opening_hours, time_zone, free_of_charge, languages, source_url, verified, verified_on, note) VALUES
    ('AT', 'TelefonSeelsorge Österreich – Chat', NULL, NULL, NULL, 'https://chat.onlineberatung-telefonseelsorge.at', NULL,
     'https://www.telefonseelsorge.at', 'Chat 16:00-23:00 (the source does not say on which days)', false, NULL,
     'Europe/Vienna', NULL, '{de}', 'https://www.katholisch.at/telefonseelsorge', true, '2026-11-30',
     'Confirmed 2026-11-30 (katholisch.at): chat from 16 to 23 h. The days are not stated, so no structured hours: open_now unknown. The phone line 142 answers 24/7.'),
    ('LI', 'Die Dargebotene Hand', '143', NULL, NULL, 'https://www.143.ch', NULL, 'https://www.143.ch', '24/7', true, NULL,
     'Europe/Vaduz', NULL, '{de}', 'https://www.143.ch/unsere-geschichte/', true, '2026-11-30',
     'Confirmed 2026-11-30 (143.ch serves Switzerland and Liechtenstein).'),
    ('CH', 'Heart2Heart (English line of Die Dargebotene Hand)', '0800 143 000', NULL, NULL, NULL, NULL,
     'https://heart2heart.143.ch', 'Daily 18:00-23:00, in English; not 24/7', false,
     '[{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "18:00", "to": "23:00"}]', 'Europe/Zurich',
     NULL, '{en}', 'https://heart2heart.143.ch', true, '2026-11-30', 'Confirmed 2026-11-30 (heart2heart.143.ch).'),
    ('CH', 'Pro Juventute 147', '147', NULL, NULL, 'https://www.147.ch', NULL, 'https://www.147.ch', '24/7', true, NULL,
     'Europe/Zurich', NULL, '{de,fr,it}', 'https://www.projuventute.ch', true, '2026-11-30',
     'Confirmed 2026-11-30 (projuventute.ch). For children and young people up to 25; WhatsApp via 147.ch.'),
    ('IL', 'SAHAR (סה"ר)', NULL, NULL, NULL, 'https://sahar.org.il', NULL, 'https://sahar.org.il',
     'Chat only: Sun-Thu 16:00-24:00, Sat 18:00-24:00, closed on Friday', false,
     '[{"days": ["sun", "mon", "tue", "wed", "thu"], "from": "16:00", "to": "24:00"}, {"days": ["sat"], "from": "18:00", "to": "24:00"}]',
     'Asia/Jerusalem', NULL, '{he,ar}', 'https://sahar.org.il/arabic/chat-assistance/', true, '2026-11-30',
     'Confirmed 2026-11-30 (sahar.org.il). Chat only, no phone; not 24/7.'),
    ('HK', 'Samaritan Befrienders Hong Kong (香港撒瑪利亞防止自殺會)', '2389 2222', NULL, NULL, NULL, NULL, NULL, '24/7', true, NULL,
     'Asia/Hong_Kong', NULL, '{zh,en}', 'https://www.csrp.hku.hk/getting-help/', true, '2026-11-30',
     'Confirmed 2026-11-30 (HKU Centre for Suicide Research and Prevention). Cantonese and English.'),
    ('HK', 'Suicide Prevention Services (生命熱線)', '2382 0000', NULL, NULL, NULL, NULL, NULL, '24/7', true, NULL,
     'Asia/Hong_Kong', NULL, '{zh}', 'https://www.csrp.hku.hk/getting-help/', true, '2026-11-30',
     'Confirmed 2026-11-30 (HKU Centre for Suicide Research and Prevention). Cantonese.'),
    ('HK', '情緒通 Mental Health Support Hotline (government)', '18111', NULL, NULL, NULL, NULL, NULL, '24/7', true, NULL,
     'Asia/Hong_Kong', NULL, '{zh,en}', 'https://www.news.gov.hk', true, '2026-11-30',
     'Confirmed 2026-11-30 (news.gov.hk, 2023-12-27). Cantonese, Mandarin, English and more; also WhatsApp (number not recorded here).'),
    ('GB', 'Shout', NULL, '85258', 'SHOUT', NULL, NULL, 'https://giveusashout.org', 'Text SHOUT to 85258, 24/7', true, NULL,
     'Europe/London', NULL, '{en}', 'https://giveusashout.org/about-us/faq/', true, '2026-11-30',
     'Confirmed 2026-11-30 (giveusashout.org). Text only, UK only.');

-- New rows: directories and lines not confirmed (unverified; the note says why).
INSERT INTO crisis_resources (country, name, phone, chat_url, url, hours, time_zone, languages, source_url, verified, note) VALUES
    ('INT', 'Befrienders Worldwide (directory of emotional support helplines)', NULL, NULL, 'https://befrienders.org', NULL,
     NULL, NULL, 'https://befrienders.org/what-we-do', false,
     'A directory, not a crisis line. Exists (befrienders.org/what-we-do); not marked verified: existence only, no check of its entries.'),
    ('DE', 'TelefonSeelsorge', '116 123', NULL, 'https://www.telefonseelsorge.de', '24/7 (reported, not confirmed)',
     'Europe/Berlin', '{de}', 'https://www.domradio.de/glossar/telefonseelsorge-0', false,
     'Probable only: 116 123 as a third number of the TelefonSeelsorge is not confirmed by the sources seen; 0800 111 0 111 and 0800 111 0 222 are.'),
    ('CN', 'Hope 24 (希望24热线)', '400-161-9995', NULL, NULL, '24/7 (reported 2023, not confirmed); often busy',
     'Asia/Shanghai', '{zh}', 'https://www.why.com.cn', false,
     'Probable only: why.com.cn (2023), a secondary source. Often busy.'),
    ('EG', 'Ministry of Health and Population mental health line', '0800 888 0700', NULL, NULL,
     '24 hours (reported, not confirmed)', 'Africa/Cairo', '{ar}', 'https://www.elmogaz.com', false,
     'Probable only: a news report (elmogaz.com), not the ministry''s own page.'),
    ('EG', 'Ministry of Health and Population mental health line', '02 2081 6831', NULL, NULL,
     '24 hours (reported, not confirmed)', 'Africa/Cairo', '{ar}', 'https://www.elmogaz.com', false,
     'Probable only: a news report (elmogaz.com), not the ministry''s own page.'),
    ('LB', 'Embrace LifeLine', '1564', NULL, NULL, 'Reported 24/7 (21 hours a day in 2021); not confirmed', 'Asia/Beirut',
     '{ar,en,fr}', 'https://www.afd.fr', false,
     'The number is confirmed (afd.fr; the961.com), the hours are not, so the row is not marked verified.'),
    ('QA', 'National Mental Health Helpline', '16000', NULL, NULL, '7:00-22:00 (reported 2020, not confirmed)', 'Asia/Qatar',
     NULL, 'https://www.gulf-times.com', false,
     'Probable only: gulf-times.com (2020). Multilingual. Not 24/7 as reported.'),
    ('AE', 'Abu Dhabi mental health line 800-SAKINA', '800 725462', NULL, NULL, '24/7 (reported 2026, not confirmed)',
     'Asia/Dubai', '{ar,en}', 'https://www.aletihad.ae', false,
     'Probable only: aletihad.ae (2026-03), a news report. Abu Dhabi.'),
    ('AE', 'National Mental Support Line 800 HOPE', '800 4673', NULL, NULL, '8:00-20:00 (reported 2021, not confirmed)',
     'Asia/Dubai', '{ar,en}', 'https://www.thenationalnews.com', false,
     'Probable only: thenationalnews.com (2020). WhatsApp reported. May have lapsed; not 24/7 as reported.'),
    ('TN', 'Ministry of Health listening line', '80 10 50 50', NULL, NULL, NULL, 'Africa/Tunis', '{ar,fr}',
     'https://www.lapresse.tn', false, 'Probable only: lapresse.tn, a news report. Hours unknown.'),
    ('JO', 'Jordan River Foundation family line', '110', NULL, NULL, NULL, 'Asia/Amman', '{ar}', 'https://www.queenrania.jo',
     false, 'Probable only: queenrania.jo. For children and families. Hours unknown.');

-- Saudi Arabia, Kuwait, Iraq (federal) and Morocco: nothing verifiable was
-- found; requests for them get the directories.
