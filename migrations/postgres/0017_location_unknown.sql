-- A station may be listed with its position not known yet ("location unknown": a
-- ledger row without coordinates). Such a station is in the directory but not on the
-- map, in "nearest" or in navigation; its lat and lon are NULL, both or neither.
-- Kept in step with ../sqlite/0017_location_unknown.sql.

ALTER TABLE stations ALTER COLUMN lat DROP NOT NULL;
ALTER TABLE stations ALTER COLUMN lon DROP NOT NULL;
ALTER TABLE stations ADD CONSTRAINT stations_position_pair CHECK ((lat IS NULL) = (lon IS NULL));
