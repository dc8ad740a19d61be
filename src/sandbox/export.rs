//! The historical export as a customer's report tool writes it: one CSV per object with the
//! tenant's labels as headers, a UTF-8 BOM, CRLF line ends, quoting, embedded newlines, and
//! a few bad rows (missing columns, an invalid date, a non-numeric id) recorded as ground truth.

use super::generator::export_columns;
use super::model::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// File names of the export (dated by the cut-off).
pub fn file_name(object: Object, cutoff: Timestamp) -> String {
    let day = chrono::DateTime::from_timestamp(cutoff, 0)
        .map(|d| d.format("%Y%m%d").to_string())
        .unwrap_or_default();
    let stem = match object {
        Object::Person => "people",
        Object::Job => "jobs",
        Object::Workflow => "workflows",
    };
    format!("{stem}_export_{day}.csv")
}

/// Render the rows (id, fields) of an object as of the cut-off.
fn rows(t: &Tenant, object: Object) -> Vec<(u64, Vec<String>)> {
    let names: HashMap<u64, String> = t
        .export_people
        .iter()
        .map(|p| (p.id, p.display_name()))
        .collect();
    let name = |id: Option<u64>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();
    match object {
        Object::Person => t
            .export_people
            .iter()
            .map(|p| {
                let addr = p.addresses.first();
                (
                    p.id,
                    vec![
                        p.id.to_string(),
                        p.firstname.clone(),
                        p.middlename.clone(),
                        p.lastname.clone(),
                        p.email.clone(),
                        p.folder.value.clone(),
                        p.phones
                            .first()
                            .map(|x| x.phonenumber.clone())
                            .unwrap_or_default(),
                        addr.map(|a| a.city.clone()).unwrap_or_default(),
                        addr.map(|a| a.state.abbrev.clone()).unwrap_or_default(),
                        p.linkedin.clone(),
                        format_datetime(p.createddate),
                        format_datetime(p.updateddate),
                    ],
                )
            })
            .collect(),
        Object::Job => t
            .export_jobs
            .iter()
            .map(|j| {
                (
                    j.id,
                    vec![
                        j.id.to_string(),
                        j.jobid.clone(),
                        j.jobtitle.clone(),
                        j.folder.value.clone(),
                        j.positioncategory.value.clone(),
                        j.numberofpositions.to_string(),
                        j.joblocation.value.trim().to_string(),
                        name(j.hiringmanager),
                        name(j.recruiter),
                        j.overview.replace('\n', "\r\n"),
                        format_datetime(j.createddate),
                        format_datetime(j.updateddate),
                    ],
                )
            })
            .collect(),
        Object::Workflow => t
            .export_workflows
            .iter()
            .map(|w| {
                let s = &t.statuses[w.status.min(t.statuses.len() - 1)];
                (
                    w.id,
                    vec![
                        w.id.to_string(),
                        w.person.to_string(),
                        w.job.to_string(),
                        s.name.clone(),
                        s.bin.clone(),
                        w.source.clone(),
                        w.sourcename.clone(),
                        format_datetime(w.createddate),
                        format_datetime(w.updateddate),
                    ],
                )
            })
            .collect(),
    }
}

/// Write the three export files into `dir` and return what was written.
pub fn write_all(t: &Tenant, dir: &Path) -> std::io::Result<Vec<ExportFile>> {
    std::fs::create_dir_all(dir)?;
    Object::ALL
        .into_iter()
        .map(|o| write_one(t, o, dir))
        .collect()
}

fn write_one(t: &Tenant, object: Object, dir: &Path) -> std::io::Result<ExportFile> {
    let cols = export_columns(object);
    let headers: Vec<String> = cols.iter().map(|c| c.0.to_string()).collect();
    let created_col = cols
        .iter()
        .position(|c| c.1.ends_with(".createddate"))
        .unwrap_or(1);
    let mut data = rows(t, object);
    // Columns of fields the tenant does not use stay in the file, empty.
    for (i, c) in cols.iter().enumerate() {
        if t.is_unused(c.1) {
            for (_, fields) in data.iter_mut() {
                if let Some(v) = fields.get_mut(i) {
                    v.clear();
                }
            }
        }
    }
    // About one bad row in 200, at least three, spread deterministically.
    let every = (data.len() / 3).clamp(1, 200);
    let mut out: Vec<u8> = "\u{feff}".as_bytes().to_vec();
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(&headers)?;
    w.flush()?;
    let mut line = 1 + count_lines(w.get_ref());
    let mut consumed = w.get_ref().len();
    let mut good = 0usize;
    let mut bad = Vec::new();
    for (i, (id, mut fields)) in data.into_iter().enumerate() {
        let record = i + 1;
        let start_line = line;
        if i % every == every / 2 {
            let reason = match bad.len() % 3 {
                0 => {
                    fields.truncate(3);
                    format!("missing columns: expected {}, found 3", headers.len())
                }
                1 => {
                    fields[created_col] = "2026-13-45 25:61 XM".into();
                    format!("invalid date in {}", headers[created_col])
                }
                _ => {
                    fields[0] = format!("{id}x");
                    format!("invalid {}: not a number", headers[0])
                }
            };
            bad.push(BadRow {
                record,
                line: start_line,
                id,
                reason,
            });
        } else {
            good += 1;
        }
        w.write_record(&fields)?;
        w.flush()?;
        line += count_lines(&w.get_ref()[consumed..]);
        consumed = w.get_ref().len();
    }
    let body = w
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    out.extend_from_slice(&body);
    let file = file_name(object, t.after_cutoff.cutoff_ts);
    std::fs::write(dir.join(&file), &out)?;
    Ok(ExportFile {
        object,
        file,
        headers,
        rows: good,
        bad_rows: bad,
        sha256: hex::encode(Sha256::digest(&out)),
        bytes: out.len() as u64,
    })
}

fn count_lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}
