-- Key lifecycle: erasure-tree leaves of data keys, rotation progress and
-- the leases that keep two rotations (or two erasure-tree changes) from
-- running at once.

-- leaf is the data key's erasure-tree leaf (a 64-bit number stored as a
-- signed integer). shredded_at is set once the leaf of a destroyed data
-- key has been punctured; destroyed keys with shredded_at NULL are
-- pending punctures.
ALTER TABLE data_keys ADD COLUMN leaf BIGINT;
ALTER TABLE data_keys ADD COLUMN shredded_at BIGINT;
CREATE INDEX data_keys_leaf ON data_keys (leaf);
CREATE INDEX data_keys_pending_shred ON data_keys (destroyed_at) WHERE destroyed_at IS NOT NULL AND shredded_at IS NULL;

-- One row per rotation (kind 'master' or 'index'); phase says where a
-- resumed rotation picks up, cursor how far an index rebuild got.
CREATE TABLE key_rotations (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT    NOT NULL,
    from_version BIGINT  NOT NULL,
    to_version   BIGINT  NOT NULL,
    phase        TEXT    NOT NULL,
    total        BIGINT  NOT NULL DEFAULT 0,
    done         BIGINT  NOT NULL DEFAULT 0,
    cursor       TEXT    NOT NULL DEFAULT '',
    started_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX key_rotations_kind ON key_rotations (kind, id);

-- Leases: a named lock held by one process until it expires or is
-- released; holders renew them while they work.
CREATE TABLE key_leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    acquired_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
