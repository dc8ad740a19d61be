//! Editing a team's settings: apply a [`TeamEdit`] and say which steps it reopened,
//! with their states before and after.

use serde::Serialize;

use crate::onboarding::{self, OnboardingFacts, Step, StepState};
use crate::store::teams::{FACT_API_CHANGED, FACT_DEEP_ENDPOINTS_CHANGED};
use crate::store::{Actor, Result, Store, Team, TeamEdit, TeamEdited};

/// A step whose state (or lock) changed with an edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepChange {
    pub step: Step,
    pub before: StepState,
    pub after: StepState,
    pub locked_before: bool,
    pub locked_after: bool,
    /// The step's detail line after the edit.
    pub detail: String,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditReport {
    pub edited: TeamEdited,
    /// Steps whose earlier tests no longer count (1 and 2 for the customer id or API
    /// base; 2 for the token URL or Data Stream base).
    pub affected: Vec<Step>,
    /// Steps whose state or lock changed (a step with no test yet does not change).
    pub steps: Vec<StepChange>,
}

impl EditReport {
    /// True when nothing in effect changed.
    pub fn is_noop(&self) -> bool {
        self.edited.changes.is_empty()
    }
}

/// The steps whose tests a settings change supersedes, given the facts it recorded.
pub fn affected_steps(superseded: &[&str]) -> Vec<Step> {
    let mut steps = Vec::new();
    if superseded.contains(&FACT_API_CHANGED) {
        steps.extend([Step::BasicSync, Step::DeepSyncCredentials]);
    }
    if superseded.contains(&FACT_DEEP_ENDPOINTS_CHANGED)
        && !steps.contains(&Step::DeepSyncCredentials)
    {
        steps.push(Step::DeepSyncCredentials);
    }
    steps
}

/// Applies `edit` to `team` and derives the steps before and after.
pub fn edit_team(store: &Store, team: &Team, edit: &TeamEdit, actor: &Actor) -> Result<EditReport> {
    let before = onboarding::derive(&OnboardingFacts::load(store, team)?);
    let edited = store.edit_team(team.id, edit, actor)?;
    let after = onboarding::derive(&OnboardingFacts::load(store, &edited.after)?);
    let steps = before
        .iter()
        .zip(after.iter())
        .filter(|(b, a)| b.state != a.state || b.is_locked() != a.is_locked())
        .map(|(b, a)| StepChange {
            step: a.step,
            before: b.state,
            after: a.state,
            locked_before: b.is_locked(),
            locked_after: a.is_locked(),
            detail: a.detail.clone(),
        })
        .collect();
    Ok(EditReport {
        affected: affected_steps(&edited.superseded),
        edited,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onboarding::{TestOutcome, keys};
    use crate::store::{KeyRing, NewTeam, Region};

    fn store() -> (tempfile::TempDir, Store, Team) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.db"))
            .unwrap()
            .with_keyring(KeyRing::from_bytes(&[5; 32]));
        let team = store
            .add_team(
                &NewTeam {
                    name: "Acme".into(),
                    customer_id: 1,
                    ..Default::default()
                },
                &Actor::named("t"),
            )
            .unwrap();
        (dir, store, team)
    }

    fn passed() -> TestOutcome {
        TestOutcome {
            ok: true,
            summary: "ok".into(),
            ..Default::default()
        }
    }

    #[test]
    fn region_change_supersedes_tests_even_in_the_same_second() {
        let (_d, store, team) = store();
        let actor = Actor::named("t");
        let secret = secrecy::SecretString::from("pw".to_string());
        for kind in [
            crate::store::CredentialKind::Basic,
            crate::store::CredentialKind::Rest,
            crate::store::CredentialKind::Datastream,
        ] {
            store
                .set_credential(&team, kind, &Default::default(), &secret, &actor)
                .unwrap();
        }
        store
            .set_fact(&team, keys::BASIC_TEST, &passed(), &actor)
            .unwrap();
        store
            .set_fact(&team, keys::BASIC_SYNC_ENABLED, &true, &actor)
            .unwrap();
        store
            .set_fact(&team, keys::DEEP_PREFLIGHT, &passed(), &actor)
            .unwrap();
        let steps = onboarding::derive(&OnboardingFacts::load(&store, &team).unwrap());
        assert_eq!(steps[0].state, StepState::Done);
        assert_eq!(steps[1].state, StepState::Done);

        // Same second as the tests: the change must still win (it happened after them).
        let report = edit_team(
            &store,
            &team,
            &TeamEdit {
                region: Some(Region::Eu),
                ..Default::default()
            },
            &actor,
        )
        .unwrap();
        let fields: Vec<&str> = report.edited.changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["region", "api_base", "token_url"]);
        assert_eq!(
            report.affected,
            [Step::BasicSync, Step::DeepSyncCredentials]
        );
        let changed: Vec<(Step, StepState, StepState)> = report
            .steps
            .iter()
            .map(|c| (c.step, c.before, c.after))
            .collect();
        assert_eq!(
            changed,
            [
                (Step::BasicSync, StepState::Done, StepState::InProgress),
                (
                    Step::DeepSyncCredentials,
                    StepState::Done,
                    StepState::InProgress
                ),
            ]
        );

        // Tests run again right after the change (the same second, before the change's
        // stamp) tested the new settings: they count at once.
        store
            .set_fact(&team, keys::BASIC_TEST, &passed(), &actor)
            .unwrap();
        store
            .set_fact(&team, keys::DEEP_PREFLIGHT, &passed(), &actor)
            .unwrap();
        let retested = onboarding::derive(&OnboardingFacts::load(&store, &team).unwrap());
        assert_eq!(retested[0].state, StepState::Done);
        assert_eq!(retested[1].state, StepState::Done);

        // The same edit again changes nothing and writes nothing.
        let audit_before = store.audit_log(None, 1000).unwrap().len();
        let again = edit_team(
            &store,
            &report.edited.after,
            &TeamEdit {
                region: Some(Region::Eu),
                ..Default::default()
            },
            &actor,
        )
        .unwrap();
        assert!(again.is_noop());
        assert!(again.steps.is_empty());
        assert_eq!(store.audit_log(None, 1000).unwrap().len(), audit_before);
    }

    #[test]
    fn rename_keeps_the_steps_and_refuses_a_taken_name() {
        let (_d, store, team) = store();
        let actor = Actor::named("t");
        store
            .add_team(
                &NewTeam {
                    name: "Globex".into(),
                    customer_id: 2,
                    ..Default::default()
                },
                &actor,
            )
            .unwrap();
        let err = edit_team(
            &store,
            &team,
            &TeamEdit {
                name: Some("GLOBEX".into()),
                ..Default::default()
            },
            &actor,
        )
        .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        let report = edit_team(
            &store,
            &team,
            &TeamEdit {
                name: Some("Acme Corp".into()),
                ..Default::default()
            },
            &actor,
        )
        .unwrap();
        assert!(report.affected.is_empty());
        assert!(report.steps.is_empty());
        assert_eq!(store.team("acme corp").unwrap().id, team.id);
        let history = store.audit_log(Some("Acme Corp"), 10).unwrap();
        let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["team.set", "team.add"]);
        assert_eq!(history[0].detail.as_deref(), Some("name"));
    }
}
