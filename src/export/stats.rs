//! Per-file statistics gathered while importing: row counts, per-column fill and sample
//! values, the range of the "updated" column (the export's cut-off) and the distinct
//! status values. They travel in the import checkpoint, so a resumed import continues
//! the same counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How many sample values are kept per column, and how long each may be.
const SAMPLES: usize = 3;
const SAMPLE_CHARS: usize = 60;
/// Distinct status values tracked; more are counted under [`OTHER_STATUSES`].
const MAX_STATUSES: usize = 2000;
pub const OTHER_STATUSES: &str = "(other statuses)";

/// One column of a staged file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub name: String,
    /// Rows with a non-empty value.
    pub filled: u64,
    pub samples: Vec<String>,
}

/// Running statistics of one imported file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitStats {
    pub rows: u64,
    pub bad_rows: u64,
    pub columns: Vec<ColumnStats>,
    pub updated_column: Option<usize>,
    /// Earliest and latest "updated" value, as `YYYYMMDDhhmmss` keys.
    pub updated_min: Option<u64>,
    pub updated_max: Option<u64>,
    /// Non-empty "updated" values that were not a recognizable date.
    pub updated_unparsed: u64,
    pub status_column: Option<usize>,
    pub statuses: BTreeMap<String, u64>,
}

impl UnitStats {
    pub fn new(
        headers: &[String],
        updated_column: Option<usize>,
        status_column: Option<usize>,
    ) -> Self {
        UnitStats {
            columns: headers
                .iter()
                .map(|h| ColumnStats {
                    name: h.clone(),
                    ..Default::default()
                })
                .collect(),
            updated_column,
            status_column,
            ..Default::default()
        }
    }

    /// Counts one staged row (`fields` has one entry per column).
    #[inline]
    pub fn add_row(&mut self, fields: &[&str]) {
        self.rows += 1;
        for (col, value) in self.columns.iter_mut().zip(fields) {
            if value.is_empty() {
                continue;
            }
            col.filled += 1;
            if col.samples.len() < SAMPLES && !col.samples.iter().any(|s| s == value) {
                col.samples.push(truncate_chars(value, SAMPLE_CHARS));
            }
        }
        if let Some(v) = self.updated_column.and_then(|i| fields.get(i))
            && !v.is_empty()
        {
            match date_key(v) {
                Some(k) => {
                    self.updated_min = Some(self.updated_min.map_or(k, |m| m.min(k)));
                    self.updated_max = Some(self.updated_max.map_or(k, |m| m.max(k)));
                }
                None => self.updated_unparsed += 1,
            }
        }
        if let Some(v) = self.status_column.and_then(|i| fields.get(i)) {
            let v = v.trim();
            if !v.is_empty() {
                if let Some(n) = self.statuses.get_mut(v) {
                    *n += 1;
                } else if self.statuses.len() < MAX_STATUSES {
                    self.statuses.insert(v.to_string(), 1);
                } else {
                    *self.statuses.entry(OTHER_STATUSES.to_string()).or_insert(0) += 1;
                }
            }
        }
    }

    /// The share of rows with a value in column `i` (0.0–1.0).
    pub fn fill_rate(&self, i: usize) -> f64 {
        match self.columns.get(i) {
            Some(c) if self.rows > 0 => c.filled as f64 / self.rows as f64,
            _ => 0.0,
        }
    }

    /// The export's cut-off: the latest "updated" value, as `YYYY-MM-DDThh:mm:ss`.
    pub fn cutoff(&self) -> Option<String> {
        self.updated_max.map(format_key)
    }

    /// The earliest "updated" value.
    pub fn earliest(&self) -> Option<String> {
        self.updated_min.map(format_key)
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Formats a `YYYYMMDDhhmmss` key as `YYYY-MM-DDThh:mm:ss`.
pub fn format_key(k: u64) -> String {
    let (date, time) = (k / 1_000_000, k % 1_000_000);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date / 10_000,
        date / 100 % 100,
        date % 100,
        time / 10_000,
        time / 100 % 100,
        time % 100
    )
}

fn digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |a, &b| a * 10 + (b - b'0') as u64))
}

