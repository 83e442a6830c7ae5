-- Badges (see crates/domain/src/badges.rs): the built-in ones, added to a
-- community the first time its badges are read or earned, and custom ones
-- operators define; who earned which, once each.
CREATE TABLE badges (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    -- A key of domain::badges::BUILTINS; NULL for a custom badge.
    builtin TEXT,
    -- A custom badge's name; '#' || builtin for built-ins (named in the reader's language).
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    icon TEXT NOT NULL,
    -- Earned automatically at `at_least` of this count; NULL: granted by staff.
    counter TEXT,
    at_least BIGINT,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX badges_builtin ON badges(community_id, builtin);
CREATE UNIQUE INDEX badges_name ON badges(community_id, name);

CREATE TABLE member_badges (
    badge_id BIGINT NOT NULL REFERENCES badges(id),
    community_id BIGINT NOT NULL REFERENCES communities(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- The staff member who granted it; NULL when its rule did.
    granted_by BIGINT REFERENCES users(id),
    reason TEXT NOT NULL DEFAULT '',
    earned_at BIGINT NOT NULL,
    PRIMARY KEY (badge_id, user_id)
);
CREATE INDEX member_badges_member ON member_badges(community_id, user_id);
