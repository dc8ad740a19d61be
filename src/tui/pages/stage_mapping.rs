//! Step 6 page, pipeline stage mapping: the team's workflow statuses grouped by bin with
//! their workflow counts, the stage each maps to (or "rejected" with the reason for a
//! rejection status), a filter, a stage picker from the team's list, an override of the
//! rejection detection with a note, a validation panel, and Approve with who and when
//! (asking first while rows are only suggested). [`StageMappingPage`] is the state; keys
//! and replies update it purely and return [`StageMappingWork`] for
//! `drivers/stage_mapping.rs`; rendering draws only the visible window of the table.
//! A rejection status cannot be given a stage here: the domain refuses it
//! ([`StatusRow::set_stage`]) and the picker does not open on it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::icims::schema::StatusOption;
use crate::mapping::stages::{RowState, Stage, StageIssue, StatusRow, validate};
use crate::onboarding::Step;
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::TeamRow;
use crate::tui::pages::contract::{Page, PageOut};
use crate::tui::theme::Theme;
use crate::tui::widgets::stage_picker;
use crate::tui::widgets::stage_table::{self, Line as TableLine, clean};

/// Work for the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum StageMappingWork {
    /// Read the stored rows, stages and approval.
    Load { team: String },
    /// Read the Schema API's status options (off the console thread), then rebuild.
    Discover { team: String },
    /// Rebuild the catalogue from the options read (if any), the export and the sync.
    Catalogue {
        team: String,
        options: Option<Vec<StatusOption>>,
    },
    /// Save edited rows (any change reopens the step).
    Save { team: String, rows: Vec<StatusRow> },
    /// Approve the mapping.
    Approve { team: String },
}

/// Replies for the page.
#[derive(Debug)]
pub enum StageMappingReply {
    Loaded {
        rows: Vec<StatusRow>,
        stages: Vec<Stage>,
        approval: Option<(String, String)>,
    },
    /// The status options, or why they could not be read (the rebuild goes on without).
    SchemaRead(Result<Vec<StatusOption>, String>),
    Failed(String),
}

/// What the one-line input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    /// The note of an override of the selected row's detection (to `rejection`).
    OverrideNote {
        rejection: bool,
    },
}

/// The step 6 page.
#[derive(Debug, Clone)]
pub struct StageMappingPage {
    pub team: String,
    pub rows: Vec<StatusRow>,
    pub stages: Vec<Stage>,
    pub approval: Option<(String, String)>,
    pub issues: Vec<StageIssue>,
    /// Table lines (bin headers and rows) after the filter.
    pub lines: Vec<TableLine>,
    /// Positions in `lines` of the rows (what the cursor moves over).
    pub row_lines: Vec<usize>,
    /// Position in `row_lines`.
    pub selected: usize,
    pub filter: String,
    /// The stage picker: the index of the highlighted stage.
    pub picker: Option<usize>,
    pub input: Option<(InputKind, String)>,
    /// `p` pressed while this many rows are only suggested: asking before approving.
    pub confirm_approve: Option<usize>,
    pub message: Option<(bool, String)>,
    pub loaded: bool,
    /// Table rows that fit (from the terminal height).
    pub page: usize,
    /// Statuses with workflows, rejection reasons and statuses new since the approval
    /// (counted on every change, not every frame).
    pub counts: (usize, usize, usize),
    /// Step 6's state and detail at the last store refresh: when they change (the live
    /// sync saw a new status, another engineer approved), the rows are read again.
    pub seen_status: Option<(crate::onboarding::StepState, String)>,
}

impl StageMappingPage {
    pub fn new(team: impl Into<String>) -> StageMappingPage {
        StageMappingPage {
            team: team.into(),
            rows: Vec::new(),
            stages: Vec::new(),
            approval: None,
            issues: Vec::new(),
            lines: Vec::new(),
            row_lines: Vec::new(),
            selected: 0,
            filter: String::new(),
            picker: None,
            input: None,
            confirm_approve: None,
            message: None,
            loaded: false,
            page: 20,
            counts: (0, 0, 0),
            seen_status: None,
        }
    }

