//! The screens that are not step pages: home (the teams), the team screen (the six steps),
//! the new-team form (also editing a team), the remove-team confirmation, the team's
//! history, the help overlay and the too-small notice. Each renders from what it
//! is given, never from the whole app. The step pages live in `pages/`.

pub mod help;
pub mod home;
pub mod new_team;
pub mod remove_team;
pub mod team;
pub mod team_history;
pub mod too_small;
