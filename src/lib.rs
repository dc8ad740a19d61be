//! icims-onboard: the library behind the console and the headless CLI.
//!
//! The domain modules (`onboarding`, `store`, `sandbox`, and later `icims`, `sftp`,
//! `export`, `mapping`, `sync`) never import the TUI; `tui` and `cli`/`commands` are thin
//! faces over them.

pub mod cli;
pub mod commands;
pub mod error_report;
pub mod export;
pub mod icims;
pub mod logging;
pub mod mapping;
pub mod onboarding;
pub mod paths;
pub mod safe_text;
pub mod sandbox;
pub mod sftp;
pub mod shell;
pub mod store;
pub mod sync;
pub mod teams;
pub mod tui;
pub mod worker;