    /// A page showing `rows` (tests and the reply to a load).
    pub fn with_rows(
        mut self,
        rows: Vec<StatusRow>,
        stages: Vec<Stage>,
        approval: Option<(String, String)>,
    ) -> StageMappingPage {
        self.rows = rows;
        self.stages = stages;
        self.approval = approval;
        self.loaded = true;
        self.recompute();
        self
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<&StatusRow> {
        self.current_index().map(|i| &self.rows[i])
    }

    fn current_index(&self) -> Option<usize> {
        let line = *self.row_lines.get(self.selected)?;
        match self.lines.get(line)? {
            TableLine::Row(i) => Some(*i),
            TableLine::Bin { .. } => None,
        }
    }

    /// Re-validates and rebuilds the grouped view after any change.
    pub fn recompute(&mut self) {
        self.issues = validate(&self.rows, &self.stages);
        self.counts = (
            self.rows.iter().filter(|r| r.status.workflows > 0).count(),
            self.rows.iter().filter(|r| r.is_rejection()).count(),
            self.rows.iter().filter(|r| r.new_since_approval).count(),
        );
        let keep = self.current_index();
        let needle = self.filter.to_lowercase();
        self.lines = stage_table::group(&self.rows, |r| {
            needle.is_empty() || matches_filter(r, &needle, &self.stages)
        });
        self.row_lines = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, TableLine::Row(_)))
            .map(|(i, _)| i)
            .collect();
        self.selected = keep
            .and_then(|k| {
                self.row_lines
                    .iter()
                    .position(|&l| self.lines[l] == TableLine::Row(k))
            })
            .unwrap_or(0)
            .min(self.row_lines.len().saturating_sub(1));
    }

    /// Rows approved as they stand if approved now.
    pub fn suggested(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.state == RowState::Suggested && r.stage.is_some())
            .count()
    }

    pub fn rejections(&self) -> usize {
        self.counts.1
    }

    pub fn context(&self) -> Context {
        if self.confirm_approve.is_some() {
            Context::Confirm
        } else if self.picker.is_some() {
            Context::StagePicker
        } else if self.input.is_some() {
            Context::StageInput
        } else {
            Context::StageMapping
        }
    }

    fn save(&mut self, message: String) -> Vec<StageMappingWork> {
        self.recompute();
        self.message = Some((true, message));
        vec![StageMappingWork::Save {
            team: self.team.clone(),
            rows: self.rows.clone(),
        }]
    }
}

fn step_status(row: &TeamRow) -> Option<(crate::onboarding::StepState, String)> {
    row.status(Step::StageMapping)
        .map(|s| (s.state, s.detail.clone()))
}

fn matches_filter(r: &StatusRow, needle: &str, stages: &[Stage]) -> bool {
    let stage = r
        .stage
        .as_deref()
        .and_then(|id| stages.iter().find(|s| s.id == id))
        .map(|s| s.name.to_lowercase());
    r.status.name.to_lowercase().contains(needle)
        || r.status.id.to_lowercase().contains(needle)
        || r.status
            .bin
            .as_deref()
            .is_some_and(|b| b.to_lowercase().contains(needle))
        || stage.is_some_and(|s| s.contains(needle))
        || (r.is_rejection() && "rejected".contains(needle))
        || (r.needs_stage() && "unmapped".contains(needle))
}

impl Page for StageMappingPage {
    type Work = StageMappingWork;
    type Reply = StageMappingReply;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<StageMappingWork>>) {
        let team = row.team.name.clone();
        let mut page = StageMappingPage::new(team.clone());
        page.seen_status = step_status(row);
        (page, vec![PageOut::Work(StageMappingWork::Load { team })])
    }

    fn refresh(&mut self, row: &TeamRow) -> Vec<PageOut<StageMappingWork>> {
        let now = step_status(row);
        if now == self.seen_status {
            return vec![PageOut::Unchanged];
        }
        self.seen_status = now;
        // Not while the engineer is picking or typing: the next change reloads.
        if self.picker.is_some() || self.input.is_some() || self.confirm_approve.is_some() {
            return vec![PageOut::Unchanged];
        }
        vec![PageOut::Work(StageMappingWork::Load {
            team: self.team.clone(),
        })]
    }

    fn step(&self) -> Step {
        Step::StageMapping
    }

    fn context(&self) -> Context {
        StageMappingPage::context(self)
    }

    fn availability(&self, action: Action) -> Availability {
        use Availability::{Disabled, Enabled, Hidden};
        if StageMappingPage::context(self) != Context::StageMapping {
            return Enabled;
        }
        let empty = self.row_lines.is_empty();
        let rejection = self.current().is_some_and(|r| r.is_rejection());
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
                if empty =>
            {
                Hidden
            }
            Action::PickTarget | Action::Accept | Action::Ignore | Action::Override if empty => {
                Disabled("no statuses yet: press d to read them from the export and the API".into())
            }
            Action::PickTarget | Action::Ignore if rejection => {
                Disabled("maps to rejected, not a stage".into())
            }
            Action::Accept
                if self
                    .current()
                    .is_some_and(|r| !r.is_rejection() && r.suggested.is_none()) =>
            {
                Disabled("no suggested stage for this status: press Enter to pick one".into())
            }
            Action::Approve if !self.loaded => Disabled("still loading the mapping".into()),
            Action::Approve if self.rows.is_empty() => {
                Disabled("nothing to approve yet: press d to read the statuses".into())
            }
            Action::Approve if !self.issues.is_empty() => Disabled(format!(
                "cannot approve: {} validation problem(s) — see the panel",
                self.issues.len()
            )),
            _ => Enabled,
        }
    }

    fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<PageOut<StageMappingWork>> {
        on_key(self, action, key)
    }

    fn on_reply(&mut self, reply: StageMappingReply) -> Vec<PageOut<StageMappingWork>> {
        let reload = matches!(reply, StageMappingReply::Loaded { .. });
        let mut out: Vec<PageOut<StageMappingWork>> =
            update(self, reply).into_iter().map(PageOut::Work).collect();
        if reload {
            // Saves and approvals change the step's state: the team list follows.
            out.push(PageOut::Reload);
        }
        out
    }

    fn resize(&mut self, size: (u16, u16)) {
        self.page = size.1.saturating_sub(14).max(1) as usize;
    }

    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        render(frame, area, self, theme);
    }
}

