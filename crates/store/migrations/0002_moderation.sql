-- Moderation: settings per community, speaking rights on memberships, withheld
-- content, strikes, flags (rule holds and member reports), notifications.
-- Same dialect rules as 0001 (portable SQL; @ID@ is the auto-increment key).

-- Bumped on every settings change so each node recompiles its cached rule set.
ALTER TABLE communities ADD COLUMN moderation_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE moderation_settings (
    community_id BIGINT PRIMARY KEY REFERENCES communities(id),
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id)
);

-- A muted member keeps membership and read access; until lifted when muted_until is the far future.
ALTER TABLE memberships ADD COLUMN muted_until BIGINT;
ALTER TABLE memberships ADD COLUMN mute_reason TEXT NOT NULL DEFAULT '';
-- "Posts need approval": everything this member writes is held for review.
ALTER TABLE memberships ADD COLUMN needs_approval BIGINT NOT NULL DEFAULT 0;

-- visible | held (awaiting review) | hidden (by a rule, reports or a moderator)
ALTER TABLE posts ADD COLUMN moderation TEXT NOT NULL DEFAULT 'visible';
ALTER TABLE comments ADD COLUMN moderation TEXT NOT NULL DEFAULT 'visible';
CREATE INDEX comments_author ON comments(author_id, community_id);

-- Feeds show visible posts only; the partial indexes say so.
DROP INDEX posts_feed;
DROP INDEX posts_essence;
DROP INDEX posts_topic;
DROP INDEX posts_pinned;
CREATE INDEX posts_feed ON posts(community_id, created_at, id) WHERE deleted_at IS NULL AND moderation = 'visible';
CREATE INDEX posts_essence ON posts(community_id, created_at, id) WHERE deleted_at IS NULL AND essence = 1 AND moderation = 'visible';
CREATE INDEX posts_topic ON posts(topic_id, created_at, id) WHERE deleted_at IS NULL AND moderation = 'visible';
CREATE INDEX posts_pinned ON posts(community_id, created_at) WHERE deleted_at IS NULL AND pinned = 1 AND moderation = 'visible';

CREATE TABLE strikes (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    rule TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX strikes_member ON strikes(community_id, user_id, at);

-- One row per reason something needs a moderator: a rule held or hid it
-- (source 'rule', reporter NULL) or a member reported it (source 'report').
CREATE TABLE mod_flags (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    target_user_id BIGINT NOT NULL REFERENCES users(id),
    source TEXT NOT NULL,
    reporter_id BIGINT REFERENCES users(id),
    rules TEXT NOT NULL DEFAULT '[]',
    reason TEXT NOT NULL DEFAULT '',
    excerpt TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by BIGINT REFERENCES users(id),
    resolution TEXT
);
CREATE INDEX mod_flags_queue ON mod_flags(community_id, resolved_at, created_at);
CREATE INDEX mod_flags_target ON mod_flags(target_kind, target_id);
-- A member reports a given thing once.
CREATE UNIQUE INDEX mod_flags_one_report ON mod_flags(reporter_id, target_kind, target_id) WHERE reporter_id IS NOT NULL;

CREATE TABLE notifications (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id),
    community_id BIGINT REFERENCES communities(id),
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, id);
