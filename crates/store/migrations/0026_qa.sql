-- Q&A: posts asked as questions, their accepted answer and bounty escrow.
-- `held` is what the escrow still holds (the bounty until it is paid or
-- settled, 0 after); every movement is also a points ledger row.
CREATE TABLE questions (
    post_id BIGINT PRIMARY KEY REFERENCES posts(id),
    community_id BIGINT NOT NULL REFERENCES communities(id),
    asker_id BIGINT NOT NULL REFERENCES users(id),
    bounty BIGINT NOT NULL DEFAULT 0,
    held BIGINT NOT NULL DEFAULT 0,
    deadline BIGINT,
    -- return | best_answer
    fallback TEXT NOT NULL DEFAULT 'return',
    accepted_comment_id BIGINT,
    accepted_by BIGINT,
    accepted_at BIGINT,
    -- What the accepted answer's acceptance paid out of the escrow, and to whom.
    paid BIGINT NOT NULL DEFAULT 0,
    paid_to BIGINT,
    first_answer_at BIGINT,
    settled_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX questions_feed ON questions(community_id, created_at);
CREATE INDEX questions_due ON questions(deadline) WHERE held > 0;
