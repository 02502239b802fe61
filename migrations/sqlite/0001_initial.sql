-- Reference data, the station ledger and the data version counter.
-- Kept in step with ../postgres/0001_initial.sql.

CREATE TABLE districts (
    code        TEXT PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL
);

CREATE TABLE streets (
    code          TEXT PRIMARY KEY,
    district_code TEXT NOT NULL REFERENCES districts(code),
    name          TEXT NOT NULL
);
CREATE INDEX streets_district ON streets(district_code);

-- China's official calendar: statutory days off and 调休 make-up working days.
CREATE TABLE holidays (
    day   TEXT PRIMARY KEY,              -- YYYY-MM-DD
    kind  TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name  TEXT NOT NULL
);

CREATE TABLE stations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    district_code  TEXT NOT NULL REFERENCES districts(code),
    street_code    TEXT REFERENCES streets(code),
    address        TEXT NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    lon            DOUBLE PRECISION NOT NULL,
    location_precision TEXT NOT NULL CHECK (location_precision IN ('exact', 'approximate')),
    host_type      TEXT NOT NULL,
    opening_hours  TEXT NOT NULL,
    holiday_open   BIGINT NOT NULL DEFAULT 0,
    contact_name   TEXT,
    phone          TEXT,
    area_m2        DOUBLE PRECISION,
    facilities     BIGINT NOT NULL DEFAULT 0,   -- bitmask, see src/domain/facility.rs
    audiences      BIGINT NOT NULL DEFAULT 0,   -- bitmask, see src/domain/facility.rs
    services       TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'temporarily_closed', 'revoked')),
    closed_reason  TEXT,
    closed_until   TEXT,
    description    TEXT NOT NULL DEFAULT '',
    verified_on    TEXT,
    synthetic      BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX stations_district ON stations(district_code);

CREATE TABLE honours (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id  BIGINT NOT NULL REFERENCES stations(id),
    level       TEXT NOT NULL CHECK (level IN ('national', 'municipal', 'district')),
    year        BIGINT NOT NULL,
    title       TEXT NOT NULL
);
CREATE INDEX honours_station ON honours(station_id);

-- One row; every write to the ledger bumps it so that every instance rebuilds its snapshot.
CREATE TABLE data_version (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 1);

-- Facts about this database itself, e.g. whether the seed stations were loaded.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
