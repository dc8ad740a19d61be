//! icims-onboard: the library behind the console and the headless CLI.
pub mod commands;
pub mod sandbox;
