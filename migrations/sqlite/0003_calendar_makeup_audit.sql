-- The holiday calendar as data, 调休 by host, and an audit log that can record more
-- than station edits. Kept in step with ../postgres/0003_calendar_makeup_audit.sql.

-- Each day belongs to one State Council notice (year Y's notice can start in December
-- of Y-1); which notice years are loaded is kept apart, so a year is known even when
-- the stored days say nothing about some part of it.
ALTER TABLE holidays ADD COLUMN notice_year BIGINT;
ALTER TABLE holidays ADD COLUMN source TEXT NOT NULL DEFAULT '';
UPDATE holidays SET notice_year = CAST(substr(day, 1, 4) AS INTEGER)
    + (CASE WHEN substr(day, 6, 2) = '12' AND name = '元旦' THEN 1 ELSE 0 END),
    source = 'data/holidays.csv (chinese-days 1.5.7)';
CREATE INDEX holidays_notice_year ON holidays(notice_year);

CREATE TABLE holiday_years (
    year       BIGINT PRIMARY KEY,
    source     TEXT NOT NULL,
    loaded_at  BIGINT NOT NULL
);
INSERT INTO holiday_years (year, source, loaded_at)
    SELECT DISTINCT notice_year, 'data/holidays.csv (chinese-days 1.5.7)', 0 FROM holidays;

-- Works 调休 make-up working days (跟随调休上班): offices and centres do, shops and
-- restaurants keep their own week.
ALTER TABLE stations ADD COLUMN works_makeup_days BIGINT NOT NULL DEFAULT 1;
UPDATE stations SET works_makeup_days = 0
    WHERE host_type IN ('mall', 'petrol_station', 'restaurant', 'supermarket', 'street_shop', 'market');

-- The audit log: an entry may concern something other than one station (a calendar
-- year, an import, a moderation step) and may be made by the system (no staff).
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    staff_id    BIGINT REFERENCES staff(id),        -- NULL: the system
    entity      TEXT NOT NULL DEFAULT 'station',    -- station, calendar, import, feedback, system
    entity_key  TEXT,                               -- the station id, the calendar year, …
    station_id  BIGINT REFERENCES stations(id),
    action      TEXT NOT NULL,
    before      TEXT NOT NULL,
    after       TEXT NOT NULL
);
INSERT INTO audit_log_new (id, at, staff_id, entity, entity_key, station_id, action, before, after)
    SELECT id, at, staff_id, 'station', CAST(station_id AS TEXT), station_id, action, before, after FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_station ON audit_log(station_id, at);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_key);
