#!/usr/bin/env bash
# The seeded crisis resources (migrations/0007_crisis_resources.sql) on a
# real PostgreSQL: every verified row has its source and date, no row
# claims 24/7 or open hours the evidence does not confirm (the public
# sources checked on 2026-11-30), the outdated numbers are gone, and the
# constraints keep operators' edits honest.
. "$(dirname "$0")/lib.sh"
pg_up
cc migrate >/dev/null
q() { psql "$DATABASE_URL" -Atc "$1"; }
# q_fails SQL: true when the statement is refused.
q_fails() { ! psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qc "$1" >/dev/null 2>&1; }

eq "every verified row has a source and the date it was checked" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE verified AND (source_url IS NULL OR verified_on IS NULL)")" 0
eq "verified rows were checked on 2026-11-30" \
  "$(q "SELECT string_agg(DISTINCT verified_on::text, ',') FROM crisis_resources WHERE verified")" 2026-11-30
eq "every unverified row says why in its note" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE NOT verified AND coalesce(note, '') = ''")" 0
eq "unverified rows carry no date of a check" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE NOT verified AND verified_on IS NOT NULL")" 0
eq "open hours (24/7 or weekly) only on confirmed rows" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE NOT verified AND (open_24_7 OR opening_hours IS NOT NULL)")" 0

# Lines the evidence says are not open around the clock (or not
# everywhere, or not confirmed so): none may claim 24/7.
not_24_7="('IL', NULL, 'SAHAR%'), ('CH', '0800 143 000', NULL), ('CN', '12356', NULL), ('QA', '16000', NULL),
  ('AE', '800 4673', NULL), ('AT', NULL, '%Chat'), ('LB', '1564', NULL), ('IL', '1201', NULL), ('CN', '400-161-9995', NULL)"
eq "no row claims 24/7 where the evidence says otherwise (9 rows)" \
  "$(q "SELECT count(*) FILTER (WHERE NOT r.open_24_7), count(*) FILTER (WHERE r.open_24_7)
        FROM (VALUES $not_24_7) AS e(cc, phone, name)
        JOIN crisis_resources r ON r.country = e.cc AND (e.phone IS NULL OR r.phone = e.phone)
         AND (e.name IS NULL OR r.name LIKE e.name)" | tr '|' ' ')" "9 0"
eq "nor says 24/7 in words without the flag, unless marked as reported" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE NOT open_24_7 AND hours ~* '24/7'
        AND hours !~* '(reported|not confirmed|not 24/7)'")" 0
eq "every 24/7 flag is backed by the words" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE open_24_7 AND hours !~ '24/7'")" 0

# SAHAR: chat only, Sun-Thu 16-24, Sat 18-24, closed on Friday.
eq "SAHAR: chat only, verified" \
  "$(q "SELECT phone IS NULL, chat_url, verified FROM crisis_resources WHERE name LIKE 'SAHAR%'")" "t|https://sahar.org.il|t"
eq "SAHAR: its weekly hours, in Jerusalem time" \
  "$(q "SELECT time_zone, string_agg(d || ' ' || (e->>'from') || '-' || (e->>'to'), ',' ORDER BY d)
        FROM crisis_resources, jsonb_array_elements(opening_hours) e, jsonb_array_elements_text(e->'days') d
        WHERE name LIKE 'SAHAR%' GROUP BY time_zone")" \
  "Asia/Jerusalem|mon 16:00-24:00,sat 18:00-24:00,sun 16:00-24:00,thu 16:00-24:00,tue 16:00-24:00,wed 16:00-24:00"
eq "Heart2Heart: daily 18-23, English" \
  "$(q "SELECT opening_hours->0->>'from', opening_hours->0->>'to', jsonb_array_length(opening_hours->0->'days'), languages
        FROM crisis_resources WHERE phone = '0800 143 000'")" "18:00|23:00|7|{en}"

# The confirmed lines are there, and the outdated ones are not.
for row in "HK|18111" "CH|147" "CH|0800 143 000" "GB|116 123" "IE|116 123" "LI|143" "HK|2389 2222" "HK|2382 0000"; do
  eq "confirmed and verified: $row" "$(q "SELECT count(*) FROM crisis_resources WHERE country = '${row%|*}' AND phone = '${row#*|}' AND verified")" 1
