//! Shell conventions: `completions bash|zsh|fish` and `man` print scripts and a manual
//! page generated from the same clap definitions as `--help`; each is checked by the
//! tool that reads it when that tool is installed (bash -n, zsh -n, fish -n, man -l).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_icims-onboard"))
        .args(args)
        .env("ICIMS_ONBOARD_LOG", "/dev/null")
        .output()
        .unwrap()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Feeds `text` to `tool args…` on stdin; `None` when the tool is not installed.
fn check_with(tool: &str, args: &[&str], text: &[u8]) -> Option<Output> {
    let mut child = match Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => {
            eprintln!("{tool} not installed: its check of the output is not run");
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(text).unwrap();
    Some(child.wait_with_output().unwrap())
}

#[test]
fn completions_for_bash_zsh_and_fish_name_every_command() {
    for (shell, marker, checker) in [
        ("bash", "_icims__onboard()", "bash"),
        ("zsh", "#compdef icims-onboard", "zsh"),
        ("fish", "complete -c icims-onboard", "fish"),
    ] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8(out.stdout.clone()).unwrap();
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        for word in [
            "team",
            "creds",
            "check",
            "export",
            "fetch",
            "mapping",
            "worker",
            "completions",
            "concurrency",
            "accept-host-key",
        ] {
            assert!(text.contains(word), "{shell} completions lack {word:?}");
        }
        // The shell itself parses the script.
        if let Some(parsed) = check_with(checker, &["-n"], &out.stdout) {
            assert!(
                parsed.status.success(),
                "{checker} -n rejects the script: {}",
                String::from_utf8_lossy(&parsed.stderr)
            );
        } else if checker == "bash" && in_ci() {
            panic!("bash is required in CI");
        }
    }
    // An unknown shell is a usage error, on one line.
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("tcsh"), "{err}");
}

#[test]
fn man_page_documents_every_subcommand_and_renders() {
    let out = run(&["man"]);
    assert!(out.status.success(), "{out:?}");
    let roff = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        roff.contains(".TH icims-onboard 1"),
        "{}",
        &roff[..200.min(roff.len())]
    );
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH \"ICIMS\\-ONBOARD EXPORT FETCH\"",
        ".SH \"ICIMS\\-ONBOARD CHECK\"",
        ".SH \"ICIMS\\-ONBOARD COMPLETIONS\"",
        ".SH FILES",
        ".SH EXIT STATUS",
    ] {
        assert!(roff.contains(section), "man page lacks {section}");
    }
    assert!(roff.contains("concurrency"));
    // demo's options, the slow tenant's among them.
    assert!(
        roff.contains(".SH \"ICIMS\\-ONBOARD DEMO\""),
        "man page lacks demo"
    );
    assert!(
        roff.contains("\\fB\\-\\-latency\\-ms\\fR \\fI<MS>\\fR"),
        "man page lacks demo --latency-ms <MS>"
    );
    // man renders it without complaint.
    match check_with("man", &["-l", "-"], &out.stdout) {
        Some(rendered) => {
            let text = String::from_utf8_lossy(&rendered.stdout);
            assert!(rendered.status.success(), "{rendered:?}");
            assert!(text.contains("export fetch"), "{text}");
            let warnings = String::from_utf8_lossy(&rendered.stderr);
            assert!(!warnings.contains("warning"), "{warnings}");
        }
        None if in_ci() => panic!("man is required in CI"),
        None => {}
    }
}
