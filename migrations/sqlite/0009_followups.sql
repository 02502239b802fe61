-- Follow-ups to a fix (督导整改): a problem at a station, who must fix it, by when,
-- and how far it got, with its history of status changes and comments.
-- Kept in step with ../postgres/0009_followups.sql.

CREATE TABLE followups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id   BIGINT NOT NULL REFERENCES stations(id),
    -- What it was opened from: an inspection report, a worker's feedback, a
    -- supervisor's suggestion (with its id), or staff's own finding at the station.
    source       TEXT NOT NULL CHECK (source IN ('report', 'feedback', 'suggestion', 'station')),
    source_id    BIGINT,
    problem      TEXT NOT NULL,
    assignee     TEXT NOT NULL CHECK (assignee IN ('host', 'district_union')),
    due_on       TEXT NOT NULL,                   -- YYYY-MM-DD, Beijing
    status       TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'in_progress', 'fixed', 'verified')),
    created_by   BIGINT NOT NULL REFERENCES staff(id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX followups_station ON followups(station_id);
CREATE INDEX followups_status_due ON followups(status, due_on);
CREATE INDEX followups_source ON followups(source, source_id);

-- Each status change or comment, by staff or by the supervisor whose report it came from.
CREATE TABLE followup_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    followup_id    BIGINT NOT NULL REFERENCES followups(id),
    staff_id       BIGINT REFERENCES staff(id),
    supervisor_id  BIGINT REFERENCES supervisors(id),
    status         TEXT,                          -- the new status; NULL for a comment only
    comment        TEXT NOT NULL DEFAULT '',
    at             BIGINT NOT NULL
);
CREATE INDEX followup_events_followup ON followup_events(followup_id, at);
