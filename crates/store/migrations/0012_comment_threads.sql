-- Replies to comments: a reply belongs to a top-level comment of the same
-- post (one level of threads, as in most community apps); a reply to a
-- reply joins the same thread.
ALTER TABLE comments ADD COLUMN parent_id BIGINT REFERENCES comments(id);
