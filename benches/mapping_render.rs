//! Render budget of the step 4 screen: one frame of a 10,000-row field mapping (table,
//! validation panel, summary) on a 160×50 TestBackend, against a reference frame of the
//! same size that draws a full-screen paragraph, measured in the same run.
//! Budget: under 2 ms per frame.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use icims_onboard::mapping::{
    Catalogue, CustomerField, FieldSource, MappingEntry, Object, suggest,
};
use icims_onboard::tui::pages::field_mapping::{FieldMappingState, render};
use icims_onboard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::Paragraph;

const ROWS: usize = 10_000;
const FRAMES: u32 = 300;

fn entries() -> Vec<MappingEntry> {
    let catalogue = Catalogue::standard();
    let labels = [
        "First Name",
        "Email",
        "Coordinator",
        "Requisition Title",
        "Status Date",
        "Shoe size",
        "LinkedIn Profile",
    ];
    let samples = [
        "Mary",
        "mary.smith@mail.example",
        "Mary Smith",
        "Software Engineer",
        "2026-11-14 12:00 AM",
        "42",
        "https://www.linkedin.com/in/mary-smith",
    ];
    let fields: Vec<CustomerField> = (0..ROWS)
        .map(|i| {
            let object = Object::ALL[i % 3];
            let k = i % labels.len();
            CustomerField {
                object,
                name: format!("{} {i}", labels[k]),
                label: None,
                samples: vec![samples[k].to_string(); 3],
                fill_rate: (i % 100) as f64 / 100.0,
                source: FieldSource::Export,
                schema_type: None,
            }
        })
        .collect();
    let suggestions = suggest(&fields, &catalogue);
    fields
        .into_iter()
        .zip(suggestions)
        .map(|(f, s)| MappingEntry::suggested(f, s))
        .collect()
}

fn time<F: FnMut()>(mut f: F) -> Duration {
    for _ in 0..20 {
        f();
    }
    let start = Instant::now();
    for _ in 0..FRAMES {
        f();
    }
    start.elapsed() / FRAMES
}

fn main() {
    let theme = Theme::dark();
    let t = Instant::now();
    let entries = entries();
    let build = t.elapsed();
    let mut state =
        FieldMappingState::new("Bench", Catalogue::standard()).with_entries(entries, None);
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).expect("terminal");

    let reference_text = "x".repeat(160 * 48);
    let reference = time(|| {
        terminal
            .draw(|f| f.render_widget(Paragraph::new(black_box(reference_text.as_str())), f.area()))
            .expect("draw");
    });
    // Top of the table, then deep in it (the window follows the selection).
    let top = time(|| {
        terminal
            .draw(|f| render(f, f.area(), black_box(&state), &theme))
            .expect("draw");
    });
    state.selected = ROWS - 1;
    let bottom = time(|| {
        terminal
            .draw(|f| render(f, f.area(), black_box(&state), &theme))
            .expect("draw");
    });
    let worst = top.max(bottom);
    println!("mapping_render: {ROWS} rows (suggest + validate built in {build:?})");
    println!("  reference full-screen paragraph frame: {reference:?}");
    println!("  mapping frame, top of table:            {top:?}");
    println!("  mapping frame, last row selected:       {bottom:?}");
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
