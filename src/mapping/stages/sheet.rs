//! The stage mapping as a spreadsheet (CSV here; XLSX in `mapping::xlsx` goes through the
//! same import check): one row per status with its bin, workflows, rejection flag and
//! reason, the suggested stage, the stage and the override note. An edited file is parsed
//! completely and checked against the current rows before anything changes, with
//! line-precise errors (a rejection reason mapped to a stage is refused with its line),
//! then shown as a diff.
//!
//! Editable columns: `stage` (a stage name or id of the team; `rejected` or empty on a
//! rejection row), `rejection` (yes/no; changing detection needs an `override_note`) and
//! `override_note`. The rest is evidence and is ignored on import, except `status_id`.

use std::fmt;
use std::io::Write;

use serde::Serialize;

use super::model::{REJECTED, RowState, StatusRow};
use super::pipeline;
use super::rules::Stage;
pub use crate::mapping::sheet::SheetError;
use crate::mapping::sheet::{next_row, open_sheet};
use crate::safe_text::{neutralize_cell, restore_cell};

/// Column headers, in order.
pub const COLUMNS: [&str; 9] = [
    "status_id",
    "name",
    "bin",
    "workflows",
    "rejection",
    "reason",
    "suggested_stage",
    "stage",
    "override_note",
];
const REQUIRED_COLUMNS: [&str; 2] = ["status_id", "stage"];

/// Index of the `stage` column (for spreadsheet dropdowns).
pub const STAGE_COLUMN: usize = 7;
/// Index of the `rejection` column.
pub const REJECTION_COLUMN: usize = 4;
/// Index of the `override_note` column.
pub const NOTE_COLUMN: usize = 8;

fn stage_name(stages: &[Stage], id: Option<&str>) -> String {
    id.map(|id| {
        stages
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    })
    .unwrap_or_default()
}

/// The cells of one row, as shown (not neutralised).
pub fn row_cells(r: &StatusRow, stages: &[Stage]) -> [String; 9] {
    let rejection = r.is_rejection();
    [
        r.status.id.clone(),
        r.status.name.clone(),
        r.status.bin.clone().unwrap_or_default(),
        r.status.workflows.to_string(),
        if rejection { "yes" } else { "no" }.to_string(),
        r.reason().unwrap_or_default(),
        if rejection {
            REJECTED.to_string()
        } else {
            stage_name(stages, r.suggested.as_deref())
        },
        if rejection {
            REJECTED.to_string()
        } else {
            stage_name(stages, r.stage.as_deref())
        },
        r.override_
            .as_ref()
            .map(|o| o.note.clone())
            .unwrap_or_default(),
    ]
}

/// Writes the rows as CSV (UTF-8 with BOM; formula-leading cells neutralised).
pub fn write_csv<W: Write>(rows: &[StatusRow], stages: &[Stage], out: W) -> std::io::Result<()> {
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for r in rows {
        let cells = row_cells(r, stages);
        w.write_record(cells.iter().map(|c| neutralize_cell(c).into_owned()))?;
    }
    w.flush()
}

/// A decision change the import makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageChange {
    pub line: u64,
    pub status_id: String,
    pub name: String,
    pub from: String,
    pub to: String,
}

impl fmt::Display for StageChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} ({}): {} -> {}",
            self.name, self.status_id, self.from, self.to
        )
    }
}

/// A parsed, checked import: the edited rows and what changed.
#[derive(Debug, Clone)]
pub struct StageImport {
    pub rows: Vec<StatusRow>,
    pub changes: Vec<StageChange>,
}

const MAX_ERRORS: usize = 50;

/// How a row's decision reads in a diff.
fn describe(r: &StatusRow, stages: &[Stage]) -> String {
    let base = if r.is_rejection() {
        format!("rejected ({})", r.rejection_reason())
    } else {
        match &r.stage {
            Some(s) => format!("stage {}", stage_name(stages, Some(s))),
            None => "no stage".to_string(),
        }
    };
    match &r.override_ {
        Some(o) => format!("{base}, override: {}", o.note),
        None => base,
    }
}

