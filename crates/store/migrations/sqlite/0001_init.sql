-- Caseline's embedded store. Times are RFC 3339 UTC text with microseconds, so they sort as text.
CREATE TABLE events (
    global_position INTEGER PRIMARY KEY,
    child_id        TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    event_id        TEXT    NOT NULL UNIQUE,
    event_type      TEXT    NOT NULL,
    event_version   INTEGER NOT NULL,
    occurred_at     TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    recorded_by     TEXT    NOT NULL,
    agency          TEXT    NOT NULL,
    token_id        TEXT,
    data            TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    UNIQUE (child_id, sequence)
);

CREATE TABLE idempotency (
    agency       TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    child_id     TEXT NOT NULL,
    result       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (agency, key)
);

CREATE TABLE identifiers (
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    child_id TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);

CREATE TABLE read_log (
    id       INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL,
    at       TEXT NOT NULL,
    token_id TEXT,
    agency   TEXT NOT NULL,
    role     TEXT NOT NULL,
    what     TEXT NOT NULL
);
CREATE INDEX read_log_child ON read_log (child_id, id);

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    agency      TEXT NOT NULL,
    role        TEXT NOT NULL,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE checkpoints (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
