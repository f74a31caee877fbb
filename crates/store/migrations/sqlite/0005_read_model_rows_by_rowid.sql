-- A read model's rows move from a WITHOUT ROWID table to an ordinary one with the same key as
-- a unique index. A row is a child's facts, a few KB, and SQLite keeps at most about a
-- quarter of a page of a WITHOUT ROWID row beside its key: the rest overflows, and finding a
-- row by its key read the overflow pages of every row compared on the way (most of the
-- writer's time in a county rebuild). In an ordinary table the key is compared in the index,
-- which holds only the key and the rowid, and a row of up to a page stays whole in its leaf.
CREATE TABLE read_model_rows_by_rowid (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    child_id TEXT NOT NULL,
    data     BLOB NOT NULL,
    UNIQUE (name, child_id)
);

INSERT INTO read_model_rows_by_rowid (name, child_id, data)
    SELECT name, child_id, data FROM read_model_rows ORDER BY name, child_id;

DROP TABLE read_model_rows;

ALTER TABLE read_model_rows_by_rowid RENAME TO read_model_rows;
