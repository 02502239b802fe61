-- New stations proposed by volunteer supervisors, reviewed into the directory by
-- staff of the district (added through the station form) or turned down with a
-- comment. Kept in step with ../sqlite/0016_station_proposals.sql.

CREATE TABLE station_proposals (
    id             BIGSERIAL PRIMARY KEY,
    -- The hidden per-form key: a retried POST stores the proposal once.
    submission     TEXT NOT NULL UNIQUE,
    supervisor_id  BIGINT NOT NULL REFERENCES supervisors(id),
    district_code  TEXT NOT NULL,
    name           TEXT NOT NULL,
    address        TEXT NOT NULL,
    lat            TEXT NOT NULL,
    lon            TEXT NOT NULL,
    hours          TEXT NOT NULL DEFAULT '',
    facilities     TEXT NOT NULL DEFAULT '',     -- facility keys, comma-separated
    note           TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected')),
    station_id     BIGINT REFERENCES stations(id),
    reviewed_by    BIGINT REFERENCES staff(id),
    comment        TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    reviewed_at    BIGINT
);
CREATE INDEX station_proposals_state ON station_proposals(state, district_code);
CREATE INDEX station_proposals_supervisor ON station_proposals(supervisor_id, created_at);
