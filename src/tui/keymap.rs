//! Key bindings per context: the single source for dispatch, the `?` help overlay, the
//! footer hints and the README's key lists, so what the help says is what the keys do.
//!
//! Bindings shared by every screen (help, quit, back, list movement) are defined once as
//! groups and reused by each context's table (atuin's shared key bindings). Whether a
//! binding can act *now* is asked of the screen or page ([`Availability`], after gitui's
//! `CommandInfo`): help and footer list only what is available, and a key that cannot act
//! says why in the status line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where the keyboard focus is: picks the key table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Home,
    Filter,
    Team,
    NewTeam,
    Help,
    /// A yes/no question a page asks (discard unsaved input, approve with suggestions).
    Confirm,
    /// Step 1 page.
    BasicSync,
    /// Step 2 page.
    Credentials,
    /// Step 3 page.
    Export,
    /// Step 3: the SFTP connection form.
    ExportForm,
    /// Step 4: the field mapping table.
    FieldMapping,
    /// Step 4: the searchable list of standard fields.
    TargetPicker,
    /// Step 4: a one-line input (filter, confidence).
    MappingInput,
    /// Step 5 page.
    DeepSync,
    /// Step 6 page.
    StageMapping,
    /// Step 6: the list of the team's stages for the selected status.
    StagePicker,
    /// Step 6: a one-line input (filter, override note).
    StageInput,
    /// The team form opened on an existing team.
    EditTeam,
    /// The remove-team confirmation (the name typed again).
    RemoveTeam,
    /// The team's history (its audit entries).
    History,
    /// The history's filter-by-action line.
    HistoryFilter,
}

impl Context {
    /// Every context, in the README's order.
    pub const ALL: [Context; 21] = [
        Context::Home,
        Context::Filter,
        Context::NewTeam,
        Context::Team,
        Context::EditTeam,
        Context::RemoveTeam,
        Context::History,
        Context::HistoryFilter,
        Context::BasicSync,
        Context::Credentials,
        Context::Export,
        Context::ExportForm,
        Context::FieldMapping,
        Context::TargetPicker,
        Context::MappingInput,
        Context::DeepSync,
        Context::StageMapping,
        Context::StagePicker,
        Context::StageInput,
        Context::Confirm,
        Context::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Home => "Teams",
            Context::Filter => "Team filter",
            Context::Team => "Team",
            Context::NewTeam => "New team",
            Context::Help => "Help",
            Context::Confirm => "Confirmation",
            Context::BasicSync => "Step 1: basic sync",
            Context::Credentials => "Step 2: deep sync credentials",
            Context::Export => "Step 3: historical export",
            Context::ExportForm => "Step 3: SFTP connection form",
            Context::FieldMapping => "Step 4: field mapping",
            Context::TargetPicker => "Step 4: standard field picker",
            Context::MappingInput => "Step 4: input line",
            Context::DeepSync => "Step 5: deep sync",
            Context::StageMapping => "Step 6: stage mapping",
            Context::StagePicker => "Step 6: stage picker",
            Context::StageInput => "Step 6: input line",
            Context::EditTeam => "Edit team",
            Context::RemoveTeam => "Remove team",
            Context::History => "Team history",
            Context::HistoryFilter => "Team history filter",
        }
    }
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Back,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    NewTeam,
    Filter,
    NextField,
    PrevField,
    Submit,
    Toggle,
    Refresh,
    NextSection,
    PrevSection,
    RunTest,
    Save,
    Accept,
    AcceptAbove,
    PickTarget,
    Ignore,
    CustomRequest,
    Sort,
    Approve,
    Discover,
    /// Step 3: fetch the export over SFTP.
    Fetch,
    /// Step 3: import the fetched files.
    Import,
    /// Step 3: write the handoff ticket.
    Handoff,
    /// Step 3: browse the quarantined rows.
    Quarantine,
    /// Answer yes (trust the host key, confirm a question).
    Yes,
    /// Answer no.
    No,
    /// Step 3: edit the SFTP connection.
    Connection,
    /// Show the selected message or reason in full.
    Details,
    /// Step 6: override the rejection detection of a status (with a note).
    Override,
    /// Team screen: edit the team's settings.
    EditTeam,
    /// Team screen: remove the team (after the name is typed again).
    RemoveTeam,
    /// Team screen: the team's history (audit entries).
    History,
}

/// Whether a binding can act in the current state (gitui's `CommandInfo`: enabled and
/// available). Help lists `Enabled` and `Disabled` ones (the latter with the reason);
/// the footer lists `Enabled` ones; a `Disabled` key pressed shows its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Enabled,
    Disabled(String),
    Hidden,
}

