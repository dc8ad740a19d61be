//! The spreadsheet round-trip: the mapping as CSV (one row per customer field, with its
//! samples, coverage and suggestion) for review with the customer, and the import of an
//! edited file — parsed completely and checked against the current mapping before
//! anything changes, with line-precise errors, then shown as a diff.
//!
//! Editable columns: `target`, `state`, `note`. The rest is evidence and is ignored on
//! import (except the key columns `object`, `source`, `customer_field`).

use std::fmt;
use std::io::Write;

use serde::Serialize;

use super::catalogue::Catalogue;
use super::model::{EntryKey, FieldSource, MappingEntry, MappingState, Object};
use super::shape::display_sample;
use crate::safe_text::{neutralize_cell, restore_cell};

/// Column headers, in order.
pub const COLUMNS: [&str; 12] = [
    "object",
    "source",
    "customer_field",
    "label",
    "samples",
    "coverage",
    "suggested_target",
    "confidence",
    "reasons",
    "target",
    "state",
    "note",
];
const REQUIRED_COLUMNS: [&str; 5] = ["object", "source", "customer_field", "target", "state"];

/// Writes the mapping as CSV (UTF-8 with BOM so spreadsheet programs read it as UTF-8).
/// Formula-leading cells are neutralised ([`neutralize_cell`]); [`read_csv`] undoes it.
pub fn write_csv<W: Write>(entries: &[MappingEntry], out: W) -> std::io::Result<()> {
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for e in entries {
        let samples = e
            .field
            .samples
            .iter()
            .map(|s| display_sample(s))
            .collect::<Vec<_>>()
            .join(" | ");
        let cells = [
            e.field.object.as_str(),
            e.field.source.as_str(),
            &e.field.name,
            e.field.label.as_deref().unwrap_or(""),
            &samples,
            &format!("{:.0}%", e.field.fill_rate * 100.0),
            e.suggestion.target.as_deref().unwrap_or(""),
            &format!("{:.2}", e.suggestion.confidence),
            &e.suggestion.reasons.join("; "),
            e.target.as_deref().unwrap_or(""),
            e.state.as_str(),
            e.note.as_deref().unwrap_or(""),
        ];
        w.write_record(cells.iter().map(|c| neutralize_cell(c).into_owned()))?;
    }
    w.flush()
}

/// One problem in an imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetError {
    /// 1-based physical line of the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

impl fmt::Display for SheetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A decision change the import makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub line: u64,
    pub object: Object,
    pub source: FieldSource,
    pub customer_field: String,
    pub from_state: MappingState,
    pub from_target: Option<String>,
    pub to_state: MappingState,
    pub to_target: Option<String>,
    pub from_note: Option<String>,
    pub to_note: Option<String>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = |t: &Option<String>| t.clone().unwrap_or_else(|| "-".into());
        write!(
            f,
            "{} {:?}: {} {} -> {} {}",
            self.object,
            self.customer_field,
            self.from_state,
            t(&self.from_target),
            self.to_state,
            t(&self.to_target)
        )?;
        if self.from_note != self.to_note {
            write!(f, " (note: {})", self.to_note.as_deref().unwrap_or("-"))?;
        }
        Ok(())
    }
}

/// A parsed, checked import: the edited mapping and what changed.
#[derive(Debug, Clone)]
pub struct Import {
    pub entries: Vec<MappingEntry>,
    pub changes: Vec<Change>,
}

/// Errors beyond this many are counted, not listed.
const MAX_ERRORS: usize = 50;

/// The next row of a sheet that is not blank, with its physical line; `None` at the end.
/// A CSV-level error (a broken quote swallows the rest, so callers stop there) names its
/// line.
pub(crate) fn next_row(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut csv::StringRecord,
) -> Result<Option<u64>, SheetError> {
    loop {
        let line_before = reader.position().line();
        match reader.read_record(record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line_before, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} fields, the header has {expected_len}"),
                    _ => format!("malformed CSV: {e}"),
                };
                return Err(SheetError { line, message });
            }
        }
        if !record.iter().all(|f| f.trim().is_empty()) {
            return Ok(Some(record.position().map_or(line_before, |p| p.line())));
        }
    }
}

/// A sheet opened for import: the reader at its first data row, and the header's names.
pub(crate) type OpenSheet<'a> = (csv::Reader<&'a [u8]>, Vec<String>);

/// Opens a sheet for import: UTF-8 text (a BOM is dropped), not empty, a readable header
/// holding every `required` column. Gives the reader (at the first data row) and the
/// header's names, trimmed and lower-cased; any problem is one error naming line 1 (or
/// the line of the first byte that is not UTF-8).
pub(crate) fn open_sheet<'a>(
    bytes: &'a [u8],
    required: &[&str],
) -> Result<OpenSheet<'a>, Vec<SheetError>> {
    let err = |line: u64, message: String| SheetError { line, message };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(vec![err(
                line as u64,
                "not UTF-8 text; save the sheet as CSV UTF-8".into(),
            )]);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(vec![err(
            1,
            "the file is empty; expected a header row".into(),
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![err(1, format!("unreadable header: {e}"))]),
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(vec![err(
            1,
            format!(
                "missing column(s) {}; the header must include {}",
                missing.join(", "),
                required.join(", ")
            ),
        )]);
    }
    Ok((reader, headers))
}

