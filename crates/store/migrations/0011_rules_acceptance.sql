-- Publishing rules may require members to accept the new version before
-- they post, comment or react again: the version they must have accepted.
ALTER TABLE communities ADD COLUMN rules_required_version BIGINT NOT NULL DEFAULT 0;
