-- Check-in challenges (see crates/domain/src/challenges.rs). A member's
-- standing (streaks, totals) is derived from their check-ins and rewritten
-- with each one, under a lock on their challenge_members row; the unique
-- index keeps one check-in per member per local day whatever races.
CREATE TABLE challenges (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    title TEXT NOT NULL,
    -- domain::challenges::ChallengeDef as JSON.
    def TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX challenges_community ON challenges(community_id, starts_on);

CREATE TABLE challenge_members (
    challenge_id BIGINT NOT NULL REFERENCES challenges(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    joined_at BIGINT NOT NULL,
    -- Local minute of the day for the daily reminder; NULL: none.
    remind_minute BIGINT,
    checkins BIGINT NOT NULL DEFAULT 0,
    number_sum DOUBLE PRECISION NOT NULL DEFAULT 0,
    current_streak BIGINT NOT NULL DEFAULT 0,
    longest_streak BIGINT NOT NULL DEFAULT 0,
    -- The last day done, 'YYYY-MM-DD' (local).
    last_day TEXT,
    makeups_used BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT,
    PRIMARY KEY (challenge_id, user_id)
);
CREATE INDEX challenge_members_streak ON challenge_members(challenge_id, current_streak);
CREATE INDEX challenge_members_remind ON challenge_members(remind_minute);

CREATE TABLE checkins (
    id @ID@,
    challenge_id BIGINT NOT NULL REFERENCES challenges(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    day TEXT NOT NULL,
    made_up BIGINT NOT NULL DEFAULT 0,
    number DOUBLE PRECISION,
    -- The proof, a post like any other (unlisted unless shared to the feed).
    post_id BIGINT REFERENCES posts(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX checkins_once ON checkins(challenge_id, user_id, day);
CREATE INDEX checkins_day ON checkins(challenge_id, day);
CREATE INDEX checkins_post ON checkins(post_id);

-- One reminder per member, challenge and local day.
CREATE TABLE checkin_reminders (
    challenge_id BIGINT NOT NULL REFERENCES challenges(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    day TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (challenge_id, user_id, day)
);

-- Posts that live in a challenge's feed only.
ALTER TABLE posts ADD COLUMN unlisted BIGINT NOT NULL DEFAULT 0;
