-- Gated topics (domain::content::TopicAccess): a level or a tag opens a
-- topic for reading or for posting; NULL leaves that door open.
ALTER TABLE topics ADD COLUMN read_min_level BIGINT;
ALTER TABLE topics ADD COLUMN read_tag TEXT;
ALTER TABLE topics ADD COLUMN post_min_level BIGINT;
ALTER TABLE topics ADD COLUMN post_tag TEXT;
