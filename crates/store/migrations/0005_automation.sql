-- Automation: operators' rules, what each firing did, member tags, the
-- newcomer checklist, the content calendar and outgoing webhooks.
CREATE TABLE automation_rules (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    name TEXT NOT NULL,
    -- the built-in template the rule was created from, if any
    template TEXT,
    trigger_kind TEXT NOT NULL,
    -- ",post_created,comment_created," for event triggers, '' for timers:
    -- the activity log dispatches on this with one indexed LIKE
    trigger_events TEXT NOT NULL DEFAULT '',
    -- the rule as JSON (trigger, conditions, actions)
    definition TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    -- bumped on every edit; timers carry it and stop when it moved on
    version BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX automation_rules_live ON automation_rules(community_id) WHERE enabled = 1 AND deleted_at IS NULL;

-- One row per firing: its trigger, who it reached and how it went.
CREATE TABLE automation_runs (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    rule_id BIGINT NOT NULL REFERENCES automation_rules(id),
    occurrence TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    -- done | skipped | partial | failed
    status TEXT NOT NULL,
    recipients TEXT NOT NULL DEFAULT '[]',
    recipient_count BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX automation_runs_community ON automation_runs(community_id, id);

-- "Each action runs once per (rule, occurrence, recipient)" as a constraint.
CREATE TABLE automation_deliveries (
    rule_id BIGINT NOT NULL,
    occurrence TEXT NOT NULL,
    recipient_id BIGINT NOT NULL,
    action_index BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (rule_id, occurrence, recipient_id, action_index)
);

CREATE TABLE member_tags (
    community_id BIGINT NOT NULL REFERENCES communities(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    tag TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (community_id, user_id, tag)
);
CREATE INDEX member_tags_tag ON member_tags(community_id, tag);

-- Newcomer checklist (新人任务): read the rules, introduce yourself, first post.
ALTER TABLE communities ADD COLUMN checklist_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE communities ADD COLUMN checklist_intro_topic_id BIGINT;
ALTER TABLE memberships ADD COLUMN checklist_completed_at BIGINT;
-- A member who asked the assistant to leave them alone (no automated messages).
ALTER TABLE memberships ADD COLUMN assistant_opt_out BIGINT NOT NULL DEFAULT 0;
-- "Last active in this community" for inactivity rules (and analytics).
CREATE INDEX activity_actor ON activity_events(community_id, actor_id, occurred_at);

-- The content calendar: posts written now, published later or repeatedly.
CREATE TABLE scheduled_posts (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    topic_id BIGINT REFERENCES topics(id),
    title TEXT,
    body TEXT NOT NULL,
    -- next publication (UTC ms)
    publish_at BIGINT NOT NULL,
    -- five-field cron in the community's time zone; '' publishes once
    repeat_cron TEXT NOT NULL DEFAULT '',
    -- scheduled | published | canceled
    status TEXT NOT NULL DEFAULT 'scheduled',
    version BIGINT NOT NULL DEFAULT 1,
    published_count BIGINT NOT NULL DEFAULT 0,
    last_post_id BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX scheduled_posts_calendar ON scheduled_posts(community_id, publish_at);

CREATE TABLE webhooks (
    id @ID@,
    community_id BIGINT NOT NULL REFERENCES communities(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- ",post_created,member_joined," or '*' for every kind; '' for rule actions only
    events TEXT NOT NULL DEFAULT '',
    enabled BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX webhooks_live ON webhooks(community_id) WHERE enabled = 1 AND deleted_at IS NULL;

-- Every delivery attempt, for the delivery log.
CREATE TABLE webhook_deliveries (
    id @ID@,
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id),
    community_id BIGINT NOT NULL,
    job_id BIGINT,
    event_kind TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    -- delivered | failed | refused
    status TEXT NOT NULL,
    response_status BIGINT,
    error TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
