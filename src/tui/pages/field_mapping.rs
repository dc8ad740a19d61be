//! Step 4 page: the customer's fields → standard fields, with confidence, coverage,
//! samples and state; filter and sort; accept one or all above a confidence; pick a target
//! from a searchable list; ignore or mark a custom-field request; a validation panel; and
//! Approve (asking first while rows are only suggested). [`FieldMappingState`] is the
//! page's state, its updates are pure and return [`MappingEffect`]s for
//! `drivers/field_mapping.rs` (load, discover, save, approve), and [`render`] draws from the
//! state only — the visible window of the table, so 10,000 rows cost what 30 do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::mapping::{Catalogue, CustomerField, Issue, MappingEntry, MappingState, edit, validate};
use crate::onboarding::Step;
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::TeamRow;
use crate::tui::pages::contract::{Page, PageOut};
use crate::tui::theme::Theme;
use crate::tui::widgets::mapping_table::{self, TableView};
use crate::tui::widgets::target_picker::{self, PickerView};
use crate::tui::widgets::validation_panel;

/// The step 4 page (its state is [`FieldMappingState`]).
pub type FieldMappingPage = FieldMappingState;

/// Table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Object, then the order the fields were discovered in.
    Discovery,
    /// Lowest confidence first: what needs review comes to the top.
    Confidence,
    /// Lowest coverage first.
    Coverage,
    /// By customer field name.
    Name,
    /// By state, undecided first.
    State,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Discovery => SortKey::Confidence,
            SortKey::Confidence => SortKey::Coverage,
            SortKey::Coverage => SortKey::Name,
            SortKey::Name => SortKey::State,
            SortKey::State => SortKey::Discovery,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Discovery => "object, discovery order",
            SortKey::Confidence => "confidence ↑",
            SortKey::Coverage => "coverage ↑",
            SortKey::Name => "field name",
            SortKey::State => "state",
        }
    }
}

/// The searchable list of standard fields for the selected row.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub query: String,
    /// Catalogue ids of the row's object matching the query.
    pub options: Vec<String>,
    pub selected: usize,
}

/// What the one-line input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Threshold,
}

/// Everything the step 4 screen shows.
#[derive(Debug, Clone)]
pub struct FieldMappingState {
    pub team: String,
    pub catalogue: Catalogue,
    pub entries: Vec<MappingEntry>,
    pub issues: Vec<Issue>,
    /// (who, when) of the approval in effect.
    pub approval: Option<(String, String)>,
    /// Indices into `entries` after filter and sort.
    pub view: Vec<usize>,
    /// Position in `view`.
    pub selected: usize,
    pub filter: String,
    pub sort: SortKey,
    pub picker: Option<Picker>,
    pub input: Option<(InputKind, String)>,
    pub message: Option<(bool, String)>,
    pub loaded: bool,
    /// Rows of the table that fit (set from the terminal height).
    pub page: usize,
    pub mapped: usize,
    /// `p` pressed while this many rows are only suggested: asking before approving.
    pub confirm_approve: Option<usize>,
}

/// Replies for the page.
#[derive(Debug)]
pub enum MappingMsg {
    Loaded {
        entries: Vec<MappingEntry>,
        approval: Option<(String, String)>,
    },
    /// The customer's fields, read off the console thread (staged export, else files).
    Discovered(Vec<CustomerField>),
    Failed(String),
}

/// Work for the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum MappingEffect {
    Load {
        team: String,
    },
    /// Discover the customer's fields (staged export, else the export files; read off the
    /// console thread).
    Discover {
        team: String,
    },
    /// Store discovered fields with fresh suggestions (decisions kept).
    Refresh {
        team: String,
        fields: Vec<CustomerField>,
    },
    Save {
        team: String,
        entries: Vec<MappingEntry>,
    },
    Approve {
        team: String,
    },
}

impl FieldMappingState {
    pub fn new(team: impl Into<String>, catalogue: Catalogue) -> FieldMappingState {
        FieldMappingState {
            team: team.into(),
            catalogue,
            entries: Vec::new(),
            issues: Vec::new(),
            approval: None,
            view: Vec::new(),
            selected: 0,
            filter: String::new(),
            sort: SortKey::Discovery,
            picker: None,
            input: None,
            message: None,
            loaded: false,
            page: 20,
            mapped: 0,
            confirm_approve: None,
        }
    }

