//! Value shapes: what a customer field's sample values look like (dates, emails, URLs,
//! LinkedIn URLs, phone numbers, list nodes, person links, …) and whether a shape fits a
//! standard field's type.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

use super::catalogue::FieldType;

/// The shape of one value, or the dominant shape of a field's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Integer,
    Decimal,
    Date,
    DateTime,
    Email,
    LinkedInUrl,
    Url,
    Phone,
    /// A list-node object (`{"id":"D…","value":…}`) or an array of them.
    ListNode,
    /// A person/profile link (`{"id":…,"profile":…,"value":…}`).
    PersonLink,
    /// An address link (`{"companyid":…,"address":…}`).
    AddressLink,
    /// An address collection entry.
    Address,
    /// Two to four capitalised words ("Mary Smith"): a name as exports print person links.
    PersonName,
    ShortText,
    LongText,
    /// No shape has a clear majority.
    Mixed,
}

impl Shape {
    /// How people read it ("dates", "LinkedIn profile URLs", …).
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Integer => "whole numbers",
            Shape::Decimal => "numbers",
            Shape::Date => "dates",
            Shape::DateTime => "dates with times",
            Shape::Email => "email addresses",
            Shape::LinkedInUrl => "LinkedIn profile URLs",
            Shape::Url => "URLs",
            Shape::Phone => "phone numbers",
            Shape::ListNode => "list nodes",
            Shape::PersonLink => "person links",
            Shape::AddressLink => "address links",
            Shape::Address => "addresses",
            Shape::PersonName => "names",
            Shape::ShortText => "short text",
            Shape::LongText => "long text",
            Shape::Mixed => "mixed values",
        }
    }
}

const DATETIME_FORMATS: [&str; 7] = [
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
];
const DATE_FORMATS: [&str; 4] = ["%Y-%m-%d", "%m/%d/%Y", "%d-%b-%Y", "%Y/%m/%d"];

/// The shape of one non-empty value.
pub fn shape_of(value: &str) -> Option<Shape> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if (v.starts_with('{') || v.starts_with('['))
        && let Ok(json) = serde_json::from_str::<Value>(v)
    {
        return Some(json_shape(&json));
    }
    if v.contains('\n') {
        return Some(Shape::LongText);
    }
    if is_email(v) {
        return Some(Shape::Email);
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
        return Some(if lower.contains("linkedin.com/") {
            Shape::LinkedInUrl
        } else {
            Shape::Url
        });
    }
    if lower.contains("linkedin.com/in/") {
        return Some(Shape::LinkedInUrl);
    }
    if DATETIME_FORMATS
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(v, f).is_ok())
        || chrono::DateTime::parse_from_rfc3339(v).is_ok()
    {
        return Some(Shape::DateTime);
    }
    if DATE_FORMATS
        .iter()
        .any(|f| NaiveDate::parse_from_str(v, f).is_ok())
    {
        return Some(Shape::Date);
    }
    if v.len() <= 18 && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Shape::Integer);
    }
    if is_phone(v) {
        return Some(Shape::Phone);
    }
    if v.parse::<f64>().is_ok_and(f64::is_finite) {
        return Some(Shape::Decimal);
    }
    if is_person_name(v) {
        return Some(Shape::PersonName);
    }
    Some(if v.chars().count() > 64 {
        Shape::LongText
    } else {
        Shape::ShortText
    })
}

fn json_shape(v: &Value) -> Shape {
    match v {
        Value::Object(m) => {
            if m.contains_key("profile") {
                Shape::PersonLink
            } else if m.contains_key("companyid") || m.contains_key("address") {
                Shape::AddressLink
            } else if m.contains_key("phonenumber") {
                Shape::Phone
            } else if m.contains_key("addressstreet1") || m.contains_key("addresscity") {
                Shape::Address
            } else if m.contains_key("id") && m.contains_key("value") {
                Shape::ListNode
            } else {
                Shape::ShortText
            }
        }
        Value::Array(items) => items.first().map_or(Shape::ShortText, json_shape),
        Value::Number(n) if n.is_i64() || n.is_u64() => Shape::Integer,
        Value::Number(_) => Shape::Decimal,
        _ => Shape::ShortText,
    }
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(char::is_whitespace)
}

