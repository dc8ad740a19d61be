//! Render budget of the step 5 page (the deep-sync monitor): a real store holding 10,000
//! quarantined records and a 24-hour event log (one event a minute, plus rate samples),
//! read through the page's driver, then frames drawn on a 200x60 TestBackend — the
//! running overview, the quarantine browser deep in the list, and the full event log —
//! against a reference frame of the same size that draws a full-screen paragraph,
//! measured in the same run. Budget: under 2 ms per frame. The driver's read (the
//! work of one refresh) is timed too.
//!
//! Run: `cargo bench --bench deep_sync_render`. Under `cargo test` it smoke-runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use icims_onboard::store::{Actor, JobState, NewTeam, Region, Store};
use icims_onboard::sync::{SYNC_JOB, progress};
use icims_onboard::tui::drivers::deep_sync::load;
use icims_onboard::tui::model::TeamRow;
use icims_onboard::tui::pages::contract::Page;
use icims_onboard::tui::pages::deep_sync::{DeepSyncPage, DeepSyncReply, View, Window};
use icims_onboard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::Paragraph;

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
    let smoke = !std::env::args().any(|a| a == "--bench");
    let (quarantined, events, frames) = if smoke {
        (500u64, 200u64, 5u32)
    } else {
        (10_000, 24 * 60, 300)
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.db")).expect("store");
    let team = store
        .add_team(
            &NewTeam {
                name: "Bench".into(),
                customer_id: 1,
                region: Some(Region::Us),
                api_base: None,
                token_url: None,
                datastream_base: None,
            },
            &Actor::named("bench"),
        )
        .expect("team");
    let c = store.conn();
    progress::ensure_state(c, team.id).expect("state");
    let job = store
        .enqueue_job(&team, SYNC_JOB, &serde_json::json!({}))
        .expect("job");
    store
        .set_job_state(job, JobState::Running)
        .expect("running");
    c.execute_batch("BEGIN").expect("begin");
    for object in ["people", "jobs", "workflows"] {
        c.execute(
            "INSERT OR REPLACE INTO sync_objects (team_id, object, seeded, total, done, failed) VALUES (?1, ?2, 1000, 50000, 20000, 10)",
            rusqlite::params![team.id, object],
        )
        .expect("objects");
    }
    for i in 0..quarantined {
        progress::quarantine(
            c,
            team.id,
            ["people", "jobs", "workflows"][(i % 3) as usize],
            &(100_000 + i).to_string(),
            "HTTP 500 after 5 attempts: the server answered with an error page",
            5,
        )
        .expect("quarantine");
    }
    for i in 0..events {
        progress::event(
            c,
            team.id,
            "cycle",
            &format!("live cycle {i}: 12 changed, 0 deleted, 3 calls"),
        )
        .expect("event");
        progress::rate_sample(c, team.id, 40 + i % 17, 41 + i % 17).expect("sample");
    }
    c.execute_batch("COMMIT").expect("commit");
    progress::add_calls(c, team.id, 123_456, 321).expect("calls");
    progress::set_quota(
        c,
        team.id,
        Some(10_000),
        Some(4_000),
        Some("2026-12-02T00:00:00Z"),
    )
    .expect("quota");
    progress::heartbeat(c, team.id, 4242).expect("heartbeat");

    let facts = icims_onboard::onboarding::OnboardingFacts::default();
    let row = TeamRow {
        team: team.clone(),
        steps: icims_onboard::onboarding::derive(&facts)
            .into_iter()
            .map(|mut s| {
                s.locked_by.clear();
                s
            })
            .collect(),
        credentials: Vec::new(),
        sync_enabled: true,
    };
    let (mut page, _) = DeepSyncPage::open(&row);
    page.resize((200, 60));
    let rows = page.page_rows();
    let read = |page: &DeepSyncPage| {
        let quarantine = (page.view == View::Quarantine).then(|| Window {
            offset: (page.selected / rows) * rows,
            limit: rows,
        });
        load(
            &store,
            team.id,
            Window {
                offset: page.log_offset,
                limit: rows,
            },
            quarantine,
        )
        .expect("load")
    };
    let refresh = time(frames.min(100), || {
        black_box(read(&page));
    });
    let snapshot = read(&page);
    page.on_reply(DeepSyncReply::Loaded(Ok(Box::new(snapshot))));

    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let reference_text = "x".repeat(200 * 58);
    let reference = time(frames, || {
        terminal
            .draw(|f| f.render_widget(Paragraph::new(black_box(reference_text.as_str())), f.area()))
            .expect("draw");
    });
    let overview = time(frames, || {
        terminal
            .draw(|f| page.render(f, f.area(), black_box(&theme)))
            .expect("draw");
    });
    // The quarantine browser at its last row.
    page.view = View::Quarantine;
    page.selected = quarantined - 1;
    let snapshot = read(&page);
    page.on_reply(DeepSyncReply::Loaded(Ok(Box::new(snapshot))));
    let browser = time(frames, || {
        terminal
            .draw(|f| page.render(f, f.area(), black_box(&theme)))
            .expect("draw");
    });
    // The full event log scrolled to the middle of the day.
    page.view = View::Log;
    page.log_offset = events / 2;
    let snapshot = read(&page);
    page.on_reply(DeepSyncReply::Loaded(Ok(Box::new(snapshot))));
    let log = time(frames, || {
        terminal
            .draw(|f| page.render(f, f.area(), black_box(&theme)))
            .expect("draw");
    });
    let worst = overview.max(browser).max(log);
    println!(
        "deep_sync_render: {quarantined} quarantined records, {events} events (a {}), 200x60{}",
        if events >= 1440 {
            "24-hour log"
        } else {
            "short log"
        },
        if smoke { " — smoke run" } else { "" }
    );
    println!("  reference full-screen paragraph frame: {reference:?}");
    println!("  overview (running) frame:              {overview:?}");
    println!("  quarantine browser, last row:          {browser:?}");
    println!("  event log, mid-day:                    {log:?}");
    println!("  driver read (one refresh):             {refresh:?}");
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
