//! Render budget of the step 6 page: one frame of a 10,000-status catalogue grouped in 50
//! bins (summary, grouped table, validation panel) on a 160×50 TestBackend, against a
//! reference frame of the same size that draws a full-screen paragraph, measured in the
//! same run. Budget: under 2 ms per frame. Under `cargo test` it smoke-runs a few frames.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use icims_onboard::mapping::stages::catalogue::{Observed, merge};
use icims_onboard::mapping::stages::storage::merge_rows;
use icims_onboard::mapping::stages::{Rules, Seen};
use icims_onboard::tui::pages::stage_mapping::{StageMappingPage, render};
use icims_onboard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::Paragraph;

const ROWS: usize = 10_000;

fn time<F: FnMut()>(frames: u32, mut f: F) -> Duration {
    for _ in 0..frames.min(20) {
        f();
    }
    let start = Instant::now();
    for _ in 0..frames {
        f();
    }
    start.elapsed() / frames
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let frames = if full { 300 } else { 5 };
    let names = [
        "New Submission",
        "Phone Screen",
        "NMF - Onsite",
        "Offer Extended",
        "Position Filled",
        "On Hold",
        "Reference Check",
    ];
    let t = Instant::now();
    let sync: Vec<Observed> = (0..ROWS)
        .map(|i| Observed {
            id: Some(format!("C{}", 100_000 + i)),
            name: format!("{} {i}", names[i % names.len()]),
            bin: Some(format!("Bin {}", i % 50)),
            workflows: Some((i % 40) as u64),
            seen: Seen::Sync,
        })
        .collect();
    let stages = Rules::standard().default_stages.clone();
    let rows = merge_rows(
        &[],
        &merge(&[], &sync, &[]),
        &stages,
        false,
        "2026-11-21T06:00:00Z",
    );
    let mut page = StageMappingPage::new("Bench").with_rows(rows, stages, None);
    let build = t.elapsed();
    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).expect("terminal");
    let reference_text = "x".repeat(160 * 48);
    let reference = time(frames, || {
        terminal
            .draw(|f| f.render_widget(Paragraph::new(black_box(reference_text.as_str())), f.area()))
            .expect("draw");
    });
    let top = time(frames, || {
        terminal
            .draw(|f| render(f, f.area(), black_box(&page), &theme))
            .expect("draw");
    });
    page.selected = page.row_lines.len() - 1;
    let bottom = time(frames, || {
        terminal
            .draw(|f| render(f, f.area(), black_box(&page), &theme))
            .expect("draw");
    });
    let worst = top.max(bottom);
    println!(
        "stages_render: {ROWS} statuses in 50 bins (catalogue, detection, suggestions and view built in {build:?})"
    );
    println!("  reference full-screen paragraph frame: {reference:?}");
    println!("  step 6 frame, top of table:             {top:?}");
    println!("  step 6 frame, last row selected:        {bottom:?}");
    println!(
        "  worst frame = {:.2}× the reference; {:.3} of the 2 ms budget ({})",
        worst.as_secs_f64() / reference.as_secs_f64(),
        worst.as_secs_f64() / 0.002,
        if worst < Duration::from_millis(2) {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
}
