-- Per-member write limits count a member's recent rows: posts and comments by
-- author, communities by owner, reports by reporter, each by time.
CREATE INDEX posts_author_time ON posts(author_id, created_at);
CREATE INDEX comments_author_time ON comments(author_id, created_at);
CREATE INDEX communities_owner_time ON communities(owner_id, created_at);
CREATE INDEX mod_flags_reporter_time ON mod_flags(reporter_id, created_at);
