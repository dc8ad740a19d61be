//! `check NAME`: runs step 1 (basic test) and step 2 (preflight matrix) against the team's
//! tenant, records the outcomes as facts, and prints the rows — or, with `--json`, one
//! object `{"checks":[…],"hidden_fields":[…],…}`. Exit 0 only when every required check
//! passes. Optional extras with the Basic user: a dedupe preview (`--dedupe-*`) and the
//! source-person check (`--source-person-emails FILE`).

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use serde_json::{Value, json};

use super::{UsageError, open_store};
use crate::icims::checks::dedupe::{
    Candidate, DedupeVerdict, dedupe_preview, parse_candidates_csv,
};
use crate::icims::checks::record::{LINKEDIN_FIELD, record_report};
use crate::icims::checks::run::{run_step1, run_step2};
use crate::icims::checks::source_person::{check_emails, parse_email_list};
use crate::icims::checks::{
    CheckEvent, CheckReport, FieldStatus, TeamAuth, run_checks_with, title_of,
};
use crate::icims::{ClientConfig, DEFAULT_ALLOW_LIST, IcimsClient};
use crate::safe_text::Esc;
use crate::store::{Actor, Team};

/// Flags of `check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Team name.
    pub name: String,
    /// Print one JSON object: {"checks":[…],"hidden_fields":[…],…}.
    #[arg(long)]
    pub json: bool,
    /// Run only step 1 (basic sync) or step 2 (deep sync credentials); both by default.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub step: Option<u8>,
    /// Seconds one API request may take (connects time out after a third of it, at least 2 s).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Most API calls in flight at once (1 = one after another); independent calls overlap
    /// to hide the API's latency. The calls made and the rows are the same either way.
    #[arg(long, value_name = "N", default_value_t = crate::icims::DEFAULT_CONCURRENCY as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// An address the customer must allow-list, named when iCIMS answers 403 (repeatable;
    /// default 54.173.229.200 and 54.175.230.252; env ICIMS_ONBOARD_ALLOW_IPS, comma-separated).
    #[arg(
        long = "allow-ip",
        value_name = "IP",
        env = "ICIMS_ONBOARD_ALLOW_IPS",
        value_delimiter = ','
    )]
    pub allow_ips: Vec<String>,
    /// Dedupe preview: a candidate's email.
    #[arg(long, value_name = "EMAIL")]
    pub dedupe_email: Option<String>,
    /// Dedupe preview: a candidate's LinkedIn profile URL.
    #[arg(long, value_name = "URL")]
    pub dedupe_linkedin: Option<String>,
    /// Dedupe preview: a candidate's full name ("First Last" or "Last, First").
    #[arg(long, value_name = "NAME")]
    pub dedupe_name: Option<String>,
    /// Dedupe preview for every row of a CSV with columns email, linkedin, name (or
    /// first_name, last_name).
    #[arg(long, value_name = "FILE")]
    pub dedupe_csv: Option<PathBuf>,
    /// Source-person check: a file of recruiter emails (one or more per line; `-` = stdin).
    #[arg(long, value_name = "FILE")]
    pub source_person_emails: Option<PathBuf>,
    /// The tenant's LinkedIn custom field (e.g. field41522), if discovery cannot find it.
    #[arg(long, value_name = "FIELD")]
    pub linkedin_field: Option<String>,
}

impl CheckArgs {
    fn wants_dedupe(&self) -> bool {
        self.dedupe_email.is_some()
            || self.dedupe_linkedin.is_some()
            || self.dedupe_name.is_some()
            || self.dedupe_csv.is_some()
    }