/// One binding: the keys, their label, what they do, and a short footer label (`None`
/// keeps the binding out of the footer).
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    pub footer: Option<&'static str>,
}

/// A binding with its availability now.
#[derive(Debug, Clone)]
pub struct Command {
    pub binding: &'static Binding,
    pub availability: Availability,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

macro_rules! bind {
    ($label:expr, [$($k:expr),+], $action:ident, $help:expr) => {
        Binding { keys: &[$($k),+], label: $label, action: Action::$action, help: $help, footer: None }
    };
    ($label:expr, [$($k:expr),+], $action:ident, $help:expr, $short:expr) => {
        Binding { keys: &[$($k),+], label: $label, action: Action::$action, help: $help, footer: Some($short) }
    };
}

const fn ch(c: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(c), NONE)
}

// ---- shared groups, defined once ---------------------------------------------------

/// `?`/F1 help and `q` quit, on screens without a focused text field.
const GLOBAL: &[Binding] = &[
    bind!(
        "? F1",
        [ch('?'), (KeyCode::Char('?'), SHIFT), (KeyCode::F(1), NONE)],
        Help,
        "show the keys of this screen",
        "help"
    ),
    bind!(
        "q",
        [ch('q'), (KeyCode::Char('c'), CTRL)],
        Quit,
        "quit (Ctrl-c anywhere)",
        "quit"
    ),
];

/// The same where a text field has focus: letters type, `?`/F1 still open the help.
const GLOBAL_TYPING: &[Binding] = &[
    bind!(
        "? F1",
        [ch('?'), (KeyCode::Char('?'), SHIFT), (KeyCode::F(1), NONE)],
        Help,
        "show the keys of this screen",
        "help"
    ),
    bind!("Ctrl-c", [(KeyCode::Char('c'), CTRL)], Quit, "quit"),
];

/// Esc leaves one level: an inner input first, then the screen.
const BACK: &[Binding] = &[bind!(
    "Esc",
    [(KeyCode::Esc, NONE)],
    Back,
    "back one level (closes an input or filter first)",
    "back"
)];

/// Moving in a list.
const LIST: &[Binding] = &[
    bind!(
        "↑↓ j k",
        [(KeyCode::Up, NONE), (KeyCode::Down, NONE), ch('k'), ch('j')],
        Up,
        "move the selection",
        "move"
    ),
    bind!(
        "PgUp PgDn",
        [(KeyCode::PageUp, NONE), (KeyCode::PageDown, NONE)],
        PageUp,
        "move a page"
    ),
    bind!(
        "Home End g G",
        [
            (KeyCode::Home, NONE),
            (KeyCode::End, NONE),
            ch('g'),
            ch('G'),
            (KeyCode::Char('G'), SHIFT)
        ],
        Top,
        "first / last row"
    ),
];

/// Moving between the fields and buttons of a form.
const FORM_FIELDS: &[Binding] = &[
    bind!(
        "Tab ↓",
        [(KeyCode::Tab, NONE), (KeyCode::Down, NONE)],
        NextField,
        "next field or button",
        "next"
    ),
    bind!(
        "Shift-Tab ↑",
        [
            (KeyCode::BackTab, SHIFT),
            (KeyCode::BackTab, NONE),
            (KeyCode::Up, NONE)
        ],
        PrevField,
        "previous field or button"
    ),
];

/// Reloading from the database.
const REFRESH: &[Binding] = &[bind!("r", [ch('r')], Refresh, "reload from the database")];

// ---- per context -------------------------------------------------------------------

const HOME: &[Binding] = &[
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Open,
        "open the selected team",
        "open"
    ),
    bind!("n", [ch('n')], NewTeam, "create a team", "new team"),
    bind!("/", [ch('/')], Filter, "filter teams by name", "filter"),
];

const FILTER: &[Binding] = &[bind!(
    "Enter",
    [(KeyCode::Enter, NONE)],
    Submit,
    "keep the filter",
    "apply"
)];

const TEAM: &[Binding] = &[
    bind!(
        "Enter e",
        [(KeyCode::Enter, NONE), ch('e')],
        Open,
        "open the selected step's page",
        "open step"
    ),
    bind!(
        "s",
        [ch('s')],
        EditTeam,
        "edit the team's settings (name, customer id, region, endpoints)",
        "settings"
    ),
    bind!(
        "h",
        [ch('h')],
        History,
        "the team's history: who did what, when (audit log)",
        "history"
    ),
    bind!(
        "D",
        [(KeyCode::Char('D'), SHIFT), ch('D')],
        RemoveTeam,
        "remove the team and everything stored for it (asks for the name)"
    ),
];

