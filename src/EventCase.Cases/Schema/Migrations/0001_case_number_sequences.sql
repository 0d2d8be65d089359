-- One counter per agency and year for human-readable case numbers (BOS-2026-000123).
-- Drawn with a single INSERT ... ON CONFLICT DO UPDATE ... RETURNING in its own short transaction: the row lock is
-- held only for that statement, so concurrent opens of one agency queue for microseconds, not for a whole append.
-- A number drawn by an open that then fails is lost: numbers are unique and increasing, not gap-free.
CREATE TABLE __schema__.case_number_sequences (
    agency_id     text        NOT NULL,
    year          integer     NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    last_sequence integer     NOT NULL CHECK (last_sequence BETWEEN 1 AND 999999999),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, year)
);
