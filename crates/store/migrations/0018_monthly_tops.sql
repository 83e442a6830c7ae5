-- A finished month's top contributors, frozen the first time the month is
-- announced or read after it ends: later reversals in that month change its
-- period totals, not this list.
CREATE TABLE points_monthly (
    community_id BIGINT NOT NULL REFERENCES communities(id),
    -- 'm2026-11', as domain::points::Periods::month.
    month TEXT NOT NULL,
    rank BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    points BIGINT NOT NULL,
    frozen_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, month, rank)
);
