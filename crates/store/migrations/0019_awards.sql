-- Member-voted awards (see crates/domain/src/awards.rs): one vote per
-- member per award, changeable until the close (the primary key keeps racing
-- votes to one row).
CREATE TABLE awards (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    title TEXT NOT NULL,
    closes_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX awards_community ON awards(community_id, closes_at);

CREATE TABLE award_nominees (
    award_id BIGINT NOT NULL REFERENCES awards(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (award_id, user_id)
);

CREATE TABLE award_votes (
    award_id BIGINT NOT NULL REFERENCES awards(id),
    voter_id BIGINT NOT NULL REFERENCES users(id),
    nominee_id BIGINT NOT NULL REFERENCES users(id),
    voted_at BIGINT NOT NULL,
    PRIMARY KEY (award_id, voter_id)
);
CREATE INDEX award_votes_tally ON award_votes(award_id, nominee_id);
