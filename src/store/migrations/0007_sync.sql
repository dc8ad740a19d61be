-- Step 5: the deep sync. Records (the shared contract other steps read), settings,
-- the plan's work list, progress, rate samples, events, quarantine and live cycles.

CREATE TABLE sync_records (
    team_id     INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    object      TEXT NOT NULL CHECK (object IN ('people', 'jobs', 'workflows')),
    icims_id    TEXT NOT NULL,     -- as the tenant gives it (numeric or string ids)
    deleted     INTEGER NOT NULL DEFAULT 0,
    status_id   TEXT,              -- workflows: status list-node id (e.g. C123 / D45)
    status_name TEXT,              -- workflows: status label as seen
    fields      TEXT NOT NULL,     -- JSON object: standard field id -> value
    raw         TEXT NOT NULL,     -- JSON object: customer field -> value, as read
    source      TEXT NOT NULL CHECK (source IN ('export', 'api')),
    updated_at  TEXT,              -- the record's iCIMS updated date if known
    PRIMARY KEY (team_id, object, icims_id)
);

-- Per-team sync settings (absent row = defaults).
CREATE TABLE sync_settings (
    team_id            INTEGER PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    quota_share        REAL NOT NULL DEFAULT 0.8,
    concurrency        INTEGER NOT NULL DEFAULT 8,
    overlap_minutes    INTEGER NOT NULL DEFAULT 5,
    live_interval_secs INTEGER NOT NULL DEFAULT 300,
    reconcile_every    INTEGER NOT NULL DEFAULT 12,
    person_folders     TEXT,        -- JSON array of folder names/ids; NULL = all
    job_folders        TEXT,        -- JSON array of folder names/ids; NULL = all
    updated_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

-- One row per team: where its sync stands (read by `sync status` and the monitor).
CREATE TABLE sync_state (
    team_id          INTEGER PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    job_id           INTEGER,
    phase            TEXT NOT NULL DEFAULT 'none',   -- none, seeded, planned, running, live
    plan             TEXT,                           -- JSON plan (calls, ETA, scope)
    statuses         TEXT,                           -- JSON status catalogue read at plan time
    plan_calls       INTEGER NOT NULL DEFAULT 0,     -- search calls made while planning
    calls_used       INTEGER NOT NULL DEFAULT 0,     -- every API call of the sync, retries included
    retries          INTEGER NOT NULL DEFAULT 0,
    waits            INTEGER NOT NULL DEFAULT 0,
    wait_until       TEXT,                           -- current quota wait's end (UTC), NULL when not waiting
    wait_reason      TEXT,
    quota_limit      INTEGER,
    quota_remaining  INTEGER,
    quota_reset_at   TEXT,
    quota_seen_at    TEXT,
    worker_pid       INTEGER,
    heartbeat_at     TEXT,
    started_at       TEXT,
    initial_done_at  TEXT,
    watermark        TEXT,                           -- live polling: newest updated date seen
    cycles           INTEGER NOT NULL DEFAULT 0,
    last_cycle_at    TEXT,
    next_cycle_at    TEXT,
    last_cycle_changes INTEGER,
    error            TEXT
);

-- Per object counters of the current pass.
CREATE TABLE sync_objects (
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    object   TEXT NOT NULL,
    seeded   INTEGER NOT NULL DEFAULT 0,
    total    INTEGER NOT NULL DEFAULT 0,
    done     INTEGER NOT NULL DEFAULT 0,
    failed   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, object)
);

-- The work list: records to fetch by id (changed/new/missing) or to mark deleted.
CREATE TABLE sync_work (
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    object   TEXT NOT NULL,
    icims_id TEXT NOT NULL,
    reason   TEXT NOT NULL CHECK (reason IN ('changed', 'missing', 'deleted')),
    state    TEXT NOT NULL DEFAULT 'todo' CHECK (state IN ('todo', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, object, icims_id)
);
CREATE INDEX sync_work_todo ON sync_work (team_id, state, object, icims_id);

-- Throughput samples (one per interval) for rates and sparklines.
CREATE TABLE sync_rate_samples (
    id       INTEGER PRIMARY KEY,
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    at_unix  INTEGER NOT NULL,
    records  INTEGER NOT NULL,   -- records written in the interval
    calls    INTEGER NOT NULL    -- API calls made in the interval
);
CREATE INDEX sync_rate_by_team ON sync_rate_samples (team_id, id);

-- Event log: plan made, started, waiting, resumed, failed, each live cycle...
CREATE TABLE sync_events (
    id       INTEGER PRIMARY KEY,
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    message  TEXT NOT NULL
);
CREATE INDEX sync_events_by_team ON sync_events (team_id, id);

-- Records that could not be read or mapped, with the reason.
CREATE TABLE sync_quarantine (
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    object   TEXT NOT NULL,
    icims_id TEXT NOT NULL,
    reason   TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (team_id, object, icims_id)
);

-- Live cycles after the initial pass.
CREATE TABLE sync_cycles (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    mode        TEXT NOT NULL,        -- poll (updateddate search)
    reconciled  INTEGER NOT NULL,     -- 1 when the id reconciliation ran
    changed     INTEGER NOT NULL,     -- records fetched (new or changed)
    deleted     INTEGER NOT NULL,
    calls       INTEGER NOT NULL
);
CREATE INDEX sync_cycles_by_team ON sync_cycles (team_id, id);
