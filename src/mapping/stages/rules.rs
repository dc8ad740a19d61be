//! The step 6 rules shipped in `assets/stage_rules.json`: a new team's default pipeline
//! stages, rejection bin names, rejection wordings with what they mean (including
//! abbreviations such as NMF/NLI), and the words that hint at each default stage.
//! Parsed once per process.

use std::sync::OnceLock;

use serde::Deserialize;

/// A pipeline stage: stable id (kept through renames) and the name people see.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Stage {
    pub id: String,
    pub name: String,
}

/// A rejection wording: the phrase (normalised words) and what it means.
#[derive(Debug, Clone, Deserialize)]
pub struct Wording {
    #[serde(rename = "match")]
    pub phrase: String,
    pub means: String,
}

/// The parsed rules.
#[derive(Debug, Clone, Deserialize)]
pub struct Rules {
    pub default_stages: Vec<Stage>,
    pub rejection_bins: Vec<String>,
    pub rejection_wording: Vec<Wording>,
    /// Stage id → words in a status name or bin that suggest it.
    pub stage_hints: std::collections::BTreeMap<String, Vec<String>>,
}

const RULES_JSON: &str = include_str!("../../../assets/stage_rules.json");

impl Rules {
    /// The shipped rules (parsed once; a broken asset is a build-time defect caught by
    /// the unit test below, so an unreadable file yields empty rules rather than a panic).
    pub fn standard() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(|| {
            serde_json::from_str(RULES_JSON).unwrap_or_else(|_| Rules {
                default_stages: Vec::new(),
                rejection_bins: Vec::new(),
                rejection_wording: Vec::new(),
                stage_hints: Default::default(),
            })
        })
    }
}

/// Lower-case words of a label: letters and digits, everything else a separator
/// (`"NMF - Not Moving Fwd."` → `["nmf", "not", "moving", "fwd"]`).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Where `phrase` (already normalised words) occurs in `haystack` as whole words.
pub fn find_phrase(haystack: &[String], phrase: &[String]) -> Option<usize> {
    if phrase.is_empty() || phrase.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - phrase.len()).find(|&i| haystack[i..i + phrase.len()] == *phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let parsed: Rules = serde_json::from_str(RULES_JSON).expect("assets/stage_rules.json");
        assert_eq!(parsed.default_stages.len(), 5);
        assert!(parsed.rejection_wording.iter().any(|w| w.phrase == "nmf"));
        for s in &parsed.default_stages {
            assert!(parsed.stage_hints.contains_key(&s.id), "hints for {}", s.id);
        }
    }

    #[test]
    fn words_split_on_punctuation() {
        assert_eq!(
            words("NMF - Not Moving Fwd."),
            ["nmf", "not", "moving", "fwd"]
        );
        assert_eq!(words("No-Show"), ["no", "show"]);
        let h = words("Rejected - Position Filled");
        assert_eq!(find_phrase(&h, &words("position filled")), Some(1));
        assert_eq!(find_phrase(&h, &words("filled position")), None);
    }
}
