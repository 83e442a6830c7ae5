-- Reactions on comments, from the same small set as posts. `post_id` is kept
-- so that a post page reads all its comments' reactions in one indexed query.
CREATE TABLE comment_reactions (
    comment_id BIGINT NOT NULL REFERENCES comments(id),
    post_id BIGINT NOT NULL REFERENCES posts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    emoji TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (comment_id, user_id, emoji)
);
CREATE INDEX comment_reactions_post ON comment_reactions(post_id);
ALTER TABLE comments ADD COLUMN reaction_count BIGINT NOT NULL DEFAULT 0;
