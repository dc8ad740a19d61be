//! Key bindings per context. The single source for dispatch, the `?` help overlay and
//! the footer hints, so what the help says is what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where the keyboard focus is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Home,
    Filter,
    Team,
    Form,
    /// The step 1 / step 2 screen.
    Step,
    Help,
    /// The step 4 field mapping table.
    FieldMapping,
    /// The searchable list of standard fields (step 4).
    TargetPicker,
    /// A one-line input on the field mapping screen (filter, confidence).
    MappingInput,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Home => "Teams",
            Context::Filter => "Filter",
            Context::Team => "Team",
            Context::Form => "New team",
            Context::Step => "Step",
            Context::Help => "Help",
            Context::FieldMapping => "Field mapping",
            Context::TargetPicker => "Standard field picker",
            Context::MappingInput => "Input",
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
    Open,
    NewTeam,
    Filter,
    ClearFilter,
    NextField,
    PrevField,
    Submit,
    Cancel,
    ToggleRegion,
    Refresh,
    NextSection,
    PrevSection,
    RunTest,
    Save,
    PageUp,
    PageDown,
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
    /// Step 3: trust the host key shown.
    Yes,
    /// Step 3: do not trust it.
    No,
    /// Step 3: edit the SFTP connection.
    Connection,
}

/// One binding: the keys, what they do, and whether the footer shows it.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    pub footer: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

macro_rules! bind {
    ($label:expr, [$($k:expr),+], $action:ident, $help:expr, $footer:expr) => {
        Binding { keys: &[$($k),+], label: $label, action: Action::$action, help: $help, footer: $footer }
    };
}

const HOME: &[Binding] = &[
    bind!(
        "↑↓ j k",
        [
            (KeyCode::Up, NONE),
            (KeyCode::Down, NONE),
            (KeyCode::Char('k'), NONE),
            (KeyCode::Char('j'), NONE)
        ],
        Up,
        "move the selection",
        false
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Open,
        "open the selected team",
        true
    ),
    bind!(
        "n",
        [(KeyCode::Char('n'), NONE)],
        NewTeam,
        "create a team",
        true
    ),
    bind!(
        "/",
        [(KeyCode::Char('/'), NONE)],
        Filter,
        "filter teams by name",
        true
    ),
    bind!(
        "r",
        [(KeyCode::Char('r'), NONE)],
        Refresh,
        "reload from the database",
        false
    ),
    bind!(
        "?",
        [(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)],
        Help,
        "show this help",
        true
    ),
    bind!(
        "q Esc",
        [
            (KeyCode::Char('q'), NONE),
            (KeyCode::Esc, NONE),
            (KeyCode::Char('c'), CTRL)
        ],
        Quit,
        "quit",
        true
    ),
];

const FILTER: &[Binding] = &[
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "keep the filter",
        true
    ),
    bind!(
        "Esc",
        [(KeyCode::Esc, NONE)],
        ClearFilter,
        "clear the filter",
        true
    ),
    bind!("Ctrl-c", [(KeyCode::Char('c'), CTRL)], Quit, "quit", false),
];

const TEAM: &[Binding] = &[
    bind!(
        "↑↓ j k",
        [
            (KeyCode::Up, NONE),
            (KeyCode::Down, NONE),
            (KeyCode::Char('k'), NONE),
            (KeyCode::Char('j'), NONE)
        ],
        Up,
        "choose a step",
        true
    ),
    bind!(
        "Enter e",
        [(KeyCode::Enter, NONE), (KeyCode::Char('e'), NONE)],
        Open,
        "open the step's screen (steps 1, 2 and 4)",
        false
    ),
    bind!(
        "r",
        [(KeyCode::Char('r'), NONE)],
        Refresh,
        "reload from the database",
        false
    ),
    bind!(
        "c",
        [(KeyCode::Char('c'), NONE)],
        Connection,
        "step 3: enter or change the SFTP connection (password masked)",
        false
    ),
    bind!(
        "f",
        [(KeyCode::Char('f'), NONE)],
        Fetch,
        "step 3: fetch the export (confirm the host key first)",
        false
    ),
    bind!(
        "y",
        [(KeyCode::Char('y'), NONE)],
        Yes,
        "step 3: trust and pin the host key shown",
        false
    ),
    bind!(
        "n",
        [(KeyCode::Char('n'), NONE)],
        No,
        "step 3: do not trust the host key shown",
        false
    ),
    bind!(
        "i",
        [(KeyCode::Char('i'), NONE)],
        Import,
        "step 3: import the fetched files",
        false
    ),
    bind!(
        "b",
        [(KeyCode::Char('b'), NONE)],
        Quarantine,
        "step 3: browse the quarantined rows",
        false
    ),
    bind!(
        "h",
        [(KeyCode::Char('h'), NONE)],
        Handoff,
        "step 3: write the handoff ticket (file and clipboard)",
        false
    ),
    bind!(
        "?",
        [(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)],
        Help,
        "show this help",
        true
    ),
    bind!(
        "Esc",
        [(KeyCode::Esc, NONE), (KeyCode::Backspace, NONE)],
        Back,
        "back to the teams",
        true
    ),
    bind!(
        "q",
        [(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)],
        Quit,
        "quit",
        true
    ),
];

