//! Small reusable widgets, one per file.

pub mod check_table;
pub mod footer;
pub mod form_row;
pub mod mapping_table;
pub mod state_badge;
pub mod step_list;
pub mod target_picker;
pub mod validation_panel;
