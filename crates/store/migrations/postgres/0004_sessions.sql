-- People in a browser: sessions (only a hash of the cookie's secret is kept), single-use
-- sign-in grants (links from the command line, sign-ins at the identity provider under way),
-- and the person and session behind a read.
ALTER TABLE read_log ADD COLUMN person TEXT;
ALTER TABLE read_log ADD COLUMN session_id UUID;

CREATE TABLE sessions (
    id           UUID        PRIMARY KEY,
    secret_hash  TEXT        NOT NULL UNIQUE,
    csrf_token   TEXT        NOT NULL,
    role         TEXT        NOT NULL,
    agency       TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    via          TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE signin_grants (
    secret_hash TEXT        PRIMARY KEY,
    purpose     TEXT        NOT NULL,
    payload     TEXT        NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
