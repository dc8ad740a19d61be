//! The deep sync plan as lines: what changed since the export's cut-off and the scope,
//! calls per object, the quota share, and the day-by-day ETA across 00:00 UTC resets.

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};

use crate::sync::plan::Plan;
use crate::tui::sync_summary::{parse_time, printable, thousands, when};
use crate::tui::theme::Theme;

/// The full plan (the page before Start).
pub fn lines(plan: &Plan, now: DateTime<Utc>, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let made = parse_time(&plan.made_at)
        .map(|t| when(t, now))
        .unwrap_or_default();
    let mut out = vec![
        Line::from(vec![
            Span::styled(" Plan ", theme.title),
            Span::styled(
                format!(
                    "made {made} · changes since {} (cut-off − {} min)",
                    printable(&plan.search_from),
                    plan.overlap_minutes
                ),
                theme.muted,
            ),
        ]),
        Line::from(vec![
            Span::styled(" Scope ", theme.title),
            Span::styled(printable(&plan.scope), theme.text),
        ]),
        Line::from(Span::styled(
            format!(
                " {:<10} {:>9} {:>8} {:>8} {:>9} {:>9}",
                "object", "changed", "missing", "deleted", "GETs", "searches"
            ),
            theme.title,
        )),
    ];
    for (object, o) in &plan.objects {
        out.push(Line::from(Span::styled(
            format!(
                " {:<10} {:>9} {:>8} {:>8} {:>9} {:>9}",
                printable(object),
                thousands(o.changed),
                thousands(o.missing),
                thousands(o.deleted),
                thousands(o.gets),
                thousands(o.search_calls)
            ),
            theme.text,
        )));
    }
    out.push(calls_line(plan, theme));
    out.push(days_line(plan, now, width, theme));
    if !plan.not_synced.is_empty() {
        out.push(Line::from(vec![
            Span::styled(" Not synced ", theme.warn),
            Span::styled(
                format!(
                    "(not in the export): {}",
                    printable(&plan.not_synced.join(", "))
                ),
                theme.muted,
            ),
        ]));
    }
    out
}

/// `Calls 3,812 (12 planning searches + 3,800 GETs) · quota share 80% of 10,000 = 8,000/day`.
pub fn calls_line(plan: &Plan, theme: &Theme) -> Line<'static> {
    let share = format!("{:.0}%", plan.quota_share * 100.0);
    let quota = match (plan.quota_limit, plan.calls_per_day) {
        (Some(limit), Some(per_day)) => format!(
            "{share} of {} = {}/day",
            thousands(limit),
            thousands(per_day)
        ),
        _ => format!("quota share {share} (limit not seen yet)"),
    };
    Line::from(vec![
        Span::styled(" Calls ", theme.title),
        Span::styled(
            format!(
                "{} ({} searches + {} GETs) · {quota}",
                thousands(plan.calls_total),
                thousands(plan.plan_calls),
                thousands(plan.gets)
            ),
            theme.text,
        ),
    ])
}

/// `Day by day  Tue 3,000 · Wed 812 → ETA Wed 00:41 UTC`, cut to the width.
pub fn days_line(plan: &Plan, now: DateTime<Utc>, width: u16, theme: &Theme) -> Line<'static> {
    let eta = parse_time(&plan.eta)
        .map(|t| format!(" → ETA {} UTC", when(t, now)))
        .unwrap_or_default();
    let room = usize::from(width).saturating_sub(12 + eta.chars().count() + 2);
    let mut days = String::new();
    for (i, d) in plan.days.iter().enumerate() {
        let label = chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
            .map(|n| {
                if (n - now.date_naive()).num_days().abs() < 6 {
                    n.format("%a").to_string()
                } else {
                    n.format("%b %-d").to_string()
                }
            })
            .unwrap_or_else(|_| printable(&d.date));
        let item = format!(
            "{}{label}: {}",
            if i > 0 { " · " } else { "" },
            thousands(d.calls)
        );
        if days.chars().count() + item.chars().count() > room {
            days.push_str(&format!(" · +{} more", plan.days.len() - i));
            break;
        }
        days.push_str(&item);
    }
    if days.is_empty() {
        days.push_str("nothing to fetch");
    }
    Line::from(vec![
        Span::styled(" Day by day ", theme.title),
        Span::styled(days, theme.text),
        Span::styled(eta, theme.accent),
    ])
}
