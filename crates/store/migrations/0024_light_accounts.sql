-- Light accounts: visitors who register for a public gathering or book a
-- public room with a name and an email, no password. They come back through
-- one-time sign-in links sent to that email, and may finish the account
-- (username and password) at any time.
ALTER TABLE users ADD COLUMN light BIGINT NOT NULL DEFAULT 0;
CREATE INDEX users_email_lower ON users(LOWER(email));

CREATE TABLE sign_in_links (
    -- SHA-256 of the link's secret; the secret itself is only in the email.
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX sign_in_links_user ON sign_in_links(user_id, created_at);
