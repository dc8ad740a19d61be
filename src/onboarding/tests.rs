//! Unit tests of every step state and gate.

use super::*;

fn stamp<T>(value: T, at: &str) -> Stamped<T> {
    Stamped {
        value,
        actor: "alice".into(),
        at: at.into(),
    }
}

fn with_creds(kinds: &[CredentialKind]) -> OnboardingFacts {
    let mut f = OnboardingFacts::default();
    for k in kinds {
        f.credentials.insert(*k, "2026-01-01T00:00:00Z".into());
    }
    f
}

fn ok(summary: &str) -> TestOutcome {
    TestOutcome {
        ok: true,
        summary: summary.into(),
        ..Default::default()
    }
}

fn failed(summary: &str) -> TestOutcome {
    TestOutcome {
        ok: false,
        summary: summary.into(),
        failed: vec!["token".into()],
        warnings: 0,
    }
}

fn state(step: Step, f: &OnboardingFacts) -> StepState {
    derive_step(step, f).state
}

fn done_through_mapping() -> OnboardingFacts {
    let mut f = with_creds(&[CredentialKind::Rest, CredentialKind::Datastream]);
    f.preflight = Some(stamp(ok("all good"), "2026-01-02T00:00:00Z"));
    f.export = Some(stamp(
        ExportOutcome {
            files: 3,
            rows: 10,
            bad_rows: 0,
            cutoff: None,
            statuses: 4,
        },
        "2026-01-02T00:00:00Z",
    ));
    f.field_mapping = Some(stamp(
        MappingOutcome {
            fields: 5,
            mapped: 5,
            errors: 0,
        },
        "t",
    ));
    f.field_mapping_approved = Some(stamp(Approval::default(), "2026-01-03T00:00:00Z"));
    f
}

#[test]
fn a_new_team_has_every_step_todo_and_two_locks() {
    let steps = derive(&OnboardingFacts::default());
    assert_eq!(steps.len(), 6);
    assert!(steps.iter().all(|s| s.state == StepState::Todo));
    let locked: Vec<Step> = steps
        .iter()
        .filter(|s| s.is_locked())
        .map(|s| s.step)
        .collect();
    assert_eq!(locked, vec![Step::DeepSync, Step::StageMapping]);
    let deep = &steps[4];
    assert_eq!(deep.locked_by.len(), 3);
    assert!(deep.lock_reason().unwrap().contains("step 2"));
}

#[test]
fn basic_sync_states() {
    let mut f = OnboardingFacts::default();
    assert_eq!(state(Step::BasicSync, &f), StepState::Todo);
    f = with_creds(&[CredentialKind::Basic]);
    assert_eq!(state(Step::BasicSync, &f), StepState::InProgress);
    f.basic_test = Some(stamp(
        failed("bad credentials (iCIMS errorCode 6)"),
        "2026-01-02T00:00:00Z",
    ));
    let s = derive_step(Step::BasicSync, &f);
    assert_eq!(s.state, StepState::NeedsAttention);
    assert!(s.detail.contains("errorCode 6"));
    f.basic_test = Some(stamp(ok("ok"), "2026-01-02T00:00:00Z"));
    assert_eq!(
        state(Step::BasicSync, &f),
        StepState::InProgress,
        "sync not enabled yet"
    );
    f.sync_enabled = true;
    assert_eq!(state(Step::BasicSync, &f), StepState::Done);
    // Credentials replaced after the test: the test no longer counts.
    f.credentials
        .insert(CredentialKind::Basic, "2026-01-03T00:00:00Z".into());
    let s = derive_step(Step::BasicSync, &f);
    assert_eq!(s.state, StepState::InProgress);
    assert!(s.detail.contains("changed"));
}

#[test]
fn deep_credentials_states() {
    let mut f = with_creds(&[CredentialKind::Rest]);
    assert_eq!(state(Step::DeepSyncCredentials, &f), StepState::InProgress);
    f.preflight = Some(stamp(
        failed("people search forbidden"),
        "2026-01-02T00:00:00Z",
    ));
    assert_eq!(
        state(Step::DeepSyncCredentials, &f),
        StepState::NeedsAttention
    );
    f.preflight = Some(stamp(ok("ok"), "2026-01-02T00:00:00Z"));
    assert_eq!(
        state(Step::DeepSyncCredentials, &f),
        StepState::InProgress,
        "Data Stream credentials still missing"
    );
    f.credentials
        .insert(CredentialKind::Datastream, "2026-01-01T00:00:00Z".into());
    assert_eq!(state(Step::DeepSyncCredentials, &f), StepState::Done);
    f.preflight.as_mut().unwrap().value.warnings = 3;
    let s = derive_step(Step::DeepSyncCredentials, &f);
    assert_eq!(s.state, StepState::Done);
    assert!(s.detail.contains("3 warning"));
    f.credentials
        .insert(CredentialKind::Datastream, "2026-02-01T00:00:00Z".into());
    assert_eq!(state(Step::DeepSyncCredentials, &f), StepState::InProgress);
}

