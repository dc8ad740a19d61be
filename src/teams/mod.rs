//! A team over its whole life after `team add`: editing its settings (which reopens the
//! steps whose tests ran against the old ones) and removing it with everything stored
//! for it. The CLI (`team set|remove`) and the console are thin faces over this.

pub mod edit;
pub mod remove;

pub use edit::{EditReport, StepChange, affected_steps, edit_team};
pub use remove::{
    RemovalPlan, RemovalReport, RemoveError, RemoveOptions, plan_removal, remove_team,
};
