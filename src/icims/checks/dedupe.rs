//! The dedupe preview: for a candidate's email, LinkedIn URL and name, the iCIMS people
//! that match on each key, and a verdict — new, a duplicate of one person, or ambiguous
//! (a key matches several people, or the keys point at different people). Candidates can
//! come one at a time or from a CSV (`email`, `linkedin`, `name` columns).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::super::client::IcimsClient;
use super::super::error::IcimsError;
use super::super::model::Id;
use super::super::profiles::ProfileType;
use super::super::schema::is_custom_field;
use super::super::search::{Filter, SearchQuery};
use super::people::{PersonMatch, read_people};

/// A candidate to look up. Empty keys are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub email: Option<String>,
    pub linkedin: Option<String>,
    pub name: Option<String>,
    /// CSV line, when loaded from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// Which key matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DedupeKey {
    Email,
    Linkedin,
    Name,
}

/// The people matching one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMatches {
    pub key: DedupeKey,
    pub value: String,
    /// Every matching person id, ascending.
    pub person_ids: Vec<u64>,
    /// The first matches with names, for display.
    pub matches: Vec<PersonMatch>,
    /// More than one person matches this key.
    pub ambiguous: bool,
    /// Why the key could not be searched (e.g. the LinkedIn field is not visible).
    pub note: Option<String>,
}

/// The overall answer for a candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum DedupeVerdict {
    /// No key matches anyone: upload as new.
    New,
    /// Every matching key points at this one person.
    Duplicate { person_id: u64 },
    /// Several people match; a person must decide.
    Ambiguous { person_ids: Vec<u64> },
}

/// The preview for one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupeResult {
    pub candidate: Candidate,
    pub keys: Vec<KeyMatches>,
    #[serde(flatten)]
    pub verdict: DedupeVerdict,
}

/// LinkedIn URL reduced to what identifies the profile: lowercase, no scheme, no `www.`,
/// no query or fragment, no trailing slash.
pub fn normalize_linkedin(url: &str) -> String {
    let mut s = url.trim().to_ascii_lowercase();
    for prefix in ["https://", "http://"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    if let Some(rest) = s.strip_prefix("www.") {
        s = rest.to_string();
    }
    if let Some(i) = s.find(['?', '#']) {
        s.truncate(i);
    }
    s.trim_end_matches('/').to_string()
}

/// Splits a full name into (first, last): "Last, First" or "First [Middle] Last".
pub fn split_name(name: &str) -> Option<(String, String)> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((last, first)) = name.split_once(',') {
        let (first, last) = (first.trim(), last.trim());
        return (!first.is_empty() && !last.is_empty()).then(|| (first.into(), last.into()));
    }
    let (first, last) = name.rsplit_once(' ')?;
    Some((first.to_string(), last.to_string()))
}

/// The verdict from the per-key matches.
pub fn verdict_of(keys: &[KeyMatches]) -> DedupeVerdict {
    let all: BTreeSet<u64> = keys
        .iter()
        .flat_map(|k| k.person_ids.iter().copied())
        .collect();
    match all.len() {
        0 => DedupeVerdict::New,
        1 => DedupeVerdict::Duplicate {
            person_id: *all.iter().next().unwrap_or(&0),
        },
        _ => DedupeVerdict::Ambiguous {
            person_ids: all.into_iter().collect(),
        },
    }
}

async fn ids_for(client: &IcimsClient, query: SearchQuery) -> Result<Vec<Id>, IcimsError> {
    client
        .search_pager(ProfileType::People, query)
        .collect_all(3)
        .await
}

fn key_matches(
    key: DedupeKey,
    value: &str,
    ids: Vec<u64>,
    matches: Vec<PersonMatch>,
) -> KeyMatches {
    KeyMatches {
        key,
        value: value.to_string(),
        ambiguous: ids.len() > 1,
        person_ids: ids,
        matches,
        note: None,
    }
}

