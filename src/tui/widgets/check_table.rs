//! A check matrix: a status line (not run / running n of m / passed / failed), one row per
//! check (✓/✗/!, name, HTTP status, iCIMS error code, message), the fixes of failed rows
//! and the hidden fields. Rows that do not fit are counted, not silently dropped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::icims::checks::{CheckRow, title_of};
use crate::tui::model::TestRun;
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;

const NAME_WIDTH: usize = 30;

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One row; the HTTP status and error code columns exist only when some row failed.
fn row_line(r: &CheckRow, width: usize, status_cols: bool, theme: &Theme) -> Line<'static> {
    let (mark, style) = match (r.ok, r.required) {
        (true, _) => ("✓", theme.ok),
        (false, true) => ("✗", theme.error),
        (false, false) => ("!", theme.warn),
    };
    let http = match (r.ok, r.http_status) {
        (false, Some(s)) if s != 200 => format!("{s:>4}"),
        _ => "    ".into(),
    };
    let code = match (r.ok, r.error_code) {
        (false, Some(c)) => format!(" #{c:<3}"),
        _ => "     ".into(),
    };
    let fixed = 2 + NAME_WIDTH + 1 + if status_cols { 4 + 5 + 1 } else { 0 };
    let msg = cut(&r.message, width.saturating_sub(fixed).max(8));
    let mut spans = vec![
        Span::styled(format!("{mark} "), style),
        Span::styled(
            format!("{:<NAME_WIDTH$} ", cut(&title_of(&r.name), NAME_WIDTH)),
            theme.text,
        ),
    ];
    if status_cols {
        spans.push(Span::styled(http, theme.muted));
        spans.push(Span::styled(code, theme.muted));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(msg, if r.ok { theme.muted } else { style }));
    Line::from(spans)
}

/// The lines of a run, for a pane `width` columns wide.
pub fn lines(run: &TestRun, idle_hint: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    match run {
        TestRun::Idle => {
            out.push(Line::from(vec![
                Span::styled("Test  ", theme.title),
                Span::styled("not run yet", theme.muted),
            ]));
            for part in wrap_hanging(idle_hint, width, 0, 0) {
                out.push(Line::from(Span::styled(part, theme.muted)));
            }
        }
        TestRun::Running {
            done,
            current,
            total,
        } => {
            let now = current
                .as_deref()
                .map(|c| format!(" · checking {}", title_of(c)))
                .unwrap_or_default();
            out.push(Line::from(vec![
                Span::styled("Test  ", theme.title),
                Span::styled(
                    format!("running… {} of {total} checks done{now}", done.len()),
                    theme.accent,
                ),
            ]));
            let cols = done.iter().any(|r| !r.ok);
            out.extend(done.iter().map(|r| row_line(r, width, cols, theme)));
        }
        TestRun::Finished { rows, hidden, when } => {
            let failed: Vec<&CheckRow> = rows.iter().filter(|r| r.required && !r.ok).collect();
            let (verdict, style) = if failed.is_empty() && !rows.is_empty() {
                ("passed".to_string(), theme.ok)
            } else {
                (
                    format!(
                        "failed: {} of {} required checks",
                        failed.len(),
                        rows.iter().filter(|r| r.required).count()
                    ),
                    theme.error,
                )
            };
            let mut head = vec![
                Span::styled("Test  ", theme.title),
                Span::styled(verdict, style),
            ];
            if !hidden.is_empty() {
                head.push(Span::styled(
                    format!(
                        " · {} hidden field{}",
                        hidden.len(),
                        if hidden.len() == 1 { "" } else { "s" }
                    ),
                    theme.warn,
                ));
            }
            if let Some(w) = when {
                head.push(Span::styled(format!(" · {w}"), theme.muted));
            }
            out.push(Line::from(head));
            let cols = rows.iter().any(|r| !r.ok);
            out.extend(rows.iter().map(|r| row_line(r, width, cols, theme)));
            let fixes: Vec<&CheckRow> = rows
                .iter()
                .filter(|r| !r.ok && r.remedy.is_some())
                .collect();
            let mut seen: Vec<&str> = Vec::new();
            for r in fixes {
                let remedy = r.remedy.as_deref().unwrap_or("");
                if seen.contains(&remedy) {
                    continue;
                }
                seen.push(remedy);
                let text = format!("Fix ({}): {remedy}", r.name);
                for part in wrap_hanging(&text, width, 0, 2) {
                    out.push(Line::from(Span::styled(part, theme.warn)));
                }
            }
            if !hidden.is_empty() {
                let list: Vec<String> = hidden
                    .iter()
                    .map(|h| format!("{}.{} ({})", h.object, h.field, h.credential))
                    .collect();
                let text = format!("Hidden fields: {}", list.join(", "));
                for part in wrap_hanging(&text, width, 0, 2) {
                    out.push(Line::from(Span::styled(part, theme.warn)));
                }
            }
        }
    }
    out
}

/// Draws the run into `area`, its body scrolled down by `scroll` lines (clamped so the last
/// page stays full). The status line stays on top; what does not fit is counted.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    run: &TestRun,
    idle_hint: &str,
    scroll: usize,
    theme: &Theme,
) {
    let width = area.width as usize;
    let height = area.height as usize;
    let mut all = lines(run, idle_hint, width, theme);
    if all.len() > height && height > 2 {
        let body = all.split_off(1);
        // Room for the body between the status line and the "more" line.
        let room = height - 2;
        let start = scroll.min(body.len().saturating_sub(room));
        let shown: Vec<Line<'static>> = body.iter().skip(start).take(room).cloned().collect();
        let below = body.len() - start - shown.len();
        all.extend(shown);
        let text = match (start, below) {
            (0, n) => format!("… {n} more lines below (PgDn scrolls)"),
            (a, 0) => format!("… {a} lines above (PgUp scrolls)"),
            (a, n) => format!("… {a} lines above, {n} below (PgUp/PgDn)"),
        };
        all.push(Line::from(Span::styled(text, theme.muted)));
    }
    frame.render_widget(Paragraph::new(all), area);
}
