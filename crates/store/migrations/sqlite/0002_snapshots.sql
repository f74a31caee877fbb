-- A read model's state saved with the global position it reflects, in one row, so a restart
-- resumes from exactly where the saved state left off.
CREATE TABLE snapshots (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data     BLOB NOT NULL,
    saved_at TEXT NOT NULL
);
