//! The handoff ticket for engineering: where the export came from (never the password),
//! the pinned host key, the manifest with sizes and checksums, row counts per file, the
//! cut-off and the quarantine count.

use std::fmt::Write;

use super::ExportError;
use super::fetch::fetched_files;
use super::sftp_source;
use super::summary::{export_summary, team_outcome};
use crate::sftp::format_bytes as progress_format_bytes;
use crate::store::{Actor, Store, Team, now_text};

/// The ticket text for a team.
pub fn ticket_text(store: &Store, team: &Team, actor: &Actor) -> Result<String, ExportError> {
    let files = fetched_files(store, team)?;
    let summary = export_summary(store, team, 0)?;
    let outcome = team_outcome(store, team)?;
    let quarantined: u64 = summary.files.iter().map(|f| f.bad_rows).sum();
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(
        w,
        "Historical export handoff: team {} (iCIMS customer {}, region {})",
        team.name, team.customer_id, team.region
    );
    let _ = writeln!(w, "Prepared by {} at {}", actor.user, now_text());
    let _ = writeln!(w);
    match sftp_source(store, team)? {
        Some(src) => {
            let _ = writeln!(w, "Source: {src}");
            let _ = writeln!(
                w,
                "Password: not included (stored sealed in icims-onboard; ask the CSM if needed)"
            );
        }
        None => {
            let _ = writeln!(w, "Source: local files (no SFTP credential stored)");
        }
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "Manifest ({} files):", files.len());
    for f in &files {
        let _ = writeln!(
            w,
            "  {}  {} ({} bytes)  sha256 {}  {} {}",
            f.name,
            progress_format_bytes(f.size),
            f.size,
            f.sha256,
            if f.source == "sftp" {
                "fetched"
            } else {
                "local"
            },
            f.fetched_at
        );
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "Imported ({} files):", summary.files.len());
    for f in &summary.files {
        let _ = writeln!(
            w,
            "  {}  object {}  rows {}  bad rows {}  cut-off {}  [{}]{}",
            f.name,
            f.object,
            f.rows,
            f.bad_rows,
            f.cutoff.as_deref().unwrap_or("-"),
            f.state,
            f.error
                .as_deref()
                .map(|e| format!("  error: {e}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Totals: {} rows staged, {} bad rows quarantined, {} distinct statuses",
        outcome.rows, outcome.bad_rows, outcome.statuses
    );
    let _ = writeln!(
        w,
        "Export cut-off (latest \"updated\" value): {}; the deep sync asks the API only for changes after it.",
        outcome.cutoff.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(
        w,
        "Quarantine: {quarantined} rows (details: icims-onboard export summary {} --json)",
        crate::shell::quote(&team.name)
    );
    Ok(t)
}