#[test]
fn historical_export_states() {
    let mut f = OnboardingFacts::default();
    assert_eq!(state(Step::HistoricalExport, &f), StepState::Todo);
    f.credentials.insert(CredentialKind::Sftp, "t".into());
    assert_eq!(state(Step::HistoricalExport, &f), StepState::InProgress);
    f.export_job = Some(JobFact {
        kind: "export.fetch".into(),
        state: JobState::Running,
        error: None,
    });
    let s = derive_step(Step::HistoricalExport, &f);
    assert_eq!(
        (s.state, s.detail.as_str()),
        (StepState::InProgress, "download running")
    );
    f.export_job = Some(JobFact {
        kind: "export.import".into(),
        state: JobState::Failed,
        error: Some("people.csv: not CSV".into()),
    });
    let s = derive_step(Step::HistoricalExport, &f);
    assert_eq!(s.state, StepState::NeedsAttention);
    assert!(s.detail.contains("people.csv"));
    f.export = Some(stamp(
        ExportOutcome {
            files: 3,
            rows: 120,
            bad_rows: 2,
            cutoff: None,
            statuses: 0,
        },
        "t",
    ));
    let s = derive_step(Step::HistoricalExport, &f);
    assert_eq!(s.state, StepState::Done);
    assert!(s.detail.contains("2 quarantined"));
}

#[test]
fn field_mapping_states() {
    let mut f = OnboardingFacts::default();
    assert_eq!(state(Step::FieldMapping, &f), StepState::Todo);
    f.field_mapping = Some(stamp(
        MappingOutcome {
            fields: 10,
            mapped: 8,
            errors: 0,
        },
        "t",
    ));
    assert_eq!(state(Step::FieldMapping, &f), StepState::InProgress);
    f.field_mapping.as_mut().unwrap().value.errors = 2;
    assert_eq!(state(Step::FieldMapping, &f), StepState::NeedsAttention);
    f.field_mapping_approved = Some(stamp(Approval::default(), "t"));
    assert_eq!(state(Step::FieldMapping, &f), StepState::Done);
}

#[test]
fn deep_sync_gate_needs_steps_two_three_and_four() {
    let f = done_through_mapping();
    let s = derive_step(Step::DeepSync, &f);
    assert!(!s.is_locked(), "{:?}", s.locked_by);
    assert_eq!(s.state, StepState::Todo);

    let mut no_creds = f.clone();
    no_creds.preflight = None;
    let s = derive_step(Step::DeepSync, &no_creds);
    assert_eq!(
        s.locked_by,
        vec!["deep sync credentials not tested (step 2)".to_string()]
    );

    let mut no_export = f.clone();
    no_export.export = None;
    assert_eq!(
        derive_step(Step::DeepSync, &no_export).locked_by,
        vec!["historical export not imported (step 3)".to_string()]
    );

    let mut not_approved = f.clone();
    not_approved.field_mapping_approved = None;
    assert_eq!(
        derive_step(Step::DeepSync, &not_approved).locked_by,
        vec!["field mapping not approved (step 4)".to_string()]
    );

    // A locked step never shows progress, even with a stale job row.
    let mut locked_running = not_approved.clone();
    locked_running.sync_job = Some(JobFact {
        kind: "sync.deep".into(),
        state: JobState::Running,
        error: None,
    });
    assert_eq!(state(Step::DeepSync, &locked_running), StepState::Todo);
}

#[test]
fn deep_sync_states_once_open() {
    let mut f = done_through_mapping();
    f.sync_job = Some(JobFact {
        kind: "sync.deep".into(),
        state: JobState::Running,
        error: None,
    });
    assert_eq!(state(Step::DeepSync, &f), StepState::InProgress);
    f.sync_job.as_mut().unwrap().state = JobState::Paused;
    assert_eq!(state(Step::DeepSync, &f), StepState::InProgress);
    f.sync_job.as_mut().unwrap().state = JobState::Failed;
    assert_eq!(state(Step::DeepSync, &f), StepState::NeedsAttention);
    f.sync_job.as_mut().unwrap().state = JobState::Done;
    f.sync_initial_done = Some(stamp(Approval::default(), "t"));
    assert_eq!(state(Step::DeepSync, &f), StepState::Done);
    // Live after the initial pass: the job keeps running, the step is done (from the fact).
    f.sync_job.as_mut().unwrap().state = JobState::Running;
    assert_eq!(state(Step::DeepSync, &f), StepState::Done);
    f.sync_job.as_mut().unwrap().state = JobState::Paused;
    assert_eq!(state(Step::DeepSync, &f), StepState::Done);
    f.sync_initial_done = None;
    assert_eq!(state(Step::DeepSync, &f), StepState::InProgress);
}