/// Parses the date shapes exports use into a sortable `YYYYMMDDhhmmss` key:
/// `2026-03-01`, `2026-03-01 14:05[:09]`, `2026-03-01T14:05:09[.123][Z|+hh:mm]`,
/// `2026/03/01 ...`, `03/01/2026`, `3/1/2026 2:05 PM`, `03/01/2026 14:05:09`.
/// Time zones are ignored (exports use one zone throughout).
pub fn date_key(s: &str) -> Option<u64> {
    let s = s.trim();
    let (date_part, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let sep = if date_part.contains('-') { '-' } else { '/' };
    let parts: Vec<&str> = date_part.split(sep).collect();
    if parts.len() != 3 {
        return None;
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (
            digits(parts[0].as_bytes())?,
            digits(parts[1].as_bytes())?,
            digits(parts[2].as_bytes())?,
        )
    } else if parts[2].len() == 4 {
        // US order, as iCIMS exports from US tenants print it.
        (
            digits(parts[2].as_bytes())?,
            digits(parts[0].as_bytes())?,
            digits(parts[1].as_bytes())?,
        )
    } else {
        return None;
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1900..=2999).contains(&y) {
        return None;
    }
    let (mut h, mut min, mut sec) = (0, 0, 0);
    if !rest.is_empty() {
        let upper = rest.to_ascii_uppercase();
        let pm = upper.ends_with("PM");
        let am = upper.ends_with("AM");
        let clock = upper.trim_end_matches("AM").trim_end_matches("PM").trim();
        // Drop fractions and zones: keep the leading hh:mm[:ss].
        let clock_end = clock
            .find(|c: char| !(c.is_ascii_digit() || c == ':'))
            .unwrap_or(clock.len());
        let t: Vec<&str> = clock[..clock_end].split(':').collect();
        if t.len() >= 2 {
            h = digits(t[0].as_bytes())?;
            min = digits(t[1].as_bytes())?;
            if let Some(x) = t.get(2) {
                sec = digits(x.as_bytes())?;
            }
            if pm && h < 12 {
                h += 12;
            }
            if am && h == 12 {
                h = 0;
            }
            if h > 23 || min > 59 || sec > 60 {
                return None;
            }
        }
    }
    Some(((y * 100 + m) * 100 + d) * 1_000_000 + (h * 100 + min) * 100 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_usual_shapes() {
        let k = |s| date_key(s).map(format_key);
        assert_eq!(k("2026-03-01").as_deref(), Some("2026-03-01T00:00:00"));
        assert_eq!(
            k("2026-03-01 14:05").as_deref(),
            Some("2026-03-01T14:05:00")
        );
        assert_eq!(
            k("2026-03-01T14:05:09.123Z").as_deref(),
            Some("2026-03-01T14:05:09")
        );
        assert_eq!(
            k("2026-03-01T14:05:09+02:00").as_deref(),
            Some("2026-03-01T14:05:09")
        );
        assert_eq!(k("03/01/2026").as_deref(), Some("2026-03-01T00:00:00"));
        assert_eq!(
            k("3/1/2026 2:05 PM").as_deref(),
            Some("2026-03-01T14:05:00")
        );
        assert_eq!(
            k("12/31/2025 12:00 AM").as_deref(),
            Some("2025-12-31T00:00:00")
        );
        assert_eq!(
            k("2026/03/01 08:00:00").as_deref(),
            Some("2026-03-01T08:00:00")
        );
        assert_eq!(k("yesterday"), None);
        assert_eq!(k("2026-13-01"), None);
    }

    #[test]
    fn stats_count_fill_samples_range_and_statuses() {
        let headers: Vec<String> = ["id", "status", "updated"].map(String::from).to_vec();
        let mut st = UnitStats::new(&headers, Some(2), Some(1));
        st.add_row(&["1", "Hired", "2026-01-02"]);
        st.add_row(&["2", "Hired", "2025-12-31 10:00"]);
        st.add_row(&["3", "", "bad"]);
        st.add_row(&["4", "Rejected - Not qualified", ""]);
        assert_eq!(st.rows, 4);
        assert_eq!(st.columns[0].samples, ["1", "2", "3"]);
        assert_eq!(st.columns[1].filled, 3);
        assert!((st.fill_rate(1) - 0.75).abs() < 1e-9);
        assert_eq!(st.cutoff().as_deref(), Some("2026-01-02T00:00:00"));
        assert_eq!(st.earliest().as_deref(), Some("2025-12-31T10:00:00"));
        assert_eq!(st.updated_unparsed, 1);
        assert_eq!(st.statuses.get("Hired"), Some(&2));
        assert_eq!(st.statuses.len(), 2);
    }
}
