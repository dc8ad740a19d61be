-- Team life (issue 15): audit entries carry the team's stable id, so a team's history
-- follows a rename and a removed team's entries can be found and deleted with its rows.
-- `team` keeps the name at the time of the action; `team_id` is NULL for entries about
-- no team and for the entry that records a team's removal.
ALTER TABLE audit ADD COLUMN team_id INTEGER;
UPDATE audit SET team_id = (SELECT id FROM teams WHERE teams.name = audit.team);
CREATE INDEX audit_by_team ON audit (team_id, id);
CREATE INDEX audit_by_time ON audit (at);
