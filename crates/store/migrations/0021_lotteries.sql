-- Lotteries anyone can verify (see crates/domain/src/lotteries.rs). The
-- secret is kept here until the draw and published after it; the draw
-- writes entries_hash, seed, drawn_at and the winners once, under a lock on
-- the lottery's row, so a second click returns the same result.
CREATE TABLE lotteries (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    title TEXT NOT NULL,
    -- domain::lotteries::LotteryDef as JSON.
    def TEXT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    secret TEXT NOT NULL,
    commitment TEXT NOT NULL,
    operator_value TEXT NOT NULL DEFAULT '',
    entries_hash TEXT,
    seed TEXT,
    drawn_at BIGINT,
    drawn_by BIGINT REFERENCES users(id),
    result_post_id BIGINT REFERENCES posts(id),
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX lotteries_community ON lotteries(community_id, closes_at);

-- `seq` numbers a member's entries (1, 2, …): the unique index turns a
-- race for one more entry than allowed into a refused insert.
CREATE TABLE lottery_entries (
    id @ID@,
    lottery_id BIGINT NOT NULL REFERENCES lotteries(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    seq BIGINT NOT NULL,
    ticket TEXT NOT NULL,
    -- Whether it could win, decided at the draw (NULL before).
    eligible BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX lottery_entries_seq ON lottery_entries(lottery_id, user_id, seq);
CREATE UNIQUE INDEX lottery_entries_ticket ON lottery_entries(lottery_id, ticket);

CREATE TABLE lottery_winners (
    lottery_id BIGINT NOT NULL REFERENCES lotteries(id),
    rank BIGINT NOT NULL,
    entry_id BIGINT NOT NULL REFERENCES lottery_entries(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    prize TEXT NOT NULL,
    delivered_at BIGINT,
    PRIMARY KEY (lottery_id, rank)
);
