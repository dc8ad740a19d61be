//! Short texts about a team's deep sync, shared by the home screen and the step 5 page:
//! the state cell (`42% · ETA Thu`, `waiting quota 3h`, `live · 2 min ago`, `failed`),
//! the alerts with the page that explains each, and compact durations and times. Pure
//! functions of a [`SyncStatus`], the team's step states and the time "now".

use chrono::{DateTime, Datelike, Utc};

use crate::onboarding::{Step, StepState, StepStatus};
use crate::sync::{SyncState, SyncStatus};

/// The theme role a text is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Text,
    Ok,
    Warn,
    Error,
    Muted,
    Accent,
}

/// What raised an alert (the order is the sort order: most urgent first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertKind {
    SyncFailed,
    AuthFailing,
    WorkerGone,
    QuotaWaiting,
    Quarantined,
    UnmappedStatuses,
}

/// One alert of a team, with the step whose page explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    pub step: Step,
    pub text: String,
}

/// Parses an RFC 3339 time.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc())
}

/// `45s`, `12m`, `3h12m`, `2d4h`: at most two units, never negative.
pub fn short_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        if h > 0 {
            format!("{d}d{h}h")
        } else {
            format!("{d}d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h}h{m:02}m")
        } else {
            format!("{h}h")
        }
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}

/// `just now`, `40 s ago`, `2 min ago`, `3 h ago`, `2 d ago`.
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - at).num_seconds().max(0);
    match s {
        0..=4 => "just now".into(),
        5..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// A time as it is read at a glance: `14:05` today, `Thu 14:05` within a week, else
/// `Dec 12` (all UTC).
pub fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let days = (at.date_naive() - now.date_naive()).num_days();
    if days == 0 {
        at.format("%H:%M").to_string()
    } else if (1..7).contains(&days) {
        at.format("%a %H:%M").to_string()
    } else {
        at.format("%b %-d").to_string()
    }
}

/// The day of an ETA for the home column: `14:05` today, `Thu` within a week, `Dec 12`.
pub fn eta_day(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let days = (at.date_naive() - now.date_naive()).num_days();
    if days <= 0 {
        at.format("%H:%M").to_string()
    } else if days < 7 {
        at.weekday().to_string()
    } else {
        at.format("%b %-d").to_string()
    }
}