const EDIT_TEAM: &[Binding] = &[
    bind!(
        "Space",
        [ch(' ')],
        Toggle,
        "switch region (on the region field)"
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "save the settings (says which steps they reopen)",
        "save"
    ),
];

const REMOVE_TEAM: &[Binding] = &[bind!(
    "Enter",
    [(KeyCode::Enter, NONE)],
    Submit,
    "remove the team, once its name is typed exactly",
    "remove"
)];

const HISTORY: &[Binding] = &[bind!(
    "/",
    [ch('/')],
    Filter,
    "filter the entries by action",
    "filter"
)];

const HISTORY_FILTER: &[Binding] = &[bind!(
    "Enter",
    [(KeyCode::Enter, NONE)],
    Submit,
    "keep the filter (Esc clears it)",
    "apply"
)];

const NEW_TEAM: &[Binding] = &[
    bind!(
        "Space",
        [ch(' ')],
        Toggle,
        "switch region (on the region field)"
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "create the team",
        "create"
    ),
];

/// Test and save on the credential pages (steps 1 and 2).
const TEST_SAVE: &[Binding] = &[
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "press the focused button / next field",
        "press"
    ),
    bind!(
        "Space",
        [ch(' ')],
        Toggle,
        "toggle (region, sync enabled) or press a button"
    ),
    bind!(
        "Ctrl-t",
        [(KeyCode::Char('t'), CTRL)],
        RunTest,
        "test in the background (typed credentials are saved only if it passes)",
        "test"
    ),
    bind!(
        "Ctrl-s",
        [(KeyCode::Char('s'), CTRL)],
        Save,
        "save the inputs",
        "save"
    ),
    bind!(
        "Ctrl-o",
        [(KeyCode::Char('o'), CTRL)],
        Details,
        "show every test row, message and fix in full"
    ),
];

const BASIC_SYNC: &[Binding] = &[bind!(
    "PgDn PgUp",
    [(KeyCode::PageDown, NONE), (KeyCode::PageUp, NONE)],
    NextSection,
    "next / previous section (connection, dedupe, source person)",
    "section"
)];

const CREDENTIALS: &[Binding] = &[bind!(
    "PgDn PgUp",
    [(KeyCode::PageDown, NONE), (KeyCode::PageUp, NONE)],
    NextSection,
    "scroll the preflight results",
    "scroll"
)];

const EXPORT: &[Binding] = &[
    bind!(
        "c",
        [ch('c')],
        Connection,
        "enter or change the SFTP connection (password masked)",
        "connection"
    ),
    bind!(
        "f",
        [ch('f')],
        Fetch,
        "fetch the export (confirm the host key first)",
        "fetch"
    ),
    bind!(
        "y",
        [ch('y')],
        Yes,
        "trust and pin the host key shown",
        "pin"
    ),
    bind!(
        "n",
        [ch('n')],
        No,
        "do not trust the host key shown",
        "reject"
    ),
    bind!("i", [ch('i')], Import, "import the fetched files", "import"),
    bind!(
        "b",
        [ch('b')],
        Quarantine,
        "browse the quarantined rows",
        "quarantine"
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Details,
        "show the selected quarantine reason or job error in full"
    ),
    bind!(
        "h",
        [ch('h')],
        Handoff,
        "write the handoff ticket (file and clipboard)",
        "handoff"
    ),
];

const EXPORT_FORM: &[Binding] = &[bind!(
    "Enter",
    [(KeyCode::Enter, NONE)],
    Submit,
    "save the connection",
    "save"
)];

const FIELD_MAPPING: &[Binding] = &[
    bind!("a", [ch('a')], Accept, "accept the suggestion", "accept"),
    bind!(
        "A",
        [(KeyCode::Char('A'), SHIFT), ch('A')],
        AcceptAbove,
        "accept all suggestions above a confidence",
        "accept all ≥"
    ),
    bind!(
        "Enter t",
        [(KeyCode::Enter, NONE), ch('t')],
        PickTarget,
        "pick the standard field from a list",
        "target"
    ),
    bind!("i", [ch('i')], Ignore, "ignore the field", "ignore"),
    bind!(
        "c",
        [ch('c')],
        CustomRequest,
        "mark as a custom-field request",
        "custom"
    ),
    bind!("/", [ch('/')], Filter, "filter the fields", "filter"),
    bind!("s", [ch('s')], Sort, "change the sort order", "sort"),
    bind!("p", [ch('p')], Approve, "approve the mapping", "approve"),
    bind!(
        "d",
        [ch('d')],
        Discover,
        "discover fields from the export and suggest again",
        "discover"
    ),
];

