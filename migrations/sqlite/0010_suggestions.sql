-- Suggestions of volunteer supervisors (建言献策) and staff answers. An answered
-- suggestion whose author allowed it is shown on the public page /suggestions.
-- Kept in step with ../postgres/0010_suggestions.sql.

CREATE TABLE suggestions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The hidden per-form key: a retried POST stores the suggestion once.
    submission     TEXT NOT NULL UNIQUE,
    supervisor_id  BIGINT NOT NULL REFERENCES supervisors(id),
    station_id     BIGINT REFERENCES stations(id),   -- NULL: not about one station
    body           TEXT NOT NULL,
    may_publish    BIGINT NOT NULL DEFAULT 0,
    show_name      BIGINT NOT NULL DEFAULT 0,
    answer         TEXT,
    answered_by    BIGINT REFERENCES staff(id),
    answered_at    BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX suggestions_supervisor ON suggestions(supervisor_id, created_at);
CREATE INDEX suggestions_station ON suggestions(station_id);
CREATE INDEX suggestions_public ON suggestions(may_publish, answered_at);
