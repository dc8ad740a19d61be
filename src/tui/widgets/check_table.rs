//! A check matrix: a status line (not run / running n of m / passed / failed), one row per
//! check (✓/✗/!, name, HTTP status, iCIMS error code, message), the fixes of failed rows
//! and the hidden fields. Rows that do not fit are counted, not silently dropped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::icims::checks::{CheckRow, FieldStatus, title_of};
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

/// A remedy as shown inside the form that fixes it: a `icims-onboard creds set …` command
/// becomes `in_form` ("enter it above and save"), since the engineer is on that form.
pub fn in_form(remedy: &str, in_form: &str) -> String {
    let Some(start) = remedy.find("`icims-onboard creds set") else {
        return remedy.to_string();
    };
    let Some(len) = remedy[start + 1..].find('`') else {
        return remedy.to_string();
    };
    let mut end = start + 1 + len + 1;
    // "(or `--kind datastream`)" after the command goes with it.
    if let Some(rest) = remedy[end..].strip_prefix(" (or `")
        && let Some(close) = rest.find("`)")
    {
        end += " (or `".len() + close + 2;
    }
    format!("{}{in_form}{}", &remedy[..start], &remedy[end..])
}

/// Every row of a finished or running test with its message and fix, untruncated (for
/// the full-text view).
pub fn full_text(run: &TestRun, form: &str) -> Option<String> {
    let rows = match run {
        TestRun::Idle => return None,
        TestRun::Running { done, .. } => done,
        TestRun::Finished { rows, .. } => rows,
    };
    let mut out = Vec::new();
    for r in rows {
        let mark = match (r.ok, r.required) {
            (true, _) => "✓",
            (false, true) => "✗",
            (false, false) => "!",
        };
        out.push(format!("{mark} {}: {}", title_of(&r.name), r.message));
        if let Some(fix) = r.remedy.as_deref().filter(|_| !r.ok) {
            out.push(format!("  Fix: {}", in_form(fix, form)));
        }
    }
    if let TestRun::Finished { hidden, .. } = run
        && !hidden.is_empty()
    {
        out.push(String::new());
        let list: Vec<String> = hidden
            .iter()
            .map(|h| format!("{}.{} ({})", h.object, h.field, h.credential))
            .collect();
        out.push(format!("Hidden fields: {}", list.join(", ")));
    }
    (!out.is_empty()).then(|| out.join("\n"))
}

/// The lines of a run, for a pane `width` columns wide; `form` is how remedies name the
/// form they are shown in.
pub fn lines(
    run: &TestRun,
    idle_hint: &str,
    width: usize,
    form: &str,
    theme: &Theme,
) -> Vec<Line<'static>> {
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
            let alarming = hidden
                .iter()
                .filter(|h| h.status == FieldStatus::Hidden)
                .count();
            if alarming > 0 {
                head.push(Span::styled(
                    format!(
                        " · {alarming} hidden field{}",
                        if alarming == 1 { "" } else { "s" }
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
                let text = format!("Fix ({}): {}", r.name, in_form(remedy, form));
                for part in wrap_hanging(&text, width, 0, 2) {
                    out.push(Line::from(Span::styled(part, theme.warn)));
                }
            }
            // Hidden fields warn; unverified ones too; unused ones are only named.
            for (status, title, style) in [
                (FieldStatus::Hidden, "Hidden fields", theme.warn),
                (
                    FieldStatus::Unverified,
                    "Hidden or unused (stage the export to tell)",
                    theme.warn,
                ),
                (
                    FieldStatus::NotInUse,
                    "Not in use by this tenant",
                    theme.muted,
                ),
            ] {
                let list: Vec<String> = hidden
                    .iter()
                    .filter(|h| h.status == status)
                    .map(|h| format!("{}.{} ({})", h.object, h.field, h.credential))
                    .collect();
                if list.is_empty() {
                    continue;
                }
                let text = format!("{title}: {}", list.join(", "));
                for part in wrap_hanging(&text, width, 0, 2) {
                    out.push(Line::from(Span::styled(part, style)));
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
    form: &str,
    scroll: usize,
    theme: &Theme,
) {
    let width = area.width as usize;
    let height = area.height as usize;
    let mut all = lines(run, idle_hint, width, form, theme);
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

#[cfg(test)]
mod tests {
    use super::in_form;

    #[test]
    fn remedies_inside_their_form_name_the_form_not_the_cli() {
        let r = "Check the client, then store it again with `icims-onboard creds set 'A B' --kind rest` (or `--kind datastream`).";
        assert_eq!(
            in_form(r, "the fields above (Ctrl-s saves)"),
            "Check the client, then store it again with the fields above (Ctrl-s saves)."
        );
        assert_eq!(in_form("no command here", "x"), "no command here");
    }
}
