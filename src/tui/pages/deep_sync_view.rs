//! Drawing of the step 5 page (a pure function of [`DeepSyncPage`]): locked with its
//! reasons, the plan, the running monitor (headline with waits, worker liveness,
//! per-object gauges, rate and sparkline, quota, retries, quarantine, live cycles), the
//! event log tail, the quarantine browser, the full log and the y/n confirmation. At 80
//! columns everything stacks; from 150 columns the event log takes a right-hand column.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::sync::plan::Plan;
use crate::sync::{OBJECTS, SyncState, SyncStatus};
use crate::tui::pages::deep_sync_state::{DeepSyncPage, Snapshot, View};
use crate::tui::sync_summary::{
    ago, parse_time, percent, printable, short_duration, thousands, when,
};
use crate::tui::theme::Theme;
use crate::tui::widgets::centered::centered;
use crate::tui::widgets::{event_log, quarantine_table, rate_sparkline, sync_gauge, sync_plan};

pub fn render(frame: &mut Frame, area: Rect, page: &DeepSyncPage, theme: &Theme) {
    let snapshot = page.snapshot.as_ref();
    let title = format!(" Step 5 · Deep sync — {} ", state_word(page));
    let block = Block::bordered()
        .title(Span::styled(title, theme.title))
        .border_style(theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    match (page.view, snapshot) {
        (_, None) => {
            let text = match &page.error {
                Some(e) => Line::from(Span::styled(format!(" {}", printable(e)), theme.error)),
                None => Line::from(Span::styled(
                    " reading the sync from the database…",
                    theme.muted,
                )),
            };
            frame.render_widget(Paragraph::new(text), inner);
        }
        (View::Quarantine, Some(s)) => {
            let [table, hint] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(inner);
            quarantine_table::render(
                frame,
                table,
                &quarantine_table::QuarantineWindow {
                    rows: &s.quarantine,
                    offset: s.quarantine_offset,
                    selected: page.selected,
                    total: s.status.quarantined,
                    now: s.now,
                },
                theme,
            );
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(" c", theme.accent),
                    Span::styled(
                        " writes them all as CSV (next to the database) · Esc back",
                        theme.muted,
                    ),
                ])),
                hint,
            );
        }
        (View::Log, Some(s)) => render_log(frame, inner, s, true, theme),
        (View::Overview, Some(s)) => {
            if page.locked() {
                render_locked(frame, inner, page, theme);
            } else {
                let wide = inner.width >= 150;
                let (left, right) = if wide {
                    let [l, r] =
                        Layout::horizontal([Constraint::Min(80), Constraint::Percentage(42)])
                            .areas(inner);
                    (l, Some(r))
                } else {
                    (inner, None)
                };
                let lines = overview_lines(page, s, left.width, theme);
                let used = lines.len() as u16;
                let spark_row = lines
                    .iter()
                    .position(|l| l.spans.first().is_some_and(|sp| sp.content == " Rate "));
                let [top, rest] = Layout::vertical([
                    Constraint::Length(used.min(left.height)),
                    Constraint::Min(0),
                ])
                .areas(left);
                frame.render_widget(Paragraph::new(lines.clone()), top);
                // The sparkline sits at the end of the rate line.
                if let Some(row) = spark_row
                    && (row as u16) < top.height
                {
                    let text_w = lines[row].width() as u16 + 1;
                    let x = top.x + text_w;
                    if x + 8 < top.x + top.width {
                        let w = (top.x + top.width - x).min(60);
                        let end = s
                            .status
                            .rate_samples
                            .last()
                            .map(|r| r.at_unix)
                            .unwrap_or_else(|| s.now.timestamp());
                        let end = end.max(s.now.timestamp());
                        rate_sparkline::render(
                            frame,
                            Rect::new(x, top.y + row as u16, w, 1),
                            &s.status.rate_samples,
                            end,
                            theme,
                        );
                    }
                }
                let log_area = right.unwrap_or(rest);
                if log_area.height >= 3 {
                    render_log(frame, log_area, s, false, theme);
                }
            }
        }
    }

    if let Some(confirm) = page.confirm {
        let w = area.width.min(64);
        let modal = centered(area, w, 7);
        frame.render_widget(Clear, modal);
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(confirm.question(), theme.text)),
                Line::from(""),
                Line::from(vec![
                    Span::styled("y", theme.accent),
                    Span::styled(" yes   ", theme.muted),
                    Span::styled("n", theme.accent),
                    Span::styled(" no", theme.muted),
                ]),
            ])
            .wrap(Wrap { trim: true })
            .block(
                Block::bordered()
                    .title(Span::styled(" Confirm ", theme.title))
                    .border_style(theme.accent),
            ),
            modal,
        );
    }
}