fn is_phone(v: &str) -> bool {
    let allowed = |c: char| c.is_ascii_digit() || " +-().x/".contains(c);
    let digits = v.chars().filter(char::is_ascii_digit).count();
    v.chars().all(allowed) && (10..=15).contains(&digits)
}

fn is_person_name(v: &str) -> bool {
    let words: Vec<&str> = v.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().all(|c| c.is_alphabetic() || "'.-".contains(c))
        })
}

/// The shape most samples have: `None` without samples; [`Shape::Mixed`] when no shape
/// holds at least 60% of them. Dates mixed with date-times count as date-times.
pub fn dominant_shape(samples: &[String]) -> Option<(Shape, f64)> {
    let shapes: Vec<Shape> = samples.iter().filter_map(|s| shape_of(s)).collect();
    if shapes.is_empty() {
        return None;
    }
    let mut counts: Vec<(Shape, usize)> = Vec::new();
    for s in &shapes {
        let s = if *s == Shape::Date && shapes.contains(&Shape::DateTime) {
            Shape::DateTime
        } else {
            *s
        };
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    // Ties go to the first seen, so the result is deterministic.
    let (shape, n) =
        counts.iter().copied().fold(
            (Shape::Mixed, 0),
            |best, c| if c.1 > best.1 { c } else { best },
        );
    let share = n as f64 / shapes.len() as f64;
    Some(if share >= 0.6 {
        (shape, share)
    } else {
        (Shape::Mixed, share)
    })
}

/// The shape a Schema API type implies when there are no samples.
pub fn schema_shape(schema_type: &str) -> Option<Shape> {
    let t = schema_type.to_ascii_lowercase();
    if t.contains("date-time") || t.contains("datetime") {
        Some(Shape::DateTime)
    } else if t.contains("date") {
        Some(Shape::Date)
    } else if t.starts_with("integer") {
        Some(Shape::Integer)
    } else if t.starts_with("number") {
        Some(Shape::Decimal)
    } else {
        None
    }
}

/// How well a shape fits a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Good,
    Neutral,
    Bad,
}

/// Whether values of `shape` can fill a field of `ty`.
pub fn fit(shape: Shape, ty: FieldType) -> Fit {
    use Fit::*;
    use Shape as S;
    if shape == S::Mixed {
        return Neutral;
    }
    match ty {
        FieldType::Text => match shape {
            S::ShortText | S::LongText | S::PersonName => Good,
            _ => Neutral,
        },
        FieldType::Email => match shape {
            S::Email => Good,
            _ => Bad,
        },
        FieldType::Url => match shape {
            S::Url | S::LinkedInUrl => Good,
            _ => Bad,
        },
        FieldType::Phone => match shape {
            S::Phone => Good,
            S::Integer => Neutral,
            _ => Bad,
        },
        FieldType::Date => match shape {
            S::Date => Good,
            S::DateTime => Neutral,
            _ => Bad,
        },
        FieldType::Datetime => match shape {
            S::DateTime => Good,
            S::Date => Neutral,
            _ => Bad,
        },
        FieldType::Listnode => match shape {
            S::ListNode => Good,
            S::ShortText | S::PersonName | S::Integer => Neutral,
            _ => Bad,
        },
        FieldType::Personlink => match shape {
            S::PersonLink | S::PersonName => Good,
            S::Integer | S::Email | S::ShortText => Neutral,
            _ => Bad,
        },
        FieldType::Addresslink => match shape {
            S::AddressLink | S::Address => Good,
            S::ShortText | S::LongText | S::PersonName => Neutral,
            _ => Bad,
        },
        FieldType::Number => match shape {
            S::Integer | S::Decimal => Good,
            _ => Bad,
        },
        FieldType::Id => match shape {
            S::Integer => Good,
            _ => Bad,
        },
    }
}