    /// A state showing `entries` (tests, benchmarks, and the reply to a load).
    pub fn with_entries(
        mut self,
        entries: Vec<MappingEntry>,
        approval: Option<(String, String)>,
    ) -> FieldMappingState {
        self.entries = entries;
        self.approval = approval;
        self.loaded = true;
        self.recompute();
        self
    }

    pub fn context(&self) -> Context {
        if self.confirm_approve.is_some() {
            Context::Confirm
        } else if self.picker.is_some() {
            Context::TargetPicker
        } else if self.input.is_some() {
            Context::MappingInput
        } else {
            Context::FieldMapping
        }
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<&MappingEntry> {
        self.view.get(self.selected).map(|&i| &self.entries[i])
    }

    /// Re-validates, re-counts and rebuilds the view after any change.
    pub fn recompute(&mut self) {
        self.issues = validate(&self.entries, &self.catalogue);
        self.mapped = self
            .entries
            .iter()
            .filter(|e| e.effective_target().is_some())
            .count();
        self.rebuild_view();
    }

    fn rebuild_view(&mut self) {
        let keep = self.current_index();
        let needle = self.filter.to_lowercase();
        let mut view: Vec<usize> = (0..self.entries.len())
            .filter(|&i| needle.is_empty() || matches_filter(&self.entries[i], &needle))
            .collect();
        let e = &self.entries;
        match self.sort {
            SortKey::Discovery => view.sort_by_key(|&i| e[i].field.object),
            SortKey::Confidence => view.sort_by(|&a, &b| {
                e[a].suggestion
                    .confidence
                    .total_cmp(&e[b].suggestion.confidence)
            }),
            SortKey::Coverage => {
                view.sort_by(|&a, &b| e[a].field.fill_rate.total_cmp(&e[b].field.fill_rate))
            }
            SortKey::Name => view.sort_by_cached_key(|&i| e[i].field.name.to_lowercase()),
            SortKey::State => view.sort_by_key(|&i| state_rank(e[i].state)),
        }
        self.view = view;
        self.selected = keep
            .and_then(|k| self.view.iter().position(|&i| i == k))
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
    }

    fn current_index(&self) -> Option<usize> {
        self.view.get(self.selected).copied()
    }

    /// Rows still only suggested (not accepted, changed, ignored or requested).
    pub fn suggested(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.state == MappingState::Suggested)
            .count()
    }
}

impl Page for FieldMappingState {
    type Work = MappingEffect;
    type Reply = MappingMsg;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<MappingEffect>>) {
        let team = row.team.name.clone();
        let state = FieldMappingState::new(team.clone(), Catalogue::standard());
        (state, vec![PageOut::Work(MappingEffect::Load { team })])
    }

    fn step(&self) -> Step {
        Step::FieldMapping
    }

    fn context(&self) -> Context {
        FieldMappingState::context(self)
    }

    fn availability(&self, action: Action) -> Availability {
        use Availability::{Disabled, Enabled, Hidden};
        if FieldMappingState::context(self) != Context::FieldMapping {
            return Enabled;
        }
        let empty = self.view.is_empty();
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
            Action::Accept
            | Action::PickTarget
            | Action::Ignore
            | Action::CustomRequest
            | Action::AcceptAbove
                if empty =>
            {
                Disabled("no customer fields yet: press d to discover them from the export".into())
            }
            Action::Approve if !self.loaded => Disabled("still loading the mapping".into()),
            Action::Approve if self.entries.is_empty() => {
                Disabled("nothing to approve yet: press d to discover the fields".into())
            }
            Action::Approve if !self.issues.is_empty() => Disabled(format!(
                "cannot approve: {} validation problem(s) — see the panel",
                self.issues.len()
            )),
            _ => Enabled,
        }
    }

    fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<PageOut<MappingEffect>> {
        on_key(self, action, key)
    }

    fn on_reply(&mut self, reply: MappingMsg) -> Vec<PageOut<MappingEffect>> {
        update(self, reply).into_iter().map(PageOut::Work).collect()
    }

    fn resize(&mut self, size: (u16, u16)) {
        self.page = size.1.saturating_sub(14).max(1) as usize;
    }

    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        render(frame, area, self, theme);
    }
}

fn matches_filter(e: &MappingEntry, needle: &str) -> bool {
    e.field.name.to_lowercase().contains(needle)
        || e.field.display_label().to_lowercase().contains(needle)
        || e.target.as_deref().is_some_and(|t| t.contains(needle))
        || e.state.as_str().contains(needle)
        || e.field.object.as_str() == needle
}

