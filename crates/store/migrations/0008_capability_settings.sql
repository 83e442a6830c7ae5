-- Capability settings live in tables of their own, one row per community
-- (absent: the defaults), not in columns of `communities`. What stays on
-- `communities` is what every write path reads with the community row
-- anyway (faq_version, checklist_enabled, moderation_version): a flag or a
-- version there costs no extra query per post.
CREATE TABLE faq_settings (
    community_id BIGINT PRIMARY KEY REFERENCES communities(id),
    -- Match score (x1000) an answer needs.
    threshold BIGINT NOT NULL,
    -- Minutes before an unanswered question is shown to moderators.
    unanswered_minutes BIGINT NOT NULL
);
INSERT INTO faq_settings (community_id, threshold, unanswered_minutes)
    SELECT id, faq_threshold, faq_unanswered_minutes FROM communities
    WHERE faq_threshold <> 400 OR faq_unanswered_minutes <> 30;

CREATE TABLE onboarding_settings (
    community_id BIGINT PRIMARY KEY REFERENCES communities(id),
    -- Where introductions go (the checklist's "introduce yourself").
    intro_topic_id BIGINT
);
INSERT INTO onboarding_settings (community_id, intro_topic_id)
    SELECT id, checklist_intro_topic_id FROM communities WHERE checklist_intro_topic_id IS NOT NULL;

ALTER TABLE communities DROP COLUMN faq_threshold;
ALTER TABLE communities DROP COLUMN faq_unanswered_minutes;
ALTER TABLE communities DROP COLUMN checklist_intro_topic_id;
