//! Where icims-onboard keeps its files: the database, the sealing key and the log.
//!
//! Defaults follow the XDG base directories; `--db`/`ICIMS_ONBOARD_DB`,
//! `ICIMS_ONBOARD_KEY_FILE` and `ICIMS_ONBOARD_LOG` override them.

use std::path::PathBuf;

use directories::ProjectDirs;

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "icims-onboard")
}

/// Directory for the database and downloaded exports (`$XDG_DATA_HOME/icims-onboard`).
pub fn data_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".icims-onboard"))
}

/// Directory for the sealing key (`$XDG_CONFIG_HOME/icims-onboard`).
pub fn config_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".icims-onboard"))
}

/// The database used when neither `--db` nor `ICIMS_ONBOARD_DB` is given.
pub fn default_db_path() -> PathBuf {
    data_dir().join("icims-onboard.db")
}

/// The key file that seals stored secrets, unless `ICIMS_ONBOARD_KEY` holds the key itself.
pub fn key_file_path() -> PathBuf {
    std::env::var_os("ICIMS_ONBOARD_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| config_dir().join("key"))
}

/// The log file (`ICIMS_ONBOARD_LOG` overrides).
pub fn log_file_path() -> PathBuf {
    std::env::var_os("ICIMS_ONBOARD_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("icims-onboard.log"))
}

/// Where a team's downloaded export files go: next to the database, one folder per team.
pub fn exports_dir(db_path: &std::path::Path, team: &str) -> PathBuf {
    let base = db_path
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_else(data_dir);
    base.join("exports").join(sanitize(team))
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