/// Parses an edited CSV against the current mapping. On any error nothing is returned but
/// the errors (with lines); otherwise the new entries (current ones with the file's
/// decisions applied) and the changes. Rows absent from the file keep their decision.
pub fn read_csv(
    bytes: &[u8],
    current: &[MappingEntry],
    catalogue: &Catalogue,
) -> Result<Import, Vec<SheetError>> {
    let err = |line: u64, message: String| SheetError { line, message };
    let (mut reader, headers) = open_sheet(bytes, &REQUIRED_COLUMNS)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (c_obj, c_src, c_name, c_target, c_state) = (
        col("object").unwrap_or(0),
        col("source").unwrap_or(0),
        col("customer_field").unwrap_or(0),
        col("target").unwrap_or(0),
        col("state").unwrap_or(0),
    );
    let c_note = col("note");

    let mut errors: Vec<SheetError> = Vec::new();
    let mut extra_errors = 0usize;
    let mut push = |errors: &mut Vec<SheetError>, e: SheetError| {
        if errors.len() < MAX_ERRORS {
            errors.push(e);
        } else {
            extra_errors += 1;
        }
    };
    let mut entries: Vec<MappingEntry> = current.to_vec();
    let mut seen: Vec<(EntryKey, u64)> = Vec::new();
    let mut changes = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = match next_row(&mut reader, &mut record) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                // A broken quote swallows the rest; stop at the first CSV-level error.
                push(&mut errors, e);
                break;
            }
        };
        let get = |i: usize| restore_cell(record.get(i).unwrap_or("").trim()).into_owned();
        let Some(object) = Object::parse(&get(c_obj)) else {
            push(
                &mut errors,
                err(
                    line,
                    format!("unknown object {:?} (person, job or workflow)", get(c_obj)),
                ),
            );
            continue;
        };
        let Some(source) = FieldSource::parse(&get(c_src)) else {
            push(
                &mut errors,
                err(
                    line,
                    format!("unknown source {:?} (export, schema or sample)", get(c_src)),
                ),
            );
            continue;
        };
        let key = EntryKey {
            object,
            source,
            name: get(c_name),
        };
        let Some(index) = entries.iter().position(|e| e.key() == key) else {
            push(
                &mut errors,
                err(
                    line,
                    format!("unknown field: no {key} in the current mapping"),
                ),
            );
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            push(
                &mut errors,
                err(line, format!("{key} appears twice (first on line {first})")),
            );
            continue;
        }
        seen.push((key.clone(), line));
        let target_text = get(c_target);
        let target = if target_text.is_empty() {
            None
        } else {
            match catalogue.get(&target_text) {
                Some(std) if std.object() == Some(object) => Some(std.id.clone()),
                Some(_) => {
                    push(
                        &mut errors,
                        err(
                            line,
                            format!("target {target_text} is not a {object} field ({key})"),
                        ),
                    );
                    continue;
                }
                None => {
                    push(
                        &mut errors,
                        err(line, format!("unknown target {target_text:?} for {key}")),
                    );
                    continue;
                }
            }
        };
        let state_text = get(c_state);
        let old = &entries[index];
        let state = if state_text.is_empty() {
            // A blank state follows the target: the suggestion → accepted, another
            // target → changed, no target → ignored.
            match &target {
                None => MappingState::Ignored,
                Some(t) if Some(t) == old.suggestion.target.as_ref() => MappingState::Accepted,
                Some(_) => MappingState::Changed,
            }
        } else {
            match MappingState::parse(&state_text) {
                Some(s) => s,
                None => {
                    push(
                        &mut errors,
                        err(
                            line,
                            format!(
                                "unknown state {state_text:?} (suggested, accepted, changed, ignored, custom_request)"
                            ),
                        ),
                    );
                    continue;
                }
            }
        };
        let unchanged = state == old.state && target == old.target;
        let state = match (state, &target) {
            _ if unchanged => state,
            (MappingState::Ignored | MappingState::CustomRequest, Some(t)) => {
                push(
                    &mut errors,
                    err(
                        line,
                        format!(
                            "state {state} with target {t}: clear the target or use accepted/changed"
                        ),
                    ),
                );
                continue;
            }
            (MappingState::Accepted | MappingState::Changed, None) => {
                push(
                    &mut errors,
                    err(line, format!("state {state} needs a target")),
                );
                continue;
            }
            // Accepting something other than the suggestion is a change; "changed" back
            // to the suggestion is an acceptance; an edited suggestion is a change.
            (MappingState::Accepted | MappingState::Suggested, Some(t))
                if Some(t) != old.suggestion.target.as_ref() =>
            {
                MappingState::Changed
            }
            (MappingState::Changed, Some(t)) if Some(t) == old.suggestion.target.as_ref() => {
                MappingState::Accepted
            }
            (MappingState::Suggested, None) if old.suggestion.target.is_some() => {
                MappingState::Ignored
            }
            (s, _) => s,
        };
        let note = c_note.map(&get).filter(|n| !n.is_empty());
        if old.state != state || old.target != target || old.note != note {
            changes.push(Change {
                line,
                object,
                source,
                customer_field: key.name.clone(),
                from_state: old.state,
                from_target: old.target.clone(),
                to_state: state,
                to_target: target.clone(),
                from_note: old.note.clone(),
                to_note: note.clone(),
            });
            let e = &mut entries[index];
            e.state = state;
            e.target = target;
            e.note = note;
        }
    }
    if extra_errors > 0 {
        errors.push(SheetError {
            line: errors.last().map_or(1, |e| e.line),
            message: format!("… and {extra_errors} more errors"),
        });
    }
    if errors.is_empty() {
        Ok(Import { entries, changes })
    } else {
        Err(errors)
    }
}
