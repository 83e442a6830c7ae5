-- Saved member segments (see crates/domain/src/segments.rs): a name and the
-- conditions, as JSON; who is in one is decided when it is read.
CREATE TABLE segments (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL,
    -- domain::segments::SegmentRule as JSON.
    rule TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX segments_name ON segments(community_id, name);
