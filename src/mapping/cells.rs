//! Spreadsheet-safe cell text for CSV written for spreadsheet programs: a value starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula, so it is
//! written behind a `'` (also when `'`s precede such a character, so [`restore`] is
//! exact). Same rule as the hardening branch's `safe_text::{neutralize_cell,
//! restore_cell}`; once both are merged this module can defer to those.

use std::borrow::Cow;

const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell text to write for `value`.
fn needs_prefix(s: &str) -> bool {
    match s.chars().next() {
        Some(c) if FORMULA_LEADS.contains(&c) => true,
        Some('\'') => needs_prefix(&s[1..]),
        _ => false,
    }
}

pub fn neutralise(value: &str) -> Cow<'_, str> {
    if needs_prefix(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// The value a cell written by [`neutralise`] stands for (a cell without the mark is
/// taken as typed).
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_prefix(rest) => rest,
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
        assert_eq!(neutralise("'plain"), "'plain");
    }
}
