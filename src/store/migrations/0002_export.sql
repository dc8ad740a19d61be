-- Step 3: historical export over SFTP and its import.

-- SFTP host keys pinned on first connect (SHA-256 fingerprint as OpenSSH prints it).
CREATE TABLE sftp_host_keys (
    team_id     INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    host        TEXT NOT NULL,
    port        INTEGER NOT NULL,
    key_type    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    pinned_at   TEXT NOT NULL,
    pinned_by   TEXT NOT NULL,
    PRIMARY KEY (team_id, host, port)
);

-- Export files known to a team: downloaded over SFTP or given as local paths.
CREATE TABLE export_files (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('sftp', 'local')),
    remote_path TEXT,
    local_path  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mtime       INTEGER,
    sha256      TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    UNIQUE (team_id, name)
);

-- One imported unit: a plain file, or one CSV entry of a zip archive. Its rows live in
-- the staging table `export_stage_<id>`, whose columns are the customer's own headers.
CREATE TABLE export_units (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    file_path   TEXT NOT NULL,
    object      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('importing', 'done', 'failed')),
    rows        INTEGER NOT NULL DEFAULT 0,
    bad_rows    INTEGER NOT NULL DEFAULT 0,
    summary     TEXT,
    error       TEXT,
    job_id      INTEGER,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (team_id, name)
);

-- Rows that could not be staged, with where they came from and why.
CREATE TABLE export_quarantine (
    id       INTEGER PRIMARY KEY,
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    unit_id  INTEGER NOT NULL REFERENCES export_units(id) ON DELETE CASCADE,
    file     TEXT NOT NULL,
    line     INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    excerpt  TEXT
);
CREATE INDEX export_quarantine_by_unit ON export_quarantine (unit_id, line);
