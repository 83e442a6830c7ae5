-- Email notifications: an address per member, per-kind preferences
-- (off / immediate / daily / weekly digest), quiet hours in the member's time
-- zone, and what has been mailed already.
ALTER TABLE users ADD COLUMN email TEXT;
-- Local hours [start, end) during which nothing is sent; equal values: no quiet hours.
ALTER TABLE users ADD COLUMN quiet_start BIGINT NOT NULL DEFAULT 22;
ALTER TABLE users ADD COLUMN quiet_end BIGINT NOT NULL DEFAULT 8;
-- When the last daily / weekly digest went out.
ALTER TABLE users ADD COLUMN digest_daily_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN digest_weekly_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE email_preferences (
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    -- off | immediate | daily | weekly
    mode TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- NULL: not yet considered for email; set when mailed, digested or skipped
-- (0 for members without an address, so the mailer never scans them).
ALTER TABLE notifications ADD COLUMN emailed_at BIGINT;
CREATE INDEX notifications_unmailed ON notifications(user_id, id) WHERE emailed_at IS NULL;

-- Site-wide secrets shared by every node (e.g. the unsubscribe-link key).
CREATE TABLE site_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Finished jobs are pruned after a week (the mailer alone finishes one a minute).
CREATE INDEX jobs_finished ON jobs(finished_at) WHERE status = 'done';
