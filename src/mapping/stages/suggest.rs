//! Suggested stage for each pipeline status: from its wording (a stage's hint words in
//! the status name), then its bin (hint words in the bin name), then its order (the stage
//! of the nearest earlier status of the same bin). Rejection statuses get none: they map
//! to rejected.

use super::rules::{Rules, Stage, find_phrase, words};

/// A suggestion: the stage id (if any) and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSuggestion {
    pub stage: Option<String>,
    pub reason: String,
}

/// What the suggester needs of one status.
#[derive(Debug, Clone, Copy)]
pub struct SuggestInput<'a> {
    pub name: &'a str,
    pub bin: Option<&'a str>,
    pub rejection: bool,
}

/// The stage whose hint (the rules' hints for its id, plus its own name) occurs in `text`
/// as the longest phrase; ties go to the earlier stage.
fn best_stage<'a>(text: &str, stages: &'a [Stage], rules: &Rules) -> Option<(&'a Stage, String)> {
    let hay = words(text);
    let mut best: Option<(usize, &Stage, String)> = None;
    for stage in stages {
        let mut hints: Vec<String> = rules
            .stage_hints
            .get(&stage.id)
            .cloned()
            .unwrap_or_default();
        hints.push(stage.name.clone());
        for hint in hints {
            let phrase = words(&hint);
            if find_phrase(&hay, &phrase).is_some()
                && best.as_ref().is_none_or(|(len, _, _)| phrase.len() > *len)
            {
                best = Some((phrase.len(), stage, phrase.join(" ")));
            }
        }
    }
    best.map(|(_, s, h)| (s, h))
}

/// Suggests a stage for every status, in catalogue order (`inputs` sorted by position).
pub fn suggest(
    inputs: &[SuggestInput<'_>],
    stages: &[Stage],
    rules: &Rules,
) -> Vec<StageSuggestion> {
    let mut out: Vec<StageSuggestion> = Vec::with_capacity(inputs.len());
    for (i, s) in inputs.iter().enumerate() {
        if s.rejection {
            out.push(StageSuggestion {
                stage: None,
                reason: "rejection reason: maps to rejected".into(),
            });
            continue;
        }
        if let Some((stage, hint)) = best_stage(s.name, stages, rules) {
            out.push(StageSuggestion {
                stage: Some(stage.id.clone()),
                reason: format!("wording {hint:?} suggests {}", stage.name),
            });
            continue;
        }
        if let Some(bin) = s.bin
            && let Some((stage, hint)) = best_stage(bin, stages, rules)
        {
            out.push(StageSuggestion {
                stage: Some(stage.id.clone()),
                reason: format!("bin {bin:?} ({hint}) suggests {}", stage.name),
            });
            continue;
        }
        let earlier = (0..i).rev().find_map(|j| {
            let other = &inputs[j];
            (!other.rejection && other.bin.is_some() && other.bin == s.bin)
                .then(|| out[j].stage.clone().map(|st| (other.name, st)))
                .flatten()
        });
        match earlier {
            Some((other, stage)) => {
                let name = stages
                    .iter()
                    .find(|x| x.id == stage)
                    .map_or(stage.clone(), |x| x.name.clone());
                out.push(StageSuggestion {
                    stage: Some(stage),
                    reason: format!("follows {other:?} in the same bin: {name}"),
                });
            }
            None => out.push(StageSuggestion {
                stage: None,
                reason: "no stage fits its wording, bin or order; pick one".into(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, bin: &str) -> Option<String> {
        let rules = Rules::standard();
        let input = [SuggestInput {
            name,
            bin: Some(bin),
            rejection: false,
        }];
        suggest(&input, &rules.default_stages, rules)[0]
            .stage
            .clone()
    }

    #[test]
    fn wording_then_bin_then_order() {
        assert_eq!(
            one("New Submission", "Initial Review").as_deref(),
            Some("applied")
        );
        assert_eq!(
            one("Reviewed by Recruiter", "Initial Review").as_deref(),
            Some("screen")
        );
        assert_eq!(one("Phone Screen", "Interview").as_deref(), Some("screen"));
        assert_eq!(
            one("Onsite Interview", "Interview").as_deref(),
            Some("interview")
        );
        assert_eq!(one("Offer Extended", "Offer").as_deref(), Some("offer"));
        assert_eq!(one("Hired", "Hired").as_deref(), Some("hired"));
        assert_eq!(
            one("New Hire Paperwork", "Onboarding").as_deref(),
            Some("hired")
        );
        assert_eq!(one("Pending", "Interviewing").as_deref(), Some("interview"));
        assert_eq!(one("On Hold", "On Hold"), None);
        let rules = Rules::standard();
        let inputs = [
            SuggestInput {
                name: "Final Interview",
                bin: Some("Stage 3"),
                rejection: false,
            },
            SuggestInput {
                name: "Debrief",
                bin: Some("Stage 3"),
                rejection: false,
            },
            SuggestInput {
                name: "NMF",
                bin: Some("Stage 3"),
                rejection: true,
            },
        ];
        let got = suggest(&inputs, &rules.default_stages, rules);
        assert_eq!(got[1].stage.as_deref(), Some("interview"));
        assert!(
            got[1].reason.contains("follows \"Final Interview\""),
            "{}",
            got[1].reason
        );
        assert_eq!(got[2].stage, None);
    }
}
