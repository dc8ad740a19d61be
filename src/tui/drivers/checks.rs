//! The driver of the credential pages (steps 1 and 2): store reads and writes right away,
//! network work (tests, dedupe, source-person) as tasks on the console's runtime whose
//! progress and results come back as tagged replies — so the console stays responsive
//! while a test runs. The store is not `Send`: credentials are opened here and only their
//! `AuthConfig`s travel into the tasks. Typed, unsaved credentials are tried as typed.

use secrecy::{ExposeSecret, SecretString};

use super::Out;
use crate::icims::AuthConfig;
use crate::icims::checks::dedupe::{dedupe_preview, parse_candidates_csv};
use crate::icims::checks::record::{
    BASIC_REPORT, LINKEDIN_FIELD, PREFLIGHT_MATRIX, StoredMatrix, record_basic, record_preflight,
};
use crate::icims::checks::run::{run_basic, run_preflight};
use crate::icims::checks::source_person::{check_emails, parse_email_list};
use crate::icims::checks::{CheckEvent, InUseEvidence, TeamAuth};
use crate::icims::{ClientConfig, Endpoints, IcimsClient};
use crate::onboarding::keys;
use crate::store::{Actor, CredentialKind, CredentialParams, Store, StoreError, Team};
use crate::tui::pages::checks::{StepEffect, StepMsg, TypedBasic, TypedDeep};
use crate::tui::pages::forms::Secret;

fn step(msg: StepMsg) -> Option<StepMsg> {
    Some(msg)
}

/// The OAuth client to test: the one typed (with its secret, or the stored secret when
/// none was typed), else the stored one.
fn client_auth(
    store: &Store,
    team: &Team,
    kind: CredentialKind,
    client_id: &str,
    secret: Option<Secret>,
    stored: Option<AuthConfig>,
) -> Result<Option<AuthConfig>, String> {
    if client_id.is_empty() {
        return Ok(stored);
    }
    let secret = secret_or_stored(store, team, kind, secret)?;
    Ok(Some(AuthConfig::OAuth {
        client_id: client_id.to_string(),
        client_secret: secret,
        audience: crate::icims::auth::AUDIENCE.to_string(),
    }))
}

/// The team and auth a test runs with: the stored ones, with typed Basic credentials
/// (and customer id / region) laid over them when given.
fn with_typed_basic(
    store: &Store,
    mut t: Team,
    mut auth: TeamAuth,
    typed: &Option<TypedBasic>,
) -> Result<(Team, TeamAuth), String> {
    if let Some(b) = typed {
        t.customer_id = b.customer_id;
        t.region = b.region;
        let password = secret_or_stored(store, &t, CredentialKind::Basic, b.password.clone())?;
        auth.basic = Some(AuthConfig::Basic {
            username: b.username.clone(),
            password,
        });
    }
    Ok((t, auth))
}

fn with_typed_deep(
    store: &Store,
    t: &Team,
    mut auth: TeamAuth,
    typed: &Option<TypedDeep>,
) -> Result<TeamAuth, String> {
    if let Some(d) = typed {
        auth.rest = client_auth(
            store,
            t,
            CredentialKind::Rest,
            &d.rest_client_id,
            d.rest_secret.clone(),
            auth.rest.take(),
        )?;
        auth.datastream = client_auth(
            store,
            t,
            CredentialKind::Datastream,
            &d.datastream_client_id,
            d.datastream_secret.clone(),
            auth.datastream.take(),
        )?;
    }
    Ok(auth)
}

/// The secret to store: the one typed, else the one stored already.
fn secret_or_stored(
    store: &Store,
    team: &Team,
    kind: CredentialKind,
    typed: Option<Secret>,
) -> Result<SecretString, String> {
    if let Some(Secret(s)) = typed {
        return Ok(s);
    }
    match store.credential(team, kind) {
        Ok(Some(c)) => Ok(SecretString::from(c.secret.expose_secret().to_string())),
        Ok(None) => Err(format!("{kind} {}: required", kind.secret_name())),
        Err(e) => Err(e.to_string()),
    }
}

fn save_basic(
    store: &Store,
    actor: &Actor,
    team: &str,
    customer_id: u64,
    region: crate::store::Region,
    username: String,
    password: Option<Secret>,
) -> Result<String, String> {
    let mut t = store.team(team).map_err(|e| e.to_string())?;
    if t.customer_id != customer_id || t.region != region {
        t.customer_id = customer_id;
        t.region = region;
        store.update_team(&t, actor).map_err(|e| e.to_string())?;
    }
    let secret = secret_or_stored(store, &t, CredentialKind::Basic, password)?;
    let params = CredentialParams {
        username: Some(username),
        ..Default::default()
    };
    store
        .set_credential(&t, CredentialKind::Basic, &params, &secret, actor)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "saved customer {customer_id} ({region}) and the API user"
    ))
}