/// Applies one reply; returns the work to run. No I/O here.
pub fn update(page: &mut StageMappingPage, reply: StageMappingReply) -> Vec<StageMappingWork> {
    match reply {
        StageMappingReply::Loaded {
            rows,
            stages,
            approval,
        } => {
            page.rows = rows;
            page.stages = stages;
            page.approval = approval;
            page.loaded = true;
            page.picker = None;
            page.recompute();
            Vec::new()
        }
        StageMappingReply::SchemaRead(result) => {
            let options = match result {
                Ok(options) => {
                    // Replaces "reading the statuses…", which would otherwise stay.
                    page.message = Some((
                        true,
                        format!(
                            "{} status option(s) read from the tenant; catalogue rebuilt",
                            options.len()
                        ),
                    ));
                    Some(options)
                }
                Err(why) => {
                    page.message = Some((
                        false,
                        format!("{why}; statuses from the export and the sync only"),
                    ));
                    None
                }
            };
            vec![StageMappingWork::Catalogue {
                team: page.team.clone(),
                options,
            }]
        }
        StageMappingReply::Failed(why) => {
            page.message = Some((false, why));
            Vec::new()
        }
    }
}

/// Applies one key (its action in the page's current context); no I/O here.
pub fn on_key(
    page: &mut StageMappingPage,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<PageOut<StageMappingWork>> {
    let work = match page.context() {
        Context::Confirm => {
            let asked = page.confirm_approve.take();
            match (action, asked) {
                (Some(Action::Yes), Some(_)) => vec![StageMappingWork::Approve {
                    team: page.team.clone(),
                }],
                _ => {
                    page.message = Some((true, "not approved".to_string()));
                    Vec::new()
                }
            }
        }
        Context::StagePicker => picker_key(page, action),
        Context::StageInput => input_key(page, action, key),
        _ if action == Some(Action::Back) => {
            if page.filter.is_empty() {
                return vec![PageOut::Close];
            }
            page.filter.clear();
            page.recompute();
            page.message = Some((true, "filter cleared".to_string()));
            Vec::new()
        }
        _ => table_key(page, action),
    };
    work.into_iter().map(PageOut::Work).collect()
}

fn table_key(page: &mut StageMappingPage, action: Option<Action>) -> Vec<StageMappingWork> {
    let n = page.row_lines.len();
    let step = page.page.max(1);
    let last = n.saturating_sub(1);
    match action {
        Some(Action::Up) => page.selected = page.selected.saturating_sub(1),
        Some(Action::Down) => page.selected = (page.selected + 1).min(last),
        Some(Action::PageUp) => page.selected = page.selected.saturating_sub(step),
        Some(Action::PageDown) => page.selected = (page.selected + step).min(last),
        Some(Action::Top) => page.selected = 0,
        Some(Action::Bottom) => page.selected = last,
        Some(Action::Refresh) => {
            return vec![StageMappingWork::Load {
                team: page.team.clone(),
            }];
        }
        Some(Action::Discover) => {
            page.message = Some((true, "reading the statuses…".to_string()));
            return vec![StageMappingWork::Discover {
                team: page.team.clone(),
            }];
        }
        Some(Action::Filter) => page.input = Some((InputKind::Filter, page.filter.clone())),
        Some(Action::PickTarget) => match page.current() {
            Some(r) if r.is_rejection() => {
                page.message = Some((
                    false,
                    format!(
                        "{:?} is a rejection reason: it maps to rejected, not to a stage",
                        r.status.name
                    ),
                ));
            }
            Some(r) => {
                let at = r
                    .stage
                    .as_ref()
                    .or(r.suggested.as_ref())
                    .and_then(|id| page.stages.iter().position(|s| &s.id == id))
                    .unwrap_or(0);
                page.picker = Some(at);
            }
            None => {}
        },
        Some(Action::Accept) => {
            let Some(i) = page.current_index() else {
                return Vec::new();
            };
            let stages = page.stages.clone();
            return match page.rows[i].accept(&stages) {
                Ok(()) => {
                    let name = page.rows[i].status.name.clone();
                    page.save(format!("{name:?}: suggestion accepted"))
                }
                Err(e) => {
                    page.message = Some((false, e.to_string()));
                    Vec::new()
                }
            };
        }
        Some(Action::Ignore) => {
            let Some(i) = page.current_index() else {
                return Vec::new();
            };
            if page.rows[i].is_rejection() {
                return Vec::new();
            }
            page.rows[i].clear_stage();
            let name = page.rows[i].status.name.clone();
            return page.save(format!("{name:?}: no stage"));
        }
        Some(Action::Override) => {
            if let Some(r) = page.current() {
                page.input = Some((
                    InputKind::OverrideNote {
                        rejection: !r.is_rejection(),
                    },
                    String::new(),
                ));
            }
        }
        Some(Action::Approve) => {
            if !page.issues.is_empty() || page.rows.is_empty() {
                page.message = Some((
                    false,
                    format!(
                        "cannot approve: {} validation problem(s)",
                        page.issues.len()
                    ),
                ));
                return Vec::new();
            }
            let suggested = page.suggested();
            if suggested > 0 {
                page.confirm_approve = Some(suggested);
                return Vec::new();
            }
            return vec![StageMappingWork::Approve {
                team: page.team.clone(),
            }];
        }
        _ => {}
    }
    Vec::new()
}

fn picker_key(page: &mut StageMappingPage, action: Option<Action>) -> Vec<StageMappingWork> {
    let Some(at) = page.picker else {
        return Vec::new();
    };
    let last = page.stages.len().saturating_sub(1);
    match action {
        Some(Action::Back) => page.picker = None,
        Some(Action::Up) => page.picker = Some(at.saturating_sub(1)),
        Some(Action::Down) => page.picker = Some((at + 1).min(last)),
        Some(Action::Submit) => {
            page.picker = None;
            let (Some(i), Some(stage)) = (page.current_index(), page.stages.get(at).cloned())
            else {
                return Vec::new();
            };
            let stages = page.stages.clone();
            return match page.rows[i].set_stage(&stage.id, &stages) {
                Ok(()) => {
                    let name = page.rows[i].status.name.clone();
                    page.save(format!("{name:?} → {}", stage.name))
                }
                Err(e) => {
                    page.message = Some((false, e.to_string()));
                    Vec::new()
                }
            };
        }
        _ => {}
    }
    Vec::new()
}

fn input_key(
    page: &mut StageMappingPage,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<StageMappingWork> {
    let Some((kind, mut text)) = page.input.take() else {
        return Vec::new();
    };
    match action {
        Some(Action::Back) => {
            if kind == InputKind::Filter {
                page.filter.clear();
                page.recompute();
            }
            return Vec::new();
        }
        Some(Action::Submit) => {
            return match kind {
                InputKind::Filter => {
                    page.filter = text.trim().to_string();
                    page.recompute();
                    Vec::new()
                }
                InputKind::OverrideNote { rejection } => {
                    let Some(i) = page.current_index() else {
                        return Vec::new();
                    };
                    match page.rows[i].set_override(Some((rejection, &text))) {
                        Ok(()) => {
                            let name = page.rows[i].status.name.clone();
                            let what = if rejection {
                                "marked a rejection reason"
                            } else {
                                "marked a pipeline status"
                            };
                            page.save(format!("{name:?} {what}"))
                        }
                        Err(e) => {
                            page.message = Some((false, e.to_string()));
                            page.input = Some((kind, text));
                            Vec::new()
                        }
                    }
                }
            };
        }
        _ => {}
    }
    match key.code {
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() => {
            text.push(c);
        }
        _ => {}
    }
    if kind == InputKind::Filter {
        // The filter applies as it is typed.
        page.filter = text.trim().to_string();
        page.recompute();
    }
    page.input = Some((kind, text));
    Vec::new()
}

/// Draws the page: summary, the grouped table, the validation panel and the input line.
pub fn render(frame: &mut Frame, area: Rect, page: &StageMappingPage, theme: &Theme) {
    let panel = issues_height(&page.issues, area.height);
    let [summary, table, issues, bottom] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(panel),
        Constraint::Length(1),
    ])
    .areas(area);
    render_summary(frame, summary, page, theme);
    let visible = table.height.saturating_sub(3) as usize;
    stage_table::render(
        frame,
        table,
        &stage_table::TableView {
            rows: &page.rows,
            stages: &page.stages,
            lines: &page.lines,
            selected_line: page.row_lines.get(page.selected).copied(),
            visible,
            filter: &page.filter,
            loaded: page.loaded,
        },
        theme,
    );
    render_issues(frame, issues, &page.issues, theme);
    render_bottom(frame, bottom, page, theme);
    if let Some(at) = page.picker {
        let name = page
            .current()
            .map(|r| r.status.name.clone())
            .unwrap_or_default();
        stage_picker::render(frame, area, &page.stages, at, &name, theme);
    }
}

