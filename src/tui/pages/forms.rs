//! What the pages' forms share: a redacted wrapper for secrets on their way to the store,
//! one-line text fields (plain and masked) and which keys reach a field.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use secrecy::{ExposeSecret, SecretString};

/// A secret typed into a form, on its way to the store. `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub SecretString);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Eq for Secret {}

/// A one-line text field.
pub fn single_line() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
}

/// A one-line field whose characters show as `•`.
pub fn masked_line() -> TextArea<'static> {
    let mut t = single_line();
    t.set_mask_char('•');
    t
}

/// A field's text, trimmed.
pub fn text_of(t: &TextArea<'_>) -> String {
    t.lines().join("").trim().to_string()
}

/// A field's text as typed (secrets are not trimmed).
pub fn raw_text(t: &TextArea<'_>) -> String {
    t.lines().join("")
}

/// A field with `value` typed in.
pub fn line_with(value: &str) -> TextArea<'static> {
    let mut t = single_line();
    t.insert_str(value);
    t
}

/// Whether a key should reach a text field (printable characters, editing keys). `?` is
/// not among them: it opens the help everywhere.
pub fn is_text_key(key: &KeyEvent) -> bool {
    !key.modifiers.contains(KeyModifiers::CONTROL)
        && match key.code {
            KeyCode::Char('?') => false,
            KeyCode::Char(_)
            | KeyCode::Backspace
            | KeyCode::Delete
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Home
            | KeyCode::End => true,
            _ => false,
        }
}
