//! Spreadsheet-safe cell text for CSV written for spreadsheet programs: a value starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula, so it is
//! written behind a `'` (and a value already starting with `'` gets a second one, so
//! [`restore`] is exact). Shared by the field and stage sheets.

use std::borrow::Cow;

const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell text to write for `value`.
pub fn neutralise(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_LEADS) || value.starts_with('\'') {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// The value a cell written by [`neutralise`] stands for (a cell without the mark is
/// taken as typed).
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_LEADS) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_marked_and_read_back_exactly() {
        for v in [
            "=SUM(A1)", "+1", "-2", "@x", "\tt", "'=quoted", "'plain", "plain", "",
        ] {
            let w = neutralise(v);
            assert!(!w.starts_with(FORMULA_LEADS), "{w:?}");
            assert_eq!(restore(&w), v);
        }
        assert_eq!(neutralise("New Submission"), "New Submission");
    }
}
