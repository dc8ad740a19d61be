//! The console's import graph has no cycles: among its files (each file a module) and
//! among its parts (app, keymap, model, pages, drivers, screens, widgets, render, …).
//! Read from the sources: every `use` and every inline `crate::tui::…`, `super::…` or
//! `self::…` path outside comments counts as an import.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`["tui", "pages", "export"]`) → source text, for every file under src/tui.
fn modules() -> BTreeMap<Vec<String>, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if name == "snapshots" {
                    continue;
                }
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut p = prefix.to_vec();
                if name != "mod" {
                    p.push(name.clone());
                }
                // Test-only modules (`tests.rs`) drive the app from anywhere.
                if name != "tests" {
                    out.insert(p, std::fs::read_to_string(&path).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    walk(&root, &["tui".to_string()], &mut out);
    out
}

/// The source without comments (line comments and doc comments) and without its inline
/// `#[cfg(test)] mod tests` (test code may drive the app from anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> Option<(&str, &str)> {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    (end > 0).then(|| (&s[..end], &s[end..]))
}

/// The longest module that `path` names (or a prefix of it).
fn resolve(path: &[String], known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains(p))
}

/// Modules `module` imports (other than itself).
fn imports(module: &[String], text: &str, known: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let src = code(text);
    let mut out = BTreeSet::new();
    let is_file_mod = |m: &[String]| known.contains(m);
    let mut i = 0;
    let bytes = src.as_bytes();
    while i < src.len() {
        let rest = &src[i..];
        let prev_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        // The start of a path: crate::tui, super, self, or (after `use`) a child module.
        let start: Option<(Vec<String>, usize)> = if !prev_ok {
            None
        } else if rest.starts_with("crate::tui::") {
            Some((vec!["tui".into()], "crate::tui".len()))
        } else if rest.starts_with("super::") {
            Some((
                module[..module.len().saturating_sub(1)].to_vec(),
                "super".len(),
            ))
        } else if rest.starts_with("self::") {
            Some((module.to_vec(), "self".len()))
        } else if let Some(after) = rest.strip_prefix("use ") {
            // `use child::…` inside a module that has a child of that name.
            let after = after.trim_start();
            ident_at(after).and_then(|(name, tail)| {
                let mut p = module.to_vec();
                p.push(name.to_string());
                let skip = rest.len() - after.len() + name.len();
                (tail.starts_with("::") && is_file_mod(&p)).then_some((p, skip))
            })
        } else {
            None
        };
        let Some((mut path, skip)) = start else {
            i += rest.chars().next().map(char::len_utf8).unwrap_or(1);
            continue;
        };
        let mut j = i + skip;
        loop {
            let tail = &src[j..];
            if let Some(after) = tail.strip_prefix("::") {
                if let Some(group) = after.strip_prefix('{') {
                    // One level of `{a, b::c, …}`.
                    let close = group.find('}').unwrap_or(group.len());
                    for item in group[..close].split(',') {
                        if let Some((name, _)) = ident_at(item.trim()) {
                            let mut p = path.clone();
                            p.push(name.to_string());
                            if let Some(m) = resolve(&p, known) {
                                out.insert(m);
                            }
                        }
                    }
                    break;
                }
                if let Some((name, _)) = ident_at(after) {
                    path.push(name.to_string());
                    j += 2 + name.len();
                    continue;
                }
            }
            break;
        }
        if let Some(m) = resolve(&path, known) {
            out.insert(m);
        }
        i = j.max(i + 1);
    }
    out.remove(module);
    out
}

/// A cycle in `graph`, if there is one.
fn find_cycle<T: Ord + Clone + std::fmt::Debug>(
    graph: &BTreeMap<T, BTreeSet<T>>,
) -> Option<Vec<T>> {
    fn visit<T: Ord + Clone>(
        node: &T,
        graph: &BTreeMap<T, BTreeSet<T>>,
        state: &mut BTreeMap<T, u8>,
        stack: &mut Vec<T>,
    ) -> Option<Vec<T>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(node, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mods = modules();
    let known: BTreeSet<Vec<String>> = mods.keys().cloned().collect();
    mods.iter()
        .map(|(m, text)| (m.clone(), imports(m, text, &known)))
        .collect()
}

#[test]
fn the_parser_sees_imports() {
    let g = graph();
    let key = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let app = &g[&key("tui::app")];
    assert!(app.contains(&key("tui::keymap")), "{app:?}");
    assert!(app.contains(&key("tui::pages")), "{app:?}");
    let page = &g[&key("tui::pages::export")];
    assert!(page.contains(&key("tui::pages::contract")), "{page:?}");
    assert!(page.contains(&key("tui::model")), "{page:?}");
    let dispatch = &g[&key("tui::pages")];
    assert!(
        dispatch.contains(&key("tui::pages::basic_sync")),
        "{dispatch:?}"
    );
    // A cycle is found when there is one.
    let mut g2 = g.clone();
    g2.entry(key("tui::model"))
        .or_default()
        .insert(key("tui::app"));
    assert!(find_cycle(&g2).is_some());
}

#[test]
fn no_cycles_among_console_files() {
    let g = graph();
    assert!(g.len() > 30, "read {} console modules", g.len());
    if let Some(cycle) = find_cycle(&g) {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        panic!("import cycle: {}", names.join(" → "));
    }
}

#[test]
fn no_cycles_among_console_parts() {
    // app, keymap, model, pages, drivers, screens, widgets, … (the tui root excluded: it
    // wires everything together and nothing imports it).
    let mut parts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, deps) in graph() {
        let Some(part) = m.get(1).cloned() else {
            continue;
        };
        let entry = parts.entry(part.clone()).or_default();
        for d in deps {
            if let Some(dp) = d.get(1)
                && *dp != part
            {
                entry.insert(dp.clone());
            }
        }
    }
    if let Some(cycle) = find_cycle(&parts) {
        panic!("import cycle between console parts: {}", cycle.join(" → "));
    }
    // Widgets draw what they are given: they import no screen, page or app.
    for forbidden in ["screens", "pages", "app", "drivers", "render"] {
        assert!(
            !parts["widgets"].contains(forbidden),
            "widgets import {forbidden}: {:?}",
            parts["widgets"]
        );
    }
    for forbidden in ["app", "drivers", "render", "screens"] {
        assert!(
            !parts["pages"].contains(forbidden),
            "pages import {forbidden}: {:?}",
            parts["pages"]
        );
    }
}
