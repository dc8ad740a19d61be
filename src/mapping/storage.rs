//! The team's mapping in the store (table `field_mapping`, migration 0003) and the step 4
//! facts: [`keys::FIELD_MAPPING`] is re-recorded after every change, and any change to
//! what a row maps clears [`keys::FIELD_MAPPING_APPROVED`], reopening the step.

use rusqlite::{OptionalExtension, params};

use super::MappingError;
use super::catalogue::Catalogue;
use super::model::{
    CustomerField, EntryKey, FieldSource, MappingEntry, MappingState, Object, Suggestion,
};
use super::suggest::suggest;
use super::validate::{Issue, validate};
use crate::onboarding::{Approval, MappingOutcome, keys};
use crate::store::{Actor, Store, Team, now_text};

/// A team's mapping rows, in discovery order (object, source, position).
pub fn load(store: &Store, team: &Team) -> Result<Vec<MappingEntry>, MappingError> {
    let mut stmt = store.conn().prepare(
        "SELECT object, source, customer_field, label, samples, fill_rate, schema_type,
                suggested_target, confidence, coverage, reasons, target, state, note
         FROM field_mapping WHERE team_id = ?1
         ORDER BY CASE object WHEN 'person' THEN 0 WHEN 'job' THEN 1 ELSE 2 END,
                  CASE source WHEN 'export' THEN 0 WHEN 'schema' THEN 1 ELSE 2 END, position",
    )?;
    let rows = stmt
        .query_map([team.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, f64>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, f64>(8)?,
                r.get::<_, f64>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, Option<String>>(11)?,
                r.get::<_, String>(12)?,
                r.get::<_, Option<String>>(13)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(
            |(
                object,
                source,
                name,
                label,
                samples,
                fill_rate,
                schema_type,
                suggested,
                confidence,
                coverage,
                reasons,
                target,
                state,
                note,
            )| {
                let corrupt = |what: &str| MappingError::Corrupt(format!("{what} of {name:?}"));
                let object = Object::parse(&object).ok_or_else(|| corrupt("object"))?;
                let source = FieldSource::parse(&source).ok_or_else(|| corrupt("source"))?;
                let state = MappingState::parse(&state).ok_or_else(|| corrupt("state"))?;
                let samples: Vec<String> =
                    serde_json::from_str(&samples).map_err(|_| corrupt("samples"))?;
                let reasons: Vec<String> =
                    serde_json::from_str(&reasons).map_err(|_| corrupt("reasons"))?;
                Ok(MappingEntry {
                    suggestion: Suggestion {
                        object,
                        customer_field: name.clone(),
                        target: suggested,
                        confidence,
                        reasons,
                        coverage,
                    },
                    field: CustomerField {
                        object,
                        name,
                        label,
                        samples,
                        fill_rate,
                        source,
                        schema_type,
                    },
                    target,
                    state,
                    note,
                })
            },
        )
        .collect()
}

/// Replaces a team's rows with `entries` (in one transaction), records the outcome fact,
/// and clears the approval when what any row maps changed.
pub fn save(
    store: &Store,
    team: &Team,
    entries: &[MappingEntry],
    catalogue: &Catalogue,
    actor: &Actor,
) -> Result<MappingOutcome, MappingError> {
    let before = load(store, team)?;
    let tx = store.conn().unchecked_transaction()?;
    tx.execute("DELETE FROM field_mapping WHERE team_id = ?1", [team.id])?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO field_mapping (team_id, object, source, customer_field, position, label,
                samples, fill_rate, schema_type, suggested_target, confidence, coverage, reasons,
                target, state, note, updated_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )?;
        let now = now_text();
        for (i, e) in entries.iter().enumerate() {
            let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
            insert.execute(params![
                team.id,
                e.field.object.as_str(),
                e.field.source.as_str(),
                e.field.name,
                i as i64,
                e.field.label,
                json(&e.field.samples),
                e.field.fill_rate,
                e.field.schema_type,
                e.suggestion.target,
                e.suggestion.confidence,
                e.suggestion.coverage,
                json(&e.suggestion.reasons),
                e.target,
                e.state.as_str(),
                e.note,
                actor.user,
                now,
            ])?;
        }
    }
    tx.commit()?;
    if decisions(&before) != decisions(entries) {
        store.clear_fact(team, keys::FIELD_MAPPING_APPROVED, actor)?;
    }
    let outcome = outcome(entries, catalogue);
    store.set_fact(team, keys::FIELD_MAPPING, &outcome, actor)?;
    Ok(outcome)
}

/// What each row maps and in which state: the part of a mapping an approval covers.
fn decisions(
    entries: &[MappingEntry],
) -> Vec<(EntryKey, Option<String>, MappingState, Option<String>)> {
    let mut v: Vec<_> = entries
        .iter()
        .map(|e| (e.key(), e.target.clone(), e.state, e.note.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Fields, mapped rows and validation errors of a mapping.
pub fn outcome(entries: &[MappingEntry], catalogue: &Catalogue) -> MappingOutcome {
    MappingOutcome {
        fields: entries.len() as u32,
        mapped: entries
            .iter()
            .filter(|e| e.effective_target().is_some())
            .count() as u32,
        errors: validate(entries, catalogue).len() as u32,
    }
}

/// Merges freshly discovered fields into the existing rows: evidence and suggestions are
/// refreshed; rows still `Suggested` take the new suggestion; decided rows keep their
/// decision. Rows of the sources that were rediscovered but are no longer present are
/// dropped when undecided and kept when decided.
pub fn merge(
    existing: &[MappingEntry],
    fields: Vec<CustomerField>,
    catalogue: &Catalogue,
) -> Vec<MappingEntry> {
    let sources: Vec<FieldSource> = {
        let mut s: Vec<FieldSource> = fields.iter().map(|f| f.source).collect();
        s.sort();
        s.dedup();
        s
    };
    // Suggestions are computed over the rediscovered fields; rows of the sources not
    // rediscovered this time are kept as they are.
    let kept: Vec<&MappingEntry> = existing
        .iter()
        .filter(|e| !sources.contains(&e.field.source))
        .collect();
    let suggestions = suggest(&fields, catalogue);
    let mut out: Vec<MappingEntry> = kept.into_iter().cloned().collect();
    let mut seen: Vec<EntryKey> = Vec::new();
    for (field, suggestion) in fields.into_iter().zip(suggestions) {
        let key = EntryKey {
            object: field.object,
            source: field.source,
            name: field.name.clone(),
        };
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        match existing.iter().find(|e| e.key() == key) {
            Some(old) if old.state != MappingState::Suggested => out.push(MappingEntry {
                field,
                suggestion,
                target: old.target.clone(),
                state: old.state,
                note: old.note.clone(),
            }),
            _ => out.push(MappingEntry::suggested(field, suggestion)),
        }
    }
    for e in existing {
        if sources.contains(&e.field.source)
            && e.state != MappingState::Suggested
            && !seen.contains(&e.key())
        {
            out.push(e.clone());
        }
    }
    out.sort_by_key(|e| (e.field.object, e.field.source));
    out
}

/// Discovered fields → suggestions merged into the stored mapping, saved.
pub fn refresh(
    store: &Store,
    team: &Team,
    fields: Vec<CustomerField>,
    catalogue: &Catalogue,
    actor: &Actor,
) -> Result<Vec<MappingEntry>, MappingError> {
    let existing = load(store, team)?;
    let merged = merge(&existing, fields, catalogue);
    save(store, team, &merged, catalogue, actor)?;
    Ok(merged)
}

/// Records the approval of the current mapping (who and when are stamped on the fact).
/// Refused while the mapping is empty or has validation issues.
pub fn approve(
    store: &Store,
    team: &Team,
    catalogue: &Catalogue,
    note: Option<String>,
    actor: &Actor,
) -> Result<MappingOutcome, MappingError> {
    let entries = load(store, team)?;
    if entries.is_empty() {
        return Err(MappingError::Empty(team.name.clone()));
    }
    let issues: Vec<Issue> = validate(&entries, catalogue);
    if !issues.is_empty() {
        return Err(MappingError::NotApprovable {
            team: team.name.clone(),
            issues,
        });
    }
    let outcome = outcome(&entries, catalogue);
    store.set_fact(team, keys::FIELD_MAPPING, &outcome, actor)?;
    store.set_fact(
        team,
        keys::FIELD_MAPPING_APPROVED,
        &Approval { note },
        actor,
    )?;
    Ok(outcome)
}

/// The recorded approval (who, when), if the mapping is approved.
pub fn approval(store: &Store, team: &Team) -> Result<Option<(String, String)>, MappingError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT actor, at FROM facts WHERE team_id = ?1 AND key = ?2",
            params![team.id, keys::FIELD_MAPPING_APPROVED],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}
