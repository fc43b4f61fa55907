-- Optimistic concurrency: every record carries a version that starts at 1
-- and grows with every change (the API's ETag and If-Match). Customers
-- have one already.
ALTER TABLE contacts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE deals    ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE visits   ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notes    ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tasks    ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- A visit's outcome notes (given at check-out) are kept beside its
-- planning notes, sealed under the customer's data key like them. Notes
-- stored so far stay where they are, as planning notes.
ALTER TABLE visits ADD COLUMN checkout_notes_sealed BLOB;

-- Imports of contacts and deals as well as customers, with their progress
-- (phase, rows done of rows_total, problems found and the rows they are
-- in), the encoding the file was read in, and a report of the rows
-- refused: the rows as they were with their problems, sealed in chunks
-- under a data key of its own, so destroying that key erases the report
-- (and its copies in backups).
ALTER TABLE imports ADD COLUMN kind          TEXT    NOT NULL DEFAULT 'customers';
ALTER TABLE imports ADD COLUMN phase         TEXT    NOT NULL DEFAULT 'write';
ALTER TABLE imports ADD COLUMN encoding      TEXT    NOT NULL DEFAULT '';
ALTER TABLE imports ADD COLUMN rows_done     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN problems      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN rows_invalid  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN message       TEXT    NOT NULL DEFAULT '';
ALTER TABLE imports ADD COLUMN report_dek_id TEXT;
ALTER TABLE imports ADD COLUMN report_bytes  INTEGER NOT NULL DEFAULT 0;
CREATE INDEX imports_actor ON imports (actor, id);
CREATE TABLE import_reports (
    import_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    chunk     BLOB    NOT NULL,
    PRIMARY KEY (import_id, seq)
);
ALTER TABLE contacts ADD COLUMN import_id TEXT;
ALTER TABLE deals    ADD COLUMN import_id TEXT;
CREATE INDEX contacts_import ON contacts (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX deals_import ON deals (import_id) WHERE import_id IS NOT NULL;
