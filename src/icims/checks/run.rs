//! Running the checks of a team: step 1 (basic test, then the fields the Basic user
//! cannot see) and step 2 (the preflight matrix, then the fields the REST client cannot
//! see), with the LinkedIn custom field discovered on the way. Independent calls run
//! concurrently under one [`Limiter`] per run; the rows keep their fixed order.

use serde::{Deserialize, Serialize};

use crate::store::{CredentialKind, Result as StoreResult, Store, StoreError, Team};

use super::super::auth::AuthConfig;
use super::super::client::IcimsClient;
use super::super::config::{ClientConfig, Endpoints};
use super::super::error::IcimsError;
use super::super::model::Id;
use super::super::profiles::ProfileType;
use super::super::search::{Filter, SearchQuery};
use super::basic::{BASIC_AUTH, basic_test};
use super::dedupe::discover_linkedin_field;
use super::hidden::{HiddenField, hidden_fields};
use super::preflight::{DATASTREAM_ROWS, REST_ROWS, Samples, datastream_rows, rest_rows};
use super::{CheckRow, Limiter, Ordered, Progress};

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

/// First-page ids of each profile type (for sampling), skipping types that fail. The
/// three searches run at once.
async fn sample_ids(client: &IcimsClient, limiter: &Limiter) -> Samples {
    let ids = futures::future::join_all(ProfileType::ALL.iter().map(|&kind| {
        let q = SearchQuery::all(vec![Filter::gt(
            &format!("{}.id", kind.search_entity()),
            "0",
        )]);
        limiter.run(async move {
            client
                .search(kind, &q)
                .await
                .map(|h| h.into_iter().map(|h| h.id).collect::<Vec<Id>>())
                .unwrap_or_default()
        })
    }))
    .await;
    let mut s = Samples::default();
    for (kind, ids) in ProfileType::ALL.iter().zip(ids) {
        match kind {
            ProfileType::People => s.people = ids,
            ProfileType::Jobs => s.jobs = ids,
            ProfileType::ApplicantWorkflows => s.workflows = ids,
        }
    }
    s
}