/// The state as a word for the title.
fn state_word(page: &DeepSyncPage) -> String {
    if page.locked() {
        return "locked".into();
    }
    let Some(st) = page.status() else {
        return "…".into();
    };
    let word = match st.state {
        SyncState::NotStarted => "not planned",
        SyncState::Planned => "planned",
        SyncState::Running => "running",
        SyncState::WaitingQuota => "waiting for quota",
        SyncState::Paused => "paused",
        SyncState::Live => "live",
        SyncState::Done => "initial pass complete",
        SyncState::Failed => "failed",
        SyncState::Cancelled => "cancelled",
    };
    if st.worker.gone {
        format!("{word} · worker gone")
    } else {
        word.to_string()
    }
}

fn render_locked(frame: &mut Frame, area: Rect, page: &DeepSyncPage, theme: &Theme) {
    let mut lines = vec![
        Line::from(Span::styled(
            " Locked: the deep sync needs steps 2–4 done first.",
            theme.warn,
        )),
        Line::from(""),
    ];
    let gates = page.gates();
    for (label, unmet) in [
        ("deep sync credentials tested (step 2)", "step 2"),
        ("historical export imported (step 3)", "step 3"),
        ("field mapping approved (step 4)", "step 4"),
    ] {
        let open = gates.iter().any(|g| g.contains(unmet));
        lines.push(Line::from(vec![
            Span::styled(
                if open { "  ✗ " } else { "  ✓ " },
                if open { theme.error } else { theme.ok },
            ),
            Span::styled(label, theme.text),
        ]));
    }
    lines.push(Line::from(""));
    for g in &gates {
        lines.push(Line::from(Span::styled(
            format!(" Locked by: {}", printable(g)),
            theme.muted,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Once open, p plans it (calls, quota share, day-by-day ETA) and s starts it",
        theme.muted,
    )));
    lines.push(Line::from(Span::styled(
        " on a background worker that keeps running when the console closes.",
        theme.muted,
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn plan_of(st: &SyncStatus) -> Option<Plan> {
    st.plan.clone().and_then(|p| serde_json::from_value(p).ok())
}

/// Everything above the event log, in order.
fn overview_lines(
    page: &DeepSyncPage,
    s: &Snapshot,
    width: u16,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let st = &s.status;
    let now = s.now;
    let mut out = Vec::new();
    match st.state {
        SyncState::NotStarted => {
            out.push(Line::from(vec![
                Span::styled(" No plan yet. ", theme.text),
                Span::styled("p", theme.accent),
                Span::styled(
                    " plans: it searches what changed since the export's cut-off and counts the calls.",
                    theme.muted,
                ),
            ]));
            if page.planning {
                out.push(Line::from(Span::styled(" planning…", theme.accent)));
            }
            return out;
        }
        SyncState::Planned => {
            // Parsed only where it is shown (not on every frame of a running sync).
            match &plan_of(st) {
                Some(p) => out.extend(sync_plan::lines(p, now, width, theme)),
                None => out.push(Line::from(Span::styled(
                    " a plan is stored but cannot be read",
                    theme.warn,
                ))),
            }
            out.push(Line::from(""));
            out.push(Line::from(vec![
                Span::styled(" s", theme.accent),
                Span::styled(" Start (asks to confirm) · ", theme.muted),
                Span::styled("p", theme.accent),
                Span::styled(" plan again", theme.muted),
            ]));
            if page.planning {
                out.push(Line::from(Span::styled(" planning…", theme.accent)));
            }
            return out;
        }
        _ => {}
    }
    out.extend(headline(st, now, theme));
    out.push(worker_line(st, now, theme));
    let active = matches!(st.state, SyncState::Running);
    for object in OBJECTS {
        if let Some(p) = st.objects.get(object) {
            out.push(sync_gauge::line(
                object,
                p,
                width,
                active && !st.worker.gone,
                theme,
            ));
        }
    }
    let per_min = st.rate.map(|r| r * 60.0);
    out.push(Line::from(vec![
        Span::styled(" Rate ", theme.title),
        Span::styled(
            match per_min {
                Some(r) if r >= 1.0 => {
                    format!("{} records/min · last hour", thousands(r.round() as u64))
                }
                Some(r) => format!("{r:.1} records/min · last hour"),
                None => "no records in the last minutes · last hour".into(),
            },
            theme.text,
        ),
    ]));
    out.push(quota_line(st, now, width, theme));
    out.push(Line::from(vec![
        Span::styled(" Calls ", theme.title),
        Span::styled(
            format!(
                "{} made{} · retries {} · quota waits {}",
                thousands(st.calls_used),
                st.planned_calls
                    .map(|p| format!(" of {} planned", thousands(p)))
                    .unwrap_or_default(),
                thousands(st.retries),
                thousands(st.waits)
            ),
            theme.text,
        ),
    ]));
    if st.quarantined > 0 {
        out.push(Line::from(vec![
            Span::styled(" Quarantined ", theme.warn),
            Span::styled(
                format!("{} records · ", thousands(st.quarantined)),
                theme.text,
            ),
            Span::styled("b", theme.accent),
            Span::styled(" browse · ", theme.muted),
            Span::styled("c", theme.accent),
            Span::styled(" CSV", theme.muted),
        ]));
    }
    if st.initial_done_at.is_some() || st.live.cycles > 0 {
        out.push(live_line(st, now, theme));
    }
    out
}

/// What the sync is doing now, in one line; a wait says so with its end.
fn headline(st: &SyncStatus, now: DateTime<Utc>, theme: &Theme) -> Vec<Line<'static>> {
    let pct = percent(st)
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| "0%".into());
    let eta = st
        .eta
        .as_deref()
        .and_then(parse_time)
        .map(|t| {
            format!(
                " · ETA {} UTC (in {})",
                when(t, now),
                short_duration((t - now).num_seconds())
            )
        })
        .unwrap_or_default();
    match st.state {
        SyncState::WaitingQuota => {
            let wait = st
                .wait
                .as_ref()
                .and_then(|w| parse_time(&w.until).map(|u| (u, w.reason.clone())));
            let (text, reason) = match wait {
                Some((until, reason)) => (
                    format!(
                        " Waiting for quota until {} UTC, {}",
                        until.format("%H:%M"),
                        short_duration((until - now).num_seconds()),
                    ),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", printable(&reason))
                    },
                ),
                None => (
                    " Waiting for the daily quota to reset".into(),
                    String::new(),
                ),
            };
            vec![
                Line::from(vec![
                    Span::styled(text, theme.warn),
                    Span::styled(reason, theme.muted),
                ]),
                Line::from(vec![
                    Span::styled(" Progress ", theme.title),
                    Span::styled(format!("{pct} done{eta}"), theme.text),
                ]),
            ]
        }
        SyncState::Running => vec![Line::from(vec![
            Span::styled(" Running ", theme.accent),
            Span::styled(format!("· {pct} done{eta}"), theme.text),
        ])],
        SyncState::Paused => vec![Line::from(vec![
            Span::styled(" Paused ", theme.warn),
            Span::styled(format!("· {pct} done · Space resumes"), theme.text),
        ])],
        SyncState::Failed => vec![Line::from(vec![
            Span::styled(" Failed: ", theme.error),
            Span::styled(
                printable(
                    st.error
                        .as_deref()
                        .or(st.job.as_ref().and_then(|j| j.error.as_deref()))
                        .unwrap_or("see the event log"),
                ),
                theme.error,
            ),
            Span::styled(format!(" · {pct} done · s starts again"), theme.muted),
        ])],
        SyncState::Cancelled => vec![Line::from(vec![
            Span::styled(" Cancelled ", theme.muted),
            Span::styled(
                format!("· {pct} done · records kept · s starts again"),
                theme.text,
            ),
        ])],
        SyncState::Live | SyncState::Done => {
            let done = st
                .initial_done_at
                .as_deref()
                .and_then(parse_time)
                .map(|t| format!(" {} UTC", when(t, now)))
                .unwrap_or_default();
            vec![Line::from(vec![
                Span::styled(" Initial pass complete", theme.ok),
                Span::styled(done, theme.text),
                Span::styled(
                    if st.state == SyncState::Live {
                        " · live"
                    } else {
                        " · not live (job ended)"
                    },
                    theme.text,
                ),
            ])]
        }
        SyncState::NotStarted | SyncState::Planned => Vec::new(),
    }
}

fn worker_line(st: &SyncStatus, now: DateTime<Utc>, theme: &Theme) -> Line<'static> {
    let beat = st
        .worker
        .heartbeat_at
        .as_deref()
        .and_then(parse_time)
        .map(|t| format!("last heartbeat {}", ago(t, now)))
        .unwrap_or_else(|| "no heartbeat yet".into());
    let pid = st
        .worker
        .pid
        .map(|p| format!("pid {p}"))
        .unwrap_or_else(|| "no pid".into());
    if st.worker.gone {
        Line::from(vec![
            Span::styled(" Worker gone, resuming ", theme.error),
            Span::styled(format!("· {pid} not running · {beat}"), theme.muted),
        ])
    } else if st.worker.alive {
        Line::from(vec![
            Span::styled(" Worker ", theme.title),
            Span::styled(format!("{pid} · {beat}"), theme.text),
        ])
    } else {
        Line::from(vec![
            Span::styled(" Worker ", theme.title),
            Span::styled(format!("none running ({pid}, {beat})"), theme.muted),
        ])
    }
}

fn quota_line(st: &SyncStatus, now: DateTime<Utc>, width: u16, theme: &Theme) -> Line<'static> {
    let q = &st.quota;
    let reset = q
        .reset
        .as_deref()
        .and_then(parse_time)
        .map(|t| {
            format!(
                " · resets {} UTC, {}",
                t.format("%H:%M"),
                short_duration((t - now).num_seconds())
            )
        })
        .unwrap_or_default();
    let text = match (q.limit, q.remaining) {
        (Some(limit), Some(remaining)) => format!(
            "{}/{} used today · sync share {:.0}%{}{reset}",
            thousands(limit.saturating_sub(remaining)),
            thousands(limit),
            q.share * 100.0,
            if width >= 100 {
                format!(" = {} calls", thousands((limit as f64 * q.share) as u64))
            } else {
                String::new()
            }
        ),
        _ => format!(
            "not seen yet · sync share {:.0}% of the daily quota",
            q.share * 100.0
        ),
    };
    let exhausted = q.remaining == Some(0);
    Line::from(vec![
        Span::styled(" Quota ", theme.title),
        Span::styled(text, if exhausted { theme.warn } else { theme.text }),
    ])
}

