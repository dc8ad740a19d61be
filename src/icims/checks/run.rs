//! Running the checks of a team: step 1 (basic test, then the fields the Basic user
//! cannot see) and step 2 (the preflight matrix, then the fields the REST client cannot
//! see), with the LinkedIn custom field discovered on the way. A field absent from every
//! sample is called hidden only when evidence shows it in use (see [`classify`]).
//! Independent calls run concurrently under one [`Limiter`] per run; the rows keep their
//! fixed order.

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
use super::hidden::{
    FieldStatus, HiddenField, InUseEvidence, classify, hidden_fields, standard_fields,
};
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
    let name = crate::shell::quote(&team.name);
    for r in rows {
        if let Some(t) = r.remedy.as_mut() {
            *t = t.replace("creds set TEAM ", &format!("creds set {name} "));
        }
    }
}

/// First-page ids of each profile type (for sampling), skipping types that fail; the
/// people ids are taken from `people` when the basic test already read them (no call).
/// The searches run at once.
async fn sample_ids_with_people(
    client: &IcimsClient,
    people: Option<Vec<Id>>,
    limiter: &Limiter,
) -> Samples {
    let people = people.as_ref();
    let ids = futures::future::join_all(ProfileType::ALL.iter().map(|&kind| {
        let q = SearchQuery::all(vec![Filter::gt(
            &format!("{}.id", kind.search_entity()),
            "0",
        )]);
        async move {
            if kind == ProfileType::People
                && let Some(ids) = people
            {
                return ids.clone();
            }
            limiter
                .run(async {
                    client
                        .search(kind, &q)
                        .await
                        .map(|h| h.into_iter().map(|h| h.id).collect::<Vec<Id>>())
                        .unwrap_or_default()
                })
                .await
        }
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

/// "1 standard field is" / "2 standard fields are".
fn count_fields(n: usize) -> String {
    if n == 1 {
        "1 standard field is".to_string()
    } else {
        format!("{n} standard fields are")
    }
}

/// `object.field` lists of the fields with one status.
fn listed(found: &[HiddenField], status: FieldStatus) -> Vec<String> {
    found
        .iter()
        .filter(|h| h.status == status)
        .map(|h| format!("{}.{}", h.object, h.field))
        .collect()
}

/// The row summarising the absent fields: hidden ones warn with the admin's remedy,
/// unverified ones warn with how to tell, unused ones are only named.
fn summary_row(name: &str, step: u8, found: &[HiddenField], evidence: &InUseEvidence) -> CheckRow {
    let hidden = listed(found, FieldStatus::Hidden);
    let unknown = listed(found, FieldStatus::Unverified);
    let unused = listed(found, FieldStatus::NotInUse);
    let mut message = Vec::new();
    let mut remedy = Vec::new();
    if !hidden.is_empty() {
        let why = if evidence.is_empty() {
            String::new()
        } else {
            let verb = if evidence.sources.len() > 1 {
                "show"
            } else {
                "shows"
            };
            format!(" ({} {verb} them in use)", evidence.sources.join(" and "))
        };
        message.push(format!(
            "{} hidden from this user: {}{why}",
            count_fields(hidden.len()),
            hidden.join(", ")
        ));
        remedy.push(format!(
            "Ask the customer's iCIMS admin to let the API user's login group see {} \
             (Security Rules, field attributes, profile layout); hidden fields come back \
             empty and the sync would miss their data.",
            hidden.join(", ")
        ));
    }
    if !unknown.is_empty() {
        message.push(format!(
            "{} absent from every sample record: {} (either hidden by security rules or \
             not used; nothing yet tells which)",
            count_fields(unknown.len()),
            unknown.join(", ")
        ));
        remedy.push(
            "Stage the historical export (step 3) or test step 2 with the REST client, then \
             test again: a field shown in use there is hidden from this user; one never \
             filled is simply not used."
                .to_string(),
        );
    }
    if message.is_empty() {
        message.push(if unused.is_empty() {
            "every standard field is visible on the sample records".to_string()
        } else {
            "every standard field in use is visible on the sample records".to_string()
        });
    }
    if !unused.is_empty() {
        message.push(format!("not in use by this tenant: {}", unused.join(", ")));
    }
    let message = message.join("; ");
    if remedy.is_empty() {
        CheckRow::pass(name, step, message)
    } else {
        CheckRow {
            ok: false,
            remedy: Some(remedy.join(" ")),
            ..CheckRow::pass(name, step, message)
        }
    }
}

/// Samples records of every type (the three types at once) and returns the row
/// summarising absent fields, each classified against `evidence` and the credential's
/// own schema view. The fields the samples did show go to `seen_out` (evidence for a
/// credential that sees less).
#[allow(clippy::too_many_arguments)]
async fn fields_row(
    client: &IcimsClient,
    samples: &Samples,
    linkedin_field: Option<&str>,
    credential: &str,
    step: u8,
    evidence: &InUseEvidence,
    limiter: &Limiter,
    hidden_out: &mut Vec<HiddenField>,
    seen_out: &mut InUseEvidence,
) -> CheckRow {
    let name = format!("{credential}.fields");
    let extra_of = |kind: ProfileType| -> Vec<String> {
        match (kind, linkedin_field) {
            (ProfileType::People, Some(f)) => vec![f.to_string()],
            _ => Vec::new(),
        }
    };
    let results = futures::future::join_all(ProfileType::ALL.iter().map(|&kind| {
        let extra = extra_of(kind);
        limiter.run(async move {
            hidden_fields(client, kind, samples.of(kind), &extra, credential).await
        })
    }))
    .await;
    // The standard ids a sampled field goes by (the LinkedIn custom field is also
    // `person.linkedin`, as the export and the mapping call it).
    let ids_of = |object: &str, field: &str| -> Vec<String> {
        let mut ids = vec![format!("{object}.{field}")];
        if object == "person" && Some(field) == linkedin_field {
            ids.push("person.linkedin".to_string());
        }
        ids
    };
    let mut found = Vec::new();
    for (&kind, result) in ProfileType::ALL.iter().zip(results) {
        match result {
            Ok(mut h) => {
                if !samples.of(kind).is_empty() {
                    let object = kind.object();
                    let expected = standard_fields(kind).iter().map(|f| f.to_string());
                    for f in expected.chain(extra_of(kind)) {
                        if !h.iter().any(|x| x.field == f) {
                            for id in ids_of(object, &f) {
                                seen_out.add(&id);
                            }
                        }
                    }
                }
                for x in &mut h {
                    x.status = classify(
                        &ids_of(&x.object, &x.field),
                        evidence,
                        samples.visible.as_ref(),
                    );
                }
                found.extend(h);
            }
            Err(e) => return CheckRow::fail(&name, step, &e).optional(),
        }
    }
    let row = summary_row(&name, step, &found, evidence);
    hidden_out.extend(found);
    row.optional()
}

/// Slots of the step 1 rows: the basic test, `basic.email` (skipped when email is fully
/// usable), `basic.fields`.
const BASIC_AUTH_SLOT: usize = 0;
const BASIC_EMAIL_SLOT: usize = 1;
const BASIC_FIELDS_SLOT: usize = 2;
const BASIC_SLOTS: usize = 3;

/// What the basic test left for the rest of step 1.
struct BasicAuth {
    /// The test passed.
    ok: bool,
    /// The Basic client, when one could be built.
    client: Option<IcimsClient>,
    /// The first page of people ids the test read (reused as the people samples).
    people: Option<Vec<Id>>,
}

/// The first part of step 1: the basic test, into slot 0.
async fn basic_auth_row(
    team: &Team,
    auth: Option<&AuthConfig>,
    config: &ClientConfig,
    limiter: &Limiter,
    out: &Ordered<'_>,
) -> BasicAuth {
    out.start(BASIC_AUTH);
    let failed = BasicAuth {
        ok: false,
        client: None,
        people: None,
    };
    let Some(auth) = auth else {
        let row = CheckRow::not_run(
            BASIC_AUTH,
            1,
            "no Basic API credentials are stored",
            format!(
                "Store the API user the customer created: `icims-onboard creds set {} --kind basic --username USER --password-stdin`.",
                crate::shell::quote(&team.name)
            ),
        );
        out.finish(BASIC_AUTH_SLOT, row);
        return failed;
    };
    let client = match client_for(team, auth, config) {
        Ok(c) => c,
        Err(e) => {
            out.finish(BASIC_AUTH_SLOT, CheckRow::fail(BASIC_AUTH, 1, &e));
            return failed;
        }
    };
    let (mut row, people) = limiter.run(basic_test(&client)).await;
    name_team(std::slice::from_mut(&mut row), team);
    let ok = row.ok;
    out.finish(BASIC_AUTH_SLOT, row);
    BasicAuth {
        ok,
        client: Some(client),
        people,
    }
}

/// What the Basic user's calls after the test gave: the email probe and the samples.
async fn basic_probe_and_samples(
    client: &IcimsClient,
    people: Option<Vec<Id>>,
    limiter: &Limiter,
) -> (Result<(), IcimsError>, Samples) {
    futures::join!(
        limiter.run(email_probe(client)),
        sample_ids_with_people(client, people, limiter)
    )
}

/// The rest of step 1 once the test passed: the fields the Basic user cannot see, and
/// the email row when email is not fully usable (slots 1 and 2).
#[allow(clippy::too_many_arguments)]
async fn basic_fields(
    client: &IcimsClient,
    samples: &Samples,
    email_search: &Result<(), IcimsError>,
    linkedin_field: Option<&str>,
    evidence: &InUseEvidence,
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
        evidence,
        limiter,
        &mut hidden,
        &mut InUseEvidence::default(),
    )
    .await;
    let email_visible = !hidden
        .iter()
        .any(|h| h.object == "person" && h.field == "email" && h.status != FieldStatus::NotInUse);
    match email_row(email_search, email_visible) {
        Some(email) => out.finish(BASIC_EMAIL_SLOT, email),
        None => out.skip(BASIC_EMAIL_SLOT),
    }
    out.finish(BASIC_FIELDS_SLOT, row);
    out.hidden(hidden.clone());
    hidden
}

/// Step 1 when the basic test did not pass: no email row, no fields row.
fn skip_basic_rest(out: &Ordered<'_>) {
    out.skip(BASIC_EMAIL_SLOT);
    out.skip(BASIC_FIELDS_SLOT);
}

/// Step 1: the basic test; when it passes, the email probe and the fields the Basic user
/// cannot see. Returns the rows, the hidden fields and the Basic client (for the dedupe
/// preview).
pub async fn run_basic(
    team: &Team,
    auth: Option<&AuthConfig>,
    config: &ClientConfig,
    linkedin_field: Option<&str>,
    evidence: &InUseEvidence,
    progress: Progress<'_>,
) -> (Vec<CheckRow>, Vec<HiddenField>, Option<IcimsClient>) {
    let limiter = Limiter::new(config.concurrency);
    let out = Ordered::new(progress, BASIC_SLOTS);
    let basic = basic_auth_row(team, auth, config, &limiter, &out).await;
    let mut hidden = Vec::new();
    match basic.client.as_ref().filter(|_| basic.ok) {
        Some(c) => {
            let (email_search, samples) = basic_probe_and_samples(c, basic.people, &limiter).await;
            hidden = basic_fields(
                c,
                &samples,
                &email_search,
                linkedin_field,
                evidence,
                &limiter,
                &out,
            )
            .await;
        }
        None => skip_basic_rest(&out),
    }
    (out.rows(), hidden, basic.client)
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
    /// The fields the REST client's samples showed (evidence for the Basic user).
    pub seen: InUseEvidence,
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
    evidence: &InUseEvidence,
    progress: Progress<'_>,
) -> PreflightRun {
    let limiter = Limiter::new(config.concurrency);
    let out = Ordered::new(progress, PREFLIGHT_SLOTS);
    let mut run = preflight_with(team, rest, datastream, config, evidence, &limiter, &out, 0).await;
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
#[allow(clippy::too_many_arguments)]
async fn preflight_with(
    team: &Team,
    rest: Option<&AuthConfig>,
    datastream: Option<&AuthConfig>,
    config: &ClientConfig,
    evidence: &InUseEvidence,
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
    let quoted = crate::shell::quote(&team.name);
    let rest_side = async {
        let samples = rest_rows(rest_client.as_ref(), &quoted, limiter, out, base).await;
        let mut hidden = Vec::new();
        let mut seen = InUseEvidence::default();
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
                    evidence,
                    limiter,
                    &mut hidden,
                    &mut seen,
                )
                .await;
                if !seen.in_use.is_empty() {
                    seen.sources.push("the REST client's samples".to_string());
                }
                out.finish(base + REST_FIELDS_SLOT, row);
                out.hidden(hidden.clone());
            }
            None => out.skip(base + REST_FIELDS_SLOT),
        }
        (hidden, linkedin, seen)
    };
    let ds_side = datastream_rows(
        ds_client.as_ref(),
        &quoted,
        limiter,
        out,
        base + DATASTREAM_SLOT,
    );
    let ((hidden, linkedin, seen), ()) = futures::join!(rest_side, ds_side);
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
        seen,
    }
}