/// Looks a candidate up by each key it has. `linkedin_field` is the tenant's LinkedIn
/// custom field (`field41522`); without it the LinkedIn key is reported as not searchable.
pub async fn dedupe_preview(
    client: &IcimsClient,
    candidate: &Candidate,
    linkedin_field: Option<&str>,
) -> Result<DedupeResult, IcimsError> {
    let mut keys = Vec::new();
    if let Some(email) = candidate
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let ids = ids_for(
            client,
            SearchQuery::all(vec![Filter::exact("person.email", email)]),
        )
        .await?;
        let matches = read_people(client, &ids, linkedin_field).await?;
        keys.push(key_matches(
            DedupeKey::Email,
            email,
            ids.iter().map(|i| i.0).collect(),
            matches,
        ));
    }
    if let Some(url) = candidate
        .linkedin
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        keys.push(linkedin_matches(client, url, linkedin_field).await?);
    }
    if let Some(name) = candidate
        .name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match split_name(name) {
            Some((first, last)) => {
                let ids = ids_for(
                    client,
                    SearchQuery::all(vec![
                        Filter::exact("person.firstname", &first),
                        Filter::exact("person.lastname", &last),
                    ]),
                )
                .await?;
                let matches = read_people(client, &ids, linkedin_field).await?;
                keys.push(key_matches(
                    DedupeKey::Name,
                    name,
                    ids.iter().map(|i| i.0).collect(),
                    matches,
                ));
            }
            None => keys.push(KeyMatches {
                note: Some("needs a first and a last name".into()),
                ..key_matches(DedupeKey::Name, name, Vec::new(), Vec::new())
            }),
        }
    }
    Ok(DedupeResult {
        candidate: candidate.clone(),
        verdict: verdict_of(&keys),
        keys,
    })
}

/// LinkedIn: a *contains* search on the profile path, then only the people whose stored
/// URL is the same profile (so `…/in/ann` does not match `…/in/anna`, and `http://`,
/// `www.` or a trailing slash make no difference).
async fn linkedin_matches(
    client: &IcimsClient,
    url: &str,
    linkedin_field: Option<&str>,
) -> Result<KeyMatches, IcimsError> {
    let Some(field) = linkedin_field.filter(|f| is_custom_field(f)) else {
        return Ok(KeyMatches {
            note: Some(
                "the tenant's LinkedIn field is not known or not visible to this API user".into(),
            ),
            ..key_matches(DedupeKey::Linkedin, url, Vec::new(), Vec::new())
        });
    };
    let wanted = normalize_linkedin(url);
    let filter_name = format!(
        "person.customfield{}.text",
        field.trim_start_matches("field")
    );
    let ids = ids_for(
        client,
        SearchQuery::all(vec![Filter::eq(&filter_name, &wanted)]),
    )
    .await?;
    let mut same = Vec::new();
    let mut shown = Vec::new();
    for chunk in ids.chunks(super::people::MAX_SHOWN) {
        for p in read_people(client, chunk, Some(field)).await? {
            if p.linkedin.as_deref().map(normalize_linkedin).as_deref() == Some(wanted.as_str()) {
                same.push(p.id);
                if shown.len() < super::people::MAX_SHOWN {
                    shown.push(p);
                }
            }
        }
    }
    Ok(key_matches(DedupeKey::Linkedin, url, same, shown))
}

