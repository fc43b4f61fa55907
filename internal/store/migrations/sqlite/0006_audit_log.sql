-- The audit log becomes a Merkle log (RFC 6962 hashing).
--
-- Events are made durable in audit_pending (one small append per commit
-- on the request path); the sequencer moves them in batches into
-- audit_events, giving each its position in the log (seq), contiguous and
-- assigned in one place even when inserts commit out of order.
-- audit_hashes holds the tree's stored hashes (tlog layout), audit_tree
-- the integrated size and root, audit_checkpoints the signed checkpoints,
-- audit_signing_keys the Ed25519 checkpoint key sealed under the master
-- key, audit_ship_cursors how far each SIEM sink has shipped.

CREATE TABLE audit_pending (
    id            INTEGER PRIMARY KEY,
    time          INTEGER NOT NULL,
    actor_user    TEXT    NOT NULL DEFAULT '',
    actor_session TEXT    NOT NULL DEFAULT '',
    actor_token   TEXT    NOT NULL DEFAULT '',
    actor_device  TEXT    NOT NULL DEFAULT '',
    source_ip     TEXT    NOT NULL DEFAULT '',
    user_agent    TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,
    target_type   TEXT    NOT NULL DEFAULT '',
    target_id     TEXT    NOT NULL DEFAULT '',
    target_ids    TEXT    NOT NULL DEFAULT '',
    fields        TEXT    NOT NULL DEFAULT '',
    outcome       TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT ''
);

-- Events recorded before this migration are integrated first, in order.
INSERT INTO audit_pending (time, actor_user, actor_session, actor_token, actor_device, source_ip, user_agent,
    request_id, action, target_type, target_id, target_ids, fields, outcome, reason)
SELECT time, actor_user, actor_session, actor_token, actor_device, source_ip, user_agent,
    request_id, action, target_type, target_id, target_ids, fields, outcome, reason
FROM audit_events ORDER BY seq;

DROP TABLE audit_events;

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY,
    time          INTEGER NOT NULL,
    actor_user    TEXT    NOT NULL DEFAULT '',
    actor_session TEXT    NOT NULL DEFAULT '',
    actor_token   TEXT    NOT NULL DEFAULT '',
    actor_device  TEXT    NOT NULL DEFAULT '',
    source_ip     TEXT    NOT NULL DEFAULT '',
    user_agent    TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,
    target_type   TEXT    NOT NULL DEFAULT '',
    target_id     TEXT    NOT NULL DEFAULT '',
    target_ids    TEXT    NOT NULL DEFAULT '',
    fields        TEXT    NOT NULL DEFAULT '',
    outcome       TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_actor ON audit_events (actor_user, seq);
CREATE INDEX audit_events_target ON audit_events (target_id, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);
CREATE INDEX audit_events_time ON audit_events (time);

CREATE TABLE audit_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL
);

CREATE TABLE audit_tree (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       INTEGER NOT NULL,
    root_hash  BLOB    NOT NULL,
    updated_at INTEGER NOT NULL,
    -- the last audit queue id integrated (the queue is a separate SQLite
    -- file beside this one; see store.auditQueue)
    queue_cursor INTEGER NOT NULL DEFAULT 0
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
