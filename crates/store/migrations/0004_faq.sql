-- FAQ auto-reply: entries per community, the assistant's replies with the
-- asker's feedback, and questions nobody has answered yet.
CREATE TABLE faq_entries (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    questions TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered_count BIGINT NOT NULL DEFAULT 0,
    helpful_count BIGINT NOT NULL DEFAULT 0,
    unhelpful_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX faq_entries_community ON faq_entries(community_id) WHERE deleted_at IS NULL;

-- Bumped on every FAQ change so each node rebuilds its cached index.
ALTER TABLE communities ADD COLUMN faq_version BIGINT NOT NULL DEFAULT 0;
-- Confidence needed to answer, in thousandths; minutes before moderators hear of an unanswered question.
ALTER TABLE communities ADD COLUMN faq_threshold BIGINT NOT NULL DEFAULT 400;
ALTER TABLE communities ADD COLUMN faq_unanswered_minutes BIGINT NOT NULL DEFAULT 30;

CREATE TABLE faq_replies (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    entry_id BIGINT NOT NULL REFERENCES faq_entries(id),
    post_id BIGINT NOT NULL REFERENCES posts(id),
    comment_id BIGINT NOT NULL REFERENCES comments(id),
    asker_id BIGINT NOT NULL REFERENCES users(id),
    score BIGINT NOT NULL,
    -- NULL until the asker says; then 'helpful' or 'unhelpful'
    feedback TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX faq_replies_comment ON faq_replies(comment_id);

CREATE TABLE faq_unanswered (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    post_id BIGINT NOT NULL UNIQUE REFERENCES posts(id),
    asker_id BIGINT NOT NULL REFERENCES users(id),
    best_entry_id BIGINT,
    best_score BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    answered_at BIGINT,
    notified_at BIGINT
);
CREATE INDEX faq_unanswered_open ON faq_unanswered(community_id, created_at) WHERE answered_at IS NULL;