#[test]
#[allow(clippy::field_reassign_with_default)]
fn stage_mapping_gate_needs_statuses() {
    let mut f = OnboardingFacts::default();
    assert!(derive_step(Step::StageMapping, &f).is_locked());
    f.export = Some(stamp(
        ExportOutcome {
            statuses: 0,
            ..Default::default()
        },
        "t",
    ));
    assert!(
        derive_step(Step::StageMapping, &f).is_locked(),
        "an export without statuses"
    );
    f.export.as_mut().unwrap().value.statuses = 7;
    assert!(!derive_step(Step::StageMapping, &f).is_locked());
    let mut g = OnboardingFacts::default();
    g.stages = Some(stamp(
        StageOutcome {
            statuses_in_use: 3,
            unmapped: 3,
            ..Default::default()
        },
        "t",
    ));
    assert!(
        !derive_step(Step::StageMapping, &g).is_locked(),
        "statuses from the sync"
    );
}

#[test]
#[allow(clippy::field_reassign_with_default)]
fn stage_mapping_states() {
    let mut f = OnboardingFacts::default();
    f.stages = Some(stamp(
        StageOutcome {
            statuses_in_use: 5,
            unmapped: 2,
            ..Default::default()
        },
        "t",
    ));
    let s = derive_step(Step::StageMapping, &f);
    assert_eq!(s.state, StepState::InProgress);
    assert_eq!(s.detail, "3 of 5 statuses mapped");
    f.stages.as_mut().unwrap().value.unmapped = 0;
    f.stages_approved = Some(stamp(Approval::default(), "t"));
    assert_eq!(state(Step::StageMapping, &f), StepState::Done);
    f.stages.as_mut().unwrap().value.unmapped = 1;
    assert_eq!(state(Step::StageMapping, &f), StepState::NeedsAttention);
    // Drift: a status first seen after the approval names itself in the detail.
    f.stages.as_mut().unwrap().value.new_since_approval = vec!["NMF - Onsite".into()];
    let s = derive_step(Step::StageMapping, &f);
    assert_eq!(s.state, StepState::NeedsAttention);
    assert_eq!(
        s.detail,
        "new status \"NMF - Onsite\" since approval: map it and approve again"
    );
}

#[test]
fn step_identity() {
    assert_eq!(Step::ALL.map(Step::number), [1, 2, 3, 4, 5, 6]);
    assert_eq!(Step::StageMapping.id(), "stage_mapping");
    assert_eq!(
        serde_json::to_string(&StepState::NeedsAttention).unwrap(),
        "\"needs attention\""
    );
}

#[test]
fn a_settings_change_after_the_tests_reopens_steps_1_and_2() {
    let mut f = done_through_mapping();
    f.credentials
        .insert(CredentialKind::Basic, "2026-01-01T00:00:00Z".into());
    f.basic_test = Some(stamp(ok("ok"), "2026-01-02T00:00:00Z"));
    f.sync_enabled = true;
    assert_eq!(state(Step::BasicSync, &f), StepState::Done);
    assert_eq!(state(Step::DeepSyncCredentials, &f), StepState::Done);
    assert!(!derive_step(Step::DeepSync, &f).is_locked());

    // Customer id / API base changed after both tests: both steps reopen, step 5 locks.
    let mut api = f.clone();
    api.api_changed_at = Some("2026-01-03T00:00:00Z".into());
    let s1 = derive_step(Step::BasicSync, &api);
    assert_eq!(s1.state, StepState::InProgress);
    assert!(
        s1.detail.contains("customer id or API base changed"),
        "{s1:?}"
    );
    assert_eq!(
        state(Step::DeepSyncCredentials, &api),
        StepState::InProgress
    );
    assert!(derive_step(Step::DeepSync, &api).is_locked());

    // Token URL / Data Stream changed: only step 2.
    let mut deep = f.clone();
    deep.deep_endpoints_changed_at = Some("2026-01-03T00:00:00Z".into());
    assert_eq!(state(Step::BasicSync, &deep), StepState::Done);
    assert_eq!(
        state(Step::DeepSyncCredentials, &deep),
        StepState::InProgress
    );

    // A change older than the tests (or in the same second) does not reopen anything.
    let mut older = f.clone();
    older.api_changed_at = Some("2026-01-02T00:00:00Z".into());
    older.deep_endpoints_changed_at = Some("2026-01-01T00:00:00Z".into());
    assert_eq!(state(Step::BasicSync, &older), StepState::Done);
    assert_eq!(state(Step::DeepSyncCredentials, &older), StepState::Done);
}
