//! The source-person check: for each recruiter email of the team, the iCIMS users (people
//! in `HM:` or `Emp:` folders) with exactly that email. Only exactly one match may be used
//! as Source Person; none or several means no Source Person is set.

use serde::{Deserialize, Serialize};

use super::super::client::IcimsClient;
use super::super::error::IcimsError;
use super::super::profiles::ProfileType;
use super::super::search::{Filter, SearchQuery};
use super::people::{PersonMatch, read_people};

/// Is a person folder a user folder (`HM:…` hiring managers, `Emp:…` employees)?
pub fn is_user_folder(label: &str) -> bool {
    let l = label.trim().to_ascii_lowercase();
    l.starts_with("hm:") || l.starts_with("emp:")
}

/// What an email maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourcePersonVerdict {
    /// Exactly one user: may be the Source Person.
    Exact,
    /// No user has the email.
    NoUser,
    /// Several users share it: ambiguous, not used.
    Several,
}

impl SourcePersonVerdict {
    pub fn label(self) -> &'static str {
        match self {
            SourcePersonVerdict::Exact => "exactly one user",
            SourcePersonVerdict::NoUser => "no user",
            SourcePersonVerdict::Several => "several users",
        }
    }
}

/// The result for one email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePersonRow {
    pub email: String,
    pub verdict: SourcePersonVerdict,
    /// The user to set as Source Person (only for `exact`).
    pub source_person_id: Option<u64>,
    /// The users found (HM:/Emp: folders).
    pub users: Vec<PersonMatch>,
    /// People with the email who are not users (candidates).
    pub other_people: usize,
}

/// An email list entry that is not an email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadEntry {
    /// 1-based line.
    pub line: usize,
    pub text: String,
    pub reason: String,
}

/// Splits pasted text or a file into emails (one or more per line, separated by commas,
/// semicolons or spaces; `Name <email>` works; `#` starts a comment). Duplicates are dropped
/// case-insensitively. A token with `@` that is not an email, or a line without any email,
/// is reported with its line number.
pub fn parse_email_list(text: &str) -> (Vec<String>, Vec<BadEntry>) {
    let mut emails: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut found = false;
        for token in line.split([',', ';', ' ', '\t']).map(str::trim) {
            let token = token.trim_matches(|c| c == '<' || c == '>' || c == '"');
            if !token.contains('@') {
                continue;
            }
            if looks_like_email(token) {
                found = true;
                if !emails.iter().any(|e| e.eq_ignore_ascii_case(token)) {
                    emails.push(token.to_string());
                }
            } else {
                found = true;
                bad.push(BadEntry {
                    line: i + 1,
                    text: token.to_string(),
                    reason: "not a valid email address".into(),
                });
            }
        }
        if !found {
            bad.push(BadEntry {
                line: i + 1,
                text: line.to_string(),
                reason: "no email address on this line".into(),
            });
        }
    }
    (emails, bad)
}

/// `local@domain.tld`, no spaces.
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Checks one email.
pub async fn check_email(client: &IcimsClient, email: &str) -> Result<SourcePersonRow, IcimsError> {
    let query = SearchQuery::all(vec![Filter::exact("person.email", email)]);
    let ids = client
        .search_pager(ProfileType::People, query)
        .collect_all(3)
        .await?;
    let people = read_people(client, &ids, None).await?;
    let (users, others): (Vec<PersonMatch>, Vec<PersonMatch>) = people
        .into_iter()
        .filter(|p| {
            p.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .partition(|p| p.folder.as_deref().is_some_and(is_user_folder));
    let verdict = match users.len() {
        0 => SourcePersonVerdict::NoUser,
        1 => SourcePersonVerdict::Exact,
        _ => SourcePersonVerdict::Several,
    };
    Ok(SourcePersonRow {
        email: email.to_string(),
        verdict,
        source_person_id: (verdict == SourcePersonVerdict::Exact).then(|| users[0].id),
        users,
        other_people: others.len(),
    })
}

/// Checks every email, in order.
pub async fn check_emails(
    client: &IcimsClient,
    emails: &[String],
) -> Result<Vec<SourcePersonRow>, IcimsError> {
    let mut out = Vec::with_capacity(emails.len());
    for e in emails {
        out.push(check_email(client, e).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_user_folders() {
        assert!(is_user_folder("HM:Active"));
        assert!(is_user_folder("Emp:Current Employee"));
        assert!(is_user_folder(" emp:Contractor/Temp"));
        assert!(!is_user_folder("Cand:Active"));
        assert!(!is_user_folder("Employee"));
    }

    #[test]
    fn parses_pasted_email_lists() {
        let (emails, bad) = parse_email_list(
            "ana@acme.example, Bob <bob@acme.example>\n# comment\nana@ACME.example; x@y\n\n  carol@acme.example  \nnobody here",
        );
        assert_eq!(
            emails,
            vec!["ana@acme.example", "bob@acme.example", "carol@acme.example"]
        );
        assert_eq!(bad.len(), 2);
        assert_eq!((bad[0].line, bad[0].text.as_str()), (3, "x@y"));
        assert_eq!((bad[1].line, bad[1].text.as_str()), (6, "nobody here"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("@b.c"));
        assert!(looks_like_email("a.b+c@d.example"));
    }
}
