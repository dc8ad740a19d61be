//! Logging to a file through `tracing`. The terminal belongs to the console, so nothing is
//! logged to it; the path is shown in `--help`. Never log a secret.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Starts logging to `path` (created 0600, appended). Level from `ICIMS_ONBOARD_LOG_LEVEL`
/// (an `EnvFilter` directive), default `info` for this crate and `warn` for dependencies.
/// Returns false (and logs nothing) when the file cannot be opened.
pub fn init(path: &Path) -> bool {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
    else {
        return false;
    };
    let filter = std::env::var("ICIMS_ONBOARD_LOG_LEVEL")
        .ok()
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new("warn,icims_onboard=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .is_ok()
}