fn state_rank(s: MappingState) -> u8 {
    match s {
        MappingState::Suggested => 0,
        MappingState::Changed => 1,
        MappingState::CustomRequest => 2,
        MappingState::Ignored => 3,
        MappingState::Accepted => 4,
    }
}

/// Applies one reply; returns the effects to run. No I/O here.
pub fn update(state: &mut FieldMappingState, msg: MappingMsg) -> Vec<MappingEffect> {
    match msg {
        MappingMsg::Loaded { entries, approval } => {
            if state
                .message
                .as_ref()
                .is_some_and(|(_, m)| m.starts_with("discovering"))
            {
                state.message = Some((true, format!("{} customer fields", entries.len())));
            }
            state.entries = entries;
            state.approval = approval;
            state.loaded = true;
            state.recompute();
            Vec::new()
        }
        MappingMsg::Discovered(fields) => vec![MappingEffect::Refresh {
            team: state.team.clone(),
            fields,
        }],
        MappingMsg::Failed(reason) => {
            state.message = Some((false, reason));
            Vec::new()
        }
    }
}

/// Applies one key (its action in the page's current context); no I/O here.
pub fn on_key(
    state: &mut FieldMappingState,
    action: Option<Action>,
    key: KeyEvent,
) -> Vec<PageOut<MappingEffect>> {
    let effects = match state.context() {
        Context::Confirm => {
            let suggested = state.confirm_approve.take();
            match (action, suggested) {
                (Some(Action::Yes), Some(_)) => vec![MappingEffect::Approve {
                    team: state.team.clone(),
                }],
                _ => {
                    state.message = Some((true, "not approved".to_string()));
                    Vec::new()
                }
            }
        }
        Context::TargetPicker => picker_key(state, key, action),
        Context::MappingInput => input_key(state, key, action),
        _ if action == Some(Action::Back) => {
            // Esc clears the filter before it leaves the page.
            if state.filter.is_empty() {
                return vec![PageOut::Close];
            }
            state.filter.clear();
            state.rebuild_view();
            state.message = Some((true, "filter cleared".to_string()));
            Vec::new()
        }
        _ => table_key(state, action),
    };
    effects.into_iter().map(PageOut::Work).collect()
}