/// Finds the tenant's LinkedIn custom field: a person schema field labelled LinkedIn, else
/// the custom field whose values on sample people are linkedin.com URLs. `None` when the
/// API user cannot see such a field.
pub async fn discover_linkedin_field(
    client: &IcimsClient,
    sample_people: &[Id],
) -> Result<Option<String>, IcimsError> {
    let schema = client.profile_schema("person").await?;
    let custom: Vec<&str> = schema.custom_fields().map(|f| f.id.as_str()).collect();
    if let Some(f) = schema.custom_fields().find(|f| {
        f.label
            .as_deref()
            .is_some_and(|l| l.to_ascii_lowercase().contains("linkedin"))
    }) {
        return Ok(Some(f.id.clone()));
    }
    if custom.is_empty() {
        return Ok(None);
    }
    for id in super::hidden::spread(sample_people, 5) {
        let p = match client.get_profile(ProfileType::People, id, &custom).await {
            Ok(p) => p,
            Err(IcimsError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        if let Some(f) = custom.iter().find(|f| {
            p.text(f)
                .is_some_and(|v| v.to_ascii_lowercase().contains("linkedin.com/"))
        }) {
            return Ok(Some(f.to_string()));
        }
    }
    Ok(None)
}

/// A CSV problem, naming the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}: {reason}")]
pub struct CsvProblem {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// Reads candidates from CSV text with a header naming some of `email`, `linkedin`
/// (or `linkedin_url`, `linkedin url`), `name` (or `first_name` + `last_name`). Rows
/// without any key are reported, not fatal; a header without any known column is.
pub fn parse_candidates_csv(
    file: &str,
    text: &str,
) -> Result<(Vec<Candidate>, Vec<CsvProblem>), CsvProblem> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| CsvProblem {
            file: file.into(),
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    let norm = |h: &str| h.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&norm(h).as_str()))
    };
    let email = col(&["email", "email_address", "e_mail"]);
    let linkedin = col(&["linkedin", "linkedin_url", "linkedin_profile"]);
    let name = col(&["name", "full_name"]);
    let first = col(&["first_name", "firstname", "first"]);
    let last = col(&["last_name", "lastname", "last"]);
    if email.is_none()
        && linkedin.is_none()
        && name.is_none()
        && (first.is_none() || last.is_none())
    {
        return Err(CsvProblem {
            file: file.into(),
            line: 1,
            reason: "the header has none of the columns email, linkedin, name (or first_name and last_name)".into(),
        });
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                problems.push(CsvProblem {
                    file: file.into(),
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let full_name = get(name).or_else(|| match (get(first), get(last)) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            _ => None,
        });
        let c = Candidate {
            email: get(email),
            linkedin: get(linkedin),
            name: full_name,
            line: Some(line),
        };
        if c.email.is_none() && c.linkedin.is_none() && c.name.is_none() {
            problems.push(CsvProblem {
                file: file.into(),
                line,
                reason: "no email, LinkedIn URL or name".into(),
            });
            continue;
        }
        out.push(c);
    }
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_linkedin_urls() {
        assert_eq!(
            normalize_linkedin(" https://www.LinkedIn.com/in/Ann-Lee/?trk=x "),
            "linkedin.com/in/ann-lee"
        );
        assert_eq!(
            normalize_linkedin("http://linkedin.com/in/ann-lee#about"),
            "linkedin.com/in/ann-lee"
        );
    }

    #[test]
    fn splits_names() {
        assert_eq!(split_name("Ann  Lee"), Some(("Ann".into(), "Lee".into())));
        assert_eq!(
            split_name("Mary Ann Lee"),
            Some(("Mary Ann".into(), "Lee".into()))
        );
        assert_eq!(split_name("Lee, Ann"), Some(("Ann".into(), "Lee".into())));
        assert_eq!(split_name("Cher"), None);
        assert_eq!(split_name("Lee,"), None);
    }

    fn km(key: DedupeKey, ids: &[u64]) -> KeyMatches {
        key_matches(key, "v", ids.to_vec(), Vec::new())
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict_of(&[]), DedupeVerdict::New);
        assert_eq!(
            verdict_of(&[km(DedupeKey::Email, &[]), km(DedupeKey::Name, &[])]),
            DedupeVerdict::New
        );
        assert_eq!(
            verdict_of(&[km(DedupeKey::Email, &[7]), km(DedupeKey::Name, &[7])]),
            DedupeVerdict::Duplicate { person_id: 7 }
        );
        assert_eq!(
            verdict_of(&[km(DedupeKey::Email, &[7]), km(DedupeKey::Linkedin, &[9])]),
            DedupeVerdict::Ambiguous {
                person_ids: vec![7, 9]
            }
        );
        let k = km(DedupeKey::Name, &[3, 4]);
        assert!(k.ambiguous);
        assert_eq!(
            verdict_of(&[k]),
            DedupeVerdict::Ambiguous {
                person_ids: vec![3, 4]
            }
        );
    }

    #[test]
    fn reads_candidate_csv_and_reports_bad_rows() {
        let text = "Email,LinkedIn URL,First Name,Last Name\n\
                    ann@x.example,https://linkedin.com/in/ann,Ann,Lee\n\
                    ,,,\n\
                    ,,Bob,Stone\n";
        let (cands, problems) = parse_candidates_csv("c.csv", text).unwrap();
        assert_eq!(cands.len(), 2);
        assert_eq!(cands[0].name.as_deref(), Some("Ann Lee"));
        assert_eq!(cands[0].line, Some(2));
        assert_eq!(cands[1].email, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "c.csv: line 3: no email, LinkedIn URL or name"
        );
        let err = parse_candidates_csv("d.csv", "foo,bar\n1,2\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("d.csv: line 1: the header has none")
        );
    }
}
