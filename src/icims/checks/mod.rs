//! The step 1 and step 2 checks: the basic test ([`basic`]), the deep-sync preflight
//! matrix ([`preflight`]), hidden-field detection on sample records ([`hidden`]), the
//! dedupe preview ([`dedupe`]), the source-person check ([`source_person`]), running
//! everything for a team ([`run`]) and recording outcomes as facts ([`record`]).
//!
//! Every row is `{name, ok, required, http_status, error_code, message, remedy}`; a
//! failure's message and remedy come from the typed [`IcimsError`].
//!
//! Independent calls run concurrently, at most `ClientConfig::concurrency` at once over
//! all the clients of a run ([`Limiter`]); rows are reported and returned in their fixed
//! order whatever order the calls finish in ([`Ordered`]), and the calls made do not
//! depend on the concurrency (only their overlap does).

pub mod basic;
pub mod dedupe;
pub mod hidden;
pub mod people;
pub mod preflight;
pub mod record;
pub mod run;
pub mod source_person;

use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::error::IcimsError;

pub use hidden::{FieldStatus, HiddenField, InUseEvidence};
pub use run::{CheckReport, TeamAuth, run_checks, run_checks_with};

/// One row of a check matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRow {
    /// Stable id, e.g. `basic.auth`, `people.search`, `datastream.events`.
    pub name: String,
    /// The onboarding step the row belongs to (1 or 2).
    pub step: u8,
    pub ok: bool,
    /// A required row that fails fails the step.
    pub required: bool,
    pub http_status: Option<u16>,
    pub error_code: Option<i64>,
    /// What was found, in plain words.
    pub message: String,
    /// What to do when it failed.
    pub remedy: Option<String>,
}

impl CheckRow {
    pub fn pass(name: &str, step: u8, message: impl Into<String>) -> CheckRow {
        CheckRow {
            name: name.to_string(),
            step,
            ok: true,
            required: true,
            http_status: Some(200),
            error_code: None,
            message: message.into(),
            remedy: None,
        }
    }

    pub fn fail(name: &str, step: u8, err: &IcimsError) -> CheckRow {
        CheckRow {
            name: name.to_string(),
            step,
            ok: false,
            required: true,
            http_status: err.http_status(),
            error_code: err.error_code(),
            message: err.to_string(),
            remedy: Some(err.remedy()),
        }
    }

    /// A row that could not run (missing credential, an earlier failure it depends on).
    pub fn not_run(
        name: &str,
        step: u8,
        why: impl Into<String>,
        remedy: impl Into<String>,
    ) -> CheckRow {
        CheckRow {
            name: name.to_string(),
            step,
            ok: false,
            required: true,
            http_status: None,
            error_code: None,
            message: why.into(),
            remedy: Some(remedy.into()),
        }
    }

    pub fn from_result<T>(
        name: &str,
        step: u8,
        result: &Result<T, IcimsError>,
        describe: impl FnOnce(&T) -> String,
    ) -> CheckRow {
        match result {
            Ok(v) => CheckRow::pass(name, step, describe(v)),
            Err(e) => CheckRow::fail(name, step, e),
        }
    }

    pub fn optional(mut self) -> CheckRow {
        self.required = false;
        self
    }
}

/// What a running check reports as it goes (for progress views).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckEvent {
    /// A row is being checked now.
    Started { name: String },
    /// A row is done.
    Finished(CheckRow),
    /// Hidden-field sampling found these.
    Hidden(Vec<HiddenField>),
}

/// A sink for progress events; `&|_| {}` ignores them.
pub type Progress<'a> = &'a (dyn Fn(CheckEvent) + Send + Sync);

/// The human title of a row name, for screens.
pub fn title_of(name: &str) -> String {
    match name {
        "basic.auth" => "Basic user: authenticated call".into(),
        "basic.fields" => "Basic user: fields visible".into(),
        "rest.fields" => "REST client: fields visible".into(),
        "rest.token" => "REST OAuth token".into(),
        "people.search" => "People search".into(),
        "people.get" => "People get".into(),
        "jobs.search" => "Jobs search".into(),
        "jobs.get" => "Jobs get".into(),
        "applicantworkflows.search" => "Applicant workflows search".into(),
        "applicantworkflows.get" => "Applicant workflows get".into(),
        "statuses" => "Workflow statuses".into(),
        "person.folders" => "Person folders".into(),
        "schema" => "Schema API".into(),
        "datastream.token" => "Data Stream OAuth token".into(),
        "datastream.subscriptions" => "Data Stream subscriptions".into(),
        "datastream.events" => "Data Stream events".into(),
        other => other.to_string(),
    }
}

