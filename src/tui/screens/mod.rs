//! One module per screen. Each renders from the [`App`](super::app::App) snapshot only.

pub mod field_mapping;
pub mod help;
pub mod home;
pub mod new_team;
pub mod team;
pub mod too_small;
