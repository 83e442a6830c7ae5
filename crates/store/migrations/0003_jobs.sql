-- The durable job queue. A job is written in the same transaction as the
-- activity event that causes it, so a crash between commit and delivery loses
-- nothing. `dedupe_key` makes "once per (rule, occurrence, recipient)" a
-- constraint rather than a hope.
CREATE TABLE jobs (
    id @ID@,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT UNIQUE,
    community_id BIGINT,
    -- queued | running | done | dead
    status TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 8,
    -- A running job whose lease ran out (its worker died) is claimed again.
    locked_until BIGINT,
    worker TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_due ON jobs(run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_leased ON jobs(locked_until) WHERE status = 'running';
CREATE INDEX jobs_dead ON jobs(finished_at) WHERE status = 'dead';
