-- Step 6: pipeline stage mapping. The team's pipeline stages (ids stable through renames)
-- and one row per workflow status of the catalogue with its evidence, its detection as a
-- rejection reason, the engineer's override and the stage it maps to.
CREATE TABLE pipeline_stages (
    team_id   INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    stage_id  TEXT NOT NULL,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (team_id, stage_id)
);

CREATE TABLE stage_mapping (
    team_id            INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    status_id          TEXT NOT NULL,      -- C…/D… list-node id, or name:<label> (export only)
    name               TEXT NOT NULL,
    bin                TEXT,
    position           INTEGER NOT NULL,
    first_seen         TEXT NOT NULL,
    last_seen          TEXT NOT NULL,
    workflows          INTEGER NOT NULL DEFAULT 0,
    seen_in            TEXT NOT NULL DEFAULT '[]',   -- JSON array: schema, export, sync
    detected_rejection INTEGER NOT NULL,
    detected_reason    TEXT,
    override_rejection INTEGER,
    override_note      TEXT,
    suggested_stage    TEXT,
    suggestion_reason  TEXT NOT NULL DEFAULT '',
    stage              TEXT,
    state              TEXT NOT NULL CHECK (state IN ('suggested', 'accepted', 'changed')),
    new_since_approval INTEGER NOT NULL DEFAULT 0,
    updated_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (team_id, status_id),
    -- A rejection reason never maps to a stage, whatever face wrote the row.
    CHECK (stage IS NULL OR COALESCE(override_rejection, detected_rejection) = 0),
    CHECK (override_rejection IS NULL OR length(trim(COALESCE(override_note, ''))) > 0)
);
