-- A station may be listed with its position not known yet ("location unknown": a
-- ledger row without coordinates). Such a station is in the directory but not on the
-- map, in "nearest" or in navigation; its lat and lon are NULL, both or neither.
-- SQLite cannot drop NOT NULL in place, so the columns are added anew, copied and
-- swapped (no index, view or trigger names them).
-- Kept in step with ../postgres/0017_location_unknown.sql.

ALTER TABLE stations ADD COLUMN lat_known DOUBLE PRECISION CHECK (lat_known IS NULL OR lat_known BETWEEN -90 AND 90);
ALTER TABLE stations ADD COLUMN lon_known DOUBLE PRECISION CHECK (lon_known IS NULL OR lon_known BETWEEN -180 AND 180);
UPDATE stations SET lat_known = lat, lon_known = lon;
ALTER TABLE stations DROP COLUMN lat;
ALTER TABLE stations DROP COLUMN lon;
ALTER TABLE stations RENAME COLUMN lat_known TO lat;
ALTER TABLE stations RENAME COLUMN lon_known TO lon;