fn save_client(
    store: &Store,
    actor: &Actor,
    t: &Team,
    kind: CredentialKind,
    client_id: String,
    secret: Option<Secret>,
) -> Result<(), String> {
    let secret = secret_or_stored(store, t, kind, secret)?;
    let params = CredentialParams {
        client_id: Some(client_id),
        ..Default::default()
    };
    store
        .set_credential(t, kind, &params, &secret, actor)
        .map_err(|e| e.to_string())
}

/// What shows the team's fields in use (staged export, field mapping), so a field absent
/// from every sample is called hidden only on evidence.
fn evidence(store: &Store, t: &Team) -> Result<InUseEvidence, String> {
    crate::mapping::in_use::from_store(store, t).map_err(|e| e.to_string())
}

fn load(store: &Store, team: &str) -> Result<(Team, TeamAuth), StoreError> {
    let t = store.team(team)?;
    let auth = TeamAuth::load(store, &t)?;
    Ok((t, auth))
}

fn basic_client(t: &Team, auth: &TeamAuth, config: &ClientConfig) -> Result<IcimsClient, String> {
    let a = auth.basic.clone().ok_or_else(|| {
        format!(
            "no Basic API credentials for team {}: save them on the Connection section first",
            t.name
        )
    })?;
    // Live searches: a candidate created minutes ago must be found.
    let config = ClientConfig {
        search_staleness: Some(0),
        ..config.clone()
    };
    Endpoints::for_team(t)
        .and_then(|e| IcimsClient::new(e, a, config))
        .map_err(|e| e.to_string())
}

