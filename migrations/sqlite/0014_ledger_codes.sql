-- The union's own ledger number of a station (站点编号, matched by the import) and its
-- public code (BJ-110106-0042, for printed signs and QR codes: /s/{code}). The code is
-- given once, from the district and id at creation, and never changes.
-- Kept in step with ../postgres/0014_ledger_codes.sql.

ALTER TABLE stations ADD COLUMN ledger_id TEXT;
ALTER TABLE stations ADD COLUMN code TEXT;
UPDATE stations SET code = 'BJ-' || district_code || '-' || printf('%04d', id);
CREATE UNIQUE INDEX stations_code ON stations(code);
CREATE INDEX stations_ledger_id ON stations(ledger_id);

CREATE TRIGGER stations_code_on_insert AFTER INSERT ON stations WHEN NEW.code IS NULL
BEGIN
    UPDATE stations SET code = 'BJ-' || NEW.district_code || '-' || printf('%04d', NEW.id) WHERE id = NEW.id;
END;
