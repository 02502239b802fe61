-- Photos of inspection reports: private (the supervisor who took them, and staff of
-- the station's district). Kept under the form's submission key from the moment they
-- arrive, so a form that comes back with an error keeps them; the report with that
-- key (and supervisor) owns them once stored. Kept in step with ../sqlite/0011_report_photos.sql.
CREATE TABLE report_photos (
    submission    TEXT NOT NULL,
    supervisor_id BIGINT NOT NULL REFERENCES supervisors(id),
    hash          TEXT NOT NULL REFERENCES photos(hash),
    added_at      BIGINT NOT NULL,
    PRIMARY KEY (submission, supervisor_id, hash)
);
CREATE INDEX report_photos_hash ON report_photos(hash, supervisor_id);
