//! One module per screen. Each renders from the [`App`](super::app::App) snapshot only.

pub mod basic_sync;
pub mod deep_sync;
pub mod export;
pub mod field_mapping;
pub mod help;
pub mod home;
pub mod new_team;
pub mod remove_team;
pub mod step_screen;
pub mod team;
pub mod team_history;
pub mod too_small;

#[cfg(test)]
mod step_screen_tests;