fn live_line(st: &SyncStatus, now: DateTime<Utc>, theme: &Theme) -> Line<'static> {
    let last = st
        .live
        .last_cycle_at
        .as_deref()
        .and_then(parse_time)
        .map(|t| format!("last run {}", ago(t, now)))
        .unwrap_or_else(|| "no cycle yet".into());
    let changes = st
        .live
        .last_cycle_changes
        .map(|c| format!(" ({} changes)", thousands(c)))
        .unwrap_or_default();
    let next = st
        .live
        .next_cycle_at
        .as_deref()
        .and_then(parse_time)
        .map(|t| {
            let secs = (t - now).num_seconds();
            if secs > 0 {
                format!(" · next run in {}", short_duration(secs))
            } else {
                " · next run due now".into()
            }
        })
        .unwrap_or_default();
    let mode = match st.live.last_cycle_mode.as_deref() {
        Some("stream") => " · stream",
        Some("poll") => " · polling",
        Some(_) => " · stream+poll",
        None => "",
    };
    Line::from(vec![
        Span::styled(" Live ", theme.ok),
        Span::styled(
            format!(
                "{last}{changes}{next} · {} cycles{mode}",
                thousands(st.live.cycles)
            ),
            theme.text,
        ),
    ])
}

fn render_log(frame: &mut Frame, area: Rect, s: &Snapshot, full: bool, theme: &Theme) {
    let pos = if s.events_total == 0 {
        "0/0".to_string()
    } else {
        format!(
            "{}/{}",
            thousands(s.log_offset + 1),
            thousands(s.events_total)
        )
    };
    let title = if full {
        format!(" Event log (newest first) {pos} · ↑↓ PgUp PgDn scroll · Esc back ")
    } else {
        format!(" Events {pos} · ↑↓ scroll · e full log ")
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.title))
        .border_style(theme.border);
    let lines = if s.events.is_empty() {
        vec![Line::from(Span::styled(" no events yet", theme.muted))]
    } else {
        event_log::lines(&s.events, s.now, theme)
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
