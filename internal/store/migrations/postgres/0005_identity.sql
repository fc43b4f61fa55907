-- Identity and access: roles kept in the database (read on every request,
-- so a change applies to the very next one on every node), territories,
-- second factors, sign-in challenges, API tokens and sign-in throttling.
-- Times are Unix microseconds (UTC); durations are seconds.

CREATE TABLE roles (
    name             TEXT    PRIMARY KEY,
    builtin          BIGINT NOT NULL DEFAULT 0,
    functions        TEXT    NOT NULL DEFAULT '',
    scope            TEXT    NOT NULL,
    fields           TEXT    NOT NULL DEFAULT '',
    idle_timeout     BIGINT NOT NULL,
    absolute_timeout BIGINT NOT NULL,
    max_sessions     BIGINT NOT NULL,
    require_mfa      BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

-- person: signs in with a password; service: holds API tokens only.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';
-- Set while the user has a confirmed second factor (TOTP or a passkey).
ALTER TABLE users ADD COLUMN mfa_enabled BIGINT NOT NULL DEFAULT 0;
CREATE INDEX users_role ON users (role);
-- Whether the session was opened (or last stepped up) with a second factor.
ALTER TABLE sessions ADD COLUMN mfa BIGINT NOT NULL DEFAULT 0;

-- A territory is a named set of regions: a province, or one city in it.
CREATE TABLE territories (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
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
    secret_sealed BYTEA   NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX mfa_totp_dek ON mfa_totp (dek_id);

-- Recovery codes are stored as SHA-256 of the user id and the code.
CREATE TABLE mfa_recovery_codes (
    user_id    TEXT    NOT NULL REFERENCES users (id),
    code_hash  BYTEA   NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- WebAuthn credentials (passkeys): public keys and counters, no secrets.
CREATE TABLE webauthn_credentials (
    id            TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (id),
    credential_id BYTEA   NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    credential    TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

-- A challenge is a half-finished sign-in or step-up waiting for its second
-- factor, or a passkey registration waiting for the authenticator. Only
-- the hash of its secret is stored.
CREATE TABLE auth_challenges (
    id          TEXT    PRIMARY KEY,
    secret_hash BYTEA   NOT NULL,
    kind        TEXT    NOT NULL,
    user_id     TEXT    NOT NULL REFERENCES users (id),
    session_id  TEXT,
    data        TEXT    NOT NULL DEFAULT '',
    attempts    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX auth_challenges_expires ON auth_challenges (expires_at);

CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    secret_hash  BYTEA   NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- Failed sign-in counters per bucket: "acct:<hash of email>|<source>" and
-- "src:<source>". Shared by every node.
CREATE TABLE login_throttle (
    bucket        TEXT    PRIMARY KEY,
    failures      BIGINT NOT NULL,
    last_failure  BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);
CREATE INDEX login_throttle_last ON login_throttle (last_failure);
