//! Small reusable widgets, one per file.

pub mod footer;
pub mod state_badge;
pub mod step_list;
