-- Caseline on PostgreSQL. Global positions are assigned under a transaction-scoped advisory lock,
-- so they grow in commit order (see docs/STORE.md).
CREATE TABLE events (
    global_position BIGINT      PRIMARY KEY,
    child_id        UUID        NOT NULL,
    sequence        BIGINT      NOT NULL,
    event_id        UUID        NOT NULL UNIQUE,
    event_type      TEXT        NOT NULL,
    event_version   INTEGER     NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    recorded_by     JSONB       NOT NULL,
    agency          TEXT        NOT NULL,
    token_id        UUID,
    data            JSONB       NOT NULL,
    prev_hash       TEXT        NOT NULL,
    hash            TEXT        NOT NULL,
    UNIQUE (child_id, sequence)
);

CREATE TABLE idempotency (
    agency       TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    request_hash TEXT        NOT NULL,
    child_id     UUID        NOT NULL,
    result       JSONB       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agency, key)
);

CREATE TABLE identifiers (
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    child_id UUID NOT NULL,
    PRIMARY KEY (kind, value)
);

CREATE TABLE read_log (
    id       BIGSERIAL   PRIMARY KEY,
    child_id UUID        NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    token_id UUID,
    agency   TEXT        NOT NULL,
    role     TEXT        NOT NULL,
    what     TEXT        NOT NULL
);
CREATE INDEX read_log_child ON read_log (child_id, id);

CREATE TABLE tokens (
    id          UUID        PRIMARY KEY,
    agency      TEXT        NOT NULL,
    role        TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    secret_hash TEXT        NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE checkpoints (
    name     TEXT   PRIMARY KEY,
    position BIGINT NOT NULL
);

CREATE TABLE secrets (
    name  TEXT  PRIMARY KEY,
    value BYTEA NOT NULL
);
