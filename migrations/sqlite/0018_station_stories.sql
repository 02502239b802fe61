-- The story of a model station (最美驿站), written by staff for its showcase page:
-- plain text, paragraphs separated by blank lines, never HTML.
-- Kept in step with ../postgres/0018_station_stories.sql.

ALTER TABLE stations ADD COLUMN story TEXT NOT NULL DEFAULT '';