/// Runs one effect; a reply that is ready now is returned, later ones arrive through `bg`.
pub fn run(store: &Store, actor: &Actor, effect: StepEffect, bg: &Out<StepMsg>) -> Option<StepMsg> {
    let config = ClientConfig::from_env();
    match effect {
        StepEffect::LoadLast { team, step: which } => {
            let key = if which == 1 {
                BASIC_REPORT
            } else {
                PREFLIGHT_MATRIX
            };
            let last = store
                .team(&team)
                .and_then(|t| store.fact::<StoredMatrix>(&t, key))
                .ok()
                .flatten();
            step(StepMsg::Loaded { step: which, last })
        }
        StepEffect::SaveBasic {
            team,
            customer_id,
            region,
            username,
            password,
        } => step(StepMsg::Saved(save_basic(
            store,
            actor,
            &team,
            customer_id,
            region,
            username,
            password,
        ))),
        StepEffect::SaveDeep {
            team,
            rest_client_id,
            rest_secret,
            datastream_client_id,
            datastream_secret,
        } => {
            let result = (|| {
                let t = store.team(&team).map_err(|e| e.to_string())?;
                if !rest_client_id.is_empty() {
                    save_client(
                        store,
                        actor,
                        &t,
                        CredentialKind::Rest,
                        rest_client_id,
                        rest_secret,
                    )?;
                }
                if !datastream_client_id.is_empty() {
                    save_client(
                        store,
                        actor,
                        &t,
                        CredentialKind::Datastream,
                        datastream_client_id,
                        datastream_secret,
                    )?;
                }
                Ok("saved the REST and Data Stream credentials".to_string())
            })();
            step(StepMsg::Saved(result))
        }
        StepEffect::SetSyncEnabled { team, enabled } => {
            let result = store
                .team(&team)
                .and_then(|t| store.set_fact(&t, keys::BASIC_SYNC_ENABLED, &enabled, actor))
                .map(|()| format!("sync {}", if enabled { "enabled" } else { "disabled" }))
                .map_err(|e| e.to_string());
            step(StepMsg::Recorded(result))
        }
        StepEffect::RunBasicTest { team, typed } => {
            let (ev, t, auth) = match load(store, &team)
                .map_err(|e| e.to_string())
                .and_then(|(t, auth)| with_typed_basic(store, t, auth, &typed))
                .and_then(|(t, auth)| Ok((evidence(store, &t)?, t, auth)))
            {
                Ok(x) => x,
                Err(e) => return step(StepMsg::Saved(Err(e))),
            };
            let linkedin: Option<String> = store.fact(&t, LINKEDIN_FIELD).ok().flatten();
            let bg = bg.clone();
            tokio::spawn(async move {
                let progress_tx = bg.clone();
                let progress = move |e: CheckEvent| progress_tx.send(StepMsg::Progress(e));
                let (rows, hidden, _) = run_basic(
                    &t,
                    auth.basic.as_ref(),
                    &config,
                    linkedin.as_deref(),
                    &ev,
                    &progress,
                )
                .await;
                bg.send(StepMsg::BasicDone {
                    team: team.clone(),
                    rows,
                    hidden,
                    typed,
                });
            });
            None
        }
        StepEffect::RunPreflight { team, typed } => {
            let (ev, t, auth) =
                match load(store, &team)
                    .map_err(|e| e.to_string())
                    .and_then(|(t, auth)| {
                        Ok((
                            evidence(store, &t)?,
                            t.clone(),
                            with_typed_deep(store, &t, auth, &typed)?,
                        ))
                    }) {
                    Ok(x) => x,
                    Err(e) => return step(StepMsg::Saved(Err(e))),
                };
            let bg = bg.clone();
            tokio::spawn(async move {
                let progress_tx = bg.clone();
                let progress = move |e: CheckEvent| progress_tx.send(StepMsg::Progress(e));
                let run = run_preflight(
                    &t,
                    auth.rest.as_ref(),
                    auth.datastream.as_ref(),
                    &config,
                    &ev,
                    &progress,
                )
                .await;
                bg.send(StepMsg::PreflightDone {
                    team: team.clone(),
                    rows: run.rows,
                    hidden: run.hidden,
                    linkedin_field: run.linkedin_field,
                    typed,
                });
            });
            None
        }
        StepEffect::RunDedupe {
            team,
            mut candidates,
            csv_file,
        } => {
            let mut problems = Vec::new();
            if let Some(path) = csv_file {
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) => {
                        return step(StepMsg::DedupeDone(Err(format!("cannot read {path}: {e}"))));
                    }
                };
                match parse_candidates_csv(&path, &text) {
                    Ok((c, p)) => {
                        candidates.extend(c);
                        problems.extend(p.iter().map(ToString::to_string));
                    }
                    Err(e) => return step(StepMsg::DedupeDone(Err(e.to_string()))),
                }
            }
            let (t, auth) = match load(store, &team) {
                Ok(x) => x,
                Err(e) => return step(StepMsg::DedupeDone(Err(e.to_string()))),
            };
            let linkedin: Option<String> = store.fact(&t, LINKEDIN_FIELD).ok().flatten();
            let client = match basic_client(&t, &auth, &config) {
                Ok(c) => c,
                Err(e) => return step(StepMsg::DedupeDone(Err(e))),
            };
            let bg = bg.clone();
            tokio::spawn(async move {
                let mut results = Vec::new();
                for c in &candidates {
                    match dedupe_preview(&client, c, linkedin.as_deref()).await {
                        Ok(r) => results.push(r),
                        Err(e) => {
                            bg.send(StepMsg::DedupeDone(Err(format!("{e} — {}", e.remedy()))));
                            return;
                        }
                    }
                }
                bg.send(StepMsg::DedupeDone(Ok((results, problems))));
            });
            None
        }
        StepEffect::RunSourcePerson { team, emails, file } => {
            let mut text = emails;
            if let Some(path) = &file {
                match std::fs::read_to_string(path) {
                    Ok(t) => {
                        text.push('\n');
                        text.push_str(&t);
                    }
                    Err(e) => {
                        return step(StepMsg::SourceDone(Err(format!("cannot read {path}: {e}"))));
                    }
                }
            }
            let (list, bad) = parse_email_list(&text);
            let problems: Vec<String> = bad
                .iter()
                .map(|b| format!("line {}: {:?}: {}", b.line, b.text, b.reason))
                .collect();
            if list.is_empty() {
                return step(StepMsg::SourceDone(Err(
                    "no email addresses to check".into()
                )));
            }
            let (t, auth) = match load(store, &team) {
                Ok(x) => x,
                Err(e) => return step(StepMsg::SourceDone(Err(e.to_string()))),
            };
            let client = match basic_client(&t, &auth, &config) {
                Ok(c) => c,
                Err(e) => return step(StepMsg::SourceDone(Err(e))),
            };
            let bg = bg.clone();
            tokio::spawn(async move {
                let r = check_emails(&client, &list)
                    .await
                    .map(|rows| (rows, problems))
                    .map_err(|e| format!("{e} — {}", e.remedy()));
                bg.send(StepMsg::SourceDone(r));
            });
            None
        }
        StepEffect::RecordBasic { team, rows, hidden } => {
            let r = store
                .team(&team)
                .and_then(|t| record_basic(store, &t, &rows, &hidden, actor))
                .map(|o| format!("test recorded: {}", o.summary))
                .map_err(|e| e.to_string());
            step(StepMsg::Recorded(r))
        }
        StepEffect::RecordPreflight {
            team,
            rows,
            hidden,
            linkedin_field,
        } => {
            let r = store
                .team(&team)
                .and_then(|t| {
                    if let Some(f) = &linkedin_field {
                        store.set_fact(&t, LINKEDIN_FIELD, f, actor)?;
                    }
                    record_preflight(store, &t, &rows, &hidden, actor)
                })
                .map(|o| format!("preflight recorded: {}", o.summary))
                .map_err(|e| e.to_string());
            step(StepMsg::Recorded(r))
        }
    }
}
