//! The team's history: its audit entries (newest first), scrollable and filterable by
//! action. State and keys are pure; the entries are read by the driver.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::store::audit::{AuditEntry, printable};
use crate::tui::keymap::{Action, Context};
use crate::tui::theme::Theme;

/// What a key asks of the page holding the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryCommand {
    None,
    Close,
    Reload,
}

/// The history view's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryView {
    pub team: String,
    /// `None` until the driver's reply arrives.
    pub entries: Option<Vec<AuditEntry>>,
    /// Index into the visible (filtered) entries.
    pub selected: usize,
    /// Case-insensitive substring of the action.
    pub filter: String,
    /// The filter line takes the keys.
    pub filtering: bool,
    /// Rows that fit (set from the terminal height by the page).
    pub page: usize,
}

impl HistoryView {
    pub fn new(team: &str) -> HistoryView {
        HistoryView {
            team: team.to_string(),
            page: 10,
            ..Default::default()
        }
    }

    /// The entries the filter lets through, newest first.
    pub fn visible(&self) -> Vec<&AuditEntry> {
        let needle = self.filter.to_lowercase();
        self.entries
            .iter()
            .flatten()
            .filter(|e| needle.is_empty() || e.action.to_lowercase().contains(&needle))
            .collect()
    }

    /// The distinct actions in the history, for the filter hint.
    pub fn actions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in self.entries.iter().flatten() {
            if !out.contains(&e.action.as_str()) {
                out.push(&e.action);
            }
        }
        out.sort_unstable();
        out
    }

    /// The entries arrived (or were re-read): keep the selection in range.
    pub fn loaded(&mut self, entries: Vec<AuditEntry>) {
        self.entries = Some(entries);
        self.clamp();
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }

    /// The key table in effect: the list, or the filter line while typing in it.
    pub fn context(&self) -> Context {
        if self.filtering {
            Context::HistoryFilter
        } else {
            Context::History
        }
    }

    /// Handles a key of [`HistoryView::context`]'s table (`action`) or, on the filter
    /// line, a typed character.
    pub fn key(&mut self, action: Option<Action>, key: KeyEvent) -> HistoryCommand {
        if self.filtering {
            match action {
                Some(Action::Submit) => self.filtering = false,
                Some(Action::Back) => {
                    self.filtering = false;
                    self.filter.clear();
                }
                _ => match key.code {
                    KeyCode::Backspace => {
                        self.filter.pop();
                    }
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        self.filter.push(c)
                    }
                    _ => {}
                },
            }
            self.selected = 0;
            return HistoryCommand::None;
        }
        let last = self.visible().len().saturating_sub(1);
        let page = self.page.max(1);
        match action {
            Some(Action::Back) => return HistoryCommand::Close,
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::PageUp) => self.selected = self.selected.saturating_sub(page),
            Some(Action::PageDown) => self.selected = (self.selected + page).min(last),
            Some(Action::Top) => self.selected = 0,
            Some(Action::Bottom) => self.selected = last,
            Some(Action::Filter) => self.filtering = true,
            Some(Action::Refresh) => return HistoryCommand::Reload,
            _ => {}
        }
        HistoryCommand::None
    }
}

fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        format!("{text:<width$}")
    } else if width == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

