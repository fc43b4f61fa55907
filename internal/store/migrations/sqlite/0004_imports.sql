-- Bulk imports. Customers written by an import carry its id (their
-- provenance), so a failed or interrupted import is removed whole: an
-- import that is not 'done' owns no customers once it is cleaned up.
CREATE TABLE imports (
    id          TEXT    PRIMARY KEY,
    state       TEXT    NOT NULL,
    actor       TEXT    NOT NULL DEFAULT '',
    rows_total  INTEGER NOT NULL DEFAULT 0,
    heartbeat_at INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER
);
ALTER TABLE customers ADD COLUMN import_id TEXT;
CREATE INDEX customers_import ON customers (import_id) WHERE import_id IS NOT NULL;
