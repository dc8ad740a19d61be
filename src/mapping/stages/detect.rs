//! Rejection detection: a status is a rejection reason when its bin is a rejection bin
//! or its wording says so (rejected, declined, withdrew, NMF, NLI, no show, position
//! filled, …; see `assets/stage_rules.json`). The reason says which evidence decided.

use serde::{Deserialize, Serialize};

use super::rules::{Rules, find_phrase, words};

/// What detection concluded about one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    pub rejection: bool,
    /// Why it is a rejection reason (`bin "Rejected"`, `"NMF" means not moving forward`);
    /// `None` for a pipeline status.
    pub reason: Option<String>,
}

impl Detection {
    pub fn pipeline() -> Detection {
        Detection {
            rejection: false,
            reason: None,
        }
    }
}

/// Classifies a status from its name and bin.
pub fn detect(name: &str, bin: Option<&str>, rules: &Rules) -> Detection {
    let mut why: Vec<String> = Vec::new();
    if let Some(bin) = bin {
        let bin_words = words(bin);
        let rejection_bin = rules
            .rejection_bins
            .iter()
            .any(|b| find_phrase(&bin_words, &words(b)).is_some());
        if rejection_bin {
            why.push(format!("bin {:?}", bin.trim()));
        }
    }
    if let Some((phrase, means)) = wording(name, rules) {
        if phrase.eq_ignore_ascii_case(&means) {
            why.push(format!("wording {phrase:?}"));
        } else {
            why.push(format!("wording {phrase:?} means {means}"));
        }
    }
    if why.is_empty() {
        Detection::pipeline()
    } else {
        Detection {
            rejection: true,
            reason: Some(why.join("; ")),
        }
    }
}

/// The longest rejection wording in `name`, as it is written there, and its meaning.
fn wording(name: &str, rules: &Rules) -> Option<(String, String)> {
    let hay = words(name);
    let originals: Vec<&str> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut best: Option<(usize, usize, &str)> = None; // (len, at, means)
    for w in &rules.rejection_wording {
        let phrase = words(&w.phrase);
        if let Some(at) = find_phrase(&hay, &phrase)
            && best.is_none_or(|(len, _, _)| phrase.len() > len)
        {
            best = Some((phrase.len(), at, &w.means));
        }
    }
    best.map(|(len, at, means)| {
        let shown = originals
            .get(at..at + len)
            .map(|ws| ws.join(" "))
            .unwrap_or_default();
        (shown, means.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_rejection(name: &str, bin: &str) -> bool {
        detect(name, Some(bin), Rules::standard()).rejection
    }

    #[test]
    fn rejection_bins_and_wordings_are_found() {
        for (name, bin) in [
            ("Rejected - Not Qualified", "Rejected"),
            ("Anything", "Disqualified"),
            ("Whatever", "Candidate Withdrew"),
            ("NMF - Phone Screen", "Interview"),
            ("Not Moving Fwd", "Initial Review"),
            ("NLI", "Offer"),
            ("No Show - Onsite", "Interview"),
            ("No-Show", "Interview"),
            ("Position Filled", "On Hold"),
            ("Offer Declined", "Offer"),
            ("Candidate Withdrew", "Withdrawn"),
            ("Not Selected", "Interview"),
            ("DQ - Background", "Offer"),
            ("Failed Background Check", "Offer"),
            ("Req Cancelled", "On Hold"),
        ] {
            assert!(is_rejection(name, bin), "{name} / {bin}");
        }
    }

    #[test]
    fn pipeline_statuses_are_not_flagged() {
        for (name, bin) in [
            ("New Submission", "Initial Review"),
            ("Reviewed by Recruiter", "Screening"),
            ("Phone Screen", "Interview"),
            ("Background Check", "Offer"),
            ("Reference Check", "Offer"),
            ("Offer Accepted", "Offer"),
            ("Interview Not Yet Scheduled", "Interview"),
            ("On Hold", "On Hold"),
            ("Hired", "Hired"),
            ("Awaiting Hiring Manager Decision", "Interview"),
            ("Nominated", "Screening"),
        ] {
            assert!(!is_rejection(name, bin), "{name} / {bin}");
        }
    }

    #[test]
    fn the_reason_names_the_evidence() {
        let d = detect("NMF - Phone Screen", Some("Interview"), Rules::standard());
        assert_eq!(
            d.reason.as_deref(),
            Some("wording \"NMF\" means not moving forward")
        );
        let d = detect("Position Filled", Some("Rejected"), Rules::standard());
        assert_eq!(
            d.reason.as_deref(),
            Some("bin \"Rejected\"; wording \"Position Filled\"")
        );
        assert_eq!(
            detect("Hired", None, Rules::standard()),
            Detection::pipeline()
        );
    }
}
