//! Running the checks of a team: step 1 (basic test, then the fields the Basic user
//! cannot see) and step 2 (the preflight matrix, then the fields the REST client cannot
//! see), with the LinkedIn custom field discovered on the way.

use serde::{Deserialize, Serialize};

use crate::store::{CredentialKind, Result as StoreResult, Store, StoreError, Team};

use super::super::auth::AuthConfig;
use super::super::client::IcimsClient;
use super::super::config::{ClientConfig, Endpoints};
use super::super::error::IcimsError;
use super::super::model::Id;
use super::super::profiles::ProfileType;
use super::super::search::{Filter, SearchQuery};
use super::basic::{BASIC_AUTH, basic_test, email_probe, email_row};
use super::dedupe::discover_linkedin_field;
use super::hidden::{HiddenField, hidden_fields};
use super::preflight::{Samples, datastream_matrix, rest_matrix};
use super::{CheckEvent, CheckRow, Progress};

/// The API credentials of a team, opened from the store.
#[derive(Debug, Clone, Default)]
pub struct TeamAuth {
    pub basic: Option<AuthConfig>,
    pub rest: Option<AuthConfig>,
    pub datastream: Option<AuthConfig>,
}

impl TeamAuth {
    /// Loads the team's basic, rest and datastream credentials (those that are stored).
    pub fn load(store: &Store, team: &Team) -> StoreResult<TeamAuth> {
        let open = |kind| -> StoreResult<Option<AuthConfig>> {
            match store.credential(team, kind)? {
                None => Ok(None),
                Some(c) => {
                    AuthConfig::from_credential(&c)
                        .map(Some)
                        .map_err(|e| StoreError::Corrupt {
                            what: format!("{kind} credential of team {}", team.name),
                            reason: e.to_string(),
                        })
                }
            }
        };
        Ok(TeamAuth {
            basic: open(CredentialKind::Basic)?,
            rest: open(CredentialKind::Rest)?,
            datastream: open(CredentialKind::Datastream)?,
        })
    }
}

/// Everything `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    pub checks: Vec<CheckRow>,
    pub hidden_fields: Vec<HiddenField>,
    /// The tenant's LinkedIn custom field, if found.
    pub linkedin_field: Option<String>,
    /// API calls made (each counts against the customer's daily quota).
    pub api_calls: u64,
    /// The customer's daily quota as the last answer reported it (`x-ratelimit-*`).
    #[serde(default)]
    pub quota: Option<QuotaFigures>,
    /// A Basic credential was stored (step 1 really ran).
    #[serde(skip)]
    pub basic_configured: bool,
    /// A REST or Data Stream credential was stored (step 2 really ran).
    #[serde(skip)]
    pub deep_configured: bool,
}

impl CheckReport {
    /// Every required row passed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|r| r.ok || !r.required)
    }

    /// The rows of one step.
    pub fn step_rows(&self, step: u8) -> Vec<CheckRow> {
        self.checks
            .iter()
            .filter(|r| r.step == step)
            .cloned()
            .collect()
    }

    /// The hidden fields found with one credential (`basic`, `rest`).
    pub fn hidden_for(&self, credential: &str) -> Vec<HiddenField> {
        self.hidden_fields
            .iter()
            .filter(|h| h.credential == credential)
            .cloned()
            .collect()
    }
}

fn client_for(
    team: &Team,
    auth: &AuthConfig,
    config: &ClientConfig,
) -> Result<IcimsClient, IcimsError> {
    IcimsClient::new(Endpoints::for_team(team)?, auth.clone(), config.clone())
}

/// Puts the team's name into remedies that show a command (`creds set TEAM …`).
fn name_team(rows: &mut [CheckRow], team: &Team) {
    let name = if team.name.contains(' ') {
        format!("{:?}", team.name)
    } else {
        team.name.clone()
    };
    for r in rows {
        if let Some(t) = r.remedy.as_mut() {
            *t = t.replace("creds set TEAM ", &format!("creds set {name} "));
        }
    }
}

/// First-page ids of each profile type (for sampling), skipping types that fail; the
/// people ids are taken from `people` when the basic test already read them.
async fn sample_ids_with_people(client: &IcimsClient, people: Option<Vec<Id>>) -> Samples {
    let mut s = Samples::default();
    for kind in ProfileType::ALL {
        if kind == ProfileType::People
            && let Some(ids) = &people
        {
            s.people = ids.clone();
            continue;
        }
        let q = SearchQuery::all(vec![Filter::gt(
            &format!("{}.id", kind.search_entity()),
            "0",
        )]);
        let ids: Vec<Id> = client
            .search(kind, &q)
            .await
            .map(|h| h.into_iter().map(|h| h.id).collect())
            .unwrap_or_default();
        match kind {
            ProfileType::People => s.people = ids,
            ProfileType::Jobs => s.jobs = ids,
            ProfileType::ApplicantWorkflows => s.workflows = ids,
        }
    }
    s
}