const FORM: &[Binding] = &[
    bind!(
        "Tab",
        [(KeyCode::Tab, NONE), (KeyCode::Down, NONE)],
        NextField,
        "next field",
        true
    ),
    bind!(
        "Shift-Tab",
        [
            (KeyCode::BackTab, SHIFT),
            (KeyCode::BackTab, NONE),
            (KeyCode::Up, NONE)
        ],
        PrevField,
        "previous field",
        false
    ),
    bind!(
        "Space",
        [(KeyCode::Char(' '), NONE)],
        ToggleRegion,
        "switch region (on the region field)",
        false
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "create the team",
        true
    ),
    bind!("Esc", [(KeyCode::Esc, NONE)], Cancel, "cancel", true),
    bind!("Ctrl-c", [(KeyCode::Char('c'), CTRL)], Quit, "quit", false),
];

const STEP: &[Binding] = &[
    bind!(
        "Tab ↓",
        [(KeyCode::Tab, NONE), (KeyCode::Down, NONE)],
        NextField,
        "next field or button",
        true
    ),
    bind!(
        "Shift-Tab ↑",
        [
            (KeyCode::BackTab, SHIFT),
            (KeyCode::BackTab, NONE),
            (KeyCode::Up, NONE)
        ],
        PrevField,
        "previous field or button",
        false
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "press the button / next field",
        true
    ),
    bind!(
        "Space",
        [(KeyCode::Char(' '), NONE)],
        ToggleRegion,
        "toggle (region, sync enabled) or press a button",
        false
    ),
    bind!(
        "Ctrl-t",
        [(KeyCode::Char('t'), CTRL)],
        RunTest,
        "run the test in the background",
        true
    ),
    bind!(
        "Ctrl-s",
        [(KeyCode::Char('s'), CTRL)],
        Save,
        "save the inputs",
        true
    ),
    bind!(
        "PgDn PgUp",
        [(KeyCode::PageDown, NONE), (KeyCode::PageUp, NONE)],
        NextSection,
        "next/previous section (step 1), scroll the results (step 2)",
        true
    ),
    bind!(
        "Esc",
        [(KeyCode::Esc, NONE)],
        Back,
        "back to the steps",
        true
    ),
    bind!("Ctrl-c", [(KeyCode::Char('c'), CTRL)], Quit, "quit", false),
];

const FIELD_MAPPING: &[Binding] = &[
    bind!(
        "↑↓ j k",
        [
            (KeyCode::Up, NONE),
            (KeyCode::Down, NONE),
            (KeyCode::Char('k'), NONE),
            (KeyCode::Char('j'), NONE)
        ],
        Up,
        "move the selection",
        false
    ),
    bind!(
        "PgUp PgDn",
        [(KeyCode::PageUp, NONE), (KeyCode::PageDown, NONE)],
        PageUp,
        "move a page",
        false
    ),
    bind!(
        "a",
        [(KeyCode::Char('a'), NONE)],
        Accept,
        "accept the suggestion",
        true
    ),
    bind!(
        "A",
        [(KeyCode::Char('A'), SHIFT), (KeyCode::Char('A'), NONE)],
        AcceptAbove,
        "accept all suggestions above a confidence",
        true
    ),
    bind!(
        "Enter t",
        [(KeyCode::Enter, NONE), (KeyCode::Char('t'), NONE)],
        PickTarget,
        "pick the standard field from a list",
        true
    ),
    bind!(
        "i",
        [(KeyCode::Char('i'), NONE)],
        Ignore,
        "ignore the field",
        true
    ),
    bind!(
        "c",
        [(KeyCode::Char('c'), NONE)],
        CustomRequest,
        "mark as a custom-field request",
        true
    ),
    bind!(
        "/",
        [(KeyCode::Char('/'), NONE)],
        Filter,
        "filter the fields",
        true
    ),
    bind!(
        "s",
        [(KeyCode::Char('s'), NONE)],
        Sort,
        "change the sort order",
        true
    ),
    bind!(
        "p",
        [(KeyCode::Char('p'), NONE)],
        Approve,
        "approve the mapping",
        true
    ),
    bind!(
        "d",
        [(KeyCode::Char('d'), NONE)],
        Discover,
        "discover fields from the export and suggest again",
        false
    ),
    bind!(
        "r",
        [(KeyCode::Char('r'), NONE)],
        Refresh,
        "reload from the database",
        false
    ),
    bind!(
        "?",
        [(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)],
        Help,
        "show this help",
        true
    ),
    bind!(
        "Esc",
        [(KeyCode::Esc, NONE), (KeyCode::Backspace, NONE)],
        Back,
        "back to the team",
        true
    ),
    bind!(
        "q",
        [(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)],
        Quit,
        "quit",
        false
    ),
];

