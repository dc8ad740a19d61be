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
    pub fn add_row(&mut self, fields: &[&str]) {
        let key = self
            .updated_column
            .and_then(|i| fields.get(i))
            .map(|v| date_key(v));
        self.add_row_keyed(fields, key);
    }

    /// Like [`UnitStats::add_row`], with the "updated" value already parsed
    /// (`Some(None)`: present but not a date; `None`: not parsed, parse it here).
    #[inline]
    pub fn add_row_keyed(&mut self, fields: &[&str], updated_key: Option<Option<u64>>) {
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
            match updated_key.unwrap_or_else(|| date_key(v)) {
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

/// Days in month `m` (1–12) of year `y` (Gregorian): February 30, April 31 or February
/// 29 of a common year are not dates.
fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

fn digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 4 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |a, &b| a * 10 + (b - b'0') as u64))
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// `YYYY-MM-DD` or `YYYY-MM-DD[ T]hh:mm:ss` exactly: the common case, without splitting.
#[inline]
fn iso_fast(b: &[u8]) -> Option<u64> {
    let n = |r: std::ops::Range<usize>| -> Option<u64> {
        let s = b.get(r)?;
        s.iter().try_fold(0u64, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + (c - b'0') as u64)
        })
    };
    if b.len() != 10 && b.len() != 19 {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, s) = if b.len() == 19 {
        if !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        (n(11..13)?, n(14..16)?, n(17..19)?)
    } else {
        (0, 0, 0)
    };
    if !(1..=12).contains(&m)
        || !(1..=days_in_month(y, m)).contains(&d)
        || !(1900..=2999).contains(&y)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    Some(((y * 100 + m) * 100 + d) * 1_000_000 + (h * 100 + mi) * 100 + s)
}

/// Parses the date shapes exports use into a sortable `YYYYMMDDhhmmss` key:
/// `2026-03-01`, `2026-03-01 14:05[:09]`, `2026-03-01T14:05:09[.123][Z|+hh:mm]`,
/// `2026/03/01 ...`, `03/01/2026`, `3/1/2026 2:05 PM`, `03/01/2026 14:05:09`.
/// Time zones are ignored (exports use one zone throughout). Allocation-free: it runs
/// for every date value of every imported row.
pub fn date_key(s: &str) -> Option<u64> {
    let b = trim_ascii(s.as_bytes());
    if let Some(k) = iso_fast(b) {
        return Some(k);
    }
    let split = b.iter().position(|&c| c == b' ' || c == b'T');
    let (date, rest) = match split {
        Some(i) => (&b[..i], trim_ascii(&b[i + 1..])),
        None => (b, &b""[..]),
    };
    let sep = if date.contains(&b'-') { b'-' } else { b'/' };
    let mut parts = date.split(|&c| c == sep);
    let (p0, p1, p2) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (y, m, d) = if p0.len() == 4 {
        (digits(p0)?, digits(p1)?, digits(p2)?)
    } else if p2.len() == 4 {
        // US order, as iCIMS exports from US tenants print it.
        (digits(p2)?, digits(p0)?, digits(p1)?)
    } else {
        return None;
    };
    if !(1..=12).contains(&m)
        || !(1..=days_in_month(y, m)).contains(&d)
        || !(1900..=2999).contains(&y)
    {
        return None;
    }
    let (mut h, mut min, mut sec) = (0, 0, 0);
    if !rest.is_empty() {
        let ends_with =
            |suffix: &[u8]| rest.len() >= 2 && rest[rest.len() - 2..].eq_ignore_ascii_case(suffix);
        let (pm, am) = (ends_with(b"PM"), ends_with(b"AM"));
        let clock = if pm || am {
            trim_ascii(&rest[..rest.len() - 2])
        } else {
            rest
        };
        // Keep the leading hh:mm[:ss]; drop fractions and zones.
        let clock_end = clock
            .iter()
            .position(|&c| !(c.is_ascii_digit() || c == b':'))
            .unwrap_or(clock.len());
        if clock_end < clock.len() && (pm || am) {
            return None; // "2:05 XM", "2:05.5 PM": not a clock
        }
        if clock_end < clock.len() && !matches!(clock[clock_end], b'.' | b'Z' | b'+' | b'-') {
            return None;
        }
        let mut t = clock[..clock_end].split(|&c| c == b':');
        let (th, tm) = (t.next(), t.next());
        match (th, tm) {
            (Some(th), Some(tm)) => {
                h = digits(th)?;
                min = digits(tm)?;
                if let Some(ts) = t.next() {
                    sec = digits(ts)?;
                }
                if t.next().is_some() {
                    return None;
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
            _ => return None,
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
        assert_eq!(k("2026-13-45 25:61 XM"), None);
        assert_eq!(k("2026-03-01 25:00"), None);
        assert_eq!(k("2026-03-01 garbage"), None);
        assert_eq!(
            k("2025-03-04 09:15 AM").as_deref(),
            Some("2025-03-04T09:15:00")
        );
        assert_eq!(k("2026-13-01"), None);
    }

    #[test]
    fn calendar_impossible_dates_are_not_dates() {
        for bad in [
            "2025-02-30",
            "2025-04-31",
            "2025-02-29",
            "2025-02-29 10:00:00",
            "04/31/2025",
            "2/30/2026 2:05 PM",
            "2100-02-29",
            "2025/06/31",
        ] {
            assert_eq!(date_key(bad), None, "{bad}");
        }
        for good in [
            "2024-02-29",
            "2000-02-29",
            "02/29/2024",
            "2025-12-31",
            "2025-04-30",
        ] {
            assert!(date_key(good).is_some(), "{good}");
        }
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
