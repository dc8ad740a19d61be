//! Small reusable widgets, one per file. Widgets take what they draw as arguments and
//! import no screen or page.

pub mod centered;
pub mod check_table;
pub mod details;
pub mod footer;
pub mod form_row;
pub mod gauge;
pub mod mapping_table;
pub mod stage_picker;
pub mod stage_table;
pub mod state_badge;
pub mod step_list;
pub mod step_summary;
pub mod target_picker;
pub mod validation_panel;
