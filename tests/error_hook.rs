//! A user-facing error never captures a backtrace, even with `RUST_BACKTRACE=1` or
//! `RUST_LIB_BACKTRACE=1` in the environment (capturing and symbolising one costs ~0.4 s
//! and 155 MB for a one-line message). Its own test binary: it sets the environment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use color_eyre::eyre::eyre;

#[test]
fn errors_carry_no_backtrace_whatever_the_environment_says() {
    // SAFETY: the only test of this binary; no other thread reads the environment.
    unsafe {
        std::env::set_var("RUST_BACKTRACE", "full");
        std::env::set_var("RUST_LIB_BACKTRACE", "1");
    }
    icims_onboard::tui::terminal::install_hooks().unwrap();
    let started = Instant::now();
    let report = eyre!("team \"Acme\" has no basic credentials");
    let elapsed = started.elapsed();
    let debug = format!("{report:?}");
    assert!(
        !debug.to_ascii_lowercase().contains("backtrace"),
        "a backtrace was captured: {debug}"
    );
    assert!(
        debug.contains("team \"Acme\" has no basic credentials"),
        "{debug}"
    );
    eprintln!("one error took {elapsed:?}");
}