/// Both steps with no evidence from the store (see [`run_checks_with`]).
pub async fn run_checks(
    team: &Team,
    auth: &TeamAuth,
    config: &ClientConfig,
    progress: Progress<'_>,
) -> CheckReport {
    run_checks_with(team, auth, config, &InUseEvidence::default(), progress).await
}

/// Both steps, as `icims-onboard check` runs them: the basic test first (its message
/// carries the quota left, which must not depend on how later calls interleave), then
/// the preflight beside the Basic user's email probe and sampling, then the Basic user's
/// hidden fields (which expect the LinkedIn field the REST client found, and count what
/// its samples showed as evidence of use). Rows are reported in the order they are
/// returned: step 1's, then step 2's.
pub async fn run_checks_with(
    team: &Team,
    auth: &TeamAuth,
    config: &ClientConfig,
    evidence: &InUseEvidence,
    progress: Progress<'_>,
) -> CheckReport {
    let limiter = Limiter::new(config.concurrency);
    let out = Ordered::new(progress, BASIC_SLOTS + PREFLIGHT_SLOTS);
    let basic_run = basic_auth_row(team, auth.basic.as_ref(), config, &limiter, &out).await;
    let basic = basic_run.client.as_ref().filter(|_| basic_run.ok);
    let deep_fut = preflight_with(
        team,
        auth.rest.as_ref(),
        auth.datastream.as_ref(),
        config,
        evidence,
        &limiter,
        &out,
        BASIC_SLOTS,
    );
    let people = basic_run.people.clone();
    let basic_fut = async {
        match basic {
            Some(c) => Some(basic_probe_and_samples(c, people, &limiter).await),
            None => None,
        }
    };
    let (deep, probed) = futures::join!(deep_fut, basic_fut);
    let mut basic_evidence = evidence.clone();
    basic_evidence.extend(&deep.seen);
    let mut linkedin = deep.linkedin_field.clone();
    let mut hidden1 = Vec::new();
    match (basic, probed) {
        (Some(client), Some((email_search, samples))) => {
            if linkedin.is_none() {
                linkedin = limiter
                    .run(discover_linkedin_field(client, &samples.people))
                    .await
                    .ok()
                    .flatten();
            }
            hidden1 = basic_fields(
                client,
                &samples,
                &email_search,
                linkedin.as_deref(),
                &basic_evidence,
                &limiter,
                &out,
            )
            .await;
        }
        _ => skip_basic_rest(&out),
    }
    let basic_client = basic_run.client.as_ref();
    let calls1 = basic_client.map(|c| c.stats().api_calls).unwrap_or(0);
    let quota = match (QuotaFigures::latest([basic_client]), deep.quota) {
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
    evidence: &InUseEvidence,
    progress: Progress<'_>,
) -> CheckReport {
    let (checks, hidden_fields, client) = run_basic(
        team,
        auth.basic.as_ref(),
        config,
        linkedin_field,
        evidence,
        progress,
    )
    .await;
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
    evidence: &InUseEvidence,
    progress: Progress<'_>,
) -> CheckReport {
    let deep = run_preflight(
        team,
        auth.rest.as_ref(),
        auth.datastream.as_ref(),
        config,
        evidence,
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