fn render_summary(frame: &mut Frame, area: Rect, page: &StageMappingPage, theme: &Theme) {
    let (in_use, _, new) = page.counts;
    let mut first = vec![
        Span::styled(format!("{} statuses", page.rows.len()), theme.text),
        Span::styled(format!(" · {in_use} in use"), theme.muted),
        Span::styled(
            format!(" · {} rejection reasons", page.rejections()),
            theme.muted,
        ),
        Span::styled("  ", theme.text),
    ];
    match &page.approval {
        Some((by, at)) if new == 0 => first.push(Span::styled(
            format!("✓ approved by {by} at {at}"),
            theme.ok,
        )),
        Some(_) => first.push(Span::styled(
            format!("! {new} new status(es) since approval"),
            theme.warn,
        )),
        None => first.push(Span::styled("not approved", theme.warn)),
    }
    let stages: Vec<&str> = page.stages.iter().map(|s| s.name.as_str()).collect();
    let second = Line::from(vec![
        Span::styled("Stages: ", theme.muted),
        Span::styled(clean(&stages.join(" › ")), theme.accent),
    ]);
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

fn issues_height(issues: &[StageIssue], available: u16) -> u16 {
    let want = issues.len().max(1) as u16 + 2;
    want.min((available / 4).max(3))
}

fn render_issues(frame: &mut Frame, area: Rect, issues: &[StageIssue], theme: &Theme) {
    use ratatui::widgets::Block;
    let (title, style) = if issues.is_empty() {
        (" Validation ".to_string(), theme.border)
    } else {
        (
            format!(" Validation: {} problem(s) ", issues.len()),
            theme.error,
        )
    };
    let room = area.height.saturating_sub(2) as usize;
    // Only the issues that fit are formatted (a large catalogue can have thousands).
    let lines: Vec<Line> = if issues.is_empty() {
        vec![Line::from(Span::styled(
            "✓ every status in use has a stage; rejection reasons map to rejected",
            theme.ok,
        ))]
    } else {
        let shown = if issues.len() > room {
            room.saturating_sub(1)
        } else {
            issues.len()
        };
        let mut v: Vec<Line> = issues
            .iter()
            .take(shown)
            .map(|i| {
                Line::from(vec![
                    Span::styled("✗ ", theme.error),
                    Span::styled(clean(&i.to_string()), theme.text),
                ])
            })
            .collect();
        if issues.len() > shown && room > 0 {
            v.push(Line::from(Span::styled(
                format!("… and {} more", issues.len() - shown),
                theme.muted,
            )));
        }
        v
    };
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(title, theme.title))
                .border_style(style),
        ),
        area,
    );
}

