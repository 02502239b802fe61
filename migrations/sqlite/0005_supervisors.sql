-- Volunteer supervisors (义务监督员): accounts apart from staff (they never reach
-- /admin), the districts each covers, their sessions and the invite links staff
-- make for them. Kept in step with ../postgres/0005_supervisors.sql.

CREATE TABLE supervisors (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    phone           TEXT NOT NULL,
    occupation      TEXT NOT NULL
        CHECK (occupation IN ('courier', 'rider', 'ride_hail', 'truck', 'sanitation', 'other')),
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    suspended_at    BIGINT,                       -- NULL: active
    invited_by      BIGINT REFERENCES staff(id),
    created_at      BIGINT NOT NULL
);

CREATE TABLE supervisor_districts (
    supervisor_id  BIGINT NOT NULL REFERENCES supervisors(id),
    district_code  TEXT NOT NULL REFERENCES districts(code),
    PRIMARY KEY (supervisor_id, district_code)
);
CREATE INDEX supervisor_districts_district ON supervisor_districts(district_code);

-- A signed cookie carries the session token; only its SHA-256 is kept here.
CREATE TABLE supervisor_sessions (
    token_hash     TEXT PRIMARY KEY,
    supervisor_id  BIGINT NOT NULL REFERENCES supervisors(id),
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX supervisor_sessions_supervisor ON supervisor_sessions(supervisor_id);

CREATE TABLE supervisor_invites (
    token_hash  TEXT PRIMARY KEY,
    districts   TEXT NOT NULL,                    -- district codes, comma-separated
    created_by  BIGINT NOT NULL REFERENCES staff(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    used_by     BIGINT REFERENCES supervisors(id)
);