const TARGET_PICKER: &[Binding] = &[
    bind!(
        "↑↓",
        [(KeyCode::Up, NONE), (KeyCode::Down, NONE)],
        Up,
        "move the selection"
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "map to the selected field",
        "choose"
    ),
];

const MAPPING_INPUT: &[Binding] = &[bind!(
    "Enter",
    [(KeyCode::Enter, NONE)],
    Submit,
    "apply",
    "apply"
)];

const STAGE_MAPPING: &[Binding] = &[
    bind!(
        "Enter t",
        [(KeyCode::Enter, NONE), ch('t')],
        PickTarget,
        "pick the status's stage from the team's list",
        "stage"
    ),
    bind!(
        "a",
        [ch('a')],
        Accept,
        "accept the suggested stage",
        "accept"
    ),
    bind!(
        "x",
        [ch('x')],
        Ignore,
        "leave the status without a stage",
        "no stage"
    ),
    bind!(
        "o",
        [ch('o')],
        Override,
        "override the rejection detection (asks for a note)",
        "override"
    ),
    bind!("/", [ch('/')], Filter, "filter the statuses", "filter"),
    bind!(
        "p",
        [ch('p')],
        Approve,
        "approve the stage mapping",
        "approve"
    ),
    bind!(
        "d",
        [ch('d')],
        Discover,
        "read the statuses again (Schema API, export, synced workflows)",
        "discover"
    ),
];

const STAGE_PICKER: &[Binding] = &[
    bind!(
        "↑↓",
        [(KeyCode::Up, NONE), (KeyCode::Down, NONE)],
        Up,
        "move the selection"
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "map the status to the selected stage",
        "choose"
    ),
];

const STAGE_INPUT: &[Binding] = &[bind!(
    "Enter",
    [(KeyCode::Enter, NONE)],
    Submit,
    "apply",
    "apply"
)];

const CONFIRM: &[Binding] = &[
    bind!("y", [ch('y')], Yes, "yes, go ahead", "yes"),
    bind!("n", [ch('n')], No, "no, keep things as they are", "no"),
];

const HELP: &[Binding] = &[bind!(
    "? Esc q",
    [
        ch('?'),
        (KeyCode::Char('?'), SHIFT),
        (KeyCode::F(1), NONE),
        (KeyCode::Esc, NONE),
        ch('q')
    ],
    Back,
    "close the help",
    "close"
)];

/// The groups of a context's table, in help order: its own bindings, then the shared ones.
pub fn groups(ctx: Context) -> &'static [&'static [Binding]] {
    match ctx {
        Context::Home => &[HOME, LIST, REFRESH, BACK, GLOBAL],
        Context::Filter => &[FILTER, BACK, GLOBAL_TYPING],
        Context::Team => &[TEAM, LIST, REFRESH, BACK, GLOBAL],
        Context::NewTeam => &[FORM_FIELDS, NEW_TEAM, BACK, GLOBAL_TYPING],
        Context::Help => &[HELP],
        Context::Confirm => &[CONFIRM, BACK, GLOBAL_TYPING],
        Context::BasicSync => &[FORM_FIELDS, TEST_SAVE, BASIC_SYNC, BACK, GLOBAL_TYPING],
        Context::Credentials => &[FORM_FIELDS, TEST_SAVE, CREDENTIALS, BACK, GLOBAL_TYPING],
        Context::Export => &[EXPORT, LIST, REFRESH, BACK, GLOBAL],
        Context::ExportForm => &[FORM_FIELDS, EXPORT_FORM, BACK, GLOBAL_TYPING],
        Context::FieldMapping => &[FIELD_MAPPING, LIST, REFRESH, BACK, GLOBAL],
        Context::TargetPicker => &[TARGET_PICKER, BACK, GLOBAL_TYPING],
        Context::MappingInput => &[MAPPING_INPUT, BACK, GLOBAL_TYPING],
        Context::DeepSync => &[REFRESH, BACK, GLOBAL],
        Context::StageMapping => &[STAGE_MAPPING, LIST, REFRESH, BACK, GLOBAL],
        Context::StagePicker => &[STAGE_PICKER, BACK, GLOBAL_TYPING],
        Context::StageInput => &[STAGE_INPUT, BACK, GLOBAL_TYPING],
        Context::EditTeam => &[FORM_FIELDS, EDIT_TEAM, BACK, GLOBAL_TYPING],
        Context::RemoveTeam => &[REMOVE_TEAM, BACK, GLOBAL_TYPING],
        Context::History => &[HISTORY, LIST, REFRESH, BACK, GLOBAL],
        Context::HistoryFilter => &[HISTORY_FILTER, BACK, GLOBAL_TYPING],
    }
}

