//! The iCIMS client and the step 1/2 checks against the sandbox tenant over real TCP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use icims_onboard::icims::checks::dedupe::{
    Candidate, DedupeKey, dedupe_preview, discover_linkedin_field,
};
use icims_onboard::icims::checks::source_person::{SourcePersonVerdict, check_emails};
use icims_onboard::icims::checks::{CheckRow, TeamAuth, run_checks};
use icims_onboard::icims::{
    AUDIENCE, AuthConfig, ClientConfig, Endpoints, Filter, IcimsClient, IcimsError, Id,
    ProfileType, RetryPolicy, SearchQuery,
};
use icims_onboard::sandbox::{FaultKind, FaultPlan, Sandbox, SandboxConfig, SandboxInfo};
use icims_onboard::store::{Region, Team};
use secrecy::SecretString;

/// A liveness bound for calls that must not hang (not a speed assertion).
const MUST_FINISH_WITHIN: Duration = Duration::from_secs(60);

async fn start(cfg: SandboxConfig) -> Sandbox {
    Sandbox::start(cfg).await.expect("sandbox starts")
}

fn endpoints(info: &SandboxInfo) -> Endpoints {
    Endpoints::new(
        info.customer_id,
        &info.api_base,
        &info.token_url,
        &info.datastream.base,
    )
    .unwrap()
}

fn fast_config() -> ClientConfig {
    ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    }
}

fn basic(info: &SandboxInfo) -> AuthConfig {
    AuthConfig::Basic {
        username: info.basic.username.clone(),
        password: SecretString::from(info.basic.password.clone()),
    }
}

fn oauth(info: &SandboxInfo) -> AuthConfig {
    AuthConfig::OAuth {
        client_id: info.oauth.client_id.clone(),
        client_secret: SecretString::from(info.oauth.client_secret.clone()),
        audience: AUDIENCE.into(),
    }
}

fn client(info: &SandboxInfo, auth: AuthConfig) -> IcimsClient {
    IcimsClient::new(endpoints(info), auth, fast_config()).unwrap()
}

