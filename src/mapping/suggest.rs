//! Suggestions: for every customer field, the standard field it most likely is, with a
//! confidence, the reasons and the coverage. Evidence: id match, flat-file header, label
//! match, known alias, fuzzy name similarity and value shape; then a greedy one-to-one
//! assignment per object and side (export / API), highest confidence first.
//! Deterministic (no hashing order, ties broken by input order) and linear in
//! fields × catalogue.

use super::catalogue::{Catalogue, FieldType, StandardField};
use super::model::{CustomerField, Object, Suggestion};
use super::shape::{Fit, Shape, dominant_shape, fit, schema_shape};

/// Candidates below this confidence are not proposed.
pub const MIN_CONFIDENCE: f64 = 0.5;

/// Words too generic to carry a match on their own.
const GENERIC: [&str; 8] = ["id", "date", "name", "number", "the", "of", "no", "type"];

/// A word with a past-tense "-ed" reduced to "-e" ("created" → "create"), so the
/// inflections customers use compare equal. Applied to both sides of a comparison.
fn stem(w: String) -> String {
    if w.len() > 5 && w.ends_with("ed") {
        w[..w.len() - 1].to_string()
    } else {
        w
    }
}

/// Lowercase words of a label, lightly stemmed ("Requisition #" → ["requisition", "#"]).
pub fn words(s: &str) -> Vec<String> {
    raw_words(s).into_iter().map(stem).collect()
}