/// Draws the history in `area`.
pub fn render(frame: &mut Frame, area: Rect, view: &HistoryView, theme: &Theme) {
    let visible = view.visible();
    let total = view.entries.as_ref().map_or(0, Vec::len);
    let count = if view.filter.is_empty() {
        format!("{total} entries")
    } else {
        format!("{} of {total} entries", visible.len())
    };
    let block = Block::bordered()
        .title(Span::styled(
            format!(" History — {} ({count}) ", printable(&view.team)),
            theme.title,
        ))
        .border_style(theme.accent);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    let width = inner.width as usize;
    let (time_w, actor_w, action_w) = (20, 22.min(width / 4), 26.min(width / 3));
    let object_w = width.saturating_sub(time_w + actor_w + action_w + 3);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            format!(
                "{} {} {} {}",
                fit("TIME", time_w),
                fit("ACTOR", actor_w),
                fit("ACTION", action_w),
                fit("OBJECT", object_w)
            ),
            theme.muted,
        ))),
        head,
    );
    let rows = body.height as usize;
    let lines: Vec<Line> = match &view.entries {
        None => vec![Line::from(Span::styled(
            "reading the audit log…",
            theme.muted,
        ))],
        Some(_) if visible.is_empty() => vec![Line::from(Span::styled(
            if view.filter.is_empty() {
                "no audit entries for this team".to_string()
            } else {
                format!("no entry whose action contains {:?}", view.filter)
            },
            theme.muted,
        ))],
        Some(_) => {
            let offset = (view.selected + 1).saturating_sub(rows);
            visible
                .iter()
                .enumerate()
                .skip(offset)
                .take(rows)
                .map(|(i, e)| {
                    let actor = match &e.ssh_client {
                        Some(addr) => format!("{} ({addr})", e.actor),
                        None => e.actor.clone(),
                    };
                    let text = format!(
                        "{} {} {} {}",
                        fit(&e.at, time_w),
                        fit(&printable(&actor), actor_w),
                        fit(&printable(&e.action), action_w),
                        fit(&printable(e.detail.as_deref().unwrap_or("")), object_w)
                    );
                    let style = if i == view.selected {
                        theme.selected
                    } else {
                        theme.text
                    };
                    Line::from(Span::styled(text, style))
                })
                .collect()
        }
    };
    frame.render_widget(Paragraph::new(lines), body);
    let filter_line = if view.filtering {
        Line::from(vec![
            Span::styled("Filter by action: ", theme.accent),
            Span::styled(format!("{}▏", printable(&view.filter)), theme.text),
        ])
    } else if !view.filter.is_empty() {
        Line::from(vec![
            Span::styled("Filter by action: ", theme.muted),
            Span::styled(printable(&view.filter), theme.accent),
        ])
    } else {
        let actions = view.actions();
        Line::from(Span::styled(
            fit(&format!("Actions: {}", actions.join(", ")), width),
            theme.muted,
        ))
    };
    let position = match visible.len() {
        0 => String::new(),
        n => format!("entry {} of {n}, newest first", view.selected + 1),
    };
    frame.render_widget(
        Paragraph::new(vec![
            filter_line,
            Line::from(Span::styled(fit(&position, width), theme.muted)),
        ]),
        foot,
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn entries() -> Vec<AuditEntry> {
        let mk = |id: i64, at: &str, action: &str, detail: Option<&str>| AuditEntry {
            id,
            at: at.into(),
            actor: "alice".into(),
            ssh_client: Some("203.0.113.9".into()),
            team: Some("Acme".into()),
            action: action.into(),
            detail: detail.map(str::to_string),
        };
        let mut v = vec![
            mk(
                1,
                "2026-11-20T09:00:00Z",
                "team.add",
                Some("customer_id=1234 region=us"),
            ),
            mk(2, "2026-11-20T09:01:00Z", "creds.set", Some("kind=basic")),
            mk(3, "2026-11-20T09:02:00Z", "fact.basic.test", None),
            mk(4, "2026-11-20T09:03:00Z", "creds.set", Some("kind=rest")),
            mk(5, "2026-11-20T09:04:00Z", "fact.deep.preflight", None),
            mk(
                6,
                "2026-11-20T09:05:00Z",
                "sftp.host_key.pin",
                Some("sftp.acme.test:22 ssh-ed25519 SHA256:abc"),
            ),
            mk(
                7,
                "2026-11-20T09:06:00Z",
                "export.fetch.file",
                Some("people.csv 1200 bytes sha256 1f2e\u{1b}[31m"),
            ),
            mk(
                8,
                "2026-11-20T09:07:00Z",
                "team.set",
                Some("region, api_base, token_url"),
            ),
        ];
        v.reverse();
        v
    }

    fn key(v: &mut HistoryView, code: KeyCode) -> HistoryCommand {
        let k = KeyEvent::new(code, KeyModifiers::NONE);
        v.key(crate::tui::keymap::lookup(v.context(), k), k)
    }

    #[test]
    fn scroll_filter_and_close() {
        let mut v = HistoryView::new("Acme");
        assert_eq!(v.visible().len(), 0);
        v.loaded(entries());
        assert_eq!(v.visible().len(), 8);
        key(&mut v, KeyCode::End);
        assert_eq!(v.selected, 7);
        key(&mut v, KeyCode::Down);
        assert_eq!(v.selected, 7, "stops at the last entry");
        key(&mut v, KeyCode::Char('/'));
        for c in "creds".chars() {
            key(&mut v, KeyCode::Char(c));
        }
        key(&mut v, KeyCode::Enter);
        let actions: Vec<&str> = v
            .visible()
            .iter()
            .map(|e| e.detail.as_deref().unwrap())
            .collect();
        assert_eq!(actions, ["kind=rest", "kind=basic"], "newest first");
        assert_eq!(v.selected, 0);
        key(&mut v, KeyCode::Down);
        assert_eq!(v.selected, 1);
        // Esc first leaves nothing but the view: the filter is kept until cleared.
        key(&mut v, KeyCode::Char('/'));
        key(&mut v, KeyCode::Esc);
        assert!(v.filter.is_empty());
        assert_eq!(key(&mut v, KeyCode::Char('r')), HistoryCommand::Reload);
        assert_eq!(key(&mut v, KeyCode::Esc), HistoryCommand::Close);
        // Fewer entries on reload: the selection stays in range.
        v.selected = 7;
        v.loaded(entries().into_iter().take(3).collect());
        assert_eq!(v.selected, 2);
        assert_eq!(
            v.actions(),
            ["export.fetch.file", "sftp.host_key.pin", "team.set"]
        );
    }
}