/// Records done (or given up) over records to do in the current pass, in percent.
pub fn percent(st: &SyncStatus) -> Option<u8> {
    let (done, total) = st.objects.values().fold((0u64, 0u64), |(d, t), o| {
        (d + (o.done + o.failed).min(o.total), t + o.total)
    });
    if total == 0 {
        return None;
    }
    Some(((done as f64 / total as f64) * 100.0).floor().min(100.0) as u8)
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The team's sync state as one short cell for the home screen.
pub fn state_cell(st: &SyncStatus, now: DateTime<Utc>) -> (String, Tone) {
    let eta = st.eta.as_deref().and_then(parse_time);
    match st.state {
        SyncState::NotStarted => ("—".into(), Tone::Muted),
        SyncState::Planned => match eta {
            Some(t) => (format!("planned · ETA {}", eta_day(t, now)), Tone::Text),
            None => ("planned".into(), Tone::Text),
        },
        SyncState::Running if st.worker.gone => ("worker gone".into(), Tone::Error),
        SyncState::Running => {
            let pct = percent(st).map(|p| format!("{p}%")).unwrap_or("0%".into());
            match eta {
                Some(t) => (format!("{pct} · ETA {}", eta_day(t, now)), Tone::Accent),
                None => (pct, Tone::Accent),
            }
        }
        SyncState::WaitingQuota => {
            let left = st
                .wait
                .as_ref()
                .and_then(|w| parse_time(&w.until))
                .map(|u| format!(" {}", short_duration((u - now).num_seconds())))
                .unwrap_or_default();
            (format!("waiting quota{left}"), Tone::Warn)
        }
        SyncState::Paused => {
            let pct = percent(st).map(|p| format!(" · {p}%")).unwrap_or_default();
            (format!("paused{pct}"), Tone::Warn)
        }
        SyncState::Live if st.worker.gone => ("live · worker gone".into(), Tone::Error),
        SyncState::Live => {
            let last = st
                .live
                .last_cycle_at
                .as_deref()
                .or(st.initial_done_at.as_deref())
                .and_then(parse_time);
            match last {
                Some(t) => (format!("live · {}", ago(t, now)), Tone::Ok),
                None => ("live".into(), Tone::Ok),
            }
        }
        SyncState::Done => ("synced".into(), Tone::Ok),
        SyncState::Failed => ("failed".into(), Tone::Error),
        SyncState::Cancelled => ("cancelled".into(), Tone::Muted),
    }
}

/// The alerts of one team, most urgent first. `steps` are the team's derived step
/// states; `sync` its sync status when known.
pub fn alerts(steps: &[StepStatus], sync: Option<&SyncStatus>, now: DateTime<Utc>) -> Vec<Alert> {
    let mut out = Vec::new();
    for s in steps {
        let auth_step = matches!(s.step, Step::BasicSync | Step::DeepSyncCredentials);
        if auth_step && s.state == StepState::NeedsAttention {
            out.push(Alert {
                kind: AlertKind::AuthFailing,
                step: s.step,
                text: format!("auth failing (step {}): {}", s.step.number(), s.detail),
            });
        }
        // Step 6 needs attention only for statuses without a stage since its approval
        // (drift): new ones seen by the sync, or in-use ones left unmapped.
        if s.step == Step::StageMapping && s.state == StepState::NeedsAttention {
            out.push(Alert {
                kind: AlertKind::UnmappedStatuses,
                step: s.step,
                text: s.detail.clone(),
            });
        }
    }
    if let Some(st) = sync {
        if st.state == SyncState::Failed {
            let why = st
                .error
                .clone()
                .or_else(|| st.job.as_ref().and_then(|j| j.error.clone()))
                .unwrap_or_else(|| "see the event log".into());
            out.push(Alert {
                kind: AlertKind::SyncFailed,
                step: Step::DeepSync,
                text: format!("deep sync failed: {why}"),
            });
        }
        if st.worker.gone {
            out.push(Alert {
                kind: AlertKind::WorkerGone,
                step: Step::DeepSync,
                text: "deep sync worker gone; opening step 5 resumes it".into(),
            });
        }
        if st.state == SyncState::WaitingQuota {
            let text = match st.wait.as_ref().and_then(|w| parse_time(&w.until)) {
                Some(until) => format!(
                    "quota exhausted: waiting until {} UTC, {}",
                    until.format("%H:%M"),
                    short_duration((until - now).num_seconds())
                ),
                None => "quota exhausted: waiting for the reset".into(),
            };
            out.push(Alert {
                kind: AlertKind::QuotaWaiting,
                step: Step::DeepSync,
                text,
            });
        }
        if st.quarantined > 0 {
            out.push(Alert {
                kind: AlertKind::Quarantined,
                step: Step::DeepSync,
                text: format!(
                    "{} record{} quarantined by the deep sync",
                    thousands(st.quarantined),
                    if st.quarantined == 1 { "" } else { "s" }
                ),
            });
        }
    }
    out.sort_by_key(|a| a.kind);
    out
}

/// Replaces control characters (from customer data or API messages) with `�`-free
/// visible escapes, so a cell never moves the cursor or changes colours.
pub fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => " ".to_string(),
            c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap_or_default()
    }

    #[test]
    fn durations_and_times_read_at_a_glance() {
        assert_eq!(short_duration(-5), "0s");
        assert_eq!(short_duration(45), "45s");
        assert_eq!(short_duration(12 * 60 + 5), "12m");
        assert_eq!(short_duration(3 * 3600 + 12 * 60), "3h12m");
        assert_eq!(short_duration(3 * 3600), "3h");
        assert_eq!(short_duration(2 * 86_400 + 4 * 3600 + 60), "2d4h");
        let now = t("2026-12-01T20:48:00Z"); // a Tuesday
        assert_eq!(when(t("2026-12-01T23:10:00Z"), now), "23:10");
        assert_eq!(when(t("2026-12-03T04:00:00Z"), now), "Thu 04:00");
        assert_eq!(when(t("2026-12-12T04:00:00Z"), now), "Dec 12");
        assert_eq!(eta_day(t("2026-12-03T04:00:00Z"), now), "Thu");
        assert_eq!(ago(t("2026-12-01T20:46:00Z"), now), "2 min ago");
        assert_eq!(ago(t("2026-12-01T20:47:58Z"), now), "just now");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn printable_escapes_control_characters() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb c");
    }
}
