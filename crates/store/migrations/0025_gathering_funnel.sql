-- The visitor end of a gathering's funnel: members' bookmarks, and who
-- opened the gathering's page (once per visitor, with the link's attribution).
CREATE TABLE event_bookmarks (
    event_id BIGINT NOT NULL REFERENCES events(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_bookmarks_user ON event_bookmarks(user_id, created_at);

CREATE TABLE event_visits (
    event_id BIGINT NOT NULL REFERENCES events(id),
    -- "u:ID" for someone signed in, else "c:" and a hash of the browser's
    -- random visitor cookie (nothing that names a person).
    visitor TEXT NOT NULL,
    user_id BIGINT,
    via TEXT,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, visitor)
);