done
eq "Shout: text SHOUT to 85258, UK" \
  "$(q "SELECT country, text_number, text_keyword, open_24_7, verified FROM crisis_resources WHERE name = 'Shout'")" "GB|85258|SHOUT|t|t"
eq "988: call or text" "$(q "SELECT text_number, open_24_7 FROM crisis_resources WHERE phone = '988'")" "988|t"
eq "the older Beijing numbers are gone" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') IN ('8008101117', '01082951332')")" 0
eq "12356: not 24/7 everywhere, hours unknown as a whole" \
  "$(q "SELECT open_24_7, opening_hours IS NULL, verified FROM crisis_resources WHERE phone = '12356'")" "f|t|t"
eq "Arabic-speaking countries with rows, all unverified (probable at best)" \
  "$(q "SELECT string_agg(DISTINCT country, ',' ORDER BY country), bool_or(verified) FROM crisis_resources WHERE country IN ('EG','LB','QA','AE','TN','JO','SA','KW','IQ','MA')")" \
  "AE,EG,JO,LB,QA,TN|f"
eq "two directories" "$(q "SELECT string_agg(url, ',' ORDER BY url) FROM crisis_resources WHERE country = 'INT'")" \
  "https://befrienders.org,https://findahelpline.com"
eq "every time zone is one PostgreSQL knows" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE time_zone IS NOT NULL AND time_zone NOT IN (SELECT name FROM pg_timezone_names)")" 0
eq "every row has a way to reach it (phone, text, chat or page)" \
  "$(q "SELECT count(*) FROM crisis_resources WHERE num_nonnulls(phone, text_number, chat_url, url) = 0")" 0

# The constraints refuse what would mislead.
ok "verified without a source is refused" q_fails \
  "INSERT INTO crisis_resources (country, name, phone, verified, verified_on) VALUES ('FR', 'x', '1', true, '2026-11-30')"
ok "verified without a date is refused" q_fails \
  "INSERT INTO crisis_resources (country, name, phone, source_url, verified) VALUES ('FR', 'x', '1', 'https://x.fr', true)"
ok "24/7 together with weekly hours is refused" q_fails \
  "INSERT INTO crisis_resources (country, name, phone, open_24_7, opening_hours, time_zone) VALUES ('FR', 'x', '1', true, '[{\"days\": [\"mon\"], \"from\": \"09:00\", \"to\": \"17:00\"}]', 'Europe/Paris')"
ok "weekly hours without a time zone are refused" q_fails \
  "INSERT INTO crisis_resources (country, name, phone, opening_hours) VALUES ('FR', 'x', '1', '[{\"days\": [\"mon\"], \"from\": \"09:00\", \"to\": \"17:00\"}]')"
for bad in '[]' '{}' '[{"days": ["monday"], "from": "09:00", "to": "17:00"}]' '[{"days": [], "from": "09:00", "to": "17:00"}]' \
  '[{"days": ["mon"], "from": "9:00", "to": "17:00"}]' '[{"days": ["mon"], "from": "24:00", "to": "02:00"}]' \
  '[{"days": ["mon"], "from": "09:00", "to": "09:00"}]' '[{"days": ["mon"], "from": "09:00"}]' \
  '[{"days": ["mon"], "from": "09:00", "to": "17:00", "note": "x"}]' '[1]'; do
  ok "malformed opening_hours refused: $bad" q_fails \
    "INSERT INTO crisis_resources (country, name, phone, opening_hours, time_zone) VALUES ('FR', 'x', '1', '$bad', 'Europe/Paris')"
done
ok "an overnight interval is accepted" psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qc \
  "BEGIN; INSERT INTO crisis_resources (country, name, phone, opening_hours, time_zone) VALUES ('FR', 'x', '1', '[{\"days\": [\"fri\", \"sat\"], \"from\": \"22:00\", \"to\": \"02:00\"}]', 'Europe/Paris'); ROLLBACK"
finish
