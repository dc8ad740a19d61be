//! The headless worker: claims jobs by lease, renews the lease while a job runs, runs
//! `export.fetch` / `export.import` (more kinds plug in as match arms), writes progress
//! to the job row, and can be started detached by the console or CLI.

mod handle;

pub use handle::JobHandle;
