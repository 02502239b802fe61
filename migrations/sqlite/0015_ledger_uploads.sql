-- A ledger file between its dry run and its import: kept under a random token (as
-- its hash) for the staff member who uploaded it, for an hour at most, so that any
-- instance can apply it. Kept in step with ../postgres/0015_ledger_uploads.sql.

CREATE TABLE ledger_uploads (
    token_hash  TEXT PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    file_name   TEXT NOT NULL,
    encoding    TEXT NOT NULL DEFAULT '',
    district    TEXT NOT NULL DEFAULT '',
    bytes       BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX ledger_uploads_created ON ledger_uploads(created_at);