    fn client_config(&self) -> Result<ClientConfig, UsageError> {
        if self.timeout == 0 {
            return Err(UsageError("--timeout must be at least 1 second".into()));
        }
        let request = Duration::from_secs(self.timeout);
        let allow_list: Vec<String> = if self.allow_ips.is_empty() {
            DEFAULT_ALLOW_LIST.iter().map(|s| s.to_string()).collect()
        } else {
            self.allow_ips
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        for ip in &allow_list {
            if ip.parse::<std::net::IpAddr>().is_err() && !ip.contains('/') {
                return Err(UsageError(format!(
                    "--allow-ip: {ip:?} is not an IP address"
                )));
            }
        }
        Ok(ClientConfig {
            request_timeout: request,
            connect_timeout: (request / 3).max(Duration::from_secs(2)).min(request),
            allow_list,
            concurrency: usize::from(self.concurrency),
            ..ClientConfig::default()
        })
    }
}

/// Inputs read before any network call, so bad files fail fast and name themselves.
struct Extras {
    candidates: Vec<Candidate>,
    candidate_problems: Vec<String>,
    emails: Vec<String>,
    email_problems: Vec<String>,
}

fn read_text(path: &Path) -> Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .wrap_err("cannot read stdin")?;
        return Ok(s);
    }
    let bytes = std::fs::read(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        eyre!(
            "{}: not UTF-8 text (byte {} is invalid)",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn read_extras(args: &CheckArgs) -> Result<Extras> {
    let mut x = Extras {
        candidates: Vec::new(),
        candidate_problems: Vec::new(),
        emails: Vec::new(),
        email_problems: Vec::new(),
    };
    if args.dedupe_email.is_some() || args.dedupe_linkedin.is_some() || args.dedupe_name.is_some() {
        x.candidates.push(Candidate {
            email: args.dedupe_email.clone(),
            linkedin: args.dedupe_linkedin.clone(),
            name: args.dedupe_name.clone(),
            line: None,
        });
    }
    if let Some(path) = &args.dedupe_csv {
        let text = read_text(path)?;
        let (cands, problems) = parse_candidates_csv(&path.display().to_string(), &text)?;
        x.candidates.extend(cands);
        x.candidate_problems = problems.iter().map(ToString::to_string).collect();
    }
    if let Some(path) = &args.source_person_emails {
        let text = read_text(path)?;
        let (emails, bad) = parse_email_list(&text);
        x.emails = emails;
        x.email_problems = bad
            .iter()
            .map(|b| {
                format!(
                    "{}: line {}: {:?}: {}",
                    path.display(),
                    b.line,
                    b.text,
                    b.reason
                )
            })
            .collect();
        if x.emails.is_empty() {
            return Err(eyre!("{}: no email addresses found", path.display()));
        }
    }
    Ok(x)
}

pub fn run(db: Option<&Path>, args: &CheckArgs) -> Result<ExitCode> {
    let config = args.client_config()?;
    if let Some(f) = &args.linkedin_field
        && !crate::icims::schema::is_custom_field(f)
    {
        return Err(UsageError(format!(
            "--linkedin-field: {f:?} is not a custom field id like field41522"
        ))
        .into());
    }
    let extras = read_extras(args)?;
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let auth = TeamAuth::load(&store, &team)?;
    let stored_linkedin: Option<String> = store.fact(&team, LINKEDIN_FIELD)?;
    // What shows fields in use (staged export, field mapping): a field absent from every
    // sample is called hidden only when this, or the REST client's samples, show it used.
    let evidence = crate::mapping::in_use::from_store(&store, &team)?;
    let actor = Actor::from_env();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let progress = move |e: CheckEvent| {
        if show_progress && let CheckEvent::Started { name } = e {
            eprintln!("checking {}…", title_of(&name));
        }
    };
    let (report, dedupe, source) = runtime.block_on(async {
        let known = args.linkedin_field.clone().or(stored_linkedin);
        let report = match args.step {
            Some(1) => {
                run_step1(
                    &team,
                    &auth,
                    &config,
                    known.as_deref(),
                    &evidence,
                    &progress,
                )
                .await
            }
            Some(_) => run_step2(&team, &auth, &config, &evidence, &progress).await,
            None => run_checks_with(&team, &auth, &config, &evidence, &progress).await,
        };
        let linkedin = args
            .linkedin_field
            .clone()
            .or_else(|| report.linkedin_field.clone())
            .or(known);
        let (dedupe, source) =
            run_extras(&team, &auth, &config, &report, &extras, linkedin.as_deref()).await;
        (report, dedupe, source)
    });
    record_report(&store, &team, &report, &actor)?;

    if args.json {
        let mut out = serde_json::to_value(&report)?;
        if let Some(map) = out.as_object_mut() {
            map.insert("team".into(), json!(team.name));
            map.insert("ok".into(), json!(report.ok()));
            if args.wants_dedupe() {
                map.insert("dedupe".into(), dedupe.clone().unwrap_or(Value::Null));
                map.insert("dedupe_problems".into(), json!(extras.candidate_problems));
            }
            if args.source_person_emails.is_some() {
                map.insert(
                    "source_person".into(),
                    source.clone().unwrap_or(Value::Null),
                );
                map.insert(
                    "source_person_problems".into(),
                    json!(extras.email_problems),
                );
            }
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_human(&team, &report);
        if args.wants_dedupe() {
            print_dedupe(dedupe.as_ref(), &extras.candidate_problems);
        }
        if args.source_person_emails.is_some() {
            print_source(source.as_ref(), &extras.email_problems);
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs the dedupe preview and the source-person check with the Basic user.
/// Each gives JSON, or `{"error":…,"remedy":…}` when it could not run.
async fn run_extras(
    team: &Team,
    auth: &TeamAuth,
    config: &ClientConfig,
    report: &CheckReport,
    extras: &Extras,
    linkedin: Option<&str>,
) -> (Option<Value>, Option<Value>) {
    let wants = !extras.candidates.is_empty() || !extras.emails.is_empty();
    if !wants {
        return (None, None);
    }
    let basic_ok = report.checks.iter().any(|r| r.name == "basic.auth" && r.ok);
    let client = match (&auth.basic, basic_ok) {
        // Live searches (staleness 0): a candidate created minutes ago must be found.
        (Some(a), true) => crate::icims::Endpoints::for_team(team)
            .and_then(|e| {
                let live = ClientConfig {
                    search_staleness: Some(0),
                    ..config.clone()
                };
                IcimsClient::new(e, a.clone(), live)
            })
            .ok(),
        _ => None,
    };
    let unavailable = json!({
        "error": "not run: the basic test did not pass",
        "remedy": "Fix the basic.auth row first; the dedupe preview and source-person check use the Basic API user."
    });
    let Some(client) = client else {
        let d = (!extras.candidates.is_empty()).then(|| unavailable.clone());
        let s = (!extras.emails.is_empty()).then(|| unavailable.clone());
        return (d, s);
    };
    let mut dedupe = None;
    if !extras.candidates.is_empty() {
        let mut results = Vec::new();
        for c in &extras.candidates {
            match dedupe_preview(&client, c, linkedin).await {
                Ok(r) => results.push(serde_json::to_value(&r).unwrap_or(Value::Null)),
                Err(e) => results
                    .push(json!({"candidate": c, "error": e.to_string(), "remedy": e.remedy()})),
            }
        }
        dedupe = Some(Value::Array(results));
    }
    let mut source = None;
    if !extras.emails.is_empty() {
        source = Some(match check_emails(&client, &extras.emails).await {
            Ok(rows) => serde_json::to_value(&rows).unwrap_or(Value::Null),
            Err(e) => json!({"error": e.to_string(), "remedy": e.remedy()}),
        });
    }
    (dedupe, source)
}

fn print_human(team: &Team, report: &CheckReport) {
    println!(
        "team {} (customer {}, {})",
        Esc(&team.name),
        team.customer_id,
        Esc(&team.api_base())
    );
    for (step, title) in [
        (1u8, "Step 1 — basic sync"),
        (2, "Step 2 — deep sync credentials"),
    ] {
        let rows: Vec<&crate::icims::checks::CheckRow> =
            report.checks.iter().filter(|r| r.step == step).collect();
        if rows.is_empty() {
            continue;
        }
        println!("\n{title}");
        let mut i = 0;
        while i < rows.len() {
            let r = rows[i];
            // Failures that repeat the row before (same message and fix) print once.
            let mut same = Vec::new();
            while !r.ok
                && i + 1 + same.len() < rows.len()
                && rows[i + 1 + same.len()].message == r.message
                && rows[i + 1 + same.len()].remedy == r.remedy
                && !rows[i + 1 + same.len()].ok
            {
                same.push(title_of(&rows[i + 1 + same.len()].name));
            }
            i += 1 + same.len();
            let mark = match (r.ok, r.required) {
                (true, _) => "✓",
                (false, true) => "✗",
                (false, false) => "!",
            };
            let (status, code) = if r.ok {
                (String::new(), String::new())
            } else {
                (
                    r.http_status
                        .filter(|s| *s != 200)
                        .map(|s| format!(" [HTTP {s}"))
                        .unwrap_or_default(),
                    r.error_code
                        .map(|c| format!(", errorCode {c}"))
                        .unwrap_or_default(),
                )
            };
            let close = if status.is_empty() { "" } else { "]" };
            println!(
                "  {mark} {:<36} {}{status}{code}{close}",
                title_of(&r.name),
                Esc(&r.message)
            );
            if !same.is_empty() {
                println!("      also: {}", same.join(", "));
            }
            if !r.ok
                && let Some(fix) = &r.remedy
            {
                println!("      fix: {}", Esc(fix));
            }
        }
    }
    for (status, title) in [
        (
            FieldStatus::Hidden,
            "Hidden fields (absent from every sample record, in use per the evidence):",
        ),
        (
            FieldStatus::Unverified,
            "Fields absent from every sample record (hidden or unused: nothing yet tells which):",
        ),
        (
            FieldStatus::NotInUse,
            "Not in use by this tenant (no value anywhere; no action needed):",
        ),
    ] {
        let list: Vec<_> = report
            .hidden_fields
            .iter()
            .filter(|h| h.status == status)
            .collect();
        if list.is_empty() {
            continue;
        }
        println!("\n{title}");
        for h in list {
            println!(
                "  {}.{} ({} credential: {})",
                h.object,
                Esc(&h.field),
                h.credential,
                h.status.words()
            );
        }
    }
    if let Some(q) = &report.quota
        && let (Some(left), Some(limit)) = (q.remaining, q.limit)
    {
        let reset = q
            .reset_secs
            .map(|s| {
                format!(
                    " (resets in {}h{:02}m, 00:00 UTC)",
                    s / 3600,
                    (s % 3600) / 60
                )
            })
            .unwrap_or_default();
        println!("\nQuota: {left} of {limit} calls left today{reset}");
    }
    let failed = report.checks.iter().filter(|r| r.required && !r.ok).count();
    println!(
        "\n{} ({} API call{})",
        match failed {
            0 => "All required checks passed.".to_string(),
            1 => "1 required check failed.".to_string(),
            n => format!("{n} required checks failed."),
        },
        report.api_calls,
        if report.api_calls == 1 { "" } else { "s" }
    );
}

fn print_dedupe(dedupe: Option<&Value>, problems: &[String]) {
    println!("\nDedupe preview");
    for p in problems {
        println!("  ! {}", Esc(p));
    }
    let Some(v) = dedupe else { return };
    if let Some(e) = v.get("error") {
        println!("  ✗ {}", Esc(e.as_str().unwrap_or("")));
        return;
    }
    for r in v.as_array().into_iter().flatten() {
        if let Some(e) = r.get("error") {
            println!("  ✗ {}", Esc(e.as_str().unwrap_or("")));
            continue;
        }
        let verdict = serde_json::from_value::<DedupeVerdict>(r.clone());
        let verdict = match verdict {
            Ok(DedupeVerdict::New) => "new: no match".to_string(),
            Ok(DedupeVerdict::Duplicate { person_id }) => {
                format!("duplicate of person {person_id}")
            }
            Ok(DedupeVerdict::Ambiguous { person_ids }) => {
                format!("AMBIGUOUS: people {person_ids:?}")
            }
            Err(_) => "?".into(),
        };
        println!("  candidate → {verdict}");
        for k in r
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ids = k.get("person_ids").cloned().unwrap_or(Value::Null);
            let note = k
                .get("note")
                .and_then(Value::as_str)
                .map(|n| format!(" ({})", Esc(n)))
                .unwrap_or_default();
            println!(
                "    {:<9} {:<40} → {ids}{note}",
                Esc(k.get("key").and_then(Value::as_str).unwrap_or("")),
                Esc(k.get("value").and_then(Value::as_str).unwrap_or(""))
            );
        }
    }
}

fn print_source(source: Option<&Value>, problems: &[String]) {
    println!("\nSource-person check");
    for p in problems {
        println!("  ! {}", Esc(p));
    }
    let Some(v) = source else { return };
    if let Some(e) = v.get("error") {
        println!("  ✗ {}", Esc(e.as_str().unwrap_or("")));
        return;
    }
    for r in v.as_array().into_iter().flatten() {
        let users: Vec<String> = r
            .get("users")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|u| {
                format!(
                    "{} {} ({})",
                    u.get("id").cloned().unwrap_or(Value::Null),
                    Esc(u.get("name").and_then(Value::as_str).unwrap_or("")),
                    Esc(u.get("folder").and_then(Value::as_str).unwrap_or(""))
                )
            })
            .collect();
        let verdict = r.get("verdict").and_then(Value::as_str).unwrap_or("");
        let mark = if verdict == "exact" { "✓" } else { "✗" };
        println!(
            "  {mark} {:<40} {verdict:<8} {}",
            Esc(r.get("email").and_then(Value::as_str).unwrap_or("")),
            users.join("; ")
        );
    }
}
