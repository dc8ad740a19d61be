//! Recording check outcomes as facts: `basic.test` and `deep.preflight` ([`TestOutcome`],
//! which drive the step states) and the full rows under `basic.test.report` and
//! `deep.preflight.matrix`, each stamped with time and actor (by the store and in the value).

use serde::{Deserialize, Serialize};

use crate::onboarding::{TestOutcome, keys};
use crate::store::{Actor, Result, Store, Team, now_text};

use super::CheckRow;
use super::hidden::{FieldStatus, HiddenField};

/// Fact key of the step 1 rows.
pub const BASIC_REPORT: &str = "basic.test.report";
/// Fact key of the step 2 matrix.
pub const PREFLIGHT_MATRIX: &str = "deep.preflight.matrix";
/// Fact key of the tenant's LinkedIn custom field id (string).
pub const LINKEDIN_FIELD: &str = "icims.linkedin_field";

/// The rows of one step as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMatrix {
    pub at: String,
    pub actor: String,
    pub checks: Vec<CheckRow>,
    pub hidden_fields: Vec<HiddenField>,
}

/// The outcome of a step from its rows: ok when every required row passed.
pub fn outcome(rows: &[CheckRow], hidden: &[HiddenField]) -> TestOutcome {
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.required && !r.ok)
        .map(|r| r.name.clone())
        .collect();
    let required = rows.iter().filter(|r| r.required).count();
    let ok = failed.is_empty() && required > 0;
    // Fields the tenant does not use are no warning.
    let count = |status| hidden.iter().filter(|h| h.status == status).count();
    let (shut, unknown) = (count(FieldStatus::Hidden), count(FieldStatus::Unverified));
    let mut hidden_note = match shut {
        0 => String::new(),
        1 => "; 1 field hidden".into(),
        n => format!("; {n} fields hidden"),
    };
    if unknown > 0 {
        hidden_note.push_str(&format!("; {unknown} hidden or unused"));
    }
    let summary = if ok {
        format!("{required}/{required} checks passed{hidden_note}")
    } else if let Some(first) = rows.iter().find(|r| r.required && !r.ok) {
        format!(
            "{} of {required} checks failed; {}: {}",
            failed.len(),
            first.name,
            first.message
        )
    } else {
        "no checks ran".into()
    };
    TestOutcome {
        ok,
        summary,
        failed,
        warnings: (shut + unknown) as u32,
    }
}

fn stored(rows: &[CheckRow], hidden: &[HiddenField], actor: &Actor) -> StoredMatrix {
    StoredMatrix {
        at: now_text(),
        actor: actor.user.clone(),
        checks: rows.to_vec(),
        hidden_fields: hidden.to_vec(),
    }
}

/// Records step 1 (`basic.test` and `basic.test.report`).
pub fn record_basic(
    store: &Store,
    team: &Team,
    rows: &[CheckRow],
    hidden: &[HiddenField],
    actor: &Actor,
) -> Result<TestOutcome> {
    let out = outcome(rows, hidden);
    store.set_fact(team, BASIC_REPORT, &stored(rows, hidden, actor), actor)?;
    store.set_fact(team, keys::BASIC_TEST, &out, actor)?;
    Ok(out)
}

/// Records step 2 (`deep.preflight` and `deep.preflight.matrix`).
pub fn record_preflight(
    store: &Store,
    team: &Team,
    rows: &[CheckRow],
    hidden: &[HiddenField],
    actor: &Actor,
) -> Result<TestOutcome> {
    let out = outcome(rows, hidden);
    store.set_fact(team, PREFLIGHT_MATRIX, &stored(rows, hidden, actor), actor)?;
    store.set_fact(team, keys::DEEP_PREFLIGHT, &out, actor)?;
    Ok(out)
}

/// Records a whole `check` report: each step whose credentials are stored (a step never
/// configured stays "todo" instead of turning into a failure), and the LinkedIn field.
pub fn record_report(
    store: &Store,
    team: &Team,
    report: &super::CheckReport,
    actor: &Actor,
) -> Result<(Option<TestOutcome>, Option<TestOutcome>)> {
    let basic = if report.basic_configured {
        Some(record_basic(
            store,
            team,
            &report.step_rows(1),
            &report.hidden_for("basic"),
            actor,
        )?)
    } else {
        None
    };
    let deep = if report.deep_configured {
        Some(record_preflight(
            store,
            team,
            &report.step_rows(2),
            &report.hidden_for("rest"),
            actor,
        )?)
    } else {
        None
    };
    if let Some(f) = &report.linkedin_field {
        store.set_fact(team, LINKEDIN_FIELD, f, actor)?;
    }
    Ok((basic, deep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, ok: bool, required: bool) -> CheckRow {
        CheckRow {
            ok,
            required,
            ..CheckRow::pass(name, 2, "m")
        }
    }

    #[test]
    fn outcome_counts_required_rows_only() {
        let hidden = vec![HiddenField {
            object: "person".into(),
            field: "addresses".into(),
            credential: "rest".into(),
            status: FieldStatus::Hidden,
        }];
        let o = outcome(&[row("a", true, true), row("f", false, false)], &hidden);
        assert!(o.ok);
        assert_eq!(o.summary, "1/1 checks passed; 1 field hidden");
        assert_eq!(o.warnings, 1);
        let o = outcome(&[row("a", true, true), row("b", false, true)], &[]);
        assert!(!o.ok);
        assert_eq!(o.failed, vec!["b"]);
        assert_eq!(o.summary, "1 of 2 checks failed; b: m");
        assert!(!outcome(&[], &[]).ok);
    }

    #[test]
    fn a_field_the_tenant_does_not_use_is_no_warning() {
        let field = |f: &str, status| HiddenField {
            object: "job".into(),
            field: f.into(),
            credential: "basic".into(),
            status,
        };
        let hidden = vec![
            field("hiringmanager", FieldStatus::Hidden),
            field("recruiter", FieldStatus::NotInUse),
            field("overview", FieldStatus::Unverified),
        ];
        let o = outcome(&[row("a", true, true)], &hidden);
        assert_eq!(
            o.summary,
            "1/1 checks passed; 1 field hidden; 1 hidden or unused"
        );
        assert_eq!(o.warnings, 2);
        let o = outcome(&[row("a", true, true)], &hidden[1..2]);
        assert_eq!(o.summary, "1/1 checks passed");
        assert_eq!(o.warnings, 0);
    }
}