/// A sample as people read it: list nodes and links show their `value`.
pub fn display_sample(sample: &str) -> String {
    let t = sample.trim();
    if (t.starts_with('{') || t.starts_with('['))
        && let Ok(v) = serde_json::from_str::<Value>(t)
    {
        return json_display(&v);
    }
    t.replace(['\r', '\n'], " ")
}

fn json_display(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            for k in ["value", "phonenumber", "addressstreet1", "formattedvalue"] {
                if let Some(s) = m.get(k).and_then(Value::as_str) {
                    return s.to_string();
                }
            }
            v.to_string()
        }
        Value::Array(items) => items
            .iter()
            .map(json_display)
            .collect::<Vec<_>>()
            .join("; "),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_typical_values() {
        let cases = [
            ("2026-11-14 12:00 AM", Shape::DateTime),
            ("2026-11-14", Shape::Date),
            ("11/14/2026", Shape::Date),
            ("mary.smith1043@mail.example", Shape::Email),
            (
                "https://www.linkedin.com/in/mary-smith-7f",
                Shape::LinkedInUrl,
            ),
            ("https://example.com/x", Shape::Url),
            ("617-555-0199", Shape::Phone),
            ("+44 20 7946 0958", Shape::Phone),
            ("1043", Shape::Integer),
            ("2026-1042", Shape::ShortText),
            ("3.5", Shape::Decimal),
            ("Mary Smith", Shape::PersonName),
            ("James O'Brien", Shape::PersonName),
            ("Cand:Active", Shape::ShortText),
            ("About the role:\nJoin us", Shape::LongText),
            (r#"{"id":"D31001","value":"Approved"}"#, Shape::ListNode),
            (
                r#"{"id":564,"value":"Philip C","profile":"https://x/people/564"}"#,
                Shape::PersonLink,
            ),
            (
                r#"{"id":23,"companyid":1800,"address":"https://x","value":"Boston"}"#,
                Shape::AddressLink,
            ),
            (
                r#"[{"entry":1,"phonetype":{"id":"D1","value":"Mobile"},"phonenumber":"617-555-1234"}]"#,
                Shape::Phone,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(shape_of(v), Some(want), "{v}");
        }
        assert_eq!(shape_of("  "), None);
    }

    #[test]
    fn dominant_shape_needs_a_majority() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            dominant_shape(&s(&["1", "2", "x3"])).map(|d| d.0),
            Some(Shape::Integer)
        );
        assert_eq!(
            dominant_shape(&s(&["1", "a@b.co", "https://x.y"])).map(|d| d.0),
            Some(Shape::Mixed)
        );
        assert_eq!(
            dominant_shape(&s(&["2026-01-01", "2026-01-02 10:00 AM"])).map(|d| d.0),
            Some(Shape::DateTime)
        );
        assert_eq!(dominant_shape(&[]), None);
    }

    #[test]
    fn fits() {
        assert_eq!(fit(Shape::Email, FieldType::Email), Fit::Good);
        assert_eq!(fit(Shape::DateTime, FieldType::Email), Fit::Bad);
        assert_eq!(fit(Shape::PersonName, FieldType::Personlink), Fit::Good);
        assert_eq!(fit(Shape::ShortText, FieldType::Id), Fit::Bad);
        assert_eq!(fit(Shape::Mixed, FieldType::Id), Fit::Neutral);
    }

    #[test]
    fn samples_display_their_value() {
        assert_eq!(
            display_sample(r#"{"id":"D1","value":"Approved"}"#),
            "Approved"
        );
        assert_eq!(display_sample("a\r\nb"), "a  b");
    }
}
