//! `worker`: run queued jobs (export fetch and import, deep sync) until stopped, or until
//! idle. SIGTERM lets the running job finish its batch and release its lease.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use color_eyre::Result;

use super::db_path;
use crate::store::JobState;
use crate::worker::{self, WorkerOptions};

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Exit when no job is waiting (instead of polling for new ones).
    #[arg(long)]
    pub until_idle: bool,
    /// Seconds between polls for new jobs.
    #[arg(long, default_value_t = 2, value_name = "SECS")]
    pub poll_secs: u64,
}

pub fn run(db: Option<&Path>, args: &WorkerArgs) -> Result<ExitCode> {
    let path = db_path(db);
    let opts = WorkerOptions {
        until_idle: args.until_idle,
        poll: Duration::from_secs(args.poll_secs.max(1)),
    };
    worker::install_sigterm_handler();
    let outcomes = worker::run_worker(&path, &opts, &mut |_, _| {})?;
    let mut failed = 0;
    for o in &outcomes {
        match o.state {
            JobState::Done => eprintln!("job {} ({}) done", o.job_id, o.kind),
            state => {
                if state == JobState::Failed {
                    failed += 1;
                }
                eprintln!(
                    "job {} ({}) {}: {}",
                    o.job_id,
                    o.kind,
                    state,
                    o.error.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
