-- Worker feedback and its moderation, staff accounts, sessions, invites and the audit log.
-- Kept in step with ../sqlite/0002_feedback_staff.sql.

CREATE TABLE staff (
    id              BIGSERIAL PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('city_admin', 'district_staff')),
    district_code   TEXT REFERENCES districts(code),
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    CHECK ((role = 'city_admin') = (district_code IS NULL))
);

-- A signed cookie carries the session token; only its SHA-256 is kept here.
CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions(staff_id);

CREATE TABLE invites (
    token_hash     TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('city_admin', 'district_staff')),
    district_code  TEXT REFERENCES districts(code),
    created_by     BIGINT NOT NULL REFERENCES staff(id),
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    used_by        BIGINT REFERENCES staff(id)
);

CREATE TABLE feedback (
    id             BIGSERIAL PRIMARY KEY,
    receipt        TEXT NOT NULL UNIQUE,
    -- The hidden per-form key: a client that retries the same form gets the same receipt.
    submission     TEXT NOT NULL UNIQUE,
    station_id     BIGINT NOT NULL REFERENCES stations(id),
    district_code  TEXT NOT NULL REFERENCES districts(code),
    kind           TEXT NOT NULL,
    rating         BIGINT,
    body           TEXT NOT NULL,
    reporter       TEXT,
    contact_phone  TEXT,                 -- never shown publicly
    state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published', 'rejected')),
    reject_reason  TEXT,
    reply          TEXT,
    reply_at       BIGINT,
    trapped        BIGINT NOT NULL DEFAULT 0,   -- the honeypot field was filled in
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX feedback_station ON feedback(station_id, state);
CREATE INDEX feedback_queue ON feedback(state, district_code, created_at);

-- Every moderation step, never deleted.
CREATE TABLE feedback_events (
    id           BIGSERIAL PRIMARY KEY,
    feedback_id  BIGINT NOT NULL REFERENCES feedback(id),
    staff_id     BIGINT REFERENCES staff(id),
    at           BIGINT NOT NULL,
    action       TEXT NOT NULL,
    reason       TEXT,
    note         TEXT
);
CREATE INDEX feedback_events_feedback ON feedback_events(feedback_id);

-- Every change to the ledger: who, when, and the fields before and after (JSON objects).
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    station_id  BIGINT NOT NULL REFERENCES stations(id),
    action      TEXT NOT NULL,
    before      TEXT NOT NULL,
    after       TEXT NOT NULL
);
CREATE INDEX audit_log_station ON audit_log(station_id, at);

-- Bumped by every feedback write that changes what the public pages show.
CREATE TABLE feedback_version (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO feedback_version (id, version) VALUES (1, 1);
