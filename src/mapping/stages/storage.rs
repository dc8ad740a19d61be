//! The team's stage mapping in the store (tables `pipeline_stages` and `stage_mapping`,
//! migration 0006) and the step 6 facts. [`keys::STAGES`] is re-recorded after every
//! change; an engineer's change (a stage, an override, the pipeline) clears
//! [`keys::STAGES_APPROVED`], reopening the step. A catalogue refresh does not: a status
//! first seen after approval is flagged instead (drift), which makes the step "needs
//! attention" until it is reviewed and the mapping approved again.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::StagesError;
use super::catalogue::{self, Merged};
use super::detect::{Detection, detect};
use super::model::{NAME_ID_PREFIX, Override, RowState, Seen, StatusRecord, StatusRow};
use super::rules::{Rules, Stage};
use super::suggest::{SuggestInput, suggest};
use super::validate::{StageIssue, validate};
use crate::icims::schema::StatusOption;
use crate::onboarding::{Approval, StageOutcome, keys};
use crate::store::{Actor, Store, Team, now_text};

/// The team's pipeline stages; the defaults from `assets/` when none are stored.
pub fn stages(store: &Store, team: &Team) -> Result<Vec<Stage>, StagesError> {
    let mut stmt = store.conn().prepare(
        "SELECT stage_id, name FROM pipeline_stages WHERE team_id = ?1 ORDER BY position",
    )?;
    let stored = stmt
        .query_map([team.id], |r| {
            Ok(Stage {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(if stored.is_empty() {
        Rules::standard().default_stages.clone()
    } else {
        stored
    })
}

/// Stores the team's pipeline stages; a change clears the approval.
pub fn save_stages(
    store: &Store,
    team: &Team,
    list: &[Stage],
    actor: &Actor,
) -> Result<(), StagesError> {
    let before = stages(store, team)?;
    let tx = store.conn().unchecked_transaction()?;
    tx.execute("DELETE FROM pipeline_stages WHERE team_id = ?1", [team.id])?;
    for (i, s) in list.iter().enumerate() {
        tx.execute(
            "INSERT INTO pipeline_stages (team_id, stage_id, name, position) VALUES (?1, ?2, ?3, ?4)",
            params![team.id, s.id, s.name, i as i64],
        )?;
    }
    tx.commit()?;
    if before != list {
        store.clear_fact(team, keys::STAGES_APPROVED, actor)?;
        store.audit(actor, Some(&team.name), "mapping.stages.pipeline", None)?;
    }
    let rows = load(store, team)?;
    record_outcome(store, team, &rows, actor)?;
    Ok(())
}

/// The team's status rows, in catalogue order.
pub fn load(store: &Store, team: &Team) -> Result<Vec<StatusRow>, StagesError> {
    let mut stmt = store.conn().prepare(
        "SELECT status_id, name, bin, position, first_seen, last_seen, workflows, seen_in,
                detected_rejection, detected_reason, override_rejection, override_note,
                suggested_stage, suggestion_reason, stage, state, new_since_approval
         FROM stage_mapping WHERE team_id = ?1 ORDER BY position, status_id",
    )?;
    let raw = stmt
        .query_map([team.id], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                ),
                (
                    r.get::<_, bool>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<bool>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, Option<String>>(12)?,
                    r.get::<_, String>(13)?,
                    r.get::<_, Option<String>>(14)?,
                    r.get::<_, String>(15)?,
                    r.get::<_, bool>(16)?,
                ),
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter()
        .map(
            |(
                (id, name, bin, position, first_seen, last_seen, workflows, seen_in),
                (det, det_reason, ov, ov_note, suggested, sreason, stage, state, new),
            )| {
                let corrupt = |what: &str| StagesError::Corrupt(format!("{what} of status {id}"));
                let seen: Vec<String> =
                    serde_json::from_str(&seen_in).map_err(|_| corrupt("seen_in"))?;
                let state = RowState::parse(&state).ok_or_else(|| corrupt("state"))?;
                Ok(StatusRow {
                    status: StatusRecord {
                        id: id.clone(),
                        name,
                        bin,
                        position: position.max(0) as u32,
                        first_seen,
                        last_seen,
                        workflows: workflows.max(0) as u64,
                        seen_in: seen.iter().filter_map(|s| Seen::parse(s)).collect(),
                    },
                    detection: Detection {
                        rejection: det,
                        reason: det_reason,
                    },
                    override_: ov.map(|rejection| Override {
                        rejection,
                        note: ov_note.unwrap_or_default(),
                    }),
                    suggested,
                    suggestion_reason: sreason,
                    stage,
                    state,
                    new_since_approval: new,
                })
            },
        )
        .collect()
}

/// Replaces the stored rows (one transaction). Refuses a rejection row with a stage
/// (also guarded by a CHECK constraint).
fn write_rows(
    store: &Store,
    team: &Team,
    rows: &[StatusRow],
    actor: &Actor,
) -> Result<(), StagesError> {
    if let Some(r) = rows.iter().find(|r| r.is_rejection() && r.stage.is_some()) {
        return Err(StagesError::RejectionToStage {
            name: r.status.name.clone(),
            reason: r.reason().unwrap_or_default(),
            stage: r.stage.clone().unwrap_or_default(),
        });
    }
    let tx = store.conn().unchecked_transaction()?;
    tx.execute("DELETE FROM stage_mapping WHERE team_id = ?1", [team.id])?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO stage_mapping (team_id, status_id, name, bin, position, first_seen,
                last_seen, workflows, seen_in, detected_rejection, detected_reason,
                override_rejection, override_note, suggested_stage, suggestion_reason, stage,
                state, new_since_approval, updated_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20)",
        )?;
        let now = now_text();
        for r in rows {
            let seen: Vec<&str> = r.status.seen_in.iter().map(|s| s.as_str()).collect();
            insert.execute(params![
                team.id,
                r.status.id,
                r.status.name,
                r.status.bin,
                r.status.position as i64,
                r.status.first_seen,
                r.status.last_seen,
                r.status.workflows as i64,
                serde_json::to_string(&seen).unwrap_or_else(|_| "[]".into()),
                r.detection.rejection,
                r.detection.reason,
                r.override_.as_ref().map(|o| o.rejection),
                r.override_.as_ref().map(|o| o.note.clone()),
                r.suggested,
                r.suggestion_reason,
                r.stage,
                r.state.as_str(),
                r.new_since_approval,
                actor.user,
                now,
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// What an approval covers of one row.
type Decision = (String, Option<String>, RowState, Option<(bool, String)>);

fn decisions(rows: &[StatusRow]) -> BTreeMap<String, Decision> {
    rows.iter()
        .map(|r| {
            (
                r.status.id.clone(),
                (
                    r.status.id.clone(),
                    r.stage.clone(),
                    r.state,
                    r.override_.as_ref().map(|o| (o.rejection, o.note.clone())),
                ),
            )
        })
        .collect()
}

/// Saves the engineer's edits of the rows. Any changed decision clears the approval;
/// a reviewed row stops counting as drift. Returns the recorded outcome.
pub fn save(
    store: &Store,
    team: &Team,
    rows: &[StatusRow],
    actor: &Actor,
) -> Result<StageOutcome, StagesError> {
    let before = decisions(&load(store, team)?);
    let after = decisions(rows);
    let mut rows = rows.to_vec();
    for r in rows.iter_mut() {
        if before.get(&r.status.id) != after.get(&r.status.id) {
            r.new_since_approval = false;
        }
    }
    write_rows(store, team, &rows, actor)?;
    if before != after {
        store.clear_fact(team, keys::STAGES_APPROVED, actor)?;
    }
    record_outcome(store, team, &rows, actor)
}

/// Where the mapping stands, as recorded under [`keys::STAGES`].
pub fn outcome(rows: &[StatusRow]) -> StageOutcome {
    let in_use = rows.iter().filter(|r| r.status.workflows > 0).count() as u32;
    let new: Vec<String> = rows
        .iter()
        .filter(|r| r.new_since_approval)
        .map(|r| r.status.name.clone())
        .collect();
    let unmapped = rows
        .iter()
        .filter(|r| r.needs_stage() || r.new_since_approval)
        .count() as u32;
    StageOutcome {
        statuses_in_use: in_use,
        unmapped,
        new_since_approval: new,
    }
}

fn record_outcome(
    store: &Store,
    team: &Team,
    rows: &[StatusRow],
    actor: &Actor,
) -> Result<StageOutcome, StagesError> {
    let o = outcome(rows);
    store.set_fact(team, keys::STAGES, &o, actor)?;
    Ok(o)
}

/// Whether the stage mapping is approved now.
pub fn approval(store: &Store, team: &Team) -> Result<Option<(String, String)>, StagesError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT actor, at FROM facts WHERE team_id = ?1 AND key = ?2",
            params![team.id, keys::STAGES_APPROVED],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Merges freshly merged catalogue entries into the stored rows: evidence, detection and
/// suggestions are refreshed; decisions are kept; an export-only row (`name:` id) whose
/// name now has an iCIMS id carries its decision to that id; rows no longer seen are kept
/// with no workflows. A status new while the mapping is approved is flagged as drift.
pub fn merge_rows(
    existing: &[StatusRow],
    merged: &[Merged],
    stages: &[Stage],
    approved: bool,
    now: &str,
) -> Vec<StatusRow> {
    let rules = Rules::standard();
    let by_id: BTreeMap<&str, &StatusRow> =
        existing.iter().map(|r| (r.status.id.as_str(), r)).collect();
    let by_name: BTreeMap<String, &StatusRow> = existing
        .iter()
        .filter(|r| r.status.id.starts_with(NAME_ID_PREFIX))
        .map(|r| (r.status.name.trim().to_lowercase(), r))
        .collect();
    let mut used: Vec<&str> = Vec::new();
    let mut out: Vec<StatusRow> = Vec::new();
    for m in merged {
        let old = by_id
            .get(m.id.as_str())
            .copied()
            .or_else(|| by_name.get(&m.name.trim().to_lowercase()).copied());
        if let Some(o) = old {
            used.push(o.status.id.as_str());
        }
        let detection = detect(&m.name, m.bin.as_deref(), rules);
        let mut seen_in = m.seen_in.clone();
        if let Some(o) = old {
            for s in &o.status.seen_in {
                if !seen_in.contains(s) {
                    seen_in.push(*s);
                }
            }
            seen_in.sort();
        }
        let mut row = StatusRow {
            status: StatusRecord {
                id: m.id.clone(),
                name: m.name.clone(),
                bin: m
                    .bin
                    .clone()
                    .or_else(|| old.and_then(|o| o.status.bin.clone())),
                position: m.position,
                first_seen: old.map_or_else(|| now.to_string(), |o| o.status.first_seen.clone()),
                last_seen: now.to_string(),
                workflows: m.workflows,
                seen_in,
            },
            detection,
            override_: old.and_then(|o| o.override_.clone()),
            suggested: None,
            suggestion_reason: String::new(),
            stage: old.and_then(|o| o.stage.clone()),
            state: old.map_or(RowState::Suggested, |o| o.state),
            new_since_approval: old.map_or(approved, |o| o.new_since_approval),
        };
        if row.is_rejection() {
            row.stage = None;
        }
        out.push(row);
    }
    // Rows not seen this time stay (with their decisions), after the seen ones.
    let mut next = out.len() as u32;
    for o in existing {
        if !used.contains(&o.status.id.as_str()) {
            let mut r = o.clone();
            r.status.workflows = 0;
            r.status.position = next;
            next += 1;
            out.push(r);
        }
    }
    apply_suggestions(&mut out, stages, rules);
    out
}

/// Recomputes every row's suggestion; rows still `Suggested` take it.
pub fn apply_suggestions(rows: &mut [StatusRow], stages: &[Stage], rules: &Rules) {
    let inputs: Vec<SuggestInput<'_>> = rows
        .iter()
        .map(|r| SuggestInput {
            name: &r.status.name,
            bin: r.status.bin.as_deref(),
            rejection: r.is_rejection(),
        })
        .collect();
    let suggestions = suggest(&inputs, stages, rules);
    for (r, s) in rows.iter_mut().zip(suggestions) {
        r.suggested = s.stage;
        r.suggestion_reason = s.reason;
        if r.state == RowState::Suggested {
            r.stage = if r.is_rejection() {
                None
            } else {
                r.suggested.clone()
            };
        }
    }
}

/// Rebuilds the catalogue from the Schema API's options (when given), the staged export
/// and the synced workflows, merges it into the stored rows and saves them. The approval
/// stays; statuses new since it are flagged. Returns the rows.
pub fn refresh(
    store: &Store,
    team: &Team,
    schema: Option<&[StatusOption]>,
    actor: &Actor,
) -> Result<Vec<StatusRow>, StagesError> {
    let schema = schema.map(catalogue::from_schema).unwrap_or_default();
    let sync = catalogue::from_sync(store, team)?;
    let export = catalogue::from_export(store, team)?;
    let existing = load(store, team)?;
    // Without a fresh schema read, the stored schema statuses keep their place and ids.
    let schema = if schema.is_empty() {
        existing
            .iter()
            .filter(|r| r.status.seen_in.contains(&Seen::Schema))
            .map(|r| catalogue::Observed {
                id: Some(r.status.id.clone()),
                name: r.status.name.clone(),
                bin: r.status.bin.clone(),
                workflows: None,
                seen: Seen::Schema,
            })
            .collect()
    } else {
        schema
    };
    let merged = catalogue::merge(&schema, &sync, &export);
    let stages = stages(store, team)?;
    let approved = approval(store, team)?.is_some();
    let rows = merge_rows(&existing, &merged, &stages, approved, &now_text());
    write_rows(store, team, &rows, actor)?;
    record_outcome(store, team, &rows, actor)?;
    Ok(rows)
}

/// The result of an approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    pub by: String,
    pub at: String,
    pub outcome: StageOutcome,
    /// Rows approved while still only suggested.
    pub suggested_only: usize,
}

/// Approves the current mapping (who and when stamped on the fact); refused while the
/// catalogue is empty or there are validation issues. Clears the drift flags.
pub fn approve(
    store: &Store,
    team: &Team,
    note: Option<String>,
    actor: &Actor,
) -> Result<Approved, StagesError> {
    let mut rows = load(store, team)?;
    if rows.is_empty() {
        return Err(StagesError::Empty(team.name.clone()));
    }
    let stages = stages(store, team)?;
    let issues: Vec<StageIssue> = validate(&rows, &stages);
    if !issues.is_empty() {
        return Err(StagesError::NotApprovable {
            team: team.name.clone(),
            issues,
        });
    }
    for r in rows.iter_mut() {
        r.new_since_approval = false;
    }
    write_rows(store, team, &rows, actor)?;
    let outcome = record_outcome(store, team, &rows, actor)?;
    store.set_fact(team, keys::STAGES_APPROVED, &Approval { note }, actor)?;
    let (by, at) = approval(store, team)?.unwrap_or_default();
    Ok(Approved {
        by,
        at,
        outcome,
        suggested_only: rows
            .iter()
            .filter(|r| r.state == RowState::Suggested && r.stage.is_some())
            .count(),
    })
}