/// Samples records of every type and returns the row summarising hidden fields.
async fn fields_row(
    client: &IcimsClient,
    samples: &Samples,
    linkedin_field: Option<&str>,
    credential: &str,
    step: u8,
    hidden_out: &mut Vec<HiddenField>,
) -> CheckRow {
    let name = format!("{credential}.fields");
    let mut found = Vec::new();
    for kind in ProfileType::ALL {
        let extra: Vec<String> = match (kind, linkedin_field) {
            (ProfileType::People, Some(f)) => vec![f.to_string()],
            _ => Vec::new(),
        };
        match hidden_fields(client, kind, samples.of(kind), &extra, credential).await {
            Ok(h) => found.extend(h),
            Err(e) => return CheckRow::fail(&name, step, &e).optional(),
        }
    }
    let row = if found.is_empty() {
        CheckRow::pass(
            &name,
            step,
            "every standard field is visible on the sample records",
        )
    } else {
        let list: Vec<String> = found
            .iter()
            .map(|h| format!("{}.{}", h.object, h.field))
            .collect();
        CheckRow {
            ok: false,
            remedy: Some(format!(
                "Ask the customer's iCIMS admin to let the API user's login group see {} \
                 (Security Rules, field attributes, profile layout); hidden fields come back \
                 empty and the sync would miss their data.",
                list.join(", ")
            )),
            ..CheckRow::pass(
                &name,
                step,
                format!(
                    "{} standard fields are hidden from this user: {}",
                    found.len(),
                    list.join(", ")
                ),
            )
        }
    };
    hidden_out.extend(found);
    row.optional()
}

/// Step 1: the basic test; when it passes, the fields the Basic user cannot see.
/// Returns the rows, the hidden fields and the Basic client (for the dedupe preview).
pub async fn run_basic(
    team: &Team,
    auth: Option<&AuthConfig>,
    config: &ClientConfig,
    linkedin_field: Option<&str>,
    progress: Progress<'_>,
) -> (Vec<CheckRow>, Vec<HiddenField>, Option<IcimsClient>) {
    progress(CheckEvent::Started {
        name: BASIC_AUTH.into(),
    });
    let Some(auth) = auth else {
        let row = CheckRow::not_run(
            BASIC_AUTH,
            1,
            "no Basic API credentials are stored",
            format!(
                "Store the API user the customer created: `icims-onboard creds set {} --kind basic --username USER --password-stdin`.",
                team.name
            ),
        );
        progress(CheckEvent::Finished(row.clone()));
        return (vec![row], Vec::new(), None);
    };
    let client = match client_for(team, auth, config) {
        Ok(c) => c,
        Err(e) => {
            let row = CheckRow::fail(BASIC_AUTH, 1, &e);
            progress(CheckEvent::Finished(row.clone()));
            return (vec![row], Vec::new(), None);
        }
    };
    let (mut row, people) = basic_test(&client).await;
    name_team(std::slice::from_mut(&mut row), team);
    progress(CheckEvent::Finished(row.clone()));
    if !row.ok {
        return (vec![row], Vec::new(), Some(client));
    }
    let email_search = email_probe(&client).await;
    progress(CheckEvent::Started {
        name: "basic.fields".into(),
    });
    let samples = sample_ids_with_people(&client, people).await;
    let mut hidden = Vec::new();
    let fields = fields_row(&client, &samples, linkedin_field, "basic", 1, &mut hidden).await;
    progress(CheckEvent::Finished(fields.clone()));
    progress(CheckEvent::Hidden(hidden.clone()));
    let email_visible = !hidden
        .iter()
        .any(|h| h.object == "person" && h.field == "email");
    let mut rows = vec![row];
    if let Some(email) = email_row(&email_search, email_visible) {
        progress(CheckEvent::Finished(email.clone()));
        rows.push(email);
    }
    rows.push(fields);
    (rows, hidden, Some(client))
}

/// What step 2 found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreflightRun {
    pub rows: Vec<CheckRow>,
    pub hidden: Vec<HiddenField>,
    /// The LinkedIn custom field, found with the REST client.
    pub linkedin_field: Option<String>,
    pub api_calls: u64,
    /// The quota figures of the last REST answer.
    pub quota: Option<QuotaFigures>,
}

/// The customer's daily quota as the last answer reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaFigures {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Seconds until the reset at 00:00 UTC.
    pub reset_secs: Option<u64>,
}

impl QuotaFigures {
    fn of(client: &IcimsClient) -> Option<QuotaFigures> {
        client.quota().map(|q| QuotaFigures {
            limit: q.limit,
            remaining: q.remaining,
            reset_secs: q.reset_secs,
        })
    }
}