#[tokio::test]
async fn basic_oauth_and_hmac_read_the_same_person() {
    let sb = start(SandboxConfig {
        people: 200,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let tenant = sb.tenant();
    let person = &tenant.people[3];
    let hmac = AuthConfig::Hmac {
        user: info.hmac.user.clone(),
        secret: SecretString::from(info.hmac.secret.clone()),
    };
    for auth in [basic(&info), oauth(&info), hmac] {
        let c = client(&info, auth);
        let p = c
            .get_profile(ProfileType::People, Id(person.id), &["firstname", "email"])
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", c.auth()));
        assert_eq!(
            p.text("firstname").as_deref(),
            Some(person.firstname.as_str())
        );
        assert_eq!(p.text("email").as_deref(), Some(person.email.as_str()));
        let hits = c
            .search(
                ProfileType::People,
                &SearchQuery::all(vec![Filter::exact("person.email", &person.email)]),
            )
            .await
            .unwrap();
        assert!(hits.iter().any(|h| h.id == Id(person.id)));
    }
}

#[tokio::test]
async fn pager_walks_past_the_thousand_id_cap() {
    let sb = start(SandboxConfig {
        people: 2500,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let c = client(&info, basic(&info));
    let pager = c.search_pager(ProfileType::People, SearchQuery::default());
    let ids = pager.collect_all(10).await.unwrap();
    let expected: Vec<u64> = sb.tenant().people.iter().map(|p| p.id).collect();
    assert_eq!(ids.iter().map(|i| i.0).collect::<Vec<_>>(), expected);
    assert!(expected.len() > 2000);
    assert_eq!(c.stats().api_calls, expected.len() as u64 / 1000 + 1);
    let q = c.quota().unwrap();
    assert_eq!(q.limit, Some(10_000));
    assert_eq!(q.used(), Some(c.stats().api_calls));
}

#[tokio::test]
async fn unreachable_host_fails_fast() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}");
    let c = IcimsClient::new(
        Endpoints::new(1, &base, &format!("{base}/oauth/token"), &base).unwrap(),
        AuthConfig::Basic {
            username: "u".into(),
            password: SecretString::from("p".to_string()),
        },
        ClientConfig::default(),
    )
    .unwrap();
    let err = tokio::time::timeout(MUST_FINISH_WITHIN, c.lists())
        .await
        .expect("an unreachable host must fail, not hang")
        .unwrap_err();
    assert!(matches!(err, IcimsError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.remedy().contains("network"));
    // Refused connections are not retried.
    assert_eq!(c.stats().retries, 0);
    assert_eq!(c.stats().api_calls, 1);
}

fn team_for(info: &SandboxInfo, region: Region, customer_id: u64) -> Team {
    let (api, token) = match region {
        Region::Us => (&info.regions.us.api_base, &info.regions.us.token_url),
        Region::Eu => (&info.regions.eu.api_base, &info.regions.eu.token_url),
    };
    Team {
        id: 1,
        name: "acme".into(),
        customer_id,
        region,
        api_base_override: Some(api.clone()),
        token_url_override: Some(token.clone()),
        datastream_base_override: Some(info.datastream.base.clone()),
        created_at: String::new(),
    }
}

fn full_auth(info: &SandboxInfo) -> TeamAuth {
    TeamAuth {
        basic: Some(basic(info)),
        rest: Some(oauth(info)),
        datastream: Some(AuthConfig::OAuth {
            client_id: info.datastream.client_id.clone(),
            client_secret: SecretString::from(info.datastream.client_secret.clone()),
            audience: AUDIENCE.into(),
        }),
    }
}

fn row<'a>(rows: &'a [CheckRow], name: &str) -> &'a CheckRow {
    rows.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name} in {rows:#?}"))
}

#[tokio::test]
async fn good_credentials_pass_every_check() {
    let sb = start(SandboxConfig {
        people: 300,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let team = team_for(&info, Region::Us, info.customer_id);
    let report = run_checks(&team, &full_auth(&info), &fast_config(), &|_| {}).await;
    for r in &report.checks {
        assert!(r.ok, "{r:#?}");
    }
    assert!(report.ok());
    assert_eq!(report.hidden_fields, vec![]);
    assert_eq!(
        report.linkedin_field.as_deref(),
        Some(sb.tenant().linkedin_field.as_str())
    );
    let names: Vec<&str> = report.checks.iter().map(|r| r.name.as_str()).collect();
    for expected in [
        "basic.auth",
        "basic.fields",
        "rest.token",
        "people.search",
        "people.get",
        "jobs.search",
        "jobs.get",
        "applicantworkflows.search",
        "applicantworkflows.get",
        "statuses",
        "person.folders",
        "schema",
        "rest.fields",
        "datastream.token",
        "datastream.subscriptions",
        "datastream.events",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let statuses = row(&report.checks, "statuses");
    assert!(
        statuses
            .message
            .starts_with(&format!("{} statuses", sb.tenant().statuses.len())),
        "{}",
        statuses.message
    );
    // Every API call made was counted by the sandbox's quota, and the report carries the
    // quota as the last answer stated it.
    assert_eq!(report.api_calls, sb.quota_used_today());
    let q = report.quota.expect("quota figures");
    assert_eq!(q.limit, Some(10_000));
    assert_eq!(q.remaining, Some(10_000 - report.api_calls));
    assert!(q.reset_secs.is_some_and(|s| s <= 86_400));
}

#[tokio::test]
async fn wrong_password_is_explained_as_error_code_6() {
    let sb = start(SandboxConfig {
        people: 50,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let team = team_for(&info, Region::Us, info.customer_id);
    let auth = TeamAuth {
        basic: Some(AuthConfig::Basic {
            username: info.basic.username.clone(),
            password: SecretString::from("not-the-password".to_string()),
        }),
        ..TeamAuth::default()
    };
    let report = run_checks(&team, &auth, &fast_config(), &|_| {}).await;
    let r = row(&report.checks, "basic.auth");
    assert!(!r.ok);
    assert_eq!(r.http_status, Some(401));
    assert_eq!(r.error_code, Some(6));
    assert!(
        r.message.contains("Invalid Username or Password"),
        "{}",
        r.message
    );
    assert!(
        r.remedy
            .as_deref()
            .unwrap()
            .contains("username and password")
    );
    assert!(!report.ok());
    // Without REST/Data Stream credentials, step 2 rows say what to store.
    let t = row(&report.checks, "rest.token");
    assert!(
        !t.ok
            && t.remedy
                .as_deref()
                .unwrap()
                .contains("creds set acme --kind rest")
    );
    // No secret anywhere in the report.
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("not-the-password"));
    assert!(!json.contains(&info.basic.password));
}

#[tokio::test]
async fn wrong_customer_id_is_named() {
    let sb = start(SandboxConfig {
        people: 50,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let team = team_for(&info, Region::Us, info.customer_id + 1);
    let auth = TeamAuth {
        basic: Some(basic(&info)),
        ..TeamAuth::default()
    };
    let report = run_checks(&team, &auth, &fast_config(), &|_| {}).await;
    let r = row(&report.checks, "basic.auth");
    assert!(!r.ok);
    assert_eq!(r.http_status, Some(404));
    assert!(
        r.message
            .contains(&format!("customer id {}", info.customer_id + 1)),
        "{}",
        r.message
    );
    assert!(r.remedy.as_deref().unwrap().contains("customer id"));
}

#[tokio::test]
async fn restricted_user_gets_hidden_field_warnings_naming_the_fields() {
    let sb = start(SandboxConfig {
        people: 300,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let tenant = sb.tenant();
    let team = team_for(&info, Region::Us, info.customer_id);
    let mut auth = full_auth(&info);
    auth.basic = Some(AuthConfig::Basic {
        username: info.restricted.username.clone(),
        password: SecretString::from(info.restricted.password.clone()),
    });
    let report = run_checks(&team, &auth, &fast_config(), &|_| {}).await;
    assert!(report.ok(), "hidden fields are warnings, not failures");
    let mut found: Vec<String> = report
        .hidden_for("basic")
        .iter()
        .map(|h| format!("{}.{}", h.object, h.field))
        .collect();
    found.sort();
    let mut expected: Vec<String> = tenant
        .restricted_hidden
        .iter()
        .map(|s| {
            s.replace(
                "person.linkedin",
                &format!("person.{}", tenant.linkedin_field),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    assert!(report.hidden_for("rest").is_empty());
    let fields = row(&report.checks, "basic.fields");
    assert!(!fields.ok && !fields.required);
    assert!(
        fields.message.contains("person.addresses"),
        "{}",
        fields.message
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_transparently() {
    let sb = start(SandboxConfig {
        people: 50,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let c = client(&info, oauth(&info));
    c.lists().await.unwrap();
    assert_eq!(c.stats().token_requests, 1);
    // The sandbox's clock passes the token's 24 h lifetime; the client still thinks it valid.
    sb.clock().advance(chrono::Duration::hours(25));
    let lists = c.lists().await.unwrap();
    assert!(lists.contains(&"lists.person.folders".to_string()));
    let s = c.stats();
    assert_eq!(s.token_requests, 2);
    assert_eq!(s.token_refresh_retries, 1);
    assert_eq!(s.retries, 0);
}

#[tokio::test]
async fn a_short_lived_token_is_refreshed_before_expiry() {
    let sb = start(SandboxConfig {
        people: 50,
        token_lifetime_secs: 2,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let c = client(&info, oauth(&info));
    c.lists().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1900)).await;
    c.lists().await.unwrap();
    let s = c.stats();
    assert_eq!(s.token_requests, 2, "refreshed ahead of expiry");
    assert_eq!(s.token_refresh_retries, 0, "no call hit a 401");
}

/// A fault seed whose first faultable requests get exactly `pattern` (None = no fault).
fn seed_for(kinds: &[FaultKind], rate: f64, pattern: &[Option<FaultKind>]) -> u64 {
    (0..100_000u64)
        .find(|&s| {
            let mut p = FaultPlan::new(s, rate);
            p.kinds = kinds.to_vec();
            pattern
                .iter()
                .enumerate()
                .all(|(i, want)| p.at(i as u64) == *want)
        })
        .expect("a seed with that fault pattern")
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let seed = seed_for(
        &[FaultKind::Throttle],
        0.5,
        &[Some(FaultKind::Throttle), None],
    );
    let sb = start(SandboxConfig {
        people: 50,
        fault_rate: 0.5,
        fault_seed: Some(seed),
        fault_kinds: vec![FaultKind::Throttle],
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let c = client(&info, basic(&info));
    let started = Instant::now();
    let lists = c.lists().await.unwrap();
    assert!(!lists.is_empty());
    assert_eq!(sb.fault_log(), vec![(0, FaultKind::Throttle)]);
    assert_eq!(c.stats().retries, 1);
    // Retry-After: 1 was honoured (a lower bound; the sleep guarantees it).
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_5xx_burst_is_retried_then_reported_without_a_storm() {
    // Two 503s then success.
    let seed = seed_for(
        &[FaultKind::ServerError],
        0.5,
        &[
            Some(FaultKind::ServerError),
            Some(FaultKind::ServerError),
            None,
        ],
    );
    let sb = start(SandboxConfig {
        people: 50,
        fault_rate: 0.5,
        fault_seed: Some(seed),
        fault_kinds: vec![FaultKind::ServerError],
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let c = client(&info, basic(&info));
    c.lists().await.unwrap();
    assert_eq!(c.stats().retries, 2);
    drop(sb);

    // Every call fails: bounded attempts, then a Server error with the count.
    let sb = start(SandboxConfig {
        people: 50,
        fault_rate: 1.0,
        fault_kinds: vec![FaultKind::ServerError],
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let c = client(&info, basic(&info));
    let err = tokio::time::timeout(MUST_FINISH_WITHIN, c.lists())
        .await
        .unwrap()
        .unwrap_err();
    let policy = RetryPolicy::default();
    match &err {
        IcimsError::Server {
            status,
            attempts,
            code,
            ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(*attempts, policy.max_attempts);
            assert_eq!(*code, Some(0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sb.fault_log().len() as u32, policy.max_attempts);
    assert!(err.remedy().contains("try again later"));
}

#[tokio::test]
async fn resets_truncation_and_malformed_bodies_are_retried() {
    for kind in [FaultKind::Reset, FaultKind::Truncated, FaultKind::Malformed] {
        let seed = seed_for(&[kind], 0.5, &[Some(kind), None]);
        let sb = start(SandboxConfig {
            people: 50,
            fault_rate: 0.5,
            fault_seed: Some(seed),
            fault_kinds: vec![kind],
            ..Default::default()
        })
        .await;
        let info = sb.info();
        let c = client(&info, basic(&info));
        let person = sb.tenant().people[0].clone();
        let p = c
            .get_profile(ProfileType::People, Id(person.id), &[])
            .await
            .unwrap();
        assert_eq!(
            p.text("email").as_deref(),
            Some(person.email.as_str()),
            "{kind:?}"
        );
        assert_eq!(c.stats().retries, 1, "{kind:?}");
    }
}

#[tokio::test]
async fn a_spent_daily_quota_is_reported_not_waited_for() {
    let sb = start(SandboxConfig {
        people: 50,
        daily_quota: 2,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let c = client(&info, basic(&info));
    c.lists().await.unwrap();
    c.lists().await.unwrap();
    let err = tokio::time::timeout(MUST_FINISH_WITHIN, c.lists())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, IcimsError::QuotaExhausted { limit: Some(2), .. }),
        "{err:?}"
    );
    assert_eq!(c.stats().retries, 0);
    assert!(err.remedy().contains("00:00 UTC"));
}

#[tokio::test]
async fn an_eu_team_hits_the_eu_base() {
    let sb = start(SandboxConfig {
        people: 50,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let team = team_for(&info, Region::Eu, info.customer_id);
    let report = run_checks(&team, &full_auth(&info), &fast_config(), &|_| {}).await;
    assert!(report.ok(), "{:#?}", report.checks);
    let hits = sb.requests_by_region();
    assert!(hits.eu > 0);
    // Only the Data Stream (one global host) is on the plain base.
    let ds_calls = 3 + 1; // token, subscriptions, events + nothing else
    assert!(hits.us <= ds_calls, "{hits:?}");
}

#[tokio::test]
async fn dedupe_reports_exactly_the_generators_collisions() {
    let sb = start(SandboxConfig {
        people: 600,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let tenant = sb.tenant();
    let c = client(&info, basic(&info));
    let ids: Vec<Id> = c
        .search_pager(ProfileType::People, SearchQuery::default())
        .collect_all(5)
        .await
        .unwrap();
    let field = discover_linkedin_field(&c, &ids).await.unwrap();
    assert_eq!(field.as_deref(), Some(tenant.linkedin_field.as_str()));
    let groups = [
        (DedupeKey::Email, &tenant.collisions.email),
        (DedupeKey::Linkedin, &tenant.collisions.linkedin),
        (DedupeKey::Name, &tenant.collisions.name),
    ];
    for (key, list) in groups {
        assert!(!list.is_empty(), "{key:?}");
        for g in list.iter() {
            let cand = match key {
                DedupeKey::Email => Candidate {
                    email: Some(g.key.clone()),
                    ..Default::default()
                },
                DedupeKey::Linkedin => Candidate {
                    linkedin: Some(g.key.clone()),
                    ..Default::default()
                },
                DedupeKey::Name => Candidate {
                    name: Some(g.key.clone()),
                    ..Default::default()
                },
            };
            let r = dedupe_preview(&c, &cand, field.as_deref()).await.unwrap();
            assert_eq!(r.keys.len(), 1);
            assert_eq!(r.keys[0].person_ids, g.person_ids, "{key:?} {}", g.key);
            assert!(r.keys[0].ambiguous);
            assert_eq!(r.keys[0].matches.len(), g.person_ids.len());
        }
    }
    // A person with unique keys is a plain duplicate of themselves on every key.
    let shared: std::collections::BTreeSet<u64> = groups
        .iter()
        .flat_map(|(_, l)| l.iter().flat_map(|g| g.person_ids.iter().copied()))
        .collect();
    let p = tenant
        .people
        .iter()
        .find(|p| !shared.contains(&p.id) && !p.linkedin.is_empty())
        .unwrap();
    let cand = Candidate {
        email: Some(p.email.to_uppercase()),
        linkedin: Some(format!(
            "{}/",
            p.linkedin.replace("https://www.", "http://")
        )),
        name: Some(format!("{} {}", p.firstname, p.lastname)),
        line: None,
    };
    let r = dedupe_preview(&c, &cand, field.as_deref()).await.unwrap();
    for k in &r.keys {
        assert_eq!(k.person_ids, vec![p.id], "{k:?}");
    }
    assert_eq!(
        serde_json::to_value(&r).unwrap()["verdict"],
        serde_json::json!("duplicate")
    );
}

#[tokio::test]
async fn source_person_check_matches_the_generators_users() {
    let sb = start(SandboxConfig {
        people: 600,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let tenant = sb.tenant();
    let c = client(&info, basic(&info));
    let emails: Vec<String> = tenant
        .recruiter_emails
        .iter()
        .map(|c| c.email.clone())
        .collect();
    let rows = check_emails(&c, &emails).await.unwrap();
    let mut verdicts = Vec::new();
    for (case, row) in tenant.recruiter_emails.iter().zip(&rows) {
        let ids: Vec<u64> = row.users.iter().map(|u| u.id).collect();
        assert_eq!(ids, case.user_ids, "{}", case.email);
        let expected = match case.user_ids.len() {
            0 => SourcePersonVerdict::NoUser,
            1 => SourcePersonVerdict::Exact,
            _ => SourcePersonVerdict::Several,
        };
        assert_eq!(row.verdict, expected);
        assert_eq!(
            row.source_person_id,
            (case.user_ids.len() == 1).then(|| case.user_ids[0])
        );
        verdicts.push(row.verdict);
    }
    for v in [
        SourcePersonVerdict::Exact,
        SourcePersonVerdict::NoUser,
        SourcePersonVerdict::Several,
    ] {
        assert!(verdicts.contains(&v), "the generator plants a {v:?} case");
    }
}

mod cli {
    use std::io::Write;
    use std::path::Path;
    use std::process::{Command, Output, Stdio};

    use icims_onboard::icims::checks::record::{PREFLIGHT_MATRIX, StoredMatrix};
    use icims_onboard::onboarding::{TestOutcome, keys};
    use icims_onboard::sandbox::{Sandbox, SandboxConfig};
    use icims_onboard::store::Store;
    use serde_json::Value;

    fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_icims-onboard"));
        cmd.arg("--db")
            .arg(dir.join("db.sqlite"))
            .args(args)
            .env("ICIMS_ONBOARD_KEY_FILE", dir.join("key"))
            .env("ICIMS_ONBOARD_LOG", dir.join("log"))
            .env("ICIMS_ONBOARD_LOG_LEVEL", "trace")
            .env_remove("ICIMS_ONBOARD_KEY")
            .env_remove("ICIMS_ONBOARD_DB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("binary runs");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    async fn run_async(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let dir = dir.to_path_buf();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let stdin = stdin.map(str::to_string);
        tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&dir, &a, stdin.as_deref())
        })
        .await
        .unwrap()
    }

    fn ok(out: &Output) {
        assert!(
            out.status.success(),
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn check_json_reports_the_matrix_and_exits_by_required_checks() {
        let sb = Sandbox::start(SandboxConfig {
            people: 200,
            ..Default::default()
        })
        .await
        .unwrap();
        let info = sb.info();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let cid = info.customer_id.to_string();
        ok(&run_async(
            d,
            &[
                "team",
                "add",
                "acme",
                "--customer-id",
                &cid,
                "--api-base",
                &info.api_base,
                "--token-url",
                &info.token_url,
                "--datastream-base",
                &info.datastream.base,
            ],
            None,
        )
        .await);
        ok(&run_async(
            d,
            &[
                "creds",
                "set",
                "acme",
                "--kind",
                "basic",
                "--username",
                &info.restricted.username,
                "--password-stdin",
            ],
            Some(&format!("{}\n", info.restricted.password)),
        )
        .await);
        // `--step 1` runs step 1 alone: it passes (hidden fields are warnings).
        let out = run_async(d, &["check", "acme", "--step", "1", "--json"], None).await;
        ok(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let steps: Vec<u64> = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["step"].as_u64().unwrap())
            .collect();
        assert_eq!(steps, vec![1, 1], "{v}");
        assert_eq!(
            run_async(d, &["check", "acme", "--step", "3"], None)
                .await
                .status
                .code(),
            Some(2)
        );

        // Only step 1 configured: step 2 rows say what to store, exit 1, and step 2 stays
        // "todo" (a step never configured is not recorded as failed).
        let out = run_async(d, &["check", "acme", "--json"], None).await;
        assert_eq!(out.status.code(), Some(1));
        let show = run_async(d, &["team", "show", "acme", "--json"], None).await;
        let v: Value = serde_json::from_slice(&show.stdout).unwrap();
        assert_eq!(v["steps"][1]["state"], "todo", "{v}");
        assert_ne!(v["steps"][0]["state"], "todo", "{v}");
        ok(&run_async(
            d,
            &[
                "creds",
                "set",
                "acme",
                "--kind",
                "rest",
                "--client-id",
                &info.oauth.client_id,
                "--secret-stdin",
            ],
            Some(&format!("{}\n", info.oauth.client_secret)),
        )
        .await);
        ok(&run_async(
            d,
            &[
                "creds",
                "set",
                "acme",
                "--kind",
                "datastream",
                "--client-id",
                &info.datastream.client_id,
                "--secret-stdin",
            ],
            Some(&format!("{}\n", info.datastream.client_secret)),
        )
        .await);

        let out = run_async(d, &["check", "acme", "--json"], None).await;
        ok(&out);
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        let checks = v["checks"].as_array().unwrap();
        assert!(checks.len() >= 14);
        for c in checks {
            for k in [
                "name",
                "ok",
                "required",
                "http_status",
                "error_code",
                "message",
                "remedy",
            ] {
                assert!(c.get(k).is_some(), "{k} missing in {c}");
            }
        }
        let hidden: Vec<String> = v["hidden_fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                format!(
                    "{}.{}",
                    h["object"].as_str().unwrap(),
                    h["field"].as_str().unwrap()
                )
            })
            .collect();
        assert!(
            hidden.contains(&"person.addresses".to_string()),
            "{hidden:?}"
        );
        assert!(
            hidden.contains(&"job.hiringmanager".to_string()),
            "{hidden:?}"
        );

        // Dedupe preview and source-person check through the CLI.
        let tenant = sb.tenant();
        let group = tenant.collisions.email[0].clone();
        let emails_file = d.join("recruiters.txt");
        let emails: Vec<String> = tenant
            .recruiter_emails
            .iter()
            .map(|c| c.email.clone())
            .collect();
        std::fs::write(
            &emails_file,
            format!("# recruiters\n{}\nnot-an-email@\n", emails.join(", ")),
        )
        .unwrap();
        let out = run_async(
            d,
            &[
                "check",
                "acme",
                "--json",
                "--dedupe-email",
                &group.key,
                "--source-person-emails",
                emails_file.to_str().unwrap(),
            ],
            None,
        )
        .await;
        ok(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids: Vec<u64> = v["dedupe"][0]["keys"][0]["person_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap())
            .collect();
        assert_eq!(ids, group.person_ids);
        assert_eq!(v["dedupe"][0]["verdict"], "ambiguous");
        let rows = v["source_person"].as_array().unwrap();
        assert_eq!(rows.len(), tenant.recruiter_emails.len());
        for (case, row) in tenant.recruiter_emails.iter().zip(rows) {
            let users: Vec<u64> = row["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_u64().unwrap())
                .collect();
            assert_eq!(users, case.user_ids, "{}", case.email);
        }
        let problems = v["source_person_problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].as_str().unwrap().contains("line 3"),
            "{problems:?}"
        );

        // Wrong password: exit 1, errorCode 6 in the basic row.
        ok(&run_async(
            d,
            &[
                "creds",
                "set",
                "acme",
                "--kind",
                "basic",
                "--username",
                &info.basic.username,
                "--password-stdin",
            ],
            Some("definitely-wrong-pw\n"),
        )
        .await);
        let out = run_async(d, &["check", "acme", "--json"], None).await;
        assert_eq!(out.status.code(), Some(1));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let basic = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "basic.auth")
            .unwrap();
        assert_eq!(basic["ok"], false);
        assert_eq!(basic["error_code"], 6);
        assert_eq!(basic["http_status"], 401);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for secret in [
            "definitely-wrong-pw",
            info.oauth.client_secret.as_str(),
            info.datastream.client_secret.as_str(),
        ] {
            assert!(!all.contains(secret));
        }
        // The log (at trace level, dependencies included) holds no secret or token.
        let log = std::fs::read_to_string(d.join("log")).unwrap_or_default();
        assert!(log.contains("iCIMS call"), "the client logged its calls");
        for secret in [
            "definitely-wrong-pw",
            info.oauth.client_secret.as_str(),
            info.datastream.client_secret.as_str(),
            info.restricted.password.as_str(),
        ] {
            assert!(!log.contains(secret), "secret in the log");
        }
        assert!(
            !log.to_ascii_lowercase().contains("bearer "),
            "token in the log"
        );
        assert!(
            !log.to_ascii_lowercase().contains("authorization: basic"),
            "basic header in the log"
        );

        // The outcomes are facts with time and actor; step states follow them.
        let store = Store::open(&d.join("db.sqlite")).unwrap();
        let team = store.team("acme").unwrap();
        let basic: TestOutcome = store.fact(&team, keys::BASIC_TEST).unwrap().unwrap();
        assert!(!basic.ok);
        assert_eq!(basic.failed, vec!["basic.auth"]);
        let deep: TestOutcome = store.fact(&team, keys::DEEP_PREFLIGHT).unwrap().unwrap();
        assert!(deep.ok, "{deep:?}");
        let matrix: StoredMatrix = store.fact(&team, PREFLIGHT_MATRIX).unwrap().unwrap();
        assert!(!matrix.actor.is_empty() && !matrix.at.is_empty());
        assert!(
            matrix
                .checks
                .iter()
                .any(|r| r.name == "datastream.events" && r.ok)
        );
        let show = run_async(d, &["team", "show", "acme", "--json"], None).await;
        let v: Value = serde_json::from_slice(&show.stdout).unwrap();
        assert_eq!(v["steps"][0]["state"], "needs attention");
        assert_eq!(v["steps"][1]["state"], "done");
    }
}

#[tokio::test]
async fn tls_to_a_plain_http_port_is_reported_as_tls() {
    let sb = start(SandboxConfig {
        people: 20,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let https = info.api_base.replace("http://", "https://");
    let c = IcimsClient::new(
        Endpoints::new(
            info.customer_id,
            &https,
            &info.token_url,
            &info.datastream.base,
        )
        .unwrap(),
        basic(&info),
        fast_config(),
    )
    .unwrap();
    let err = tokio::time::timeout(MUST_FINISH_WITHIN, c.lists())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), "tls", "{err:?}");
    assert!(err.remedy().contains("https"));
}

/// Steps 1 and 2 walked through in the console, as a person would: the built binary in tmux
/// against the sandbox, keys in, screen read back.
mod walkthrough {
    use std::path::Path;
    use std::process::Command;

    use icims_onboard::sandbox::{Sandbox, SandboxConfig};

    use crate::common::tmux::Tmux;

    fn cli(dir: &Path, args: &[&str], stdin: &str) {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_icims-onboard"))
            .arg("--db")
            .arg(dir.join("db.sqlite"))
            .args(args)
            .env("ICIMS_ONBOARD_KEY_FILE", dir.join("key"))
            .env("ICIMS_ONBOARD_LOG", dir.join("log"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "{args:?}");
    }

    /// The state line under a step in the sidebar.
    fn state_of(screen: &str, step: &str) -> String {
        let lines: Vec<&str> = screen.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains(step))
            .unwrap_or_else(|| panic!("{step}:\n{screen}"));
        lines[at + 1].to_string()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn steps_1_and_2_in_the_console() {
        let sb = Sandbox::start(SandboxConfig {
            people: 300,
            ..Default::default()
        })
        .await
        .unwrap();
        let info = sb.info();
        let collision = sb.tenant().collisions.email[0].clone();
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let cid = info.customer_id.to_string();
            cli(
                d,
                &["team", "add", "demo", "--customer-id", &cid, "--api-base", &info.api_base,
                  "--token-url", &info.token_url, "--datastream-base", &info.datastream.base],
                "",
            );
            cli(d, &["creds", "set", "demo", "--kind", "rest", "--client-id", &info.oauth.client_id, "--secret-stdin"],
                &format!("{}\n", info.oauth.client_secret));
            cli(d, &["creds", "set", "demo", "--kind", "datastream", "--client-id", &info.datastream.client_id, "--secret-stdin"],
                &format!("{}\n", info.datastream.client_secret));
            let bin = env!("CARGO_BIN_EXE_icims-onboard");
            let command = format!(
                "env ICIMS_ONBOARD_KEY_FILE='{}' ICIMS_ONBOARD_LOG='{}' TERM=xterm-256color '{bin}' --db '{}'; sleep 30",
                d.join("key").display(),
                d.join("log").display(),
                d.join("db.sqlite").display()
            );
            let t = Tmux::start("typed", 100, 30, &command);
            t.wait_text("demo");
            t.keys(&["Enter"]);
            t.wait_text("Stage mapping");

            // Step 1: enter the API user (the password is masked), test, enable sync.
            t.keys(&["Enter"]);
            t.wait_text("1. Basic sync");
            t.keys(&["Tab", "Tab"]);
            t.type_text(&info.basic.username);
            t.keys(&["Tab"]);
            t.type_text(&info.basic.password);
            let typed = t.wait_text("••••");
            assert!(!typed.contains(&info.basic.password), "password shown:\n{typed}");
            t.keys(&["C-t"]);
            let passed = t.wait_text("Test  passed");
            assert!(passed.contains("Basic user: authenticated call"), "{passed}");
            assert!(!passed.contains(&info.basic.password));
            t.keys(&["Tab", "Tab", "Tab", "Space"]);
            t.wait_text("Sync enabled: on");

            // Dedupe preview of an email the generator planted on several people.
            t.keys(&["NPage"]);
            t.wait_text("or CSV file");
            t.type_text(&collision.key);
            t.keys(&["Tab", "Tab", "Tab", "Tab", "Enter"]);
            let d_screen = t.wait_text("AMBIGUOUS");
            for id in &collision.person_ids {
                assert!(d_screen.contains(&id.to_string()), "{id} missing:\n{d_screen}");
            }

            // Back on the team screen, step 1 is done.
            t.keys(&["Escape"]);
            let team = t.wait_for("step 1 done", |s| s.contains("Stage mapping") && state_of(s, "1 Basic sync").contains("done"));
            assert!(state_of(&team, "2 Deep sync credentials").contains("in progress"), "{team}");

            // Step 2: the preflight matrix with the stored REST and Data Stream clients.
            t.keys(&["Down", "Enter"]);
            t.wait_text("2. Deep sync credentials");
            let locked = t.wait_text("Deep sync: off (locked)");
            assert!(!locked.contains(&info.oauth.client_secret));
            t.keys(&["C-t"]);
            let matrix = t.wait_text("Test  passed");
            for row in ["REST OAuth token", "People search", "Data Stream events"] {
                assert!(matrix.contains(row), "{row}:\n{matrix}");
            }
            t.keys(&["Escape"]);
            t.wait_for("step 2 done", |s| {
                s.contains("Stage mapping") && state_of(s, "2 Deep sync credentials").contains("done")
            });
            t.keys(&["q"]);
        })
        .await
        .unwrap();
    }

    #[test]
    fn steps_1_and_2_on_demo() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let bin = env!("CARGO_BIN_EXE_icims-onboard");
        let command = format!(
            "env ICIMS_ONBOARD_DB='{}' ICIMS_ONBOARD_LOG='{}' XDG_CONFIG_HOME='{}' TERM=xterm-256color '{bin}' demo --people 200; sleep 30",
            d.join("db.sqlite").display(),
            d.join("log").display(),
            d.join("config").display()
        );
        let t = Tmux::start("demo", 110, 32, &command);
        t.wait_text("Demo (sandbox)");
        t.keys(&["Enter"]);
        t.wait_text("Stage mapping");
        // Step 1: test the stored API user, enable sync.
        t.keys(&["Enter"]);
        t.wait_text("1. Basic sync");
        t.keys(&["C-t"]);
        t.wait_text("Test  passed");
        t.keys(&["Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Space"]);
        t.wait_text("Sync enabled: on");
        t.keys(&["Escape"]);
        t.wait_for("step 1 done", |s| {
            s.contains("Stage mapping") && state_of(s, "1 Basic sync").contains("done")
        });
        // Step 2: the preflight matrix passes on the sandbox; the deep sync stays locked.
        t.keys(&["j", "Enter"]);
        t.wait_text("Deep sync: off (locked)");
        t.keys(&["C-t"]);
        let matrix = t.wait_text("Test  passed");
        assert!(matrix.contains("Data Stream events"), "{matrix}");
        t.keys(&["Escape"]);
        let team = t.wait_for("step 2 done", |s| {
            s.contains("Stage mapping") && state_of(s, "2 Deep sync credentials").contains("done")
        });
        assert!(state_of(&team, "5 Deep sync").contains("locked"), "{team}");
        t.keys(&["q"]);
    }
}

#[tokio::test]
async fn a_slow_host_times_out_within_the_bounds() {
    let sb = start(SandboxConfig {
        people: 20,
        latency_ms: 1500,
        ..Default::default()
    })
    .await;
    let info = sb.info();
    let config = ClientConfig {
        request_timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..fast_config()
    };
    let c = IcimsClient::new(endpoints(&info), basic(&info), config).unwrap();
    let err = tokio::time::timeout(MUST_FINISH_WITHIN, c.lists())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, IcimsError::Timeout { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(c.stats().retries, 1);
    assert!(err.to_string().contains("within 0.3s"), "{err}");
}

/// The preflight with one call at a time and with calls overlapping: the same rows in
/// the same order (also as reported while running), the same hidden fields and the same
/// number of calls, for a good tenant, a restricted Basic user and a rejected REST
/// secret. Each run gets its own sandbox of the same seed (the quota left, shown in the
/// basic row, counts earlier runs' calls).
#[tokio::test]
async fn concurrent_checks_match_sequential_ones_row_for_row() {
    type Scenario = fn(&SandboxInfo) -> TeamAuth;
    let scenarios: [(&str, Scenario); 3] = [
        ("good", |info| full_auth(info)),
        ("restricted basic user", |info| TeamAuth {
            basic: Some(AuthConfig::Basic {
                username: info.restricted.username.clone(),
                password: SecretString::from(info.restricted.password.clone()),
            }),
            ..full_auth(info)
        }),
        ("rejected REST secret", |info| TeamAuth {
            rest: Some(AuthConfig::OAuth {
                client_id: info.oauth.client_id.clone(),
                client_secret: SecretString::from("wrong".to_string()),
                audience: AUDIENCE.into(),
            }),
            ..full_auth(info)
        }),
    ];
    for (what, auth_of) in scenarios {
        let mut runs = Vec::new();
        for concurrency in [1, 8] {
            let sb = start(SandboxConfig {
                people: 300,
                latency_ms: 5,
                ..Default::default()
            })
            .await;
            let info = sb.info();
            let team = team_for(&info, Region::Us, info.customer_id);
            let config = ClientConfig {
                concurrency,
                ..fast_config()
            };
            let seen = std::sync::Mutex::new(Vec::new());
            let progress = |e: icims_onboard::icims::checks::CheckEvent| {
                if let icims_onboard::icims::checks::CheckEvent::Finished(row) = e {
                    seen.lock().unwrap().push(row.name);
                }
            };
            let report = tokio::time::timeout(
                MUST_FINISH_WITHIN,
                run_checks(&team, &auth_of(&info), &config, &progress),
            )
            .await
            .unwrap();
            let names: Vec<String> = report.checks.iter().map(|r| r.name.clone()).collect();
            // Rows are reported while running in the order they are returned.
            assert_eq!(
                *seen.lock().unwrap(),
                names,
                "{what}, concurrency {concurrency}"
            );
            // Messages may name the sandbox's address, which differs between the two.
            let host = url::Url::parse(&info.api_base).unwrap();
            let addr = format!(
                "{}:{}",
                host.host_str().unwrap(),
                host.port_or_known_default().unwrap()
            );
            let mut report = report;
            for r in &mut report.checks {
                r.message = r.message.replace(&addr, "SANDBOX");
            }
            runs.push(report);
        }
        let (seq, conc) = (&runs[0], &runs[1]);
        assert_eq!(seq.checks, conc.checks, "{what}: rows");
        assert_eq!(
            seq.hidden_fields, conc.hidden_fields,
            "{what}: hidden fields"
        );
        assert_eq!(
            seq.linkedin_field, conc.linkedin_field,
            "{what}: LinkedIn field"
        );
        assert_eq!(seq.api_calls, conc.api_calls, "{what}: calls");
        let left =
            |r: &icims_onboard::icims::checks::CheckReport| r.quota.map(|q| (q.limit, q.remaining));
        assert_eq!(left(seq), left(conc), "{what}: quota figures");
        assert!(seq.api_calls > 10, "{what}: {} calls", seq.api_calls);
    }
}
