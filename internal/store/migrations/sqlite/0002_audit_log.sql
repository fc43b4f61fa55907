-- The audit log becomes a Merkle log (RFC 6962 hashing).
-- audit_events.id orders insertion only; seq is the event's position in
-- the log, NULL until the sequencer integrates it (so positions are
-- contiguous and assigned in one place even when inserts commit out of
-- order). audit_hashes holds the tree's stored hashes (tlog layout),
-- audit_tree the integrated size and root, audit_checkpoints the signed
-- checkpoints, audit_signing_keys the Ed25519 checkpoint key sealed under
-- the master key, audit_ship_cursors how far each SIEM sink has shipped.

ALTER TABLE audit_events RENAME COLUMN seq TO id;
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
DROP INDEX audit_events_actor;
DROP INDEX audit_events_target;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE INDEX audit_events_pending ON audit_events (id) WHERE seq IS NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_user, seq);
CREATE INDEX audit_events_target ON audit_events (target_id, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);

CREATE TABLE audit_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL
);

CREATE TABLE audit_tree (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       INTEGER NOT NULL,
    root_hash  BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO audit_tree (id, size, root_hash, updated_at)
VALUES (1, 0, X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 0);

CREATE TABLE audit_checkpoints (
    size       INTEGER PRIMARY KEY,
    root_hash  BLOB    NOT NULL,
    note       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE audit_signing_keys (
    version     INTEGER PRIMARY KEY,
    origin      TEXT    NOT NULL,
    verifier    TEXT    NOT NULL,
    kek_version INTEGER NOT NULL,
    wrapped     BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE audit_ship_cursors (
    sink       TEXT    PRIMARY KEY,
    last_seq   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