fn table_key(state: &mut FieldMappingState, action: Option<Action>) -> Vec<MappingEffect> {
    let n = state.view.len();
    let page = state.page.max(1);
    match action {
        Some(Action::Up) => state.selected = state.selected.saturating_sub(1),
        Some(Action::Top) => state.selected = 0,
        Some(Action::Bottom) => state.selected = n.saturating_sub(1),
        Some(Action::Down) => state.selected = (state.selected + 1).min(n.saturating_sub(1)),
        Some(Action::PageUp) => state.selected = state.selected.saturating_sub(page),
        Some(Action::PageDown) => state.selected = (state.selected + page).min(n.saturating_sub(1)),
        Some(Action::Refresh) => {
            return vec![MappingEffect::Load {
                team: state.team.clone(),
            }];
        }
        Some(Action::Discover) => {
            state.message = Some((true, "discovering fields…".to_string()));
            return vec![MappingEffect::Discover {
                team: state.team.clone(),
            }];
        }
        Some(Action::Sort) => {
            state.sort = state.sort.next();
            state.rebuild_view();
            state.message = Some((true, format!("sorted by {}", state.sort.label())));
        }
        Some(Action::Filter) => state.input = Some((InputKind::Filter, state.filter.clone())),
        Some(Action::AcceptAbove) => state.input = Some((InputKind::Threshold, "0.90".to_string())),
        Some(Action::Accept) => {
            return edit_current(state, |e, _| edit::accept(e).map_err(|e| e.to_string()));
        }
        Some(Action::Ignore) => {
            return edit_current(state, |e, _| {
                edit::ignore(e);
                Ok(())
            });
        }
        Some(Action::CustomRequest) => {
            return edit_current(state, |e, _| {
                edit::request_custom(e, None);
                Ok(())
            });
        }
        Some(Action::PickTarget) => {
            if let Some(e) = state.current() {
                let object = e.field.object;
                let mut picker = Picker {
                    query: String::new(),
                    options: Vec::new(),
                    selected: 0,
                };
                refresh_options(&state.catalogue, object, &mut picker);
                if let Some(t) = e.target.as_ref() {
                    picker.selected = picker.options.iter().position(|o| o == t).unwrap_or(0);
                }
                state.picker = Some(picker);
            }
        }
        Some(Action::Approve) => {
            if !state.issues.is_empty() {
                state.message = Some((
                    false,
                    format!(
                        "cannot approve: {} validation problem(s) — see the panel",
                        state.issues.len()
                    ),
                ));
            } else if state.entries.is_empty() {
                state.message = Some((false, "nothing to approve yet".to_string()));
            } else if state.suggested() > 0 {
                state.confirm_approve = Some(state.suggested());
            } else {
                return vec![MappingEffect::Approve {
                    team: state.team.clone(),
                }];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Applies `f` to the selected row; on a change, revalidates and asks to save. A change
/// to what is mapped withdraws the approval on screen, as the store will.
fn edit_current(
    state: &mut FieldMappingState,
    f: impl FnOnce(&mut MappingEntry, &Catalogue) -> Result<(), String>,
) -> Vec<MappingEffect> {
    let Some(i) = state.current_index() else {
        return Vec::new();
    };
    let before = state.entries[i].clone();
    if let Err(reason) = f(&mut state.entries[i], &state.catalogue) {
        state.message = Some((false, reason));
        return Vec::new();
    }
    save_if_changed(state, (before.target, before.state, before.note), i)
}

fn save_if_changed(
    state: &mut FieldMappingState,
    before: (Option<String>, MappingState, Option<String>),
    i: usize,
) -> Vec<MappingEffect> {
    let e = &state.entries[i];
    if (e.target.clone(), e.state, e.note.clone()) == before {
        return Vec::new();
    }
    state.message = Some((
        true,
        format!(
            "{} → {} ({})",
            e.field.display_label(),
            e.target.as_deref().unwrap_or("-"),
            e.state
        ),
    ));
    state.approval = None;
    state.recompute();
    vec![MappingEffect::Save {
        team: state.team.clone(),
        entries: state.entries.clone(),
    }]
}

fn refresh_options(catalogue: &Catalogue, object: crate::mapping::Object, picker: &mut Picker) {
    let q = picker.query.to_lowercase();
    picker.options = catalogue
        .of(object)
        .filter(|s| {
            q.is_empty()
                || s.id.contains(&q)
                || s.label.to_lowercase().contains(&q)
                || s.aliases.iter().any(|a| a.to_lowercase().contains(&q))
        })
        .map(|s| s.id.clone())
        .collect();
    picker.selected = picker.selected.min(picker.options.len().saturating_sub(1));
}

fn picker_key(
    state: &mut FieldMappingState,
    key: KeyEvent,
    action: Option<Action>,
) -> Vec<MappingEffect> {
    let Some(object) = state.current().map(|e| e.field.object) else {
        state.picker = None;
        return Vec::new();
    };
    let Some(picker) = state.picker.as_mut() else {
        return Vec::new();
    };
    match action {
        Some(Action::Back) => state.picker = None,
        Some(Action::Up) => picker.selected = picker.selected.saturating_sub(1),
        Some(Action::Down) => {
            picker.selected = (picker.selected + 1).min(picker.options.len().saturating_sub(1))
        }
        Some(Action::Submit) => {
            let Some(target) = picker.options.get(picker.selected).cloned() else {
                return Vec::new();
            };
            state.picker = None;
            return edit_current(state, |e, c| {
                edit::change(e, &target, c).map_err(|e| e.to_string())
            });
        }
        _ => {
            match key.code {
                KeyCode::Backspace => {
                    picker.query.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    picker.query.push(c)
                }
                _ => return Vec::new(),
            }
            refresh_options(&state.catalogue, object, picker);
        }
    }
    Vec::new()
}

fn input_key(
    state: &mut FieldMappingState,
    key: KeyEvent,
    action: Option<Action>,
) -> Vec<MappingEffect> {
    let Some((kind, text)) = state.input.as_mut() else {
        return Vec::new();
    };
    let kind = *kind;
    match action {
        Some(Action::Back) => state.input = None,
        Some(Action::Submit) => {
            let text = text.trim().to_string();
            state.input = None;
            match kind {
                InputKind::Filter => {
                    state.filter = text;
                    state.selected = 0;
                    state.rebuild_view();
                }
                InputKind::Threshold => return accept_above(state, &text),
            }
        }
        _ => match key.code {
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
            _ => {}
        },
    }
    Vec::new()
}

fn accept_above(state: &mut FieldMappingState, text: &str) -> Vec<MappingEffect> {
    let threshold = text
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .map(|x| if x > 1.0 { x / 100.0 } else { x })
        .filter(|x| (0.0..=1.0).contains(x));
    let Some(threshold) = threshold else {
        state.message = Some((
            false,
            format!("{text:?} is not a confidence; type e.g. 0.9 or 90%"),
        ));
        return Vec::new();
    };
    let n = edit::accept_all_above(&mut state.entries, threshold);
    if n == 0 {
        state.message = Some((
            true,
            format!("no suggested rows at or above {:.0}%", threshold * 100.0),
        ));
        return Vec::new();
    }
    state.approval = None;
    state.recompute();
    state.message = Some((
        true,
        format!(
            "accepted {n} suggestion(s) at or above {:.0}%",
            threshold * 100.0
        ),
    ));
    vec![MappingEffect::Save {
        team: state.team.clone(),
        entries: state.entries.clone(),
    }]
}

/// Draws the screen into `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &FieldMappingState, theme: &Theme) {
    let panel_height = validation_panel::height(&state.issues, area.height);
    let [summary, table, why, panel] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(2),
        Constraint::Length(panel_height),
    ])
    .areas(area);
    render_summary(frame, summary, state, theme);
    let view = TableView {
        entries: &state.entries,
        view: &state.view,
        selected: state.selected,
        issues: &state.issues,
    };
    mapping_table::render(frame, table, &view, theme);
    render_why(frame, why, state, theme);
    validation_panel::render(frame, panel, &state.issues, theme);
    if let Some(picker) = &state.picker
        && let Some(e) = state.current()
    {
        let view = PickerView {
            query: &picker.query,
            options: &picker.options,
            selected: picker.selected,
        };
        target_picker::render(frame, area, e, &view, &state.catalogue, theme);
    }
}

fn render_summary(frame: &mut Frame, area: Rect, state: &FieldMappingState, theme: &Theme) {
    let mut first = vec![
        Span::styled("Field mapping  ", theme.title),
        Span::styled(
            format!(
                "{} fields · {} mapped · {} problem(s)  ",
                state.entries.len(),
                state.mapped,
                state.issues.len()
            ),
            theme.text,
        ),
    ];
    match &state.approval {
        Some((by, at)) => first.push(Span::styled(
            format!("✓ approved by {by} at {at}"),
            theme.ok,
        )),
        None if !state.loaded => first.push(Span::styled("loading…", theme.muted)),
        None => first.push(Span::styled("not approved", theme.warn)),
    }
    let mut second = vec![Span::styled(
        format!("sort: {}", state.sort.label()),
        theme.muted,
    )];
    match &state.input {
        Some((InputKind::Filter, text)) => {
            second.push(Span::styled("  filter: ", theme.muted));
            second.push(Span::styled(format!("{text}▏"), theme.accent));
        }
        Some((InputKind::Threshold, text)) => {
            second.push(Span::styled("  accept all with confidence ≥ ", theme.muted));
            second.push(Span::styled(format!("{text}▏"), theme.accent));
        }
        None if !state.filter.is_empty() => {
            second.push(Span::styled(
                format!("  filter: {} ({} shown)", state.filter, state.view.len()),
                theme.accent,
            ));
        }
        None => {}
    }
    if let Some(n) = state.confirm_approve {
        second.push(Span::styled("  │ ", theme.muted));
        second.push(Span::styled(
            format!("{n} row(s) are only suggested, not reviewed. Approve anyway? y / n"),
            theme.warn,
        ));
    } else if let Some((ok, text)) = &state.message {
        second.push(Span::styled("  │ ", theme.muted));
        second.push(Span::styled(
            text.clone(),
            if *ok { theme.ok } else { theme.error },
        ));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
}

fn render_why(frame: &mut Frame, area: Rect, state: &FieldMappingState, theme: &Theme) {
    let lines = match state.current() {
        Some(e) => vec![
            Line::from(vec![
                Span::styled("Why  ", theme.muted),
                Span::styled(e.suggestion.reasons.join("; "), theme.text),
            ]),
            Line::from(vec![
                Span::styled("Note ", theme.muted),
                Span::styled(e.note.clone().unwrap_or_default(), theme.text),
            ]),
        ],
        None if state.loaded => vec![Line::from(Span::styled(
            "No customer fields yet: press d to discover them from the imported export (step 3), or run `icims-onboard mapping fields suggest TEAM`.",
            theme.muted,
        ))],
        None => Vec::new(),
    };
    frame.render_widget(Paragraph::new(lines), area);
}
