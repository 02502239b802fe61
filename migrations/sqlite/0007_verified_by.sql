-- How a station's "verified on" date came about: staff, or a volunteer supervisor's
-- inspection accepted by staff (with the supervisor's name when they chose to show
-- it). Kept in step with ../postgres/0007_verified_by.sql.
ALTER TABLE stations ADD COLUMN verified_by TEXT NOT NULL DEFAULT 'staff'
    CHECK (verified_by IN ('staff', 'supervisor'));
ALTER TABLE stations ADD COLUMN verified_name TEXT;