fn parse_yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Parses an edited CSV against the current rows. On any error only the errors (with
/// lines) come back; otherwise the edited rows and the changes. Rows absent from the file
/// keep their decision.
pub fn read_csv(
    bytes: &[u8],
    current: &[StatusRow],
    stages: &[Stage],
) -> Result<StageImport, Vec<SheetError>> {
    let err = |line: u64, message: String| SheetError { line, message };
    let (mut reader, headers) = open_sheet(bytes, &REQUIRED_COLUMNS)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let c_id = col("status_id").unwrap_or(0);
    let c_stage = col("stage").unwrap_or(0);
    let c_rej = col("rejection");
    let c_note = col("override_note");

    let mut errors: Vec<SheetError> = Vec::new();
    let mut extra = 0usize;
    let mut push = |errors: &mut Vec<SheetError>, e: SheetError| {
        if errors.len() < MAX_ERRORS {
            errors.push(e);
        } else {
            extra += 1;
        }
    };
    let mut rows: Vec<StatusRow> = current.to_vec();
    let mut seen: Vec<(String, u64)> = Vec::new();
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
        let get = |i: usize| {
            restore_cell(record.get(i).unwrap_or("").trim())
                .trim()
                .to_string()
        };
        let id = get(c_id);
        let Some(index) = rows.iter().position(|r| r.status.id == id) else {
            push(
                &mut errors,
                err(
                    line,
                    format!("unknown status {id:?}: not in the team's catalogue"),
                ),
            );
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == id) {
            push(
                &mut errors,
                err(
                    line,
                    format!("status {id:?} appears twice (first on line {first})"),
                ),
            );
            continue;
        }
        seen.push((id.clone(), line));
        let old = rows[index].clone();
        let mut row = old.clone();
        let note = c_note.map(&get).unwrap_or_default();
        // Rejection flag: a change from what is in effect is an override with a note.
        if let Some(c) = c_rej {
            let text = get(c);
            // A blank flag keeps what is in effect.
            let parsed = if text.is_empty() {
                Some(old.is_rejection())
            } else {
                parse_yes_no(&text)
            };
            let Some(flag) = parsed else {
                push(
                    &mut errors,
                    err(line, format!("rejection must be yes or no, not {text:?}")),
                );
                continue;
            };
            let result = if flag != old.is_rejection() {
                if flag == old.detection.rejection {
                    // Back to what detection says: the override goes.
                    row.set_override(None)
                } else {
                    row.set_override(Some((flag, &note)))
                }
            } else {
                match &old.override_ {
                    Some(o) if o.note != note => row.set_override(Some((flag, &note))),
                    _ => Ok(()),
                }
            };
            if let Err(e) = result {
                push(
                    &mut errors,
                    err(line, format!("{e} (fill override_note on this row)")),
                );
                continue;
            }
        }
        let stage_text = get(c_stage);
        if row.is_rejection() {
            if !stage_text.is_empty() && !stage_text.eq_ignore_ascii_case(REJECTED) {
                push(
                    &mut errors,
                    err(
                        line,
                        format!(
                            "{:?} is a rejection reason ({}); it maps to rejected, not to stage {stage_text:?}",
                            row.status.name,
                            row.reason().unwrap_or_default()
                        ),
                    ),
                );
                continue;
            }
        } else if stage_text.eq_ignore_ascii_case(REJECTED) {
            push(
                &mut errors,
                err(
                    line,
                    format!(
                        "{:?} is not detected as a rejection reason; set rejection to yes with an override_note to map it to rejected",
                        row.status.name
                    ),
                ),
            );
            continue;
        } else if stage_text.is_empty() {
            if row.stage.is_some() {
                row.clear_stage();
            }
        } else {
            match pipeline::find(stages, &stage_text) {
                None => {
                    push(
                        &mut errors,
                        err(
                            line,
                            format!(
                                "unknown stage {stage_text:?} (the team's stages: {})",
                                stages
                                    .iter()
                                    .map(|s| s.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ),
                    );
                    continue;
                }
                Some((_, s)) if row.stage.as_deref() != Some(s.id.as_str()) => {
                    let id = s.id.clone();
                    if let Err(e) = row.set_stage(&id, stages) {
                        push(&mut errors, err(line, e.to_string()));
                        continue;
                    }
                }
                Some(_) => {}
            }
        }
        if row.stage != old.stage
            || row.override_ != old.override_
            || row.is_rejection() != old.is_rejection()
        {
            if row.state == RowState::Suggested {
                row.state = RowState::Changed;
            }
            changes.push(StageChange {
                line,
                status_id: id.clone(),
                name: row.status.name.clone(),
                from: describe(&old, stages),
                to: describe(&row, stages),
            });
            rows[index] = row;
        }
    }
    if extra > 0 {
        errors.push(SheetError {
            line: errors.last().map_or(1, |e| e.line),
            message: format!("… and {extra} more errors"),
        });
    }
    if errors.is_empty() {
        Ok(StageImport { rows, changes })
    } else {
        Err(errors)
    }
}
