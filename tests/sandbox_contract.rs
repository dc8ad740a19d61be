//! Contract tests of the sandbox tenant over real TCP: every endpoint's shapes against the
//! reference's sample payloads, the search grammar and paging, auth (OAuth, Basic, HMAC),
//! quota, 505, seeded faults, and the export files against the generator's ground truth.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hmac::{Hmac, Mac};
use icims_onboard::sandbox::model::Object;
use icims_onboard::sandbox::{FaultKind, FaultPlan, Sandbox, SandboxConfig, SandboxInfo};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client() -> Client {
    Client::builder().http1_only().build().unwrap()
}

async fn start(people: usize, seed: u64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        people,
        seed,
        ..Default::default()
    })
    .await
    .unwrap()
}

fn cust(info: &SandboxInfo) -> String {
    format!("{}/customers/{}", info.api_base, info.customer_id)
}

async fn get_basic(c: &Client, info: &SandboxInfo, path: &str) -> reqwest::Response {
    c.get(format!("{}{path}", cust(info)))
        .basic_auth(&info.basic.username, Some(&info.basic.password))
        .send()
        .await
        .unwrap()
}

fn is_datetime(s: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %I:%M %p").is_ok() && s.len() == 19
}

fn no_nulls(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty() && a.iter().all(no_nulls),
        Value::Object(m) => m.values().all(no_nulls),
        _ => true,
    }
}

fn assert_node(v: &Value) {
    let id = v["id"].as_str().unwrap();
    assert!(id.starts_with('D') || id.starts_with('C'), "{v}");
    assert!(
        v["value"].is_string() && v["formattedvalue"].is_string(),
        "{v}"
    );
}

