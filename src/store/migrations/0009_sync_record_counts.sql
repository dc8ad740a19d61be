-- Live and deleted record counts per team and object, kept by triggers on every write to
-- sync_records (seed, deep sync, live cycles, team removal), so `sync status` and the
-- step 5 monitor read a few rows instead of counting millions each refresh (issue 11).

CREATE TABLE sync_record_counts (
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    object   TEXT NOT NULL,
    deleted  INTEGER NOT NULL,   -- 0: live records, 1: marked deleted
    n        INTEGER NOT NULL,
    PRIMARY KEY (team_id, object, deleted)
) WITHOUT ROWID;

INSERT INTO sync_record_counts (team_id, object, deleted, n)
    SELECT team_id, object, deleted != 0, COUNT(*) FROM sync_records GROUP BY 1, 2, 3;

CREATE TRIGGER sync_records_counted_insert AFTER INSERT ON sync_records
BEGIN
    INSERT INTO sync_record_counts (team_id, object, deleted, n)
        VALUES (new.team_id, new.object, new.deleted != 0, 1)
        ON CONFLICT (team_id, object, deleted) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER sync_records_counted_delete AFTER DELETE ON sync_records
BEGIN
    UPDATE sync_record_counts SET n = n - 1
        WHERE team_id = old.team_id AND object = old.object AND deleted = (old.deleted != 0);
END;

-- An upsert that finds the row runs UPDATE (not INSERT) triggers; most leave the key
-- columns as they were and stop at the WHEN.
CREATE TRIGGER sync_records_counted_update AFTER UPDATE OF team_id, object, deleted ON sync_records
WHEN old.team_id IS NOT new.team_id OR old.object IS NOT new.object
    OR (old.deleted != 0) IS NOT (new.deleted != 0)
BEGIN
    UPDATE sync_record_counts SET n = n - 1
        WHERE team_id = old.team_id AND object = old.object AND deleted = (old.deleted != 0);
    INSERT INTO sync_record_counts (team_id, object, deleted, n)
        VALUES (new.team_id, new.object, new.deleted != 0, 1)
        ON CONFLICT (team_id, object, deleted) DO UPDATE SET n = n + 1;
END;
