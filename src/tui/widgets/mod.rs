//! Small reusable widgets, one per file.

pub mod check_table;
pub mod footer;
pub mod form_row;
pub mod state_badge;
pub mod step_list;