fn render_bottom(frame: &mut Frame, area: Rect, page: &StageMappingPage, theme: &Theme) {
    let line = if let Some(n) = page.confirm_approve {
        Line::from(vec![
            Span::styled(
                format!("{n} status(es) are only suggested. Approve them as they stand? "),
                theme.warn,
            ),
            Span::styled("y/n", theme.accent),
        ])
    } else if let Some((kind, text)) = &page.input {
        let prompt = match kind {
            InputKind::Filter => "Filter: ".to_string(),
            InputKind::OverrideNote { rejection: true } => {
                "Mark as a rejection reason — note (why): ".to_string()
            }
            InputKind::OverrideNote { rejection: false } => {
                "Mark as a pipeline status — note (why): ".to_string()
            }
        };
        Line::from(vec![
            Span::styled(prompt, theme.accent),
            Span::styled(format!("{}▏", clean(text)), theme.text),
        ])
    } else if let Some((ok, m)) = &page.message {
        Line::from(Span::styled(
            clean(m),
            if *ok { theme.muted } else { theme.error },
        ))
    } else if let Some(r) = page.current() {
        Line::from(vec![
            Span::styled(format!("{}: ", clean(&r.status.name)), theme.muted),
            Span::styled(
                clean(&if r.is_rejection() {
                    r.reason().unwrap_or_default()
                } else {
                    r.suggestion_reason.clone()
                }),
                theme.muted,
            ),
        ])
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    //! The step 6 page through the app (keys in, work out, replies tagged) drawn on a
    //! TestBackend at 80x24 and 120x40, and its pure key handling.

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::mapping::stages::catalogue::{Observed, merge};
    use crate::mapping::stages::storage::merge_rows;
    use crate::mapping::stages::{Rules, Seen};
    use crate::onboarding::{self, ExportOutcome, OnboardingFacts, Stamped};
    use crate::store::{Region, Team};
    use crate::tui::app::{App, Effect, Msg, Screen, update};
    use crate::tui::keymap;
    use crate::tui::pages::{ReplyBody, Work};
    use crate::tui::render::render as render_app;

    const NOW: &str = "2026-11-21T06:00:00Z";

    /// A catalogue like a sandbox tenant's: pipeline statuses, a rejection bin, a
    /// rejection outside it (NMF in Interview), a look-alike and an unmapped "On Hold".
    fn rows() -> Vec<StatusRow> {
        let o = |id: &str, name: &str, bin: &str, n: u64| Observed {
            id: Some(id.into()),
            name: name.into(),
            bin: Some(bin.into()),
            workflows: Some(n),
            seen: Seen::Sync,
        };
        let sync = [
            o("D10100", "New Submission", "Initial Review", 120),
            o("C36951", "Reviewed by Recruiter", "Initial Review", 64),
            o("C38354", "Phone Screen", "Interview", 51),
            o("C61001", "NMF - Phone Screen", "Interview", 9),
            o("C38355", "Onsite Interview", "Interview", 33),
            o("C61002", "Interview Not Yet Scheduled", "Interview", 4),
            o("C14661", "Offer Extended", "Offer", 12),
            o("D10105", "Hired", "Hired", 30),
            o("C12296", "On Hold", "On Hold", 7),
            o("C22001", "Rejected - Not Qualified", "Rejected", 88),
            o("C23504", "Req Filled", "Rejected", 21),
            o("C51324", "NLI - Candidate", "Withdrawn", 15),
        ];
        let merged = merge(&[], &sync, &[]);
        merge_rows(&[], &merged, &Rules::standard().default_stages, false, NOW)
    }

    fn page() -> StageMappingPage {
        StageMappingPage::new("acme").with_rows(
            rows(),
            Rules::standard().default_stages.clone(),
            None,
        )
    }

    fn team_row() -> TeamRow {
        let facts = OnboardingFacts {
            export: Some(Stamped {
                value: ExportOutcome {
                    files: 3,
                    rows: 500,
                    statuses: 12,
                    ..Default::default()
                },
                actor: "alice".into(),
                at: NOW.into(),
            }),
            ..Default::default()
        };
        TeamRow {
            team: Team {
                id: 1,
                name: "acme".into(),
                customer_id: 1001,
                region: Region::Us,
                api_base_override: None,
                token_url_override: None,
                datastream_base_override: None,
                created_at: NOW.into(),
            },
            steps: onboarding::derive(&facts),
            credentials: Vec::new(),
            sync_enabled: false,
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// Presses a key on the page alone (its action in the page's current context).
    fn press(p: &mut StageMappingPage, code: KeyCode) -> Vec<PageOut<StageMappingWork>> {
        let k = key(code);
        let action = keymap::lookup(p.context(), k);
        Page::on_key(p, action, k)
    }

    fn saved(outs: &[PageOut<StageMappingWork>]) -> Option<&Vec<StatusRow>> {
        outs.iter().find_map(|o| match o {
            PageOut::Work(StageMappingWork::Save { rows, .. }) => Some(rows),
            _ => None,
        })
    }

    /// Moves the cursor to the status with `id`.
    fn select(p: &mut StageMappingPage, id: &str) {
        press(p, KeyCode::Home);
        while p.current().is_some_and(|r| r.status.id != id) {
            let before = p.selected;
            press(p, KeyCode::Down);
            assert_ne!(before, p.selected, "{id} not in the view");
        }
    }

    /// The app with acme's step 6 page open and loaded with `page`'s rows.
    fn app(size: (u16, u16), loaded: &StageMappingPage) -> App {
        let mut app = App::new("test.db", size);
        update(&mut app, Msg::TeamsLoaded(vec![team_row()]));
        app.screen = Screen::Team {
            name: "acme".into(),
            step: 5,
        };
        let effects = update(&mut app, Msg::Key(key(KeyCode::Enter)));
        assert!(
            effects.iter().any(|e| matches!(
                e,
                Effect::Page(_, Work::StageMapping(StageMappingWork::Load { team })) if team == "acme"
            )),
            "{effects:?}"
        );
        let reply = app
            .reply_to_page(ReplyBody::StageMapping(StageMappingReply::Loaded {
                rows: loaded.rows.clone(),
                stages: loaded.stages.clone(),
                approval: loaded.approval.clone(),
            }))
            .expect("the page is open");
        update(&mut app, reply);
        app
    }

    fn draw(app: &App) -> String {
        let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
        t.draw(|f| render_app(f, app, &Theme::dark())).unwrap();
        format!("{}", t.backend())
    }

    #[test]
    fn statuses_grouped_by_bin_with_counts_stages_and_rejections() {
        let p = page();
        let text = draw(&app((120, 40), &p));
        insta::assert_snapshot!("stages_suggested_120x40", text);
        assert!(text.contains("▸ Interview"));
        assert!(text.contains("NMF - Phone Screen"));
        assert!(text.contains("wording \"NMF\" means not moving forward"));
        assert!(text.contains("— unmapped"), "On Hold has no stage");
        let small = draw(&app((80, 24), &p));
        insta::assert_snapshot!("stages_suggested_80x24", small);
    }

    #[test]
    fn picker_lists_the_team_stages_and_maps_a_pipeline_status() {
        let mut p = page();
        select(&mut p, "C12296");
        assert!(press(&mut p, KeyCode::Enter).is_empty());
        assert_eq!(p.context(), Context::StagePicker);
        assert_eq!(p.picker, Some(0), "no stage yet: the first one");
        let mut app = app((120, 40), &page());
        // The same through the app, for the snapshot.
        for _ in 0..8 {
            update(&mut app, Msg::Key(key(KeyCode::Down)));
        }
        update(&mut app, Msg::Key(key(KeyCode::Enter)));
        insta::assert_snapshot!("stages_picker_120x40", draw(&app));
        press(&mut p, KeyCode::Down);
        let outs = press(&mut p, KeyCode::Enter);
        let rows = saved(&outs).expect("a save");
        let hold = rows.iter().find(|r| r.status.id == "C12296").unwrap();
        assert_eq!(hold.stage.as_deref(), Some("screen"));
        assert_eq!(hold.state, RowState::Changed);
        assert_eq!(p.context(), Context::StageMapping);
        assert!(p.issues.is_empty(), "{:?}", p.issues);
    }

    #[test]
    fn a_rejection_status_cannot_get_a_stage_from_the_screen() {
        let mut p = page();
        select(&mut p, "C61001");
        assert!(p.current().unwrap().is_rejection());
        assert!(matches!(
            p.availability(Action::PickTarget),
            Availability::Disabled(why) if why.contains("maps to rejected")
        ));
        assert!(press(&mut p, KeyCode::Enter).is_empty());
        assert!(p.picker.is_none());
        assert!(press(&mut p, KeyCode::Char('x')).is_empty());
        assert_eq!(p.current().unwrap().stage, None);
        // Overriding it (with a note) makes it a pipeline status that can be mapped.
        press(&mut p, KeyCode::Char('o'));
        assert_eq!(p.context(), Context::StageInput);
        assert!(
            press(&mut p, KeyCode::Enter).is_empty(),
            "a note is required"
        );
        assert!(
            p.message
                .as_ref()
                .is_some_and(|(ok, m)| !ok && m.contains("note"))
        );
        for c in "screening outcome".chars() {
            press(&mut p, KeyCode::Char(c));
        }
        let outs = press(&mut p, KeyCode::Enter);
        let rows = saved(&outs).expect("a save");
        let r = rows.iter().find(|r| r.status.id == "C61001").unwrap();
        assert!(!r.is_rejection());
        assert_eq!(r.reason(), None);
        assert_eq!(r.override_.as_ref().unwrap().note, "screening outcome");
    }

    #[test]
    fn approve_is_refused_with_issues_and_asks_while_rows_are_suggested() {
        let mut p = page();
        assert!(matches!(
            p.availability(Action::Approve),
            Availability::Disabled(_)
        ));
        assert!(press(&mut p, KeyCode::Char('p')).is_empty());
        select(&mut p, "C12296");
        press(&mut p, KeyCode::Enter);
        press(&mut p, KeyCode::Enter);
        assert_eq!(p.availability(Action::Approve), Availability::Enabled);
        assert!(press(&mut p, KeyCode::Char('p')).is_empty());
        assert_eq!(p.context(), Context::Confirm);
        assert_eq!(p.confirm_approve, Some(p.suggested()));
        assert!(press(&mut p, KeyCode::Char('n')).is_empty());
        assert_eq!(p.context(), Context::StageMapping);
        press(&mut p, KeyCode::Char('p'));
        let outs = press(&mut p, KeyCode::Char('y'));
        assert_eq!(
            outs,
            vec![PageOut::Work(StageMappingWork::Approve {
                team: "acme".into()
            })]
        );
        // Accepting the suggestions first: no question.
        let mut q = page();
        select(&mut q, "C12296");
        press(&mut q, KeyCode::Enter);
        press(&mut q, KeyCode::Enter);
        for id in [
            "D10100", "C36951", "C38354", "C38355", "C61002", "C14661", "D10105",
        ] {
            select(&mut q, id);
            assert!(saved(&press(&mut q, KeyCode::Char('a'))).is_some(), "{id}");
        }
        assert_eq!(q.suggested(), 0);
        assert_eq!(
            press(&mut q, KeyCode::Char('p')),
            vec![PageOut::Work(StageMappingWork::Approve {
                team: "acme".into()
            })]
        );
    }

    #[test]
    fn filter_narrows_the_view_and_esc_clears_it_before_leaving() {
        let mut p = page();
        press(&mut p, KeyCode::Char('/'));
        assert_eq!(p.context(), Context::StageInput);
        for c in "rejected".chars() {
            press(&mut p, KeyCode::Char(c));
        }
        press(&mut p, KeyCode::Enter);
        let shown: Vec<&str> = p
            .row_lines
            .iter()
            .filter_map(|&l| match p.lines[l] {
                TableLine::Row(i) => Some(p.rows[i].status.id.as_str()),
                TableLine::Bin { .. } => None,
            })
            .collect();
        assert_eq!(shown, ["C61001", "C22001", "C23504", "C51324"]);
        assert!(press(&mut p, KeyCode::Esc).is_empty());
        assert!(p.filter.is_empty());
        assert_eq!(press(&mut p, KeyCode::Esc), vec![PageOut::Close]);
    }

    #[test]
    fn approved_then_drift_shows_new_statuses() {
        let mut rs = rows();
        for r in rs.iter_mut() {
            if r.status.id == "C12296" {
                r.stage = Some("screen".into());
                r.state = RowState::Changed;
            }
        }
        rs.push({
            let merged = merge(
                &[],
                &[Observed {
                    id: Some("C70001".into()),
                    name: "Take Home Test".into(),
                    bin: Some("Interview".into()),
                    workflows: Some(2),
                    seen: Seen::Sync,
                }],
                &[],
            );
            let mut r =
                merge_rows(&[], &merged, &Rules::standard().default_stages, true, NOW).remove(0);
            r.status.position = 99;
            r
        });
        let p = StageMappingPage::new("acme").with_rows(
            rs,
            Rules::standard().default_stages.clone(),
            Some(("alice".into(), NOW.into())),
        );
        let text = draw(&app((120, 40), &p));
        assert!(text.contains("1 new status(es) since approval"), "{text}");
        assert!(text.contains("NEW"));
        insta::assert_snapshot!("stages_drift_120x40", text);
    }

    #[test]
    fn replies_load_and_a_schema_read_rebuilds_the_catalogue() {
        let mut p = StageMappingPage::new("acme");
        let outs = Page::on_reply(
            &mut p,
            StageMappingReply::SchemaRead(Err("no API credential stored".into())),
        );
        assert_eq!(
            outs,
            vec![PageOut::Work(StageMappingWork::Catalogue {
                team: "acme".into(),
                options: None
            })]
        );
        assert!(p.message.as_ref().is_some_and(|(ok, _)| !ok));
        let outs = Page::on_reply(
            &mut p,
            StageMappingReply::Loaded {
                rows: rows(),
                stages: Rules::standard().default_stages.clone(),
                approval: None,
            },
        );
        assert_eq!(outs, vec![PageOut::Reload]);
        assert!(p.loaded);
        assert_eq!(p.rows.len(), 12);
        assert_eq!(
            press(&mut p, KeyCode::Char('d')),
            vec![PageOut::Work(StageMappingWork::Discover {
                team: "acme".into()
            })]
        );
        assert_eq!(p.message, Some((true, "reading the statuses…".to_string())));
        // A successful read says so (the "reading" line does not stay).
        let option = crate::icims::schema::StatusOption {
            id: "C1".into(),
            value: "On Hold".into(),
            bin: Some("Parked".into()),
            rejection: false,
        };
        let outs = Page::on_reply(&mut p, StageMappingReply::SchemaRead(Ok(vec![option])));
        assert_eq!(
            outs,
            vec![PageOut::Work(StageMappingWork::Catalogue {
                team: "acme".into(),
                options: Some(vec![crate::icims::schema::StatusOption {
                    id: "C1".into(),
                    value: "On Hold".into(),
                    bin: Some("Parked".into()),
                    rejection: false,
                }])
            })]
        );
        assert_eq!(
            p.message,
            Some((
                true,
                "1 status option(s) read from the tenant; catalogue rebuilt".to_string()
            ))
        );
    }

    #[test]
    fn a_changed_step_state_on_refresh_reads_the_rows_again() {
        let row = team_row();
        let (mut p, outs) = <StageMappingPage as Page>::open(&row);
        assert_eq!(
            outs,
            vec![PageOut::Work(StageMappingWork::Load {
                team: "acme".into()
            })]
        );
        assert_eq!(Page::refresh(&mut p, &row), vec![PageOut::Unchanged]);
        let mut drifted = row.clone();
        if let Some(s) = drifted
            .steps
            .iter_mut()
            .find(|s| s.step == Step::StageMapping)
        {
            s.state = crate::onboarding::StepState::NeedsAttention;
            s.detail = "new status \"X\" since approval: map it and approve again".into();
        }
        assert_eq!(
            Page::refresh(&mut p, &drifted),
            vec![PageOut::Work(StageMappingWork::Load {
                team: "acme".into()
            })]
        );
        assert_eq!(Page::refresh(&mut p, &drifted), vec![PageOut::Unchanged]);
    }
}

#[cfg(test)]
mod readme {
    use crate::tui::keymap::{Context, bindings};

    /// A context's key table as `keymap::markdown` writes it.
    pub fn table(ctx: Context) -> String {
        let mut out = format!("**{}**\n\n| keys | does |\n|---|---|\n", ctx.title());
        for b in bindings(ctx) {
            out.push_str(&format!("| `{}` | {} |\n", b.label, b.help));
        }
        out
    }

    #[test]
    fn the_readme_lists_the_step_6_keys_from_the_key_tables() {
        let readme = include_str!("../../../README.md");
        for ctx in [
            Context::StageMapping,
            Context::StagePicker,
            Context::StageInput,
        ] {
            let t = table(ctx);
            assert!(readme.contains(&t), "README lacks (or differs from):\n{t}");
        }
    }
}
