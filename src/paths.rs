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

/// Creates `dir` and any missing parents, giving mode 0700 to the folders it creates and
/// to those only: an existing folder (a shared `/tmp`-like 1777 one, say) keeps its mode.
pub fn create_private_dirs(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_private_dirs(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {
            // The umask may have taken bits away, never added any: set exactly 0700.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// The log file (`ICIMS_ONBOARD_LOG` overrides).
pub fn log_file_path() -> PathBuf {
    std::env::var_os("ICIMS_ONBOARD_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("icims-onboard.log"))
}

/// Where a team's downloaded export files go: next to the database, one folder per team,
/// named by the team's stable id (`exports/<id>/`). A name would not do: names are
/// renamed, and any lossy folding of names (`acme corp` / `acme_corp`) lets two customers
/// share a folder.
pub fn exports_dir(db_path: &std::path::Path, team_id: i64) -> PathBuf {
    let base = db_path
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_else(data_dir);
    base.join("exports").join(team_id.to_string())
}
