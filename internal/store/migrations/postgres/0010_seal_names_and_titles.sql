-- Company names, a person's employer, deal titles and contact titles are
-- sealed under the customer's data key like every other field that can
-- identify a person (a sole proprietor's company name is their name).
-- New writes store only the sealed form; rows written before keep their
-- clear form (name_public, company, title) until `custos data seal`
-- moves them, and reads accept both meanwhile.
ALTER TABLE customers ADD COLUMN company_sealed BYTEA;
ALTER TABLE deals ADD COLUMN title_sealed BYTEA;
ALTER TABLE contacts ADD COLUMN title_sealed BYTEA;

-- Progress of data migrations run online by an operator (custos data
-- seal): phase and cursor say where an interrupted run resumes.
CREATE TABLE data_migrations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    phase       TEXT    NOT NULL,
    cursor      TEXT    NOT NULL DEFAULT '',
    total       BIGINT  NOT NULL DEFAULT 0,
    done        BIGINT  NOT NULL DEFAULT 0,
    sealed      BIGINT  NOT NULL DEFAULT 0,
    started_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    finished_at BIGINT
);
CREATE INDEX data_migrations_name ON data_migrations (name, id);