/// Bounds the calls in flight across every client of one check run.
#[derive(Debug, Clone)]
pub struct Limiter(Arc<Semaphore>);

impl Limiter {
    /// At most `n` (at least 1) at once.
    pub fn new(n: usize) -> Limiter {
        Limiter(Arc::new(Semaphore::new(n.max(1))))
    }

    /// Runs `f` once a slot is free (a chain of dependent calls inside `f` holds one).
    pub async fn run<F: Future>(&self, f: F) -> F::Output {
        // The semaphore is never closed; should it be, run unbounded rather than fail.
        let _permit = self.0.acquire().await.ok();
        f.await
    }
}

/// Rows of a run in fixed slots: each finished row is reported once every row before it
/// is reported (or skipped), so screens show them in order as they arrive.
pub(crate) struct Ordered<'a> {
    progress: Progress<'a>,
    /// Per slot: `None` pending, `Some(None)` skipped, `Some(Some(row))` finished; and
    /// the first slot not reported yet.
    slots: Mutex<(Vec<Option<Option<CheckRow>>>, usize)>,
}

impl<'a> Ordered<'a> {
    pub(crate) fn new(progress: Progress<'a>, n: usize) -> Ordered<'a> {
        Ordered {
            progress,
            slots: Mutex::new((vec![None; n], 0)),
        }
    }

    pub(crate) fn start(&self, name: &str) {
        (self.progress)(CheckEvent::Started {
            name: name.to_string(),
        });
    }

    pub(crate) fn finish(&self, slot: usize, row: CheckRow) {
        self.set(slot, Some(row));
    }

    pub(crate) fn skip(&self, slot: usize) {
        self.set(slot, None);
    }

    pub(crate) fn hidden(&self, hidden: Vec<HiddenField>) {
        (self.progress)(CheckEvent::Hidden(hidden));
    }

    fn set(&self, slot: usize, row: Option<CheckRow>) {
        let mut guard = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let (slots, next) = &mut *guard;
        if let Some(s) = slots.get_mut(slot) {
            *s = Some(row);
        }
        while let Some(Some(done)) = slots.get(*next) {
            if let Some(row) = done {
                (self.progress)(CheckEvent::Finished(row.clone()));
            }
            *next += 1;
        }
    }

    /// Whether the row in `slot` finished and passed.
    pub(crate) fn is_ok(&self, slot: usize) -> bool {
        let guard = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        matches!(guard.0.get(slot), Some(Some(Some(row))) if row.ok)
    }

    /// The finished rows, in slot order.
    pub(crate) fn rows(self) -> Vec<CheckRow> {
        let (slots, _) = self.slots.into_inner().unwrap_or_else(|e| e.into_inner());
        slots.into_iter().flatten().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_reported_in_slot_order_whatever_order_they_finish_in() {
        let seen = Mutex::new(Vec::new());
        let progress = |e: CheckEvent| {
            if let CheckEvent::Finished(row) = e {
                seen.lock().unwrap().push(row.name);
            }
        };
        let out = Ordered::new(&progress, 4);
        out.finish(2, CheckRow::pass("c", 2, ""));
        assert!(seen.lock().unwrap().is_empty(), "waits for slots 0 and 1");
        out.finish(0, CheckRow::pass("a", 2, ""));
        assert_eq!(*seen.lock().unwrap(), ["a"]);
        out.skip(1);
        assert_eq!(*seen.lock().unwrap(), ["a", "c"]);
        assert!(out.is_ok(0) && !out.is_ok(1) && !out.is_ok(3));
        out.finish(3, CheckRow::pass("d", 2, ""));
        assert_eq!(*seen.lock().unwrap(), ["a", "c", "d"]);
        let names: Vec<String> = out.rows().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["a", "c", "d"]);
    }

    #[tokio::test]
    async fn the_limiter_bounds_calls_in_flight() {
        let limiter = Limiter::new(2);
        let in_flight = std::sync::atomic::AtomicUsize::new(0);
        let peak = std::sync::atomic::AtomicUsize::new(0);
        let task = || async {
            let now = in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            peak.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        };
        futures::future::join_all((0..6).map(|_| limiter.run(task()))).await;
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
