-- Points (see crates/domain/src/points.rs). The ledger is the truth: rows
-- are appended, never updated or deleted (a recompute replaces a whole
-- community's rows). Balances and period totals are caches kept in the same
-- transaction as each ledger row.
CREATE TABLE points_settings (
    community_id BIGINT PRIMARY KEY REFERENCES communities(id),
    -- domain::points::PointsSettings as JSON.
    settings TEXT NOT NULL
);

CREATE TABLE points_ledger (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    amount BIGINT NOT NULL,
    -- A domain points rule, 'manual' (staff) or 'reversal'.
    rule TEXT NOT NULL,
    -- The activity event that earned it (rule awards only): one award per
    -- (event, rule, member), however often the event is replayed.
    event_id BIGINT,
    -- The content or member that earned it (what a removal takes back).
    subject_kind TEXT,
    subject_id BIGINT,
    -- Who gave it (reactor, replier, newcomer); staff for manual rows.
    from_user_id BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    -- Reversal rows: the row they take back (each row at most once).
    reverses_id BIGINT REFERENCES points_ledger(id),
    -- The community's local day (domain::points::Periods::day), for daily caps.
    day BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX points_ledger_once ON points_ledger(event_id, rule, user_id);
CREATE UNIQUE INDEX points_ledger_reversal ON points_ledger(reverses_id);
CREATE INDEX points_ledger_member ON points_ledger(community_id, user_id, id);
CREATE INDEX points_ledger_day ON points_ledger(community_id, user_id, day, rule);
CREATE INDEX points_ledger_subject ON points_ledger(community_id, subject_kind, subject_id);

CREATE TABLE points_balances (
    community_id BIGINT NOT NULL REFERENCES communities(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    balance BIGINT NOT NULL,
    -- The highest level reached (0-based): a level is announced once.
    top_level BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX points_balances_rank ON points_balances(community_id, balance DESC, user_id);

-- Points per leaderboard period ('w2026-49', 'm2026-12'), by the local date of the award.
CREATE TABLE points_periods (
    community_id BIGINT NOT NULL REFERENCES communities(id),
    period TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    points BIGINT NOT NULL,
    PRIMARY KEY (community_id, period, user_id)
);
CREATE INDEX points_periods_rank ON points_periods(community_id, period, points DESC, user_id);
