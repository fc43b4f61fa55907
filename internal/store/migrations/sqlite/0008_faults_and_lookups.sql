-- One row the readiness check rewrites while writes are failing (a full
-- disk), to learn when they succeed again without waiting for a user's
-- write: it stores 64 KiB in pad and clears it in one transaction, a write
-- that needs new space as most writes do.
CREATE TABLE store_health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL,
    pad        BLOB
);
INSERT INTO store_health (id, checked_at) VALUES (1, 0);

-- Token buckets shared by every node: a bucket holds up to its burst of
-- tokens, refilled at its rate; a request takes one.
CREATE TABLE rate_limits (
    bucket     TEXT    PRIMARY KEY,
    tokens     REAL    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Roles name the lookup classes whose masked holders may still look
-- customers up by an exact value (rate-limited). The built-in roles that
-- see contact data masked keep looking up by phone and email.
ALTER TABLE roles ADD COLUMN masked_lookup TEXT NOT NULL DEFAULT '';
UPDATE roles SET masked_lookup = 'contact'
    WHERE builtin = 1 AND (fields LIKE 'contact=masked%' OR fields LIKE '%,contact=masked%');
