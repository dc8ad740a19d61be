//! Theme roles (title, accent, ok, warn, error, muted, …). Screens use roles, never raw
//! colours; the monochrome theme (used under `NO_COLOR`) expresses roles with modifiers only.

use ratatui::style::{Color, Modifier, Style};

/// The styles screens may use, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub text: Style,
    pub title: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub muted: Style,
    pub selected: Style,
    pub border: Style,
}

impl Theme {
    /// The default dark theme.
    pub fn dark() -> Theme {
        Theme {
            text: Style::new().fg(Color::Gray),
            title: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            accent: Style::new().fg(Color::Cyan),
            ok: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow),
            error: Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            muted: Style::new().fg(Color::DarkGray),
            selected: Style::new()
                .bg(Color::DarkGray)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
        }
    }

    /// No colours: bold, underline, reverse and dim carry the roles.
    pub fn mono() -> Theme {
        Theme {
            text: Style::new(),
            title: Style::new().add_modifier(Modifier::BOLD),
            accent: Style::new().add_modifier(Modifier::UNDERLINED),
            ok: Style::new(),
            warn: Style::new().add_modifier(Modifier::BOLD),
            error: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            muted: Style::new().add_modifier(Modifier::DIM),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            border: Style::new(),
        }
    }

    /// Monochrome when `NO_COLOR` is set to anything non-empty, dark otherwise.
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::mono(),
            _ => Theme::dark(),
        }
    }
}
