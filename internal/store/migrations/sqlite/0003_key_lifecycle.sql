-- Key lifecycle: erasure-tree leaves of data keys, rotation progress and
-- the leases that keep two rotations (or two erasure-tree changes) from
-- running at once.

-- leaf is the data key's erasure-tree leaf (a 64-bit number stored as a
-- signed integer). shredded_at is set once the leaf of a destroyed data
-- key has been punctured; destroyed keys with shredded_at NULL are
-- pending punctures.
ALTER TABLE data_keys ADD COLUMN leaf INTEGER;
ALTER TABLE data_keys ADD COLUMN shredded_at INTEGER;
CREATE INDEX data_keys_leaf ON data_keys (leaf);
CREATE INDEX data_keys_pending_shred ON data_keys (destroyed_at) WHERE destroyed_at IS NOT NULL AND shredded_at IS NULL;

-- One row per rotation (kind 'master' or 'index'); phase says where a
-- resumed rotation picks up, cursor how far an index rebuild got.
CREATE TABLE key_rotations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    from_version INTEGER NOT NULL,
    to_version   INTEGER NOT NULL,
    phase        TEXT    NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0,
    cursor       TEXT    NOT NULL DEFAULT '',
    started_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX key_rotations_kind ON key_rotations (kind, id);

-- Leases: a named lock held by one process until it expires or is
-- released; holders renew them while they work.
CREATE TABLE key_leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
