//! Text from customers made safe for where it goes: control characters escaped in human
//! output ([`escape_control`], [`Esc`]) and formula-leading cells neutralised in CSV
//! written for spreadsheets ([`neutralize_cell`], undone by [`restore_cell`]).
//!
//! Customer data (CSV headers and values, SFTP file names, iCIMS error messages) may carry
//! terminal escape sequences (OSC 52 clipboard writes, screen clears) or spreadsheet
//! formulas (`=HYPERLINK(…)`, `+cmd`, `@SUM(…)`); neither may reach a terminal or a
//! spreadsheet program as is.

use std::borrow::Cow;
use std::fmt;

/// `s` with every control character (C0, DEL, C1 — tab and newline included) written as a
/// visible escape (`\u{1b}`, `\n`, `\t`); `s` itself when it has none.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// Displays a string with its control characters escaped: `println!("{}", Esc(&name))`.
#[derive(Debug, Clone, Copy)]
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = escape_control(self.0);
        // Honour width/alignment (`{:<40}`) like a plain `&str` would.
        f.pad(&text)
    }
}

/// Characters that make a spreadsheet program read a cell as a formula.
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn needs_prefix(s: &str) -> bool {
    match s.chars().next() {
        Some(c) if FORMULA_LEADS.contains(&c) => true,
        // A cell that already starts with the quote of a neutralised formula is quoted
        // again, so that `restore_cell` gives back exactly what was written.
        Some('\'') => needs_prefix(&s[1..]),
        _ => false,
    }
}

/// A CSV cell for a spreadsheet: a value starting with `=`, `+`, `-`, `@`, tab or CR gets
/// a leading `'`, so it is shown as text and never evaluated (OWASP "CSV injection").
pub fn neutralize_cell(s: &str) -> Cow<'_, str> {
    if needs_prefix(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Undoes [`neutralize_cell`] on a cell read back from a spreadsheet:
/// `restore_cell(&neutralize_cell(x)) == x` for every `x`.
pub fn restore_cell(s: &str) -> Cow<'_, str> {
    match s.strip_prefix('\'') {
        Some(rest) if needs_prefix(rest) => Cow::Borrowed(rest),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain é"), "plain é");
        assert!(matches!(escape_control("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape_control("a\x1b]52;c;SGVsbG8=\x07b"),
            "a\\u{1b}]52;c;SGVsbG8=\\u{7}b"
        );
        assert_eq!(escape_control("x\x1b[2Jy\n\t\r"), "x\\u{1b}[2Jy\\n\\t\\r");
        assert_eq!(escape_control("c1\u{9b}31m"), "c1\\u{9b}31m");
        assert_eq!(format!("[{:<6}]", Esc("a\x07")), "[a\\u{7}]");
        assert_eq!(format!("[{:<4}]", Esc("ab")), "[ab  ]");
    }

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd", "'+cmd"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("''=x", "'''=x"),
            ("plain", "plain"),
            ("'quoted", "'quoted"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralize_cell(cell), written, "{cell:?}");
            assert_eq!(restore_cell(written), cell, "{written:?}");
        }
    }
}
