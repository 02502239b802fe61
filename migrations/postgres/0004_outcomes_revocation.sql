-- How staff resolved a "reported closed" feedback, and why and when a station was
-- revoked. Kept in step with ../sqlite/0004_outcomes_revocation.sql.

-- verified_open: checked, it was open; closed_temporarily: confirmed closed, the station
-- is now marked temporarily closed; hours_mismatch: confirmed closed, the hours differ
-- from what is posted. A report with an outcome no longer warns on the station page.
ALTER TABLE feedback ADD COLUMN outcome TEXT
    CHECK (outcome IS NULL OR outcome IN ('verified_open', 'closed_temporarily', 'hours_mismatch'));
ALTER TABLE feedback ADD COLUMN outcome_at BIGINT;
CREATE INDEX feedback_closed_open ON feedback(kind, outcome, created_at);

-- Set when a station is revoked (撤销); cleared when it is reopened.
ALTER TABLE stations ADD COLUMN revoked_reason TEXT;
ALTER TABLE stations ADD COLUMN revoked_at BIGINT;
