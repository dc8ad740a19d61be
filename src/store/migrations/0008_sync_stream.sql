-- Live cycles read Data Stream events where the tenant has a subscription (issue 11).

-- Where each subscription's events were read up to (one row per team and subscription).
CREATE TABLE sync_stream (
    team_id      INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    subscription TEXT NOT NULL,
    start_key    TEXT,              -- exclusiveStartKey of the page read last (NULL: the first page)
    consumed     INTEGER NOT NULL DEFAULT 0,  -- events of that page already taken
    last_event   TEXT,              -- sha256 of the last event taken on that page
    since        TEXT,              -- while catching up from the first page: events dated
                                    -- before this (UTC) were covered already; NULL after
    read_at      TEXT,              -- last successful read
    events       INTEGER NOT NULL DEFAULT 0,  -- events taken in all
    PRIMARY KEY (team_id, subscription)
);

-- What each live cycle read from the Data Stream; `mode` is now stream, poll or
-- stream+poll (some objects polled).
ALTER TABLE sync_cycles ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_cycles ADD COLUMN events_unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_cycles ADD COLUMN note TEXT;          -- why objects were polled, if any

-- A cycle must poll by updateddate (events were read that could not be interpreted;
-- kept until a cycle's poll completes, so a crash in between still polls).
ALTER TABLE sync_state ADD COLUMN poll_due TEXT;
-- The last Data Stream situation written to the event log (logged once, on change).
ALTER TABLE sync_state ADD COLUMN stream_note TEXT;
