-- 0006: concept lexicons for the crisis-risk assessment (server/risk.c).
-- New kinds that combine within a sentence in any order and at any
-- distance: act (an act done or under way), quantity, finality,
-- method_seeking and presence (a means in place or in hand); more rules of
-- the existing kinds (means, slang and euphemisms for ideation, times).
-- Rules are data: edit them with SQL, no rebuild needed.

ALTER TABLE risk_rules DROP CONSTRAINT risk_rules_kind_check;
ALTER TABLE risk_rules ADD CONSTRAINT risk_rules_kind_check CHECK (kind IN (
    'passive_ideation', 'hopelessness', 'active_ideation', 'past_self_harm', 'recent_self_harm',
    'method', 'intent', 'time', 'preparatory', 'act', 'quantity', 'finality', 'method_seeking',
    'presence', 'negation', 'third_person', 'first_person', 'harm_others', 'abuse', 'idiom'));

COMMENT ON COLUMN risk_rules.kind IS 'What a match means. Writer''s risk: passive_ideation (wish to be dead), hopelessness, active_ideation (thoughts of killing oneself, self-harm urges, slang for them), past_self_harm, recent_self_harm (recent or ongoing self-harm), method (a means: pills, a height, a rope, a blade; nothing alone), intent (decision, plan), time (tonight, right now), preparatory (preparatory acts or an act under way; imminent alone). Concepts that combine within one sentence, in any order and at any distance: act (an act done or under way: took, swallowed, injected, jumped), quantity (all of, a whole bottle, thirty), finality (a farewell, a last post, a note, a will, belongings given away; high alone), method_seeking (how many, what height, a lethal dose), presence (standing on, in my hand, is running, is tied). In a sentence: method_seeking + (method or ideation) = high; act + method + (quantity, ideation, finality, time or intent) = imminent; presence + method = imminent; finality + (method, time, intent, ideation, act or presence) = imminent. Safety floor: method_seeking, finality, or a method with an act, quantity, presence, intent or hopelessness in a message with a first_person cue = at least moderate. Cues: negation, third_person, first_person (see 0002); idiom (a figure of speech such as killed myself laughing: hides the risk matches it overlaps). Separate categories: harm_others, abuse.';

-- English.
-- (en)

-- German.
-- (de)

-- Chinese.
-- (zh)

-- Arabic.
-- (ar)

-- Hebrew.
-- (he)
