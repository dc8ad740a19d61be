-- Step 4: field mapping. One row per customer field (export header or API field) with the
-- evidence it was discovered with, the suggestion, and the engineer's decision.
CREATE TABLE field_mapping (
    team_id          INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    object           TEXT NOT NULL CHECK (object IN ('person', 'job', 'workflow')),
    source           TEXT NOT NULL CHECK (source IN ('export', 'schema', 'sample')),
    customer_field   TEXT NOT NULL,
    position         INTEGER NOT NULL,
    label            TEXT,
    samples          TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    fill_rate        REAL NOT NULL DEFAULT 0,
    schema_type      TEXT,
    suggested_target TEXT,
    confidence       REAL NOT NULL DEFAULT 0,
    coverage         REAL NOT NULL DEFAULT 0,
    reasons          TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    target           TEXT,
    state            TEXT NOT NULL CHECK (state IN ('suggested', 'accepted', 'changed', 'ignored', 'custom_request')),
    note             TEXT,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (team_id, object, source, customer_field)
);
