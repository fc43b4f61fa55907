-- Company names, a person's employer, deal titles and contact titles are
-- sealed under the customer's data key like every other field that can
-- identify a person (a sole proprietor's company name is their name).
-- New writes store only the sealed form; rows written before keep their
-- clear form (name_public, company, title) until `custos data seal`
-- moves them, and reads accept both meanwhile.
ALTER TABLE customers ADD COLUMN company_sealed BLOB;
ALTER TABLE deals ADD COLUMN title_sealed BLOB;
ALTER TABLE contacts ADD COLUMN title_sealed BLOB;

-- Progress of data migrations run online by an operator (custos data
-- seal): phase and cursor say where an interrupted run resumes.
CREATE TABLE data_migrations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    phase       TEXT    NOT NULL,
    cursor      TEXT    NOT NULL DEFAULT '',
    total       INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    sealed      INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX data_migrations_name ON data_migrations (name, id);