fn raw_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            if c == '#' {
                out.push("#".to_string());
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The label reduced to lowercase letters and digits ("First Name" → "firstname").
pub fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || *c == '#')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_custom_id(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["field", "rcf", "jcf", "customfield"].iter().any(|p| {
        lower
            .strip_prefix(p)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A label split for comparison: its words and its compact form.
struct Term {
    text: String,
    words: Vec<String>,
    compact: String,
}

impl Term {
    fn new(text: &str) -> Term {
        Term {
            text: text.to_string(),
            words: words(text),
            compact: compact(text),
        }
    }
}

/// Name similarity 0–1 of two labels: the best of word overlap, edit distance and
/// Jaro-Winkler (scaled), with a floor when every meaningful word of `target` occurs in
/// `field`.
pub fn similarity(field: &str, target: &str) -> f64 {
    term_similarity(&Term::new(field), &Term::new(target))
}

fn term_similarity(field: &Term, target: &Term) -> f64 {
    let (fw, tw) = (&field.words, &target.words);
    if fw.is_empty() || tw.is_empty() {
        return 0.0;
    }
    let common = tw.iter().filter(|w| fw.contains(w)).count();
    let dice = 2.0 * common as f64 / (fw.len() + tw.len()) as f64;
    let lev = strsim::normalized_levenshtein(&field.compact, &target.compact);
    let jw = strsim::jaro_winkler(&field.compact, &target.compact) * 0.9;
    let contained = common == tw.len() && tw.iter().any(|w| !GENERIC.contains(&w.as_str()));
    let mut sim = dice.max(lev).max(jw);
    if contained {
        sim = sim.max(0.8);
    }
    sim
}

/// One piece of evidence that `field` is `target`.
#[derive(Debug, Clone)]
struct Candidate {
    field: usize,
    target: usize,
    confidence: f64,
    reasons: Vec<String>,
}

/// A standard field with its names prepared once per [`suggest`] call.
struct Prepared<'a> {
    std: &'a StandardField,
    label: String,
    flat: Vec<String>,
    aliases: Vec<(String, &'a str)>,
    /// Aliases, label and field id, for similarity.
    terms: Vec<Term>,
}

impl<'a> Prepared<'a> {
    fn new(std: &'a StandardField) -> Prepared<'a> {
        Prepared {
            std,
            label: compact(&std.label),
            flat: std.flat.iter().map(|f| compact(f)).collect(),
            aliases: std
                .aliases
                .iter()
                .map(|a| (compact(a), a.as_str()))
                .collect(),
            terms: std
                .aliases
                .iter()
                .map(String::as_str)
                .chain([std.label.as_str(), std.field_id()])
                .map(Term::new)
                .collect(),
        }
    }
}

/// A customer field's names prepared once.
struct FieldNames {
    name_compact: String,
    label: Term,
    custom_id: bool,
}

/// Name evidence: (confidence, reason).
fn name_evidence(field: &CustomerField, names: &FieldNames, p: &Prepared) -> Option<(f64, String)> {
    let std = p.std;
    let name = field.name.trim();
    let label = names.label.text.trim();
    let fid = std.field_id();
    if name.eq_ignore_ascii_case(&std.id)
        || names.name_compact == fid
        || (!label.is_empty() && names.label.compact == fid)
    {
        return Some((
            0.97,
            format!("id match: {name:?} is the iCIMS field id {fid}"),
        ));
    }
    if names.custom_id && field.label.is_none() {
        // A bare custom field id carries no name evidence; only flat headers can match.
        return p
            .flat
            .contains(&names.name_compact)
            .then(|| (0.95, format!("flat-file header {name} is {}", std.id)));
    }
    let lc = &names.label.compact;
    if p.flat.iter().any(|f| *f == names.name_compact || f == lc) {
        return Some((0.95, format!("flat-file header {name:?} is {}", std.id)));
    }
    if *lc == p.label {
        return Some((0.95, format!("label match: {label:?} is the iCIMS label")));
    }
    if let Some((_, alias)) = p.aliases.iter().find(|(c, _)| c == lc) {
        return Some((
            0.9,
            format!("known alias: {alias:?} is {} ({})", std.id, std.label),
        ));
    }
    let mut best: Option<(f64, &str)> = None;
    for term in &p.terms {
        let sim = term_similarity(&names.label, term);
        if best.is_none_or(|(b, _)| sim > b) {
            best = Some((sim, term.text.as_str()));
        }
    }
    let (sim, cand) = best?;
    (sim >= 0.72).then(|| {
        (
            (0.3 + 0.55 * sim).min(0.85),
            format!("name similar to {cand:?} ({:.0}%)", sim * 100.0),
        )
    })
}

/// Confidence of a suggestion from value shape alone, for shapes that single out one
/// standard field of the object.
fn shape_only(shape: Shape, std: &StandardField, same_type: usize) -> Option<f64> {
    match (shape, std.field_type) {
        (Shape::LinkedInUrl, FieldType::Url) if std.field_id().contains("linkedin") => Some(0.8),
        (Shape::Email, FieldType::Email) if same_type == 1 => Some(0.7),
        (Shape::Phone, FieldType::Phone) if same_type == 1 => Some(0.7),
        (Shape::Url, FieldType::Url) if same_type == 1 => Some(0.6),
        _ => None,
    }
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Suggests a standard field for every customer field (same order as `fields`).
pub fn suggest(fields: &[CustomerField], catalogue: &Catalogue) -> Vec<Suggestion> {
    let std_fields = catalogue.fields();
    let prepared: Vec<Prepared> = std_fields.iter().map(Prepared::new).collect();
    let objects: Vec<Option<Object>> = std_fields.iter().map(StandardField::object).collect();
    // Standard fields of the same object and type, per standard field.
    let same_type: Vec<usize> = std_fields
        .iter()
        .map(|a| {
            std_fields
                .iter()
                .filter(|b| b.object() == a.object() && b.field_type == a.field_type)
                .count()
        })
        .collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut shapes: Vec<Option<(Shape, f64)>> = Vec::with_capacity(fields.len());
    for (fi, field) in fields.iter().enumerate() {
        let shape = dominant_shape(&field.samples).or_else(|| {
            field
                .schema_type
                .as_deref()
                .and_then(schema_shape)
                .map(|s| (s, 1.0))
        });
        shapes.push(shape);
        let names = FieldNames {
            name_compact: compact(field.name.trim()),
            label: Term::new(field.display_label()),
            custom_id: is_custom_id(field.name.trim()),
        };
        for (ti, std) in std_fields.iter().enumerate() {
            if objects[ti] != Some(field.object) {
                continue;
            }
            let (mut confidence, mut reasons) = match name_evidence(field, &names, &prepared[ti]) {
                Some((c, r)) => (c, vec![r]),
                None => {
                    match shape.and_then(|(s, _)| shape_only(s, std, same_type[ti]).map(|c| (s, c)))
                    {
                        Some((s, c)) => (
                            c,
                            vec![format!("values are {}, as {} holds", s.describe(), std.id)],
                        ),
                        None => continue,
                    }
                }
            };
            if let Some((s, share)) = shape {
                match fit(s, std.field_type) {
                    Fit::Good => {
                        confidence = (confidence + 0.05).min(1.0);
                        if !reasons[0].starts_with("values are") {
                            reasons.push(format!(
                                "{} of samples are {}, fits {}",
                                percent(share),
                                s.describe(),
                                std.field_type
                            ));
                        }
                    }
                    Fit::Neutral => {}
                    Fit::Bad => {
                        confidence *= 0.45;
                        reasons.push(format!(
                            "values are {}, but {} is {}",
                            s.describe(),
                            std.id,
                            std.field_type
                        ));
                    }
                }
            } else {
                reasons.push("no sample values to check the shape".to_string());
            }
            if field.fill_rate <= 0.0 && field.source == super::model::FieldSource::Export {
                confidence *= 0.9;
            }
            if confidence >= MIN_CONFIDENCE {
                candidates.push(Candidate {
                    field: fi,
                    target: ti,
                    confidence: confidence.clamp(0.0, 1.0),
                    reasons,
                });
            }
        }
    }
    // Greedy one-to-one assignment per (object, side): best confidence first; ties by
    // field order, then catalogue order (the sort is stable).
    candidates.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.field.cmp(&b.field))
            .then(a.target.cmp(&b.target))
    });
    let mut chosen: Vec<Option<usize>> = vec![None; fields.len()];
    let mut taken: Vec<(usize, &'static str, usize)> = Vec::new(); // (target, side, field)
    let mut lost: Vec<Vec<String>> = vec![Vec::new(); fields.len()];
    for (ci, c) in candidates.iter().enumerate() {
        if chosen[c.field].is_some() {
            continue;
        }
        let side = fields[c.field].source.side();
        if let Some(&(_, _, holder)) = taken.iter().find(|(t, s, _)| *t == c.target && *s == side) {
            lost[c.field].push(format!(
                "{} ({}) went to {:?}, which matches it better",
                std_fields[c.target].id,
                percent(c.confidence),
                fields[holder].display_label()
            ));
            continue;
        }
        chosen[c.field] = Some(ci);
        taken.push((c.target, side, c.field));
    }
    fields
        .iter()
        .enumerate()
        .map(|(fi, field)| {
            let coverage = field.fill_rate.clamp(0.0, 1.0);
            match chosen[fi] {
                Some(ci) => {
                    let c = &candidates[ci];
                    let mut reasons = c.reasons.clone();
                    reasons.extend(lost[fi].iter().cloned());
                    reasons.push(format!("fills {} of records", percent(coverage)));
                    Suggestion {
                        object: field.object,
                        customer_field: field.name.clone(),
                        target: Some(std_fields[c.target].id.clone()),
                        confidence: round3(c.confidence),
                        reasons,
                        coverage: round3(coverage),
                    }
                }
                None => {
                    let mut reasons = vec![match shapes[fi] {
                        Some((s, _)) => format!(
                            "no standard field matches (values are {}): ignore it or request a custom field",
                            s.describe()
                        ),
                        None => "no standard field matches: ignore it or request a custom field"
                            .to_string(),
                    }];
                    reasons.extend(lost[fi].iter().cloned());
                    Suggestion {
                        object: field.object,
                        customer_field: field.name.clone(),
                        target: None,
                        confidence: 0.0,
                        reasons,
                        coverage: 0.0,
                    }
                }
            }
        })
        .collect()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::model::{FieldSource, Object};

    fn field(object: Object, name: &str, samples: &[&str]) -> CustomerField {
        CustomerField {
            object,
            name: name.to_string(),
            label: None,
            samples: samples.iter().map(|s| s.to_string()).collect(),
            fill_rate: 0.9,
            source: FieldSource::Export,
            schema_type: None,
        }
    }

    fn target_of(s: &[Suggestion], name: &str) -> Option<String> {
        s.iter()
            .find(|x| x.customer_field == name)
            .and_then(|x| x.target.clone())
    }

    #[test]
    fn aliases_labels_and_ids_match() {
        let c = Catalogue::standard();
        let fields = vec![
            field(Object::Job, "Coordinator", &["Mary Smith", "John Lee"]),
            field(Object::Job, "Requisition #", &["2026-1042"]),
            field(Object::Job, "jobtitle", &["Engineer"]),
            field(Object::Job, "Hiring Manager", &["Ann Cook"]),
            field(Object::Workflow, "rcf3192", &["Hired"]),
        ];
        let s = suggest(&fields, &c);
        assert_eq!(
            target_of(&s, "Coordinator").as_deref(),
            Some("job.recruiter")
        );
        assert!(s[0].reasons[0].contains("alias"), "{:?}", s[0].reasons);
        assert_eq!(target_of(&s, "Requisition #").as_deref(), Some("job.jobid"));
        assert_eq!(target_of(&s, "jobtitle").as_deref(), Some("job.jobtitle"));
        assert_eq!(
            target_of(&s, "Hiring Manager").as_deref(),
            Some("job.hiringmanager")
        );
        assert_eq!(target_of(&s, "rcf3192").as_deref(), Some("workflow.status"));
        assert!(s.iter().all(|x| (0.0..=1.0).contains(&x.confidence)));
    }

    #[test]
    fn value_shape_alone_finds_linkedin_email_and_phone() {
        let c = Catalogue::standard();
        let mut custom = field(
            Object::Person,
            "field41522",
            &[
                "https://www.linkedin.com/in/a-b-1",
                "https://www.linkedin.com/in/c-d-2",
            ],
        );
        custom.source = FieldSource::Schema;
        let fields = vec![
            custom,
            field(Object::Person, "Contact", &["a@b.example", "c@d.example"]),
            field(Object::Person, "Cell", &["617-555-0101", "617-555-0199"]),
            field(Object::Person, "Shoe size", &["42", "44"]),
        ];
        let s = suggest(&fields, &c);
        assert_eq!(
            target_of(&s, "field41522").as_deref(),
            Some("person.linkedin")
        );
        assert!(s[0].reasons[0].contains("LinkedIn"));
        assert_eq!(target_of(&s, "Contact").as_deref(), Some("person.email"));
        assert_eq!(target_of(&s, "Cell").as_deref(), Some("person.phones"));
        assert_eq!(target_of(&s, "Shoe size"), None);
        assert_eq!(s[3].confidence, 0.0);
    }

    #[test]
    fn bad_shape_lowers_confidence_and_one_target_goes_to_one_field() {
        let c = Catalogue::standard();
        let fields = vec![
            field(Object::Person, "Email", &["2026-01-01", "2026-02-02"]),
            field(Object::Person, "E-mail Address", &["a@b.example"]),
        ];
        let s = suggest(&fields, &c);
        assert_eq!(
            target_of(&s, "E-mail Address").as_deref(),
            Some("person.email")
        );
        assert_ne!(target_of(&s, "Email").as_deref(), Some("person.email"));
    }

    #[test]
    fn suggestions_are_deterministic() {
        let c = Catalogue::standard();
        let fields = vec![
            field(Object::Job, "Created", &["2026-01-01 10:00 AM"]),
            field(Object::Job, "Date Created", &["2026-01-01 10:00 AM"]),
        ];
        let a = suggest(&fields, &c);
        let b = suggest(&fields, &c);
        assert_eq!(a, b);
        assert_eq!(a[0].target.as_deref(), Some("job.createddate"));
    }

    /// Labels that are in no alias list: similarity and value shape have to carry them.
    /// Prints the share right; the catalogue's aliases are not involved.
    #[test]
    fn unseen_labels_measured() {
        let c = Catalogue::standard();
        let dt = ["2025-03-01 10:15 AM", "2025-04-11 02:00 PM"];
        let names = ["Mary Smith", "John Lee"];
        let cases: Vec<(Object, &str, &[&str], &str)> = vec![
            (
                Object::Person,
                "Candidate E-mail",
                &["a@b.example", "c@d.example"],
                "person.email",
            ),
            (
                Object::Person,
                "Mobile #",
                &["617-555-0101", "617-555-0102"],
                "person.phones",
            ),
            (
                Object::Person,
                "LinkedIn Page",
                &["https://www.linkedin.com/in/a"],
                "person.linkedin",
            ),
            (
                Object::Person,
                "Date Last Modified",
                &dt,
                "person.updateddate",
            ),
            (
                Object::Person,
                "Profile Creation Date",
                &dt,
                "person.createddate",
            ),
            (
                Object::Person,
                "First Nm",
                &["Mary", "John"],
                "person.firstname",
            ),
            (
                Object::Person,
                "Candidate Last Name (Legal)",
                &["Smith", "Lee"],
                "person.lastname",
            ),
            (
                Object::Job,
                "Req Title",
                &["Engineer", "Analyst"],
                "job.jobtitle",
            ),
            (Object::Job, "Hiring Mgr", &names, "job.hiringmanager"),
            (Object::Job, "Recruiter (Primary)", &names, "job.recruiter"),
            (
                Object::Job,
                "2nd Recruiter",
                &names,
                "job.secondaryrecruiter",
            ),
            (
                Object::Job,
                "Requisition No.",
                &["2026-1042", "2026-1043"],
                "job.jobid",
            ),
            (Object::Job, "Job Owner Name", &names, "job.jobowner"),
            (Object::Job, "Req Last Updated On", &dt, "job.updateddate"),
            (
                Object::Workflow,
                "Applicant Workflow Status",
                &["Hired", "Phone Screen"],
                "workflow.status",
            ),
            (
                Object::Workflow,
                "Source Person Name",
                &names,
                "workflow.sourceperson",
            ),
            (
                Object::Workflow,
                "Date of Last Status Change",
                &dt,
                "workflow.updateddate",
            ),
            (
                Object::Workflow,
                "Workflow Create Date",
                &dt,
                "workflow.createddate",
            ),
        ];
        let fields: Vec<CustomerField> = cases.iter().map(|(o, n, s, _)| field(*o, n, s)).collect();
        let got = suggest(&fields, &c);
        let right = cases
            .iter()
            .zip(&got)
            .filter(|((_, n, _, want), g)| {
                let ok = g.target.as_deref() == Some(*want);
                if !ok {
                    println!("unseen label {n:?} -> {:?}, expected {want}", g.target);
                }
                ok
            })
            .count();
        println!(
            "unseen labels: {right}/{} right ({:.0}%)",
            cases.len(),
            100.0 * right as f64 / cases.len() as f64
        );
        assert!(right * 10 >= cases.len() * 6, "{right}/{}", cases.len());
    }
}
