-- The operators' setup guide on a new community: when they hid it (the
-- steps themselves are read from the community's state, not stored).
ALTER TABLE onboarding_settings ADD COLUMN setup_dismissed_at BIGINT;
