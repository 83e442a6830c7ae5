-- Polls inside posts: the poll (its checked definition as JSON), and one
-- ballot per member (option indexes, in preference order for ranked polls),
-- replaced when they change their vote until the close.
CREATE TABLE polls (
    post_id BIGINT PRIMARY KEY REFERENCES posts(id),
    community_id BIGINT NOT NULL REFERENCES communities(id),
    def TEXT NOT NULL,
    closes_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE poll_votes (
    post_id BIGINT NOT NULL REFERENCES polls(post_id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    picks TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
