-- Identity and access: roles kept in the database (read on every request,
-- so a change applies to the very next one on every node), territories,
-- second factors, sign-in challenges, API tokens and sign-in throttling.
-- Times are Unix microseconds (UTC); durations are seconds.

CREATE TABLE roles (
    name             TEXT    PRIMARY KEY,
    builtin          INTEGER NOT NULL DEFAULT 0,
    functions        TEXT    NOT NULL DEFAULT '',
    scope            TEXT    NOT NULL,
    fields           TEXT    NOT NULL DEFAULT '',
    idle_timeout     INTEGER NOT NULL,
    absolute_timeout INTEGER NOT NULL,
    max_sessions     INTEGER NOT NULL,
    require_mfa      INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- person: signs in with a password; service: holds API tokens only.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';
-- Set while the user has a confirmed second factor (TOTP or a passkey).
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_role ON users (role);
-- Whether the session was opened (or last stepped up) with a second factor.
ALTER TABLE sessions ADD COLUMN mfa INTEGER NOT NULL DEFAULT 0;

-- A territory is a named set of regions: a province, or one city in it.
CREATE TABLE territories (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE territory_regions (
    territory_id TEXT NOT NULL REFERENCES territories (id) ON DELETE CASCADE,
    province     TEXT NOT NULL,
    city         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (territory_id, province, city)
);
CREATE INDEX territory_regions_place ON territory_regions (province, city);
CREATE TABLE user_territories (
    user_id      TEXT NOT NULL REFERENCES users (id),
    territory_id TEXT NOT NULL REFERENCES territories (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, territory_id)
);
CREATE INDEX user_territories_territory ON user_territories (territory_id);
CREATE INDEX customers_region ON customers (province, city);

-- TOTP secrets are sealed under a data key of their own, bound to the user.
CREATE TABLE mfa_totp (
    user_id       TEXT    PRIMARY KEY REFERENCES users (id),
    dek_id        TEXT    NOT NULL REFERENCES data_keys (id),
    secret_sealed BLOB    NOT NULL,
    confirmed_at  INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX mfa_totp_dek ON mfa_totp (dek_id);

-- Recovery codes are stored as SHA-256 of the user id and the code.
CREATE TABLE mfa_recovery_codes (
    user_id    TEXT    NOT NULL REFERENCES users (id),
    code_hash  BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- WebAuthn credentials (passkeys): public keys and counters, no secrets.
CREATE TABLE webauthn_credentials (
    id            TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (id),
    credential_id BLOB    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    credential    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- A challenge is a half-finished sign-in or step-up waiting for its second
-- factor, or a passkey registration waiting for the authenticator. Only
-- the hash of its secret is stored.
CREATE TABLE auth_challenges (
    id          TEXT    PRIMARY KEY,
    secret_hash BLOB    NOT NULL,
    kind        TEXT    NOT NULL,
    user_id     TEXT    NOT NULL REFERENCES users (id),
    session_id  TEXT,
    data        TEXT    NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX auth_challenges_expires ON auth_challenges (expires_at);

CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    secret_hash  BLOB    NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- Failed sign-in counters per bucket: "acct:<hash of email>|<source>" and
-- "src:<source>". Shared by every node.
CREATE TABLE login_throttle (
    bucket        TEXT    PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_failure  INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL
);
CREATE INDEX login_throttle_last ON login_throttle (last_failure);