/// Every binding of a context, in help order.
pub fn bindings(ctx: Context) -> impl Iterator<Item = &'static Binding> {
    groups(ctx).iter().flat_map(|g| g.iter())
}

/// The action a key triggers in a context. Bindings covering a pair of directions
/// (↑/↓, PgUp/PgDn, Home/End) share a row; the key decides.
pub fn lookup(ctx: Context, key: KeyEvent) -> Option<Action> {
    let binding = bindings(ctx).find(|b| {
        b.keys
            .iter()
            .any(|(code, mods)| *code == key.code && *mods == key.modifiers)
    })?;
    Some(match (binding.action, key.code) {
        (Action::Up, KeyCode::Down | KeyCode::Char('j')) => Action::Down,
        (Action::NextSection, KeyCode::PageUp) => Action::PrevSection,
        (Action::PageUp, KeyCode::PageDown) => Action::PageDown,
        (Action::Top, KeyCode::End | KeyCode::Char('G')) => Action::Bottom,
        (action, _) => action,
    })
}

/// The bindings of a context with their availability now, hidden ones left out.
pub fn commands(ctx: Context, available: impl Fn(Action) -> Availability) -> Vec<Command> {
    bindings(ctx)
        .map(|binding| Command {
            binding,
            availability: available(binding.action),
        })
        .filter(|c| c.availability != Availability::Hidden)
        .collect()
}

/// The footer hints of a context: enabled bindings with a short label.
pub fn footer_hints(commands: &[Command]) -> Vec<(&'static str, &'static str)> {
    commands
        .iter()
        .filter(|c| c.availability == Availability::Enabled)
        .filter_map(|c| c.binding.footer.map(|short| (c.binding.label, short)))
        .collect()
}

/// Whether a key opens the help in every context (`?`, F1).
pub fn is_help_key(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::F(1))
        || (key.code == KeyCode::Char('?') && !key.modifiers.contains(KeyModifiers::CONTROL))
}

/// Whether a key quits from every context (Ctrl-c).
pub fn is_interrupt(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// The key tables as Markdown, one section per context (the README's console section is
/// checked against this).
pub fn markdown() -> String {
    let mut out = String::new();
    for ctx in Context::ALL {
        out.push_str(&format!(
            "**{}**\n\n| keys | does |\n|---|---|\n",
            ctx.title()
        ));
        for b in bindings(ctx) {
            out.push_str(&format!("| `{}` | {} |\n", b.label, b.help));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binding_is_reachable_through_lookup() {
        for ctx in Context::ALL {
            for b in bindings(ctx) {
                for (code, mods) in b.keys {
                    let got = lookup(ctx, KeyEvent::new(*code, *mods));
                    assert!(got.is_some(), "{ctx:?} {code:?} unbound");
                }
            }
        }
        assert_eq!(
            lookup(Context::Home, KeyEvent::new(KeyCode::Char('j'), NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            lookup(Context::Home, KeyEvent::new(KeyCode::Char('x'), NONE)),
            None
        );
    }

    #[test]
    fn every_context_has_help_and_a_way_out() {
        for ctx in Context::ALL {
            let actions: Vec<Action> = bindings(ctx).map(|b| b.action).collect();
            if ctx != Context::Help {
                assert!(actions.contains(&Action::Help), "{ctx:?} has no help");
                assert!(actions.contains(&Action::Quit), "{ctx:?} cannot quit");
            }
            assert!(actions.contains(&Action::Back), "{ctx:?} has no Esc");
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_a_context() {
        for ctx in Context::ALL {
            let mut seen = Vec::new();
            for b in bindings(ctx) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{ctx:?}: {k:?} bound twice");
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn footer_comes_from_the_bindings_and_their_availability() {
        let all = commands(Context::Home, |_| Availability::Enabled);
        let hints = footer_hints(&all);
        assert!(hints.contains(&("n", "new team")));
        assert!(hints.contains(&("? F1", "help")));
        assert!(!hints.iter().any(|(k, _)| *k == "r"));
        let some = commands(Context::Home, |a| match a {
            Action::NewTeam => Availability::Disabled("no".into()),
            Action::Filter => Availability::Hidden,
            _ => Availability::Enabled,
        });
        assert!(!some.iter().any(|c| c.binding.action == Action::Filter));
        assert!(!footer_hints(&some).contains(&("n", "new team")));
    }
}
