-- Core schema: keys, users, sessions, CRM records, audit events.
-- Times are Unix microseconds (UTC). Columns ending in _sealed hold
-- AES-256-GCM ciphertext under the owning customer's data key.

CREATE TABLE master_keys (
    version    INTEGER PRIMARY KEY,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);

CREATE TABLE index_keys (
    version     INTEGER PRIMARY KEY,
    kek_version INTEGER NOT NULL,
    wrapped     BLOB    NOT NULL,
    state       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE data_keys (
    id           TEXT    PRIMARY KEY,
    kek_version  INTEGER NOT NULL,
    wrapped      BLOB,
    created_at   INTEGER NOT NULL,
    destroyed_at INTEGER
);
CREATE INDEX data_keys_kek ON data_keys (kek_version);

CREATE TABLE teams (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id                   TEXT    PRIMARY KEY,
    email                TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    role                 TEXT    NOT NULL,
    team_id              TEXT    REFERENCES teams (id),
    status               TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY,
    secret_hash  BLOB    NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    auth_at      INTEGER NOT NULL,
    source_ip    TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    device_id    TEXT,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE customers (
    id                  TEXT    PRIMARY KEY,
    kind                TEXT    NOT NULL,
    dek_id              TEXT    NOT NULL REFERENCES data_keys (id),
    name_public         TEXT,
    name_sealed         BLOB,
    phone_sealed        BLOB,
    email_sealed        BLOB,
    street_sealed       BLOB,
    id_type             TEXT    NOT NULL DEFAULT '',
    id_number_sealed    BLOB,
    tax_id_sealed       BLOB,
    bank_account_sealed BLOB,
    province            TEXT    NOT NULL DEFAULT '',
    city                TEXT    NOT NULL DEFAULT '',
    district            TEXT    NOT NULL DEFAULT '',
    company             TEXT    NOT NULL DEFAULT '',
    industry            TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL,
    owner_id            TEXT    REFERENCES users (id),
    team_id             TEXT    REFERENCES teams (id),
    erased_at           INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL
);
CREATE INDEX customers_owner ON customers (owner_id, id);
CREATE INDEX customers_team ON customers (team_id, id);
CREATE INDEX customers_updated ON customers (updated_at);
CREATE INDEX customers_dek ON customers (dek_id);

CREATE TABLE customer_tags (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags (tag, customer_id);

-- Blind indexes: truncated HMAC-SHA256 of normalized values, per field and
-- index key version. Identifier fields are unique per version.
CREATE TABLE blind_index (
    field       INTEGER NOT NULL,
    key_version INTEGER NOT NULL,
    hash        BLOB    NOT NULL,
    customer_id TEXT    NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (field, key_version, hash, customer_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX blind_index_unique ON blind_index (field, key_version, hash) WHERE field < 5;
CREATE INDEX blind_index_customer ON blind_index (customer_id);

CREATE TABLE contacts (
    id           TEXT    PRIMARY KEY,
    customer_id  TEXT    NOT NULL REFERENCES customers (id),
    name_sealed  BLOB,
    phone_sealed BLOB,
    email_sealed BLOB,
    title        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id, id);

CREATE TABLE deals (
    id             TEXT    PRIMARY KEY,
    customer_id    TEXT    NOT NULL REFERENCES customers (id),
    title          TEXT    NOT NULL,
    amount_minor   INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    stage          TEXT    NOT NULL,
    expected_close TEXT    NOT NULL DEFAULT '',
    owner_id       TEXT    REFERENCES users (id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX deals_customer ON deals (customer_id, id);
CREATE INDEX deals_owner ON deals (owner_id, id);
CREATE INDEX deals_stage ON deals (stage, id);

CREATE TABLE visits (
    id                  TEXT    PRIMARY KEY,
    customer_id         TEXT    NOT NULL REFERENCES customers (id),
    rep_id              TEXT    NOT NULL REFERENCES users (id),
    planned_at          INTEGER NOT NULL,
    status              TEXT    NOT NULL,
    checkin_at          INTEGER,
    checkin_loc_sealed  BLOB,
    checkout_at         INTEGER,
    checkout_loc_sealed BLOB,
    notes_sealed        BLOB,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX visits_customer ON visits (customer_id, id);
CREATE INDEX visits_rep ON visits (rep_id, id);

CREATE TABLE notes (
    id          TEXT    PRIMARY KEY,
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    author_id   TEXT    REFERENCES users (id),
    body_sealed BLOB,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX notes_customer ON notes (customer_id, id);

CREATE TABLE tasks (
    id           TEXT    PRIMARY KEY,
    customer_id  TEXT    NOT NULL REFERENCES customers (id),
    assignee_id  TEXT    REFERENCES users (id),
    title_sealed BLOB,
    due_at       INTEGER,
    status       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX tasks_customer ON tasks (customer_id, id);
CREATE INDEX tasks_assignee ON tasks (assignee_id, id);

CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE INDEX audit_events_time ON audit_events (time);