const TARGET_PICKER: &[Binding] = &[
    bind!(
        "↑↓",
        [(KeyCode::Up, NONE), (KeyCode::Down, NONE)],
        Up,
        "move the selection",
        true
    ),
    bind!(
        "Enter",
        [(KeyCode::Enter, NONE)],
        Submit,
        "map to the selected field",
        true
    ),
    bind!("Esc", [(KeyCode::Esc, NONE)], Cancel, "cancel", true),
    bind!("Ctrl-c", [(KeyCode::Char('c'), CTRL)], Quit, "quit", false),
];

const MAPPING_INPUT: &[Binding] = &[
    bind!("Enter", [(KeyCode::Enter, NONE)], Submit, "apply", true),
    bind!("Esc", [(KeyCode::Esc, NONE)], Cancel, "cancel", true),
    bind!("Ctrl-c", [(KeyCode::Char('c'), CTRL)], Quit, "quit", false),
];

const HELP: &[Binding] = &[bind!(
    "? Esc q",
    [
        (KeyCode::Char('?'), NONE),
        (KeyCode::Char('?'), SHIFT),
        (KeyCode::Esc, NONE),
        (KeyCode::Char('q'), NONE)
    ],
    Back,
    "close the help",
    true
)];

/// The bindings of a context, in help order.
pub fn bindings(ctx: Context) -> &'static [Binding] {
    match ctx {
        Context::Home => HOME,
        Context::Filter => FILTER,
        Context::Team => TEAM,
        Context::Form => FORM,
        Context::Step => STEP,
        Context::Help => HELP,
        Context::FieldMapping => FIELD_MAPPING,
        Context::TargetPicker => TARGET_PICKER,
        Context::MappingInput => MAPPING_INPUT,
    }
}

/// The action a key triggers in a context. Up and Down share a binding row; the key decides.
pub fn lookup(ctx: Context, key: KeyEvent) -> Option<Action> {
    let pressed = (key.code, key.modifiers);
    let binding = bindings(ctx).iter().find(|b| {
        b.keys
            .iter()
            .any(|(code, mods)| *code == pressed.0 && *mods == pressed.1)
    })?;
    Some(match (binding.action, key.code) {
        (Action::Up, KeyCode::Down | KeyCode::Char('j')) => Action::Down,
        (Action::NextSection, KeyCode::PageUp) => Action::PrevSection,
        (Action::PageUp, KeyCode::PageDown) => Action::PageDown,
        (action, _) => action,
    })
}

/// The footer line of a context: "Enter open  n new team  …".
pub fn footer_hints(ctx: Context) -> Vec<(&'static str, &'static str)> {
    bindings(ctx)
        .iter()
        .filter(|b| b.footer)
        .map(|b| (b.label, short(b.help)))
        .collect()
}

fn short(help: &'static str) -> &'static str {
    match help {
        "open the selected team" => "open",
        "create a team" => "new team",
        "filter teams by name" => "filter",
        "show this help" => "help",
        "back to the teams" => "back",
        "choose a step" => "step",
        "create the team" => "create",
        "keep the filter" => "apply",
        "clear the filter" => "clear",
        "close the help" => "close",
        "open the step's screen (steps 1, 2 and 4)" => "open step",
        "next field or button" => "next",
        "press the button / next field" => "press",
        "run the test in the background" => "test",
        "save the inputs" => "save",
        "next/previous section (step 1), scroll the results (step 2)" => "section/scroll",
        "back to the steps" => "back",
        "accept the suggestion" => "accept",
        "accept all suggestions above a confidence" => "accept all ≥",
        "pick the standard field from a list" => "target",
        "ignore the field" => "ignore",
        "mark as a custom-field request" => "custom",
        "filter the fields" => "filter",
        "change the sort order" => "sort",
        "approve the mapping" => "approve",
        "back to the team" => "back",
        "map to the selected field" => "choose",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binding_is_reachable_through_lookup() {
        for ctx in [
            Context::Home,
            Context::Filter,
            Context::Team,
            Context::Form,
            Context::Step,
            Context::Help,
            Context::FieldMapping,
            Context::TargetPicker,
            Context::MappingInput,
        ] {
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
    fn footer_comes_from_the_bindings() {
        let hints = footer_hints(Context::Home);
        assert!(hints.contains(&("n", "new team")));
        assert!(hints.contains(&("?", "help")));
        assert!(!hints.iter().any(|(k, _)| *k == "r"));
    }
}
