-- Foundation: teams, sealed credentials, step facts, jobs, audit log.
CREATE TABLE teams (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    customer_id     INTEGER NOT NULL,
    region          TEXT NOT NULL CHECK (region IN ('us', 'eu')),
    api_base        TEXT,
    token_url       TEXT,
    datastream_base TEXT,
    created_at      TEXT NOT NULL
);

-- One row per team and credential kind. `params` holds the non-secret parts as JSON;
-- the secret is sealed with XChaCha20-Poly1305 (`nonce`, `sealed`).
CREATE TABLE credentials (
    team_id    INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('basic', 'rest', 'datastream', 'sftp')),
    params     TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    sealed     BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (team_id, kind)
);

-- Step facts: test results, toggles, approvals. Step states are derived from these.
CREATE TABLE facts (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (team_id, key)
);

-- Background work claimed by a worker through a lease.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    team_id          INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    params           TEXT NOT NULL DEFAULT '{}',
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'done', 'failed', 'cancelled')),
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    checkpoint       TEXT,
    progress         TEXT,
    error            TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX jobs_by_state ON jobs (state, kind);
CREATE INDEX jobs_by_team ON jobs (team_id, kind);

-- Who did what and when. Never a secret value.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    ssh_client TEXT,
    team       TEXT,
    action     TEXT NOT NULL,
    detail     TEXT
);
