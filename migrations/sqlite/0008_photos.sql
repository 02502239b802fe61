-- Photos, stored in the database so that every instance serves the same ones.
-- Kept in step with ../postgres/0008_photos.sql.

-- One row per distinct picture: the large (1600 px) and small (320 px) JPEGs made
-- from an upload, named by the hash of the large one. No metadata survives.
CREATE TABLE photos (
    hash TEXT PRIMARY KEY,
    large BLOB NOT NULL,
    small BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);

-- The public photos of a station: one door photo (how to find the entrance) and up
-- to five of the inside, in the order staff added them.
CREATE TABLE station_photos (
    station_id BIGINT NOT NULL REFERENCES stations(id),
    hash TEXT NOT NULL REFERENCES photos(hash),
    kind TEXT NOT NULL CHECK (kind IN ('door', 'inside')),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (station_id, hash)
);
CREATE INDEX station_photos_station ON station_photos(station_id, kind, added_at);
