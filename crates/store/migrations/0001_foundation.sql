-- Yaji schema, one source for both databases. `@ID@` becomes the dialect's
-- auto-increment primary key; everything else is portable SQL: BIGINT ids and
-- counters, BIGINT times in Unix milliseconds UTC, TEXT for strings and JSON,
-- 0/1 BIGINT flags. No triggers, no dialect-specific types.

CREATE TABLE users (
    id @ID@,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    avatar_url TEXT,
    bio TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT 'zh-CN',
    time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    is_site_admin BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_admins ON users(id) WHERE is_site_admin = 1;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE api_tokens (
    id @ID@,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE communities (
    id @ID@,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    target_members TEXT NOT NULL DEFAULT '',
    core_value TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL,
    join_policy TEXT NOT NULL,
    entry_questions TEXT NOT NULL DEFAULT '[]',
    time_zone TEXT NOT NULL,
    announcement TEXT NOT NULL DEFAULT '',
    rules_version BIGINT NOT NULL DEFAULT 0,
    owner_id BIGINT NOT NULL REFERENCES users(id),
    member_count BIGINT NOT NULL DEFAULT 0,
    post_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE community_rules (
    community_id BIGINT NOT NULL REFERENCES communities(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, version)
);

CREATE TABLE invites (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    code TEXT NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users(id),
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX invites_community ON invites(community_id, created_at);

CREATE TABLE memberships (
    community_id BIGINT NOT NULL REFERENCES communities(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    state TEXT NOT NULL,
    rules_version_accepted BIGINT NOT NULL DEFAULT 0,
    invited_by BIGINT REFERENCES users(id),
    invite_id BIGINT REFERENCES invites(id),
    joined_at BIGINT NOT NULL,
    state_changed_at BIGINT NOT NULL,
    state_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id, state);
CREATE INDEX memberships_directory ON memberships(community_id, state, role);

CREATE TABLE join_requests (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    answers TEXT NOT NULL,
    rules_version BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    decided_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX join_requests_queue ON join_requests(community_id, status, created_at);
CREATE INDEX join_requests_user ON join_requests(user_id, created_at);
-- At most one pending application per person and community, even under races.
CREATE UNIQUE INDEX join_requests_one_pending ON join_requests(community_id, user_id) WHERE status = 'pending';

CREATE TABLE topics (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE posts (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    topic_id BIGINT REFERENCES topics(id),
    title TEXT,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    excerpt TEXT NOT NULL DEFAULT '',
    pinned BIGINT NOT NULL DEFAULT 0,
    essence BIGINT NOT NULL DEFAULT 0,
    comment_count BIGINT NOT NULL DEFAULT 0,
    reaction_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX posts_feed ON posts(community_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX posts_essence ON posts(community_id, created_at, id) WHERE deleted_at IS NULL AND essence = 1;
CREATE INDEX posts_topic ON posts(topic_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX posts_pinned ON posts(community_id, created_at) WHERE deleted_at IS NULL AND pinned = 1;
CREATE INDEX posts_author ON posts(author_id);

CREATE TABLE post_revisions (
    id @ID@,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    title TEXT,
    body TEXT NOT NULL,
    edited_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions(post_id, id);

CREATE TABLE comments (
    id @ID@,
    post_id BIGINT NOT NULL REFERENCES posts(id),
    community_id BIGINT NOT NULL REFERENCES communities(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX comments_post ON comments(post_id, created_at, id);

CREATE TABLE reactions (
    post_id BIGINT NOT NULL REFERENCES posts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    emoji TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id, emoji)
);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE activity_events (
    id @ID@,
    kind TEXT NOT NULL,
    community_id BIGINT,
    actor_id BIGINT,
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    occurred_at BIGINT NOT NULL,
    payload TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX activity_community_time ON activity_events(community_id, occurred_at);
CREATE INDEX activity_subject ON activity_events(subject_kind, subject_id);
