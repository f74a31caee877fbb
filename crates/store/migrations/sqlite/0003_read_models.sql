-- A read model kept as one row per child and the global position the rows reflect, written
-- together in one transaction, so a save costs what changed rather than the whole model.
CREATE TABLE read_models (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    saved_at TEXT NOT NULL
);

CREATE TABLE read_model_rows (
    name     TEXT NOT NULL,
    child_id TEXT NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (name, child_id)
) WITHOUT ROWID;

-- The cross-child model was saved whole, as JSON, under this name; it is kept as rows now
-- and rebuilt once from the events on the first start after this migration.
DELETE FROM snapshots WHERE name = 'across';
