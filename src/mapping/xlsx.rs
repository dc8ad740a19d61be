//! XLSX for the customer meeting: both mappings (fields, step 4; stages, step 6) written
//! with `rust_xlsxwriter` — frozen header, sized columns, a dropdown of the valid targets
//! or stages on each row (lists on a hidden `Lists` sheet), evidence and rejection rows
//! locked (sheet protection without a password: it guards against slips, not people) —
//! and read back with `calamine`. A read workbook goes through the same checks as the
//! CSV (the rows are turned into CSV text and given to the CSV reader), so the rules and
//! messages are the same; error lines are the workbook's row numbers.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{
    DataValidation, Format, FormatBorder, Formula, ProtectionOptions, Workbook, Worksheet,
    XlsxError,
};

use super::catalogue::Catalogue;
use super::model::{MappingEntry, MappingState, Object};
use super::sheet::{self, Import, SheetError};
use super::stages::model::StatusRow;
use super::stages::rules::Stage;
use super::stages::sheet::{self as stage_sheet, StageImport};
use crate::safe_text::{neutralize_cell, restore_cell};

/// Name of the sheet holding the field mapping.
pub const FIELDS_SHEET: &str = "Fields";
/// Name of the sheet holding the stage mapping.
pub const STAGES_SHEET: &str = "Stages";
const LISTS_SHEET: &str = "Lists";
const MAX_CELL: usize = 32_000;

fn cell(s: &str) -> &str {
    match s.char_indices().nth(MAX_CELL) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
}

fn protection() -> ProtectionOptions {
    ProtectionOptions {
        select_locked_cells: true,
        select_unlocked_cells: true,
        format_columns: true,
        format_rows: true,
        use_autofilter: true,
        sort: false,
        ..ProtectionOptions::new()
    }
}

/// Writes the header row, frozen, with an autofilter over `rows` data rows.
fn header(
    ws: &mut Worksheet,
    columns: &[&str],
    rows: usize,
    widths: &[f64],
) -> Result<(), XlsxError> {
    let bold = header_format();
    for (i, c) in columns.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *c, &bold)?;
        ws.set_column_width(i as u16, widths.get(i).copied().unwrap_or(14.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows as u32, (columns.len() - 1) as u16)?;
    Ok(())
}

/// A column of a hidden list sheet: `=Lists!$X$2:$X$N` for `values`.
fn list_range(col: u16, n: usize) -> Formula {
    let letter = (b'A' + col as u8) as char;
    Formula::new(format!(
        "={LISTS_SHEET}!${letter}$2:${letter}${}",
        n.max(1) + 1
    ))
}

fn write_list(
    ws: &mut Worksheet,
    col: u16,
    title: &str,
    values: &[String],
) -> Result<(), XlsxError> {
    ws.write_string(0, col, title)?;
    for (i, v) in values.iter().enumerate() {
        ws.write_string(i as u32 + 1, col, cell(v))?;
    }
    Ok(())
}

/// Writes the stage mapping workbook.
pub fn write_stages(path: &Path, rows: &[StatusRow], stages: &[Stage]) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let names: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
    {
        let ws = wb.add_worksheet();
        ws.set_name(STAGES_SHEET)?;
        header(
            ws,
            &stage_sheet::COLUMNS,
            rows.len(),
            &[12.0, 34.0, 20.0, 10.0, 10.0, 40.0, 16.0, 16.0, 30.0],
        )?;
        let locked = Format::new().set_locked();
        let open = Format::new().set_unlocked();
        let stage_list = DataValidation::new()
            .allow_list_formula(list_range(0, names.len()))
            .set_error_title("Not a stage")?
            .set_error_message("Pick one of the team's pipeline stages (or leave it empty).")?;
        let yes_no = DataValidation::new()
            .allow_list_strings(&["yes", "no"])?
            .set_error_message("yes or no; changing it needs an override_note")?;
        for (i, r) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            let cells = stage_sheet::row_cells(r, stages);
            let rejection = r.is_rejection();
            for (c, text) in cells.iter().enumerate() {
                let editable = !rejection
                    && matches!(
                        c,
                        stage_sheet::STAGE_COLUMN
                            | stage_sheet::REJECTION_COLUMN
                            | stage_sheet::NOTE_COLUMN
                    );
                let format = if editable { &open } else { &locked };
                if c == 3 {
                    ws.write_number_with_format(row, c as u16, r.status.workflows as f64, format)?;
                } else {
                    ws.write_string_with_format(row, c as u16, cell(text), format)?;
                }
            }
            if !rejection {
                let sc = stage_sheet::STAGE_COLUMN as u16;
                let rc = stage_sheet::REJECTION_COLUMN as u16;
                ws.add_data_validation(row, sc, row, sc, &stage_list)?;
                ws.add_data_validation(row, rc, row, rc, &yes_no)?;
            }
        }
        ws.protect_with_options(&protection());
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(LISTS_SHEET)?;
        write_list(ws, 0, "stages", &names)?;
        ws.set_hidden(true);
    }
    wb.save(path)
}

