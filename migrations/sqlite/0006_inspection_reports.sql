-- Inspection reports of volunteer supervisors and staff review of them.
-- Kept in step with ../postgres/0006_inspection_reports.sql.

CREATE TABLE inspection_reports (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The hidden per-form key: a retried POST stores the report once.
    submission          TEXT NOT NULL UNIQUE,
    supervisor_id       BIGINT NOT NULL REFERENCES supervisors(id),
    station_id          BIGINT NOT NULL REFERENCES stations(id),
    visited_at          BIGINT NOT NULL,
    open_as_listed      TEXT NOT NULL CHECK (open_as_listed IN ('yes', 'no', 'other_hours')),
    sign_visible        BIGINT NOT NULL,
    staffed             BIGINT NOT NULL,
    -- Facility bitmasks (see src/domain/facility.rs): those looked at, missing, broken.
    facilities_checked  BIGINT NOT NULL,
    facilities_missing  BIGINT NOT NULL,
    facilities_broken   BIGINT NOT NULL,
    cleanliness         BIGINT NOT NULL CHECK (cleanliness BETWEEN 1 AND 5),
    notes               TEXT NOT NULL DEFAULT '',
    show_name           BIGINT NOT NULL DEFAULT 0,
    state               TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'returned')),
    staff_comment       TEXT,
    reviewed_by         BIGINT REFERENCES staff(id),
    reviewed_at         BIGINT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX inspection_reports_supervisor ON inspection_reports(supervisor_id, created_at);
CREATE INDEX inspection_reports_state ON inspection_reports(state, station_id);