/// Step 2: the preflight matrix and the fields the REST client cannot see.
pub async fn run_preflight(
    team: &Team,
    rest: Option<&AuthConfig>,
    datastream: Option<&AuthConfig>,
    config: &ClientConfig,
    progress: Progress<'_>,
) -> PreflightRun {
    let mut calls = 0;
    let build = |a: Option<&AuthConfig>| -> Result<Option<IcimsClient>, IcimsError> {
        a.map(|a| client_for(team, a, config)).transpose()
    };
    let (rest_client, ds_client) = match (build(rest), build(datastream)) {
        (Ok(r), Ok(d)) => (r, d),
        (Err(e), _) | (_, Err(e)) => {
            let row = CheckRow::fail("rest.token", 2, &e);
            progress(CheckEvent::Finished(row.clone()));
            return PreflightRun {
                rows: vec![row],
                ..PreflightRun::default()
            };
        }
    };
    let (mut rows, samples) = rest_matrix(rest_client.as_ref(), &team.name, progress).await;
    let mut hidden = Vec::new();
    let mut linkedin = None;
    if let Some(client) = rest_client
        .as_ref()
        .filter(|_| rows.first().is_some_and(|r| r.ok))
    {
        linkedin = discover_linkedin_field(client, &samples.people)
            .await
            .ok()
            .flatten();
        progress(CheckEvent::Started {
            name: "rest.fields".into(),
        });
        let row = fields_row(
            client,
            &samples,
            linkedin.as_deref(),
            "rest",
            2,
            &mut hidden,
        )
        .await;
        progress(CheckEvent::Finished(row.clone()));
        progress(CheckEvent::Hidden(hidden.clone()));
        rows.push(row);
    }
    rows.extend(datastream_matrix(ds_client.as_ref(), &team.name, progress).await);
    name_team(&mut rows, team);
    for c in [rest_client.as_ref(), ds_client.as_ref()]
        .into_iter()
        .flatten()
    {
        calls += c.stats().api_calls;
    }
    PreflightRun {
        rows,
        hidden,
        linkedin_field: linkedin,
        api_calls: calls,
        quota: rest_client.as_ref().and_then(QuotaFigures::of),
    }
}

/// Both steps, as `icims-onboard check` runs them. The REST client (which normally sees
/// every field) finds the LinkedIn field first, so the Basic user's samples expect it too.
pub async fn run_checks(
    team: &Team,
    auth: &TeamAuth,
    config: &ClientConfig,
    progress: Progress<'_>,
) -> CheckReport {
    let deep = run_preflight(
        team,
        auth.rest.as_ref(),
        auth.datastream.as_ref(),
        config,
        progress,
    )
    .await;
    let mut linkedin = deep.linkedin_field.clone();
    let mut discovery_calls = 0;
    if linkedin.is_none()
        && let Some(basic) = auth.basic.as_ref()
        && let Ok(client) = client_for(team, basic, config)
    {
        let samples = sample_ids_with_people(&client, None).await;
        linkedin = discover_linkedin_field(&client, &samples.people)
            .await
            .ok()
            .flatten();
        discovery_calls = client.stats().api_calls;
    }
    let (rows1, hidden1, basic_client) = run_basic(
        team,
        auth.basic.as_ref(),
        config,
        linkedin.as_deref(),
        progress,
    )
    .await;
    let calls1 = basic_client
        .as_ref()
        .map(|c| c.stats().api_calls)
        .unwrap_or(0);
    let quota = basic_client
        .as_ref()
        .and_then(QuotaFigures::of)
        .or(deep.quota);
    let mut checks = rows1;
    checks.extend(deep.rows);
    let mut hidden_fields = hidden1;
    hidden_fields.extend(deep.hidden);
    CheckReport {
        checks,
        hidden_fields,
        linkedin_field: linkedin,
        api_calls: calls1 + deep.api_calls + discovery_calls,
        quota,
        basic_configured: auth.basic.is_some(),
        deep_configured: auth.rest.is_some() || auth.datastream.is_some(),
    }
}

/// Step 1 only (`check --step 1`), with a LinkedIn field known from earlier runs.
pub async fn run_step1(
    team: &Team,
    auth: &TeamAuth,
    config: &ClientConfig,
    linkedin_field: Option<&str>,
    progress: Progress<'_>,
) -> CheckReport {
    let (checks, hidden_fields, client) =
        run_basic(team, auth.basic.as_ref(), config, linkedin_field, progress).await;
    CheckReport {
        checks,
        hidden_fields,
        linkedin_field: linkedin_field.map(str::to_string),
        api_calls: client.as_ref().map(|c| c.stats().api_calls).unwrap_or(0),
        quota: client.as_ref().and_then(QuotaFigures::of),
        basic_configured: auth.basic.is_some(),
        deep_configured: false,
    }
}

/// Step 2 only (`check --step 2`).
pub async fn run_step2(
    team: &Team,
    auth: &TeamAuth,
    config: &ClientConfig,
    progress: Progress<'_>,
) -> CheckReport {
    let deep = run_preflight(
        team,
        auth.rest.as_ref(),
        auth.datastream.as_ref(),
        config,
        progress,
    )
    .await;
    CheckReport {
        checks: deep.rows,
        hidden_fields: deep.hidden,
        linkedin_field: deep.linkedin_field,
        api_calls: deep.api_calls,
        quota: deep.quota,
        basic_configured: false,
        deep_configured: auth.rest.is_some() || auth.datastream.is_some(),
    }
}
