-- Venues, rooms and bookings (see crates/domain/src/venues.rs). A booking
-- that holds its room (pending or confirmed) blocks [block_start,
-- block_end): its time plus the room's buffer. Two holding bookings of one
-- room never overlap: on PostgreSQL an exclusion constraint refuses the
-- second, on SQLite (one writer at a time) a trigger does.
CREATE TABLE venues (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX venues_community ON venues(community_id);

CREATE TABLE rooms (
    id @ID@,
    venue_id BIGINT NOT NULL REFERENCES venues(id),
    community_id BIGINT NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    -- domain::venues::RoomDef as JSON.
    def TEXT NOT NULL,
    archived BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX rooms_venue ON rooms(venue_id);

CREATE TABLE bookings (
    id @ID@,
    room_id BIGINT NOT NULL REFERENCES rooms(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    block_start BIGINT NOT NULL,
    block_end BIGINT NOT NULL,
    -- pending | confirmed | cancelled | declined
    status TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    -- The bookings of one weekly repeat share the first one's id.
    series_id BIGINT,
    event_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (block_end > block_start)
);
CREATE INDEX bookings_room ON bookings(room_id, starts_at);
CREATE INDEX bookings_user ON bookings(user_id, starts_at);

-- @postgres
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap
    EXCLUDE USING gist (room_id WITH =, int8range(block_start, block_end) WITH &&)
    WHERE (status IN ('pending', 'confirmed'));
-- @sqlite
CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings
WHEN NEW.status IN ('pending', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'bookings_no_overlap')
    WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.room_id = NEW.room_id
        AND b.status IN ('pending', 'confirmed')
        AND b.block_start < NEW.block_end AND NEW.block_start < b.block_end);
END;
CREATE TRIGGER bookings_no_overlap_update BEFORE UPDATE ON bookings
WHEN NEW.status IN ('pending', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'bookings_no_overlap')
    WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.room_id = NEW.room_id AND b.id <> NEW.id
        AND b.status IN ('pending', 'confirmed')
        AND b.block_start < NEW.block_end AND NEW.block_start < b.block_end);
END;
-- @both