fn assert_person_link(v: &Value, segment: &str) {
    assert!(v["id"].is_u64(), "{v}");
    assert!(v["value"].is_string());
    assert!(
        v["profile"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{segment}/{}", v["id"])),
        "{v}"
    );
}

fn assert_error(body: &Value, code: u64) {
    let e = &body["errors"][0];
    assert_eq!(e["errorCode"].as_u64(), Some(code), "{body}");
    assert!(e["errorMessage"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn profiles_have_the_reference_shapes() {
    let sb = start(300, 21).await;
    let info = sb.info();
    let t = sb.tenant();
    let c = client();
    let p = t
        .people
        .iter()
        .find(|p| {
            !p.phones.is_empty()
                && !p.addresses.is_empty()
                && !p.linkedin.is_empty()
                && !p.middlename.is_empty()
        })
        .unwrap();
    let r = get_basic(&c, &info, &format!("/people/{}", p.id)).await;
    assert_eq!(r.status(), 200);
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(r.headers()[h].to_str().unwrap().parse::<u64>().is_ok());
    }
    let v: Value = r.json().await.unwrap();
    assert!(no_nulls(&v), "{v}");
    assert_eq!(v["firstname"], json!(p.firstname));
    assert_eq!(v["email"], json!(p.email));
    assert_eq!(v[&t.linkedin_field], json!(p.linkedin));
    assert!(v.get("id").is_none(), "id only when requested");
    assert_node(&v["folder"]);
    let a = &v["addresses"][0];
    assert!(a["entry"].is_u64() && a["addresscity"].is_string() && a["addresszip"].is_string());
    assert!(a["addressstate"]["abbrev"].is_string() && a["addresscountry"]["id"] == "D41001");
    assert_node(&a["addresstype"]);
    let ph = &v["phones"][0];
    assert!(ph["entry"].is_u64() && ph["phonenumber"].is_string());
    assert_node(&ph["phonetype"]);
    assert!(
        is_datetime(v["createddate"].as_str().unwrap())
            && is_datetime(v["updateddate"].as_str().unwrap())
    );
    let links = v["links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["rel"], "self");
    assert_eq!(links[0]["title"], "The current profile being viewed.");
    assert_eq!(
        links[0]["url"],
        json!(format!("{}/people/{}", cust(&info), p.id))
    );

    // Empty fields are omitted, never null.
    let bare = t
        .people
        .iter()
        .find(|p| p.middlename.is_empty() && p.phones.is_empty())
        .unwrap();
    let v: Value = get_basic(&c, &info, &format!("/people/{}", bare.id))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        v.get("middlename").is_none() && v.get("phones").is_none(),
        "{v}"
    );

    // ?fields= returns just those (plus links); id is numeric when asked for.
    let v: Value = get_basic(
        &c,
        &info,
        &format!("/people/{}?fields=firstname,id,addresses", p.id),
    )
    .await
    .json()
    .await
    .unwrap();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["firstname", "id", "addresses", "links"])
    );
    assert_eq!(v["id"], json!(p.id));

    // Job: list nodes, person links, address link.
    let j = t
        .jobs
        .iter()
        .find(|j| j.hiringmanager.is_some() && j.recruiter.is_some())
        .unwrap();
    let v: Value = get_basic(&c, &info, &format!("/jobs/{}", j.id))
        .await
        .json()
        .await
        .unwrap();
    assert!(no_nulls(&v));
    assert_eq!(v["jobid"], json!(j.jobid));
    assert!(v["numberofpositions"].is_u64());
    assert_node(&v["folder"]);
    assert_node(&v["positioncategory"]);
    assert_person_link(&v["hiringmanager"], "people");
    assert_person_link(&v["recruiter"], "people");
    assert_eq!(v["recruiter"]["id"], json!(j.recruiter.unwrap()));
    let loc = &v["joblocation"];
    assert!(loc["id"].is_u64() && loc["companyid"].is_u64() && loc["value"].is_string());
    assert!(loc["address"].as_str().unwrap().contains("/companies/"));
    if let Some(j) = t.jobs.iter().find(|j| j.hiringmanager.is_none()) {
        let v: Value = get_basic(&c, &info, &format!("/jobs/{}", j.id))
            .await
            .json()
            .await
            .unwrap();
        assert!(v.get("hiringmanager").is_none());
    }

    // Workflow: base/associated profile links, status node, three self links.
    let w = &t.workflows[3];
    let v: Value = get_basic(&c, &info, &format!("/applicantworkflows/{}", w.id))
        .await
        .json()
        .await
        .unwrap();
    assert_person_link(&v["associatedprofile"], "people");
    assert_person_link(&v["baseprofile"], "jobs");
    assert_eq!(v["associatedprofile"]["id"], json!(w.person));
    assert_eq!(v["baseprofile"]["id"], json!(w.job));
    assert_node(&v["status"]);
    assert_eq!(v["status"]["id"], json!(t.statuses[w.status].id));
    let links = v["links"].as_array().unwrap();
    assert_eq!(links.len(), 3);
    assert!(links.iter().all(|l| l["rel"] == "self"));
    assert_eq!(links[1]["title"], "The base profile of this workflow.");
    assert_eq!(
        links[2]["title"],
        "The associated profile of this workflow."
    );
}

#[tokio::test]
async fn errors_follow_the_icims_model() {
    let sb = start(100, 22).await;
    let info = sb.info();
    let c = client();
    // Unknown id → 404, errorCode 2, X-Error header.
    for path in ["/people/99999999", "/jobs/1", "/applicantworkflows/abc"] {
        let r = get_basic(&c, &info, path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(r.headers()["x-error"].to_str().unwrap().starts_with("2:"));
        assert_error(&r.json().await.unwrap(), 2);
    }
    // Deleted after the cut-off → 404.
    let gone = sb.tenant().after_cutoff.people.deleted[0];
    assert_eq!(
        get_basic(&c, &info, &format!("/people/{gone}"))
            .await
            .status(),
        404
    );
    // Bad Basic password → 401, errorCode 6, X-Error.
    let r = c
        .get(format!("{}/people/1001", cust(&info)))
        .basic_auth(&info.basic.username, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["x-error"].to_str().unwrap(),
        "6:Invalid Username or Password credentials provided."
    );
    assert!(r.headers().contains_key("x-ratelimit-remaining"));
    assert_error(&r.json().await.unwrap(), 6);
    // No credentials → 401.
    let r = c
        .get(format!("{}/people/1001", cust(&info)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Wrong customer id → 404, errorCode 3.
    let r = c
        .get(format!(
            "{}/customers/{}/people/1001",
            info.api_base,
            info.customer_id + 1
        ))
        .basic_auth(&info.basic.username, Some(&info.basic.password))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_error(&r.json().await.unwrap(), 3);
}

async fn raw_status_line(addr: &str, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn other_http_versions_get_505() {
    let sb = start(50, 23).await;
    let info = sb.info();
    let addr = info.api_base.trim_start_matches("http://").to_string();
    let path = format!("/customers/{}/people/1001", info.customer_id);
    let line = raw_status_line(
        &addr,
        format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(line.starts_with("HTTP/1.1 505"), "{line}");
    let line = raw_status_line(&addr, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await;
    assert!(line.starts_with("HTTP/1.1 505"), "{line}");
    let line = raw_status_line(
        &addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(line.starts_with("HTTP/1.1 401"), "{line}");
}

async fn token(c: &Client, url: &str, id: &str, secret: &str) -> reqwest::Response {
    c.post(url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("audience", "https://api.icims.com/v1/"),
        ])
        .send()
        .await
        .unwrap()
}

/// A token issued to `id`, which must be granted.
async fn access_token(c: &Client, url: &str, id: &str, secret: &str) -> String {
    let v: Value = token(c, url, id, secret).await.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn oauth_tokens_issue_expire_and_reject_bad_clients() {
    let sb = Sandbox::start(SandboxConfig {
        people: 60,
        seed: 24,
        token_lifetime_secs: 120,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    let c = client();
    let r = token(
        &c,
        &info.token_url,
        &info.oauth.client_id,
        &info.oauth.client_secret,
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 120);
    assert!(v["scope"].is_string());
    let tok = v["access_token"].as_str().unwrap().to_string();
    let pid = sb.tenant().people[0].id;
    let url = format!("{}/people/{pid}", cust(&info));
    assert_eq!(
        c.get(&url).bearer_auth(&tok).send().await.unwrap().status(),
        200
    );
    // Expiry follows the sandbox clock.
    sb.clock().advance(chrono::Duration::seconds(121));
    let r = c.get(&url).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["x-error"].to_str().unwrap().starts_with("9:"));
    assert_error(&r.json().await.unwrap(), 9);
    // Bad client → 401 OAuth-style error; bad grant → 400.
    let r = token(&c, &info.token_url, &info.oauth.client_id, "nope").await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "access_denied");
    assert!(v["error_description"].is_string());
    let r = c
        .post(&info.token_url)
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Unknown bearer → 401.
    assert_eq!(
        c.get(&url)
            .bearer_auth("garbage")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // The EU token URL works too and is counted as EU.
    let before = sb.requests_by_region();
    let r = token(
        &c,
        &info.regions.eu.token_url,
        &info.oauth.client_id,
        &info.oauth.client_secret,
    )
    .await;
    assert_eq!(r.status(), 200);
    let after = sb.requests_by_region();
    assert_eq!((after.eu - before.eu, after.us - before.us), (1, 0));
}

/// An HMAC signer written from the reference §2.3, independent of the sandbox's verifier.
fn hmac_headers(
    user: &str,
    secret: &str,
    method: &str,
    url: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let u = url::Url::parse(url).unwrap();
    let host = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
    let date = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S+0000")
        .to_string();
    let body_hash = hex::encode(Sha256::digest(body));
    let ctype = "application/json";
    let mut lines = [
        format!("content-type:{ctype}"),
        format!("host:{host}"),
        format!("x-icims-content-sha256:{body_hash}"),
        format!("x-icims-date:{date}"),
    ];
    lines.sort();
    let signed = "content-type;host;x-icims-content-sha256;x-icims-date";
    let canonical = format!(
        "{method}\n{}\n{}\n{}\n\n{signed}",
        u.path(),
        u.query().unwrap_or(""),
        lines.join("\n")
    );
    let to_sign = format!(
        "x-icims-v1-hmac-sha256\n{date}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    vec![
        ("content-type".into(), ctype.into()),
        ("x-icims-content-sha256".into(), body_hash),
        ("x-icims-date".into(), date),
        (
            "authorization".into(),
            format!("x-icims-v1-hmac-sha256 user={user},signedheaders={signed},signature={sig}"),
        ),
    ]
}

#[tokio::test]
async fn hmac_signatures_are_verified() {
    let sb = start(80, 25).await;
    let info = sb.info();
    let c = client();
    let send =
        |method: &'static str, url: String, body: Vec<u8>, headers: Vec<(String, String)>| {
            let c = c.clone();
            async move {
                let mut rb = c.request(method.parse().unwrap(), &url).body(body);
                for (k, v) in headers {
                    rb = rb.header(k, v);
                }
                rb.send().await.unwrap()
            }
        };
    let pid = sb.tenant().people[2].id;
    let url = format!("{}/people/{pid}?fields=firstname,email", cust(&info));
    let h = hmac_headers(&info.hmac.user, &info.hmac.secret, "GET", &url, b"");
    let r = send("GET", url.clone(), Vec::new(), h.clone()).await;
    assert_eq!(r.status(), 200);
    let body = br#"{"filters":[{"name":"person.id","value":["0"],"operator":">"}]}"#.to_vec();
    let surl = format!("{}/search/people?staleness=0", cust(&info));
    let h2 = hmac_headers(&info.hmac.user, &info.hmac.secret, "POST", &surl, &body);
    let r = send("POST", surl.clone(), body.clone(), h2.clone()).await;
    assert_eq!(r.status(), 200);
    // A bad signature, a wrong secret and a tampered body are rejected.
    let mut bad = h.clone();
    let auth = bad[3].1.clone();
    let flipped = if auth.ends_with('0') { "1" } else { "0" };
    bad[3].1 = format!("{}{flipped}", &auth[..auth.len() - 1]);
    let r = send("GET", url.clone(), Vec::new(), bad).await;
    assert_eq!(r.status(), 401);
    assert_error(&r.json().await.unwrap(), 9);
    let wrong = hmac_headers(&info.hmac.user, "not-the-secret", "GET", &url, b"");
    assert_eq!(
        send("GET", url.clone(), Vec::new(), wrong).await.status(),
        401
    );
    let tampered = br#"{"filters":[{"name":"person.id","value":["5"],"operator":">"}]}"#.to_vec();
    assert_eq!(send("POST", surl, tampered, h2).await.status(), 401);
}

async fn search(c: &Client, info: &SandboxInfo, seg: &str, body: Value) -> reqwest::Response {
    c.post(format!("{}/search/{seg}", cust(info)))
        .basic_auth(&info.basic.username, Some(&info.basic.password))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ids(r: reqwest::Response) -> Vec<u64> {
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["searchResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn search_grammar_paging_and_rejections() {
    let sb = start(2600, 26).await;
    let info = sb.info();
    let t = sb.tenant();
    let c = client();
    // Paging by id > last across 1,000-id pages reproduces every live person in order.
    let mut last = 0u64;
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let page = ids(search(
            &c,
            &info,
            "people",
            json!({"filters":[{"name":"person.id","value":[last.to_string()],"operator":">"}]}),
        )
        .await)
        .await;
        pages += 1;
        assert!(page.len() <= 1000 && page.windows(2).all(|w| w[0] < w[1]));
        all.extend_from_slice(&page);
        if page.len() < 1000 {
            break;
        }
        last = *page.last().unwrap();
    }
    assert!(pages >= 3, "{pages}");
    assert_eq!(all, t.people.iter().map(|p| p.id).collect::<Vec<_>>());

    // Result shape, GET with searchJson and staleness.
    let q = json!({"filters":[{"name":"person.email","value":[t.collisions.email[0].key.to_uppercase()],"operator":"=="}]});
    let r = c
        .get(format!("{}/search/people", cust(&info)))
        .query(&[("searchJson", q.to_string()), ("staleness", "0".into())])
        .basic_auth(&info.basic.username, Some(&info.basic.password))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let first = &v["searchResults"][0];
    assert!(first["id"].is_u64());
    assert_eq!(
        first["self"],
        json!(format!("{}/people/{}", cust(&info), first["id"]))
    );
    let got: Vec<u64> = v["searchResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, t.collisions.email[0].person_ids);

    // Records changed or created after the cut-off = updateddate from the cut-off on.
    let since = ids(search(
        &c,
        &info,
        "people",
        json!({"filters":[{"name":"person.updateddate","value":[t.after_cutoff.cutoff]}]}),
    )
    .await)
    .await;
    let mut expected: Vec<u64> = t
        .after_cutoff
        .people
        .changed
        .iter()
        .chain(&t.after_cutoff.people.created)
        .copied()
        .collect();
    expected.sort_unstable();
    assert_eq!(since, expected);

    // Group OR in children, AND with a date range, on list nodes by id and by text.
    let body = json!({
        "filters":[{"name":"person.createddate","value":["2024-01-01"],"secondaryValue":["2025-06-30 11:59 PM"]}],
        "operator":"&",
        "children":[{"operator":"|","filters":[{"name":"person.folder","value":["C30104"]},{"name":"person.folder","value":["cand:do not hire"]}]}]
    });
    let lo = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let hi = chrono::NaiveDate::from_ymd_opt(2025, 6, 30)
        .unwrap()
        .and_hms_opt(23, 59, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let exp: Vec<u64> = t
        .people
        .iter()
        .filter(|p| {
            p.createddate >= lo
                && p.createddate <= hi
                && (p.folder.id == "C30104" || p.folder.value == "Cand:Do Not Hire")
        })
        .map(|p| p.id)
        .collect();
    assert!(!exp.is_empty());
    assert_eq!(ids(search(&c, &info, "people", body).await).await, exp);

    // Relations and status on workflows; != on text; numbers on jobs.
    let w = &t.workflows[7];
    let got = ids(search(
        &c,
        &info,
        "applicantworkflows",
        json!({"filters":[{"name":"applicantworkflow.person.id","value":[w.person.to_string()]}]}),
    )
    .await)
    .await;
    assert_eq!(
        got,
        t.workflows
            .iter()
            .filter(|x| x.person == w.person)
            .map(|x| x.id)
            .collect::<Vec<_>>()
    );
    let rej: Vec<&str> = t
        .statuses
        .iter()
        .filter(|s| s.is_rejection)
        .map(|s| s.id.as_str())
        .collect();
    let got = ids(search(&c, &info, "applicantworkflows", json!({"filters":[{"name":"applicantworkflow.status","value":rej},{"name":"applicantworkflow.job.id","value":[w.job.to_string()]}]})).await).await;
    let exp: Vec<u64> = t
        .workflows
        .iter()
        .filter(|x| x.job == w.job && t.statuses[x.status].is_rejection)
        .map(|x| x.id)
        .take(1000)
        .collect();
    assert_eq!(got, exp);
    let got = ids(search(&c, &info, "jobs", json!({"filters":[{"name":"job.numberofpositions","value":["3"],"operator":">="},{"name":"job.jobtitle","value":["engineer"],"operator":"!="}]})).await).await;
    let exp: Vec<u64> = t
        .jobs
        .iter()
        .filter(|j| j.numberofpositions >= 3 && !j.jobtitle.to_lowercase().contains("engineer"))
        .map(|j| j.id)
        .collect();
    assert_eq!(got, exp);

    // Rejections: 400 with an iCIMS error body.
    for (body, needle) in [
        (
            json!({"filters":[]}),
            "At least one filter must be specified",
        ),
        (
            json!({"operator":"&"}),
            "At least one filter must be specified",
        ),
        (
            json!({"filters":[{"name1":"person.id","value":["1"]}]}),
            "name1",
        ),
        (
            json!({"filters":[{"name":"job.jobtitle","value":["x"]}]}),
            "job.jobtitle",
        ),
        (
            json!({"filters":[{"name":"person.id","value":["1"]}],"operator":"and"}),
            "group operator",
        ),
        (
            json!({"filters":[{"name":"person.id","value":["1"],"operator":"~"}]}),
            "operator",
        ),
    ] {
        let r = search(&c, &info, "people", body).await;
        assert_eq!(r.status(), 400);
        assert!(r.headers().contains_key("x-error"));
        let v: Value = r.json().await.unwrap();
        assert!(
            v["errors"][0]["errorMessage"]
                .as_str()
                .unwrap()
                .contains(needle),
            "{v}"
        );
    }
    let r = c
        .post(format!("{}/search/people?staleness=soon", cust(&info)))
        .basic_auth(&info.basic.username, Some(&info.basic.password))
        .json(&json!({"filters":[{"name":"person.id","value":["1"],"operator":">"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn restricted_user_does_not_see_hidden_fields() {
    let sb = start(200, 27).await;
    let info = sb.info();
    let t = sb.tenant();
    let c = client();
    assert!(
        t.restricted_hidden
            .contains(&"person.addresses".to_string())
    );
    let p = t
        .people
        .iter()
        .find(|p| !p.phones.is_empty() && !p.addresses.is_empty() && !p.linkedin.is_empty())
        .unwrap();
    let url = format!("{}/people/{}", cust(&info), p.id);
    let full: Value = get_basic(&c, &info, &format!("/people/{}", p.id))
        .await
        .json()
        .await
        .unwrap();
    let r = c
        .get(&url)
        .basic_auth(&info.restricted.username, Some(&info.restricted.password))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let limited: Value = r.json().await.unwrap();
    for key in ["phones", "addresses", t.linkedin_field.as_str()] {
        assert!(
            full.get(key).is_some() && limited.get(key).is_none(),
            "{key}"
        );
    }
    assert_eq!(limited["email"], full["email"]);
    let r = c
        .get(format!(
            "{}/profiledefinitions/v1/person/schema",
            cust(&info)
        ))
        .basic_auth(&info.restricted.username, Some(&info.restricted.password))
        .send()
        .await
        .unwrap();
    let schema: Value = r.json().await.unwrap();
    assert!(
        schema["properties"].get("addresses").is_none()
            && schema["properties"].get("firstname").is_some()
    );
    let r = c
        .post(format!("{}/search/people", cust(&info)))
        .basic_auth(&info.restricted.username, Some(&info.restricted.password))
        .json(&json!({"filters":[{"name":"person.addresscity","value":["Boston"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn lists_and_schema() {
    let sb = start(60, 28).await;
    let info = sb.info();
    let t = sb.tenant();
    let c = client();
    let v: Value = get_basic(&c, &info, "/v2/lists")
        .await
        .json()
        .await
        .unwrap();
    let lists: Vec<&str> = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(lists.contains(&"lists.notes.rejection") && lists.contains(&"lists.person.folders"));
    let v: Value = get_basic(&c, &info, "/v2/lists/lists.notes.rejection")
        .await
        .json()
        .await
        .unwrap();
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(
        nodes.len(),
        t.statuses.iter().filter(|s| s.is_rejection).count()
    );
    for n in nodes {
        assert_node(n);
        assert!(n["_links"]["self"]["href"].is_string());
    }
    let v: Value = get_basic(&c, &info, "/v2/lists/lists.person.folders?size=4")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["nodes"].as_array().unwrap().len(), 4);
    assert!(
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["value"].as_str().unwrap().starts_with("Cand:"))
    );
    let next = v["_links"]["next"]["href"].as_str().unwrap();
    let r = c
        .get(next)
        .basic_auth(&info.basic.username, Some(&info.basic.password))
        .send()
        .await
        .unwrap();
    let v2: Value = r.json().await.unwrap();
    assert!(
        v2["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["value"].as_str().unwrap().starts_with("HM:"))
    );
    assert_eq!(
        get_basic(&c, &info, "/v2/lists/lists.nope").await.status(),
        404
    );

    let v: Value = get_basic(&c, &info, "/profiledefinitions/v1/person/schema")
        .await
        .json()
        .await
        .unwrap();
    let props = &v["properties"];
    assert_eq!(props[&t.linkedin_field]["type"], "string");
    assert_eq!(props["folder"]["properties"]["id"]["type"], "string");
    let v: Value = get_basic(&c, &info, "/profiledefinitions/v1/job/schema")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["properties"]["recruiter"]["properties"]["id"]["type"],
        "integer"
    );
    let v: Value = get_basic(&c, &info, "/profiledefinitions/v1/submittal/status/schema")
        .await
        .json()
        .await
        .unwrap();
    let opts = v["options"].as_array().unwrap();
    assert_eq!(opts.len(), t.statuses.len());
    assert!(
        opts.iter()
            .any(|o| o["rejection"] == true && o["bin"].is_string())
    );
    assert_eq!(
        get_basic(&c, &info, "/profiledefinitions/v1/room/schema")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn data_stream_pages_the_changes_after_the_cutoff() {
    let sb = start(800, 29).await;
    let info = sb.info();
    let t = sb.tenant();
    let c = client();
    let ds = &info.datastream;
    let tok = access_token(&c, &ds.token_url, &ds.client_id, &ds.client_secret).await;
    // The REST API token does not open the Data Stream, and vice versa.
    let api = access_token(
        &c,
        &info.token_url,
        &info.oauth.client_id,
        &info.oauth.client_secret,
    )
    .await;
    let subs_url = format!("{}/{}/subscriptions", ds.base, info.customer_id);
    let r = c.get(&subs_url).bearer_auth(&api).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(format!("{}/people/{}", cust(&info), t.people[0].id))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let v: Value = c
        .get(&subs_url)
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subs: Vec<String> = v["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(subs, ds.subscriptions);
    for (sub, object) in subs.iter().zip(Object::ALL) {
        let mut key: Option<String> = None;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let mut rb = c
                .get(format!("{subs_url}/{sub}/events"))
                .bearer_auth(&tok)
                .query(&[("limit", "25")]);
            if let Some(k) = &key {
                rb = rb.query(&[("exclusiveStartKey", k)]);
            }
            let r = rb.send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert!(r.headers().contains_key("x-ratelimit-remaining"));
            let v: Value = r.json().await.unwrap();
            pages += 1;
            for e in v["events"].as_array().unwrap() {
                assert_eq!(e["customerId"], json!(info.customer_id.to_string()));
                assert!(is_datetime(e["eventDate"].as_str().unwrap()));
                assert!(e["eventType"].is_string() && e["links"][0]["url"].is_string());
                seen.push(e["systemId"].as_str().unwrap().parse::<u64>().unwrap());
            }
            match v.get("lastEvaluatedKey").and_then(|k| k.as_str()) {
                Some(k) => key = Some(k.to_string()),
                None => break,
            }
        }
        let cs = t.after_cutoff.of(object);
        let mut expected: Vec<u64> = cs
            .changed
            .iter()
            .chain(&cs.created)
            .chain(&cs.deleted)
            .copied()
            .collect();
        expected.sort_unstable();
        seen.sort_unstable();
        assert_eq!(seen, expected, "{sub}");
        if expected.len() > 25 {
            assert!(pages > 1);
        }
    }
}

#[tokio::test]
async fn data_stream_carries_edits_made_while_running_and_can_be_switched_off() {
    use icims_onboard::sandbox::mutate;
    let sb = start(120, 31).await;
    let info = sb.info();
    let c = client();
    let ds = &info.datastream;
    let tok = access_token(&c, &ds.token_url, &ds.client_id, &ds.client_secret).await;
    let subs_url = format!("{}/{}/subscriptions", ds.base, info.customer_id);
    let people_sub = &ds.subscriptions[0];
    // All events of a subscription from `key` on: (events, last key seen).
    let read = async |key: Option<String>| -> (Vec<Value>, Option<String>) {
        let mut key = key;
        let mut out = Vec::new();
        loop {
            let mut rb = c
                .get(format!("{subs_url}/{people_sub}/events"))
                .bearer_auth(&tok);
            if let Some(k) = &key {
                rb = rb.query(&[("exclusiveStartKey", k)]);
            }
            let v: Value = rb.send().await.unwrap().json().await.unwrap();
            let evs = v["events"].as_array().unwrap().clone();
            out.extend(evs);
            match v.get("lastEvaluatedKey").and_then(Value::as_str) {
                Some(k) => key = Some(k.to_string()),
                None => return (out, key),
            }
        }
    };
    let (before, _) = read(None).await;
    let calls0 = sb.call_counts();
    let pid = sb.tenant().people[0].id;
    let created = sb.mutate(|t, clock| {
        assert!(mutate::change_person(t, clock, pid));
        mutate::log_raw_event(t, Object::Person, json!({"odd": 1}));
        mutate::create_person(t, clock).unwrap()
    });
    let (after, _) = read(None).await;
    assert_eq!(after.len(), before.len() + 3);
    assert_eq!(&after[..before.len()], &before[..], "new events come last");
    let new = &after[before.len()..];
    assert_eq!(new[0]["eventType"], "PersonUpdatedEvent");
    assert_eq!(new[0]["systemId"], json!(pid.to_string()));
    assert_eq!(new[1], json!({"odd": 1}), "a raw event is served as is");
    assert_eq!(new[2]["eventType"], "PersonCreatedEvent");
    assert_eq!(new[2]["systemId"], json!(created.to_string()));
    // Calls are counted per kind: Data Stream reads, not searches or profile GETs.
    let calls = sb.call_counts();
    assert!(calls.datastream > calls0.datastream);
    assert_eq!(
        (calls.searches, calls.profile_gets),
        (calls0.searches, calls0.profile_gets)
    );
    // Switched off: no subscription listed, and its events are not found.
    sb.mutate(|t, _| mutate::set_datastream(t, false));
    let v: Value = c
        .get(&subs_url)
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"subscriptions": []}));
    let r = c
        .get(format!("{subs_url}/{people_sub}/events"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn daily_quota_headers_429_and_reset_at_midnight() {
    let sb = Sandbox::start(SandboxConfig {
        people: 40,
        seed: 30,
        daily_quota: 5,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    let c = client();
    // Pin the clock to 23:00 UTC so the reset is one hour away.
    let now = sb.clock().now();
    let today_23 = now.date_naive().and_hms_opt(23, 0, 0).unwrap().and_utc();
    sb.clock().set(today_23);
    let pid = sb.tenant().people[0].id;
    for expect_remaining in (0..5).rev() {
        let r = get_basic(&c, &info, &format!("/people/{pid}")).await;
        assert_eq!(r.status(), 200);
        let h = |n: &str| r.headers()[n].to_str().unwrap().parse::<i64>().unwrap();
        assert_eq!(h("x-ratelimit-limit"), 5);
        assert_eq!(h("x-ratelimit-remaining"), expect_remaining);
        assert!(
            (3590..=3601).contains(&h("x-ratelimit-reset")),
            "{}",
            h("x-ratelimit-reset")
        );
    }
    let r = get_basic(&c, &info, &format!("/people/{pid}")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert!((3590..=3601).contains(&retry));
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    assert_error(&r.json().await.unwrap(), 11);
    // Past midnight UTC the quota is back.
    sb.clock().advance(chrono::Duration::seconds(3601));
    let r = get_basic(&c, &info, &format!("/people/{pid}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "4");
    assert_eq!(sb.quota_used_today(), 1);
}

#[tokio::test]
async fn eu_base_is_served_and_counted_separately() {
    let sb = start(40, 31).await;
    let info = sb.info();
    let c = client();
    let pid = sb.tenant().people[0].id;
    let url = format!(
        "{}/customers/{}/people/{pid}",
        info.regions.eu.api_base, info.customer_id
    );
    let r = c
        .get(&url)
        .basic_auth(&info.basic.username, Some(&info.basic.password))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["links"][0]["url"], json!(url));
    assert_eq!(
        sb.requests_by_region(),
        icims_onboard::sandbox::RegionHits { us: 0, eu: 1 }
    );
    let stats: Value = c
        .get(&info.stats_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["eu"], 1);
    assert_eq!(stats["requests"]["us"], 1); // the stats call itself
}

/// What a client observed for one request.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Seen {
    Ok,
    Status(u16),
    TransportError,
    BadBody,
}

async fn observe(seed: u64, n: u64) -> (Vec<Seen>, Vec<(u64, FaultKind)>) {
    let sb = Sandbox::start(SandboxConfig {
        people: 40,
        seed,
        fault_rate: 0.5,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    // One connection per request, so no client-side retry or reuse blurs the sequence.
    let c = Client::builder()
        .http1_only()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let pid = sb.tenant().people[0].id;
    let mut seen = Vec::new();
    for _ in 0..n {
        let r = c
            .get(format!("{}/people/{pid}", cust(&info)))
            .basic_auth(&info.basic.username, Some(&info.basic.password))
            .send()
            .await;
        seen.push(match r {
            Err(_) => Seen::TransportError,
            Ok(r) if r.status() != 200 => Seen::Status(r.status().as_u16()),
            Ok(r) => match r.bytes().await {
                Err(_) => Seen::TransportError,
                Ok(b) if serde_json::from_slice::<Value>(&b).is_err() => Seen::BadBody,
                Ok(_) => Seen::Ok,
            },
        });
    }
    (seen, sb.fault_log())
}

#[tokio::test]
async fn faults_are_reproducible_from_the_seed() {
    let n = 36;
    let (a, log_a) = observe(77, n).await;
    let (b, log_b) = observe(77, n).await;
    assert_eq!(a, b);
    assert_eq!(log_a, log_b);
    // The observed sequence is exactly the plan's.
    let plan = FaultPlan::new(77, 0.5);
    let predicted: Vec<Seen> = (0..n)
        .map(|i| match plan.at(i) {
            None | Some(FaultKind::Slow) => Seen::Ok,
            Some(FaultKind::ServerError) => Seen::Status(503),
            Some(FaultKind::Throttle) => Seen::Status(429),
            Some(FaultKind::Reset) | Some(FaultKind::Truncated) => Seen::TransportError,
            Some(FaultKind::Malformed) => Seen::BadBody,
        })
        .collect();
    assert_eq!(a, predicted);
    assert!(
        a.contains(&Seen::TransportError)
            && a.contains(&Seen::Ok)
            && a.iter().any(|s| matches!(s, Seen::Status(_)))
    );
    let (c, _) = observe(78, n).await;
    assert_ne!(a, c);
}

#[tokio::test]
async fn export_files_parse_with_the_recorded_rows_and_bad_rows() {
    let sb = start(1200, 32).await;
    let info = sb.info();
    let t = sb.tenant();
    let coordinator = t
        .field_truth
        .iter()
        .find(|f| f.standard_id == "job.recruiter")
        .unwrap();
    assert_eq!(
        (coordinator.name.as_str(), coordinator.renamed),
        ("Coordinator", true)
    );
    for object in Object::ALL {
        let f = t.export_file(object).unwrap();
        let summary = match object {
            Object::Person => &info.export.people,
            Object::Job => &info.export.jobs,
            Object::Workflow => &info.export.workflows,
        };
        assert_eq!((summary.rows, summary.bad_rows), (f.rows, f.bad_rows.len()));
        let bytes = std::fs::read(std::path::Path::new(&info.export.dir).join(&f.file)).unwrap();
        assert_eq!(hex::encode(Sha256::digest(&bytes)), f.sha256);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM");
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(&bytes[3..]);
        let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(headers, f.headers);
        let exported: Vec<String> = t
            .field_truth
            .iter()
            .filter(|x| {
                x.object == object
                    && x.source == icims_onboard::sandbox::model::FieldSource::ExportHeader
            })
            .map(|x| x.name.clone())
            .collect();
        assert_eq!(headers, exported);
        let date_cols: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.contains("Date") || h.contains("Updated"))
            .map(|(i, _)| i)
            .collect();
        let mut good = 0;
        let mut bad = Vec::new();
        let mut multiline = false;
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.unwrap();
            // Physical line where the record starts (csv's own line counter lags on CRLF).
            let data = &bytes[3..];
            let mut at = rec.position().unwrap().byte() as usize;
            while at < data.len() && (data[at] == b'\r' || data[at] == b'\n') {
                at += 1;
            }
            let line = 1 + data[..at].iter().filter(|&&b| b == b'\n').count();
            multiline |= rec.iter().any(|f| f.contains('\n'));
            let ok = rec.len() == headers.len()
                && rec[0].parse::<u64>().is_ok()
                && date_cols.iter().all(|&c| {
                    rec[c].is_empty()
                        || chrono::NaiveDateTime::parse_from_str(&rec[c], "%Y-%m-%d %I:%M %p")
                            .is_ok()
                });
            if ok {
                good += 1;
            } else {
                bad.push((i + 1, line));
            }
        }
        assert_eq!(good, f.rows, "{object:?}");
        let recorded: Vec<(usize, usize)> = f.bad_rows.iter().map(|b| (b.record, b.line)).collect();
        assert_eq!(bad, recorded, "{object:?}");
        assert!(f.bad_rows.len() >= 3);
        if object == Object::Job {
            assert!(multiline, "job overviews carry embedded newlines");
        }
        let total = match object {
            Object::Person => t.export_people.len(),
            Object::Job => t.export_jobs.len(),
            Object::Workflow => t.export_workflows.len(),
        };
        assert_eq!(good + bad.len(), total);
    }
}

#[tokio::test]
async fn token_issuance_is_throttled() {
    let sb = Sandbox::start(SandboxConfig {
        people: 30,
        seed: 33,
        token_limit_per_10min: 3,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    let c = client();
    for _ in 0..3 {
        assert_eq!(
            token(
                &c,
                &info.token_url,
                &info.oauth.client_id,
                &info.oauth.client_secret
            )
            .await
            .status(),
            200
        );
    }
    let r = token(
        &c,
        &info.token_url,
        &info.oauth.client_id,
        &info.oauth.client_secret,
    )
    .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "too_many_requests");
    sb.clock().advance(chrono::Duration::minutes(11));
    assert_eq!(
        token(
            &c,
            &info.token_url,
            &info.oauth.client_id,
            &info.oauth.client_secret
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn non_loopback_addresses_are_refused() {
    let cfg = SandboxConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..Default::default()
    };
    let err = Sandbox::start(cfg).await.err().expect("must refuse");
    assert!(err.to_string().contains("not a loopback address"), "{err}");
}

#[tokio::test]
async fn sandbox_command_prints_one_json_line_first_and_stops_on_sigterm() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_icims-onboard"))
        .args(["sandbox", "--json", "--people", "60", "--seed", "9"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let v: Value = serde_json::from_str(first.trim()).unwrap();
    for key in [
        "api_base",
        "token_url",
        "customer_id",
        "basic",
        "restricted",
        "oauth",
        "datastream",
        "sftp",
        "export",
        "hmac",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in ["host", "port", "username", "password", "path"] {
        assert!(v["sftp"].get(key).is_some(), "sftp.{key}");
    }
    for object in ["people", "jobs", "workflows"] {
        let e = &v["export"][object];
        assert!(
            e["file"].is_string() && e["rows"].is_u64() && e["bad_rows"].is_u64(),
            "{e}"
        );
    }
    assert!(v["datastream"]["base"].is_string() && v["datastream"]["client_secret"].is_string());
    // It serves: an authenticated call with the printed credentials works.
    let url = format!(
        "{}/customers/{}/v2/lists",
        v["api_base"].as_str().unwrap(),
        v["customer_id"]
    );
    let r = client()
        .get(url)
        .basic_auth(
            v["basic"]["username"].as_str().unwrap(),
            v["basic"]["password"].as_str(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // SIGTERM stops it cleanly.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
