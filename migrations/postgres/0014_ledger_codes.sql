-- The union's own ledger number of a station (站点编号, matched by the import) and its
-- public code (BJ-110106-0042, for printed signs and QR codes: /s/{code}). The code is
-- given once, from the district and id at creation, and never changes.
-- Kept in step with ../sqlite/0014_ledger_codes.sql.

ALTER TABLE stations ADD COLUMN ledger_id TEXT;
ALTER TABLE stations ADD COLUMN code TEXT;
UPDATE stations SET code = 'BJ-' || district_code || '-' || lpad(id::text, greatest(4, length(id::text)), '0');
CREATE UNIQUE INDEX stations_code ON stations(code);
CREATE INDEX stations_ledger_id ON stations(ledger_id);

CREATE FUNCTION stations_code_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.code IS NULL THEN
        NEW.code := 'BJ-' || NEW.district_code || '-' || lpad(NEW.id::text, greatest(4, length(NEW.id::text)), '0');
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER stations_code_on_insert BEFORE INSERT ON stations
    FOR EACH ROW EXECUTE FUNCTION stations_code_on_insert();