/// Writes the field mapping workbook.
pub fn write_fields(
    path: &Path,
    entries: &[MappingEntry],
    catalogue: &Catalogue,
) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let targets = |o: Object| -> Vec<String> { catalogue.of(o).map(|f| f.id.clone()).collect() };
    let lists: Vec<(Object, Vec<String>)> = Object::ALL.iter().map(|o| (*o, targets(*o))).collect();
    {
        let ws = wb.add_worksheet();
        ws.set_name(FIELDS_SHEET)?;
        header(
            ws,
            &sheet::COLUMNS,
            entries.len(),
            &[
                10.0, 9.0, 26.0, 24.0, 40.0, 9.0, 26.0, 10.0, 40.0, 26.0, 15.0, 30.0,
            ],
        )?;
        let locked = Format::new().set_locked();
        let open = Format::new().set_unlocked();
        let states: Vec<&str> = MappingState::ALL.iter().map(|s| s.as_str()).collect();
        let state_list = DataValidation::new()
            .allow_list_strings(&states)?
            .set_error_message("suggested, accepted, changed, ignored or custom_request")?;
        let target_lists: Vec<DataValidation> = lists
            .iter()
            .enumerate()
            .map(|(i, (o, l))| {
                DataValidation::new()
                    .allow_list_formula(list_range(i as u16, l.len()))
                    .set_error_message(format!("Pick a standard {o} field (or leave it empty)."))
            })
            .collect::<Result<_, _>>()?;
        let mut buf = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let row = i as u32 + 1;
            buf.clear();
            // The CSV writer's cells, as one record, so both formats show the same text.
            sheet::write_csv(std::slice::from_ref(e), &mut buf).map_err(XlsxError::IoError)?;
            let text = String::from_utf8_lossy(&buf).into_owned();
            let text = text.trim_start_matches('\u{feff}');
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let record = reader
                .records()
                .next()
                .and_then(Result::ok)
                .unwrap_or_default();
            for (c, value) in record.iter().enumerate() {
                let value = restore_cell(value);
                let editable = matches!(c, 9..=11);
                let format = if editable { &open } else { &locked };
                ws.write_string_with_format(row, c as u16, cell(&value), format)?;
            }
            let oi = Object::ALL
                .iter()
                .position(|o| *o == e.field.object)
                .unwrap_or(0);
            ws.add_data_validation(row, 9, row, 9, &target_lists[oi])?;
            ws.add_data_validation(row, 10, row, 10, &state_list)?;
        }
        ws.protect_with_options(&protection());
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(LISTS_SHEET)?;
        for (i, (o, l)) in lists.iter().enumerate() {
            write_list(ws, i as u16, o.as_str(), l)?;
        }
        ws.set_hidden(true);
    }
    wb.save(path)
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The named sheet (else the first) as CSV text for the CSV reader, with each CSV line's
/// workbook row (1-based), so errors name the row.
/// Cells are neutralised the way both CSV readers restore them, so typed values arrive
/// exactly.
fn sheet_as_csv(bytes: &[u8], sheet_name: &str) -> Result<(Vec<u8>, Vec<u64>), Vec<SheetError>> {
    let fail = |message: String| vec![SheetError { line: 1, message }];
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| fail(format!("not a readable XLSX workbook: {e}")))?;
    let range = if wb.sheet_names().iter().any(|n| n == sheet_name) {
        wb.worksheet_range(sheet_name)
            .map_err(|e| fail(format!("sheet {sheet_name:?} is unreadable: {e}")))?
    } else {
        match wb.worksheet_range_at(0) {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(fail(format!("the first sheet is unreadable: {e}"))),
            None => return Err(fail("the workbook has no sheet".into())),
        }
    };
    let first_row = range.start().map_or(0, |(r, _)| r as u64);
    let mut w = csv::Writer::from_writer(Vec::new());
    // line_rows[n] = workbook row of CSV line n + 1.
    let mut line_rows: Vec<u64> = Vec::new();
    let mut written = 0usize;
    for (i, row) in range.rows().enumerate() {
        let wb_row = first_row + i as u64 + 1;
        let cells: Vec<String> = row
            .iter()
            .map(|d| neutralize_cell(&data_text(d)).into_owned())
            .collect();
        w.write_record(&cells)
            .map_err(|e| fail(format!("row {wb_row}: {e}")))?;
        w.flush().map_err(|e| fail(e.to_string()))?;
        let buf = w.get_ref();
        let new_lines = buf[written..].iter().filter(|&&b| b == b'\n').count();
        written = buf.len();
        for _ in 0..new_lines {
            line_rows.push(wb_row);
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| fail(format!("cannot convert the sheet: {e}")))?;
    Ok((bytes, line_rows))
}

fn to_rows(errors: Vec<SheetError>, line_rows: &[u64]) -> Vec<SheetError> {
    errors
        .into_iter()
        .map(|e| SheetError {
            line: line_rows
                .get((e.line as usize).saturating_sub(1))
                .copied()
                .unwrap_or(e.line),
            message: e.message,
        })
        .collect()
}

/// Reads an edited stage mapping workbook (same checks as the CSV).
pub fn read_stages(
    bytes: &[u8],
    current: &[StatusRow],
    stages: &[Stage],
) -> Result<StageImport, Vec<SheetError>> {
    let (csv, line_rows) = sheet_as_csv(bytes, STAGES_SHEET)?;
    stage_sheet::read_csv(&csv, current, stages)
        .map(|mut i| {
            for c in &mut i.changes {
                c.line = line_rows
                    .get((c.line as usize).saturating_sub(1))
                    .copied()
                    .unwrap_or(c.line);
            }
            i
        })
        .map_err(|e| to_rows(e, &line_rows))
}

/// Reads an edited field mapping workbook (same checks as the CSV).
pub fn read_fields(
    bytes: &[u8],
    current: &[MappingEntry],
    catalogue: &Catalogue,
) -> Result<Import, Vec<SheetError>> {
    let (csv, line_rows) = sheet_as_csv(bytes, FIELDS_SHEET)?;
    sheet::read_csv(&csv, current, catalogue)
        .map(|mut i| {
            for c in &mut i.changes {
                c.line = line_rows
                    .get((c.line as usize).saturating_sub(1))
                    .copied()
                    .unwrap_or(c.line);
            }
            i
        })
        .map_err(|e| to_rows(e, &line_rows))
}