/// Samples records of every type (the three types at once) and returns the row
/// summarising hidden fields.
async fn fields_row(
    client: &IcimsClient,
    samples: &Samples,
    linkedin_field: Option<&str>,
    credential: &str,
    step: u8,
    limiter: &Limiter,
    hidden_out: &mut Vec<HiddenField>,
) -> CheckRow {
    let name = format!("{credential}.fields");
    let results = futures::future::join_all(ProfileType::ALL.iter().map(|&kind| {
        let extra: Vec<String> = match (kind, linkedin_field) {
            (ProfileType::People, Some(f)) => vec![f.to_string()],
            _ => Vec::new(),
        };
        limiter.run(async move {
            hidden_fields(client, kind, samples.of(kind), &extra, credential).await
        })
    }))
    .await;
    let mut found = Vec::new();
    for result in results {
        match result {
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

/// The first part of step 1: the basic test. Returns its row and, when a client could
/// be built, the Basic client.
async fn basic_auth_row(
    team: &Team,
    auth: Option<&AuthConfig>,
    config: &ClientConfig,
    limiter: &Limiter,
    out: &Ordered<'_>,
) -> (bool, Option<IcimsClient>) {
    out.start(BASIC_AUTH);
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
        out.finish(0, row);
        return (false, None);
    };
    let client = match client_for(team, auth, config) {
        Ok(c) => c,
        Err(e) => {
            out.finish(0, CheckRow::fail(BASIC_AUTH, 1, &e));
            return (false, None);
        }
    };
    let mut row = limiter.run(basic_test(&client)).await;
    name_team(std::slice::from_mut(&mut row), team);
    let ok = row.ok;
    out.finish(0, row);
    (ok, Some(client))
}

/// The rest of step 1 once the test passed: the fields the Basic user cannot see.
async fn basic_fields(
    client: &IcimsClient,
    samples: &Samples,
    linkedin_field: Option<&str>,
    limiter: &Limiter,
    out: &Ordered<'_>,
) -> Vec<HiddenField> {
    out.start("basic.fields");
    let mut hidden = Vec::new();
    let row = fields_row(
        client,
        samples,
        linkedin_field,
        "basic",
        1,
        limiter,
        &mut hidden,
    )
    .await;
    out.finish(1, row);
    out.hidden(hidden.clone());
    hidden
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
    let limiter = Limiter::new(config.concurrency);
    let out = Ordered::new(progress, 2);
    let (ok, client) = basic_auth_row(team, auth, config, &limiter, &out).await;
    let mut hidden = Vec::new();
    match client.as_ref().filter(|_| ok) {
        Some(c) => {
            let samples = sample_ids(c, &limiter).await;
            hidden = basic_fields(c, &samples, linkedin_field, &limiter, &out).await;
        }
        None => out.skip(1),
    }
    (out.rows(), hidden, client)
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

    /// The figures after the last call of all: the lowest remaining count any of the
    /// clients saw last (whatever order concurrent calls were answered in).
    fn latest<'a>(
        clients: impl IntoIterator<Item = Option<&'a IcimsClient>>,
    ) -> Option<QuotaFigures> {
        clients
            .into_iter()
            .flatten()
            .filter_map(QuotaFigures::of)
            .reduce(QuotaFigures::min)
    }

    fn min(a: QuotaFigures, b: QuotaFigures) -> QuotaFigures {
        match (a.remaining, b.remaining) {
            (Some(x), Some(y)) if y < x => b,
            (None, Some(_)) => b,
            _ => a,
        }
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
    let limiter = Limiter::new(config.concurrency);
    let out = Ordered::new(progress, PREFLIGHT_SLOTS);
    let mut run = preflight_with(team, rest, datastream, config, &limiter, &out, 0).await;
    run.rows = out.rows();
    name_team(&mut run.rows, team);
    run
}

/// Slots of the step 2 rows: the REST rows, `rest.fields`, the Data Stream rows.
const REST_FIELDS_SLOT: usize = REST_ROWS.len();
const DATASTREAM_SLOT: usize = REST_ROWS.len() + 1;
const PREFLIGHT_SLOTS: usize = DATASTREAM_SLOT + DATASTREAM_ROWS.len();

/// Step 2 into slots `base..base + PREFLIGHT_SLOTS` of `out` (the caller collects the
/// rows, so they can follow step 1's in one ordered report).
async fn preflight_with(
    team: &Team,
    rest: Option<&AuthConfig>,
    datastream: Option<&AuthConfig>,
    config: &ClientConfig,
    limiter: &Limiter,
    out: &Ordered<'_>,
    base: usize,
) -> PreflightRun {
    let build = |a: Option<&AuthConfig>| -> Result<Option<IcimsClient>, IcimsError> {
        a.map(|a| client_for(team, a, config)).transpose()
    };
    let (rest_client, ds_client) = match (build(rest), build(datastream)) {
        (Ok(r), Ok(d)) => (r, d),
        (Err(e), _) | (_, Err(e)) => {
            out.finish(base, CheckRow::fail("rest.token", 2, &e));
            for slot in 1..PREFLIGHT_SLOTS {
                out.skip(base + slot);
            }
            return PreflightRun::default();
        }
    };
    // The REST side (token, the matrix, then the LinkedIn field and the hidden fields)
    // and the Data Stream chain run side by side.
    let rest_side = async {
        let samples = rest_rows(rest_client.as_ref(), &team.name, limiter, out, base).await;
        let mut hidden = Vec::new();
        let mut linkedin = None;
        let token_ok = out.is_ok(base);
        match rest_client.as_ref().filter(|_| token_ok) {
            Some(client) => {
                linkedin = limiter
                    .run(discover_linkedin_field(client, &samples.people))
                    .await
                    .ok()
                    .flatten();
                out.start("rest.fields");
                let row = fields_row(
                    client,
                    &samples,
                    linkedin.as_deref(),
                    "rest",
                    2,
                    limiter,
                    &mut hidden,
                )
                .await;
                out.finish(base + REST_FIELDS_SLOT, row);
                out.hidden(hidden.clone());
            }
            None => out.skip(base + REST_FIELDS_SLOT),
        }
        (hidden, linkedin)
    };
    let ds_side = datastream_rows(
        ds_client.as_ref(),
        &team.name,
        limiter,
        out,
        base + DATASTREAM_SLOT,
    );
    let ((hidden, linkedin), ()) = futures::join!(rest_side, ds_side);
    let calls = [rest_client.as_ref(), ds_client.as_ref()]
        .into_iter()
        .flatten()
        .map(|c| c.stats().api_calls)
        .sum();
    PreflightRun {
        rows: Vec::new(),
        hidden,
        linkedin_field: linkedin,
        api_calls: calls,
        quota: QuotaFigures::latest([rest_client.as_ref(), ds_client.as_ref()]),
    }
}

/// Both steps, as `icims-onboard check` runs them: the basic test first (its message
/// carries the quota left, which must not depend on how later calls interleave), then
/// the preflight beside the Basic user's sampling, then the Basic user's hidden fields
/// (which expect the LinkedIn field the REST client found). Rows are reported in the
/// order they are returned: step 1's, then step 2's.
pub async fn run_checks(
    team: &Team,
    auth: &TeamAuth,
    config: &ClientConfig,
    progress: Progress<'_>,
) -> CheckReport {
    let limiter = Limiter::new(config.concurrency);
    let out = Ordered::new(progress, 2 + PREFLIGHT_SLOTS);
    let (basic_ok, basic_client) =
        basic_auth_row(team, auth.basic.as_ref(), config, &limiter, &out).await;
    let basic = basic_client.as_ref().filter(|_| basic_ok);
    let deep_fut = preflight_with(
        team,
        auth.rest.as_ref(),
        auth.datastream.as_ref(),
        config,
        &limiter,
        &out,
        2,
    );
    let samples_fut = async {
        match basic {
            Some(c) => Some(sample_ids(c, &limiter).await),
            None => None,
        }
    };
    let (deep, samples) = futures::join!(deep_fut, samples_fut);
    let mut linkedin = deep.linkedin_field.clone();
    let mut hidden1 = Vec::new();
    match (basic, samples) {
        (Some(client), Some(samples)) => {
            if linkedin.is_none() {
                linkedin = limiter
                    .run(discover_linkedin_field(client, &samples.people))
                    .await
                    .ok()
                    .flatten();
            }
            hidden1 = basic_fields(client, &samples, linkedin.as_deref(), &limiter, &out).await;
        }
        _ => out.skip(1),
    }
    let calls1 = basic_client
        .as_ref()
        .map(|c| c.stats().api_calls)
        .unwrap_or(0);
    let quota = match (QuotaFigures::latest([basic_client.as_ref()]), deep.quota) {
        (Some(a), Some(b)) => Some(QuotaFigures::min(a, b)),
        (a, b) => a.or(b),
    };
    let mut checks = out.rows();
    name_team(&mut checks, team);
    let mut hidden_fields = hidden1;
    hidden_fields.extend(deep.hidden);
    CheckReport {
        checks,
        hidden_fields,
        linkedin_field: linkedin,
        api_calls: calls1 + deep.api_calls,
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
