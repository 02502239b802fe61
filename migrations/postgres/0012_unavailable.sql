-- Facilities a station lists but that do not work for now (暂时不可用), as a bitmask of
-- src/domain/facility.rs: they count neither toward the basic standard nor in facility
-- filters until staff mark them fixed. Kept in step with ../sqlite/0012_unavailable.sql.
ALTER TABLE stations ADD COLUMN unavailable BIGINT NOT NULL DEFAULT 0;
