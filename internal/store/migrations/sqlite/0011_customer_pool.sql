-- The customer pool (公海池), duplicate checks and the notification inbox.
-- A customer without an owner is in the pool of the team it last
-- belonged to (customers.team_id).

-- A team's pool rules; teams without a row use the defaults
-- (domain.DefaultPool*).
CREATE TABLE pool_settings (
    team_id      TEXT    PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
    daily_claims INTEGER NOT NULL,
    max_owned    INTEGER NOT NULL,
    return_days  INTEGER NOT NULL,
    warn_days    INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- When each owned customer's quiet spell began: its owner got it, or its
-- last follow-up (a visit, a note, a deal change). No row: its creation.
-- warned_at is set when the owner was warned of the coming return.
CREATE TABLE pool_clock (
    customer_id TEXT    PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
    quiet_since INTEGER NOT NULL,
    warned_at   INTEGER
) WITHOUT ROWID;

-- Every move into or out of the pool; claims are counted per rep and day.
CREATE TABLE pool_moves (
    id          TEXT    PRIMARY KEY,
    customer_id TEXT    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    actor_id    TEXT    NOT NULL,
    from_owner  TEXT,
    to_owner    TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX pool_moves_claims ON pool_moves (actor_id, at) WHERE kind = 'claim';
CREATE INDEX pool_moves_customer ON pool_moves (customer_id);

-- Opaque references a duplicate check hands out for a customer the caller
-- may not see: single-use, short-lived, bound to the caller; only the
-- SHA-256 of a reference is stored.
CREATE TABLE duplicate_refs (
    hash        BLOB    PRIMARY KEY,
    user_id     TEXT    NOT NULL,
    customer_id TEXT    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    field       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX duplicate_refs_expiry ON duplicate_refs (expires_at);
CREATE INDEX duplicate_refs_customer ON duplicate_refs (customer_id);

-- Per-user notifications: a kind, the record, parameters (ids, field
-- names, times; never personal data).
CREATE TABLE notifications (
    id         TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    record_id  TEXT    NOT NULL DEFAULT '',
    params     TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, id);

-- Work to finish once the binary that needs it runs: blind-index entries
-- that need the index key (computed at start-up, then the row is gone).
CREATE TABLE pending_backfills (
    name TEXT PRIMARY KEY
);
INSERT INTO pending_backfills (name) VALUES ('company_name_index');

-- Customers owned today start their quiet spell now: an upgrade never
-- returns anyone to the pool before the return period has passed.
INSERT INTO pool_clock (customer_id, quiet_since)
    SELECT id, CAST(strftime('%s', 'now') AS INTEGER) * 1000000 FROM customers
    WHERE owner_id IS NOT NULL AND erased_at IS NULL;

-- The built-in roles that work the pool.
UPDATE roles SET functions = functions || ',pool.claim,pool.manage'
    WHERE builtin = 1 AND name IN ('admin', 'sales_manager') AND functions <> '';
UPDATE roles SET functions = functions || ',pool.claim'
    WHERE builtin = 1 AND name = 'sales_rep' AND functions <> '';
