//! Transfer progress: bytes done, rate and ETA, reported at most every 100 ms.

use std::time::{Duration, Instant};

use serde::Serialize;

/// One progress report of a download.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Remote path being downloaded.
    pub path: String,
    /// Bytes present locally (including a resumed prefix).
    pub bytes: u64,
    /// The file's size on the server.
    pub total: u64,
    /// Bytes already present when this download started (resume).
    pub resumed_from: u64,
    /// Bytes per second over this transfer so far.
    pub rate: f64,
    /// Seconds left at the current rate, if it can be estimated.
    pub eta_secs: Option<u64>,
    /// Whether this is the last report of the file.
    pub done: bool,
    /// Why an interrupted download was not resumed (the server's file changed, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Progress {
    /// One line for a terminal: `name  12.0 MiB / 200.0 MiB  6%  85.2 MiB/s  ETA 2s`.
    pub fn line(&self) -> String {
        let pct = if self.total > 0 {
            self.bytes as f64 * 100.0 / self.total as f64
        } else {
            100.0
        };
        let eta = match (self.done, self.eta_secs) {
            (true, _) => "done".to_string(),
            (false, Some(s)) => format!("ETA {}", format_duration(s)),
            (false, None) => "ETA –".to_string(),
        };
        let mut line = format!(
            "{}  {} / {}  {:.0}%  {}/s  {}",
            self.path,
            format_bytes(self.bytes),
            format_bytes(self.total),
            pct,
            format_bytes(self.rate as u64),
            eta
        );
        if let Some(note) = &self.note {
            line.push_str(&format!("  ({note})"));
        }
        line
    }
}

/// Human-readable binary size.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn format_duration(secs: u64) -> String {
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// Turns byte counts into throttled [`Progress`] reports.
pub struct ProgressMeter {
    path: String,
    total: u64,
    resumed_from: u64,
    started: Instant,
    last_report: Option<Instant>,
    interval: Duration,
    note: Option<String>,
}

impl ProgressMeter {
    pub fn new(path: &str, total: u64, resumed_from: u64) -> ProgressMeter {
        ProgressMeter {
            path: path.to_string(),
            total,
            resumed_from,
            started: Instant::now(),
            last_report: None,
            interval: Duration::from_millis(100),
            note: None,
        }
    }

    /// A note carried by every later report (e.g. why the download started over).
    pub fn with_note(mut self, note: Option<String>) -> ProgressMeter {
        self.note = note;
        self
    }

    /// A report for `bytes`, or `None` if the last one was under 100 ms ago.
    pub fn tick(&mut self, bytes: u64) -> Option<Progress> {
        let now = Instant::now();
        if self
            .last_report
            .is_some_and(|t| now.duration_since(t) < self.interval)
        {
            return None;
        }
        self.last_report = Some(now);
        Some(self.report(bytes, false))
    }

    /// The final report.
    pub fn finish(&mut self, bytes: u64) -> Progress {
        self.report(bytes, true)
    }

    fn report(&self, bytes: u64, done: bool) -> Progress {
        let elapsed = self.started.elapsed().as_secs_f64();
        let moved = bytes.saturating_sub(self.resumed_from);
        let rate = if elapsed > 0.0 {
            moved as f64 / elapsed
        } else {
            0.0
        };
        let left = self.total.saturating_sub(bytes);
        let eta_secs = if done {
            Some(0)
        } else if rate > 0.0 {
            Some((left as f64 / rate).ceil() as u64)
        } else {
            None
        };
        Progress {
            path: self.path.clone(),
            bytes,
            total: self.total,
            resumed_from: self.resumed_from,
            rate,
            eta_secs,
            done,
            note: self.note.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_lines_read_well() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(3 * 1024 * 1024), "3.0 MiB");
        let p = Progress {
            path: "people.csv".into(),
            bytes: 50,
            total: 100,
            resumed_from: 0,
            rate: 10.0,
            eta_secs: Some(5),
            done: false,
            note: None,
        };
        assert_eq!(p.line(), "people.csv  50 B / 100 B  50%  10 B/s  ETA 5s");
    }

    #[test]
    fn reports_are_throttled() {
        let mut meter = ProgressMeter::new("f", 100, 0);
        assert!(meter.tick(1).is_some());
        assert!(meter.tick(2).is_none());
        assert!(meter.finish(100).done);
    }
}
