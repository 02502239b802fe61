-- Warning cards (黄牌 / 红牌) of stations that keep failing, see src/domain/card.rs.
-- Kept in step with ../sqlite/0013_cards.sql.

CREATE TABLE cards (
    id           BIGSERIAL PRIMARY KEY,
    station_id   BIGINT NOT NULL REFERENCES stations(id),
    -- failed_inspections: two failed inspections within 90 days; closed_reports: three
    -- "closed when listed open" reports within 30 days that staff confirmed closed.
    reason       TEXT NOT NULL CHECK (reason IN ('failed_inspections', 'closed_reports')),
    -- The report or feedback ids that gave it, comma-separated, newest first.
    evidence     TEXT NOT NULL,
    level        TEXT NOT NULL DEFAULT 'yellow' CHECK (level IN ('yellow', 'red')),
    deadline     TEXT NOT NULL,                   -- YYYY-MM-DD, Beijing; red from the day after
    followup_id  BIGINT REFERENCES followups(id),
    opened_at    BIGINT NOT NULL,
    red_at       BIGINT,
    closed_at    BIGINT,
    closed_how   TEXT CHECK (closed_how IS NULL OR closed_how IN ('fixed', 'lifted', 'revoked')),
    -- Who lifted it or revoked the station; NULL when its follow-up was verified.
    closed_by    BIGINT REFERENCES staff(id),
    closed_note  TEXT NOT NULL DEFAULT ''
);
-- At most one open card per station, however many instances raise one at once.
CREATE UNIQUE INDEX cards_one_open ON cards(station_id) WHERE closed_at IS NULL;
CREATE INDEX cards_open_deadline ON cards(closed_at, level, deadline);
CREATE INDEX cards_followup ON cards(followup_id);
