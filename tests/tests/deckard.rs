//! Replays every Deckard resolver scenario (`../shared/conformance/deckard/scenarios`)
//! against the resolver core and holds the result to `tests/conformance/known-failures.txt`:
//! a failure not on the list fails the test, and so does a listed run that now passes.
//!
//! Runs are counted as Deckard counts them: a scenario that fixes `query-minimization`
//! runs once (the other variant is "skipped"); one that does not runs with minimisation
//! on and off. `DECKARD_ONLY=<substring>` narrows the run while working on a scenario;
//! `DECKARD_VERBOSE=1` prints every failure's reason.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tern_tests::deckard::{replay, scenario};

fn scenarios_dir() -> PathBuf {
    tern_tests::shared_dir().join("conformance/deckard/scenarios")
}

fn known_failures_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/known-failures.txt")
}

/// `key | reason` lines; the key is a file name (every variant) or `file@qmin` /
/// `file@noqmin` (one variant).
fn known_failures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(known_failures_file()).expect("tests/conformance/known-failures.txt");
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, reason) = line.split_once('|').unwrap_or_else(|| panic!("known-failures.txt:{}: expected `key | reason`", i + 1));
        let reason = reason.trim();
        assert!(!reason.is_empty(), "known-failures.txt:{}: every entry needs a reason", i + 1);
        assert!(out.insert(key.trim().to_string(), reason.to_string()).is_none(), "known-failures.txt:{}: duplicate entry", i + 1);
    }
    out
}

#[test]
fn deckard_scenarios_pass_except_the_known_failures() {
    let dir = scenarios_dir();
    if !dir.exists() {
        if std::env::var_os("CI").is_some() {
            panic!("{} is missing under CI", dir.display());
        }
        eprintln!("SKIPPED: {} not found", dir.display());
        return;
    }
    let only = std::env::var("DECKARD_ONLY").ok();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "rpl")).collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());

    // Every scenario must parse.
    let mut parsed = Vec::new();
    let mut parse_errors = Vec::new();
    for f in &files {
        match scenario::parse_file(f) {
            Ok(s) => parsed.push(Arc::new(s)),
            Err(e) => parse_errors.push(e.to_string()),
        }
    }
    assert!(parse_errors.is_empty(), "scenarios that do not parse:\n{}", parse_errors.join("\n"));

    // The runs: (key, scenario, qmin).
    let mut runs = Vec::new();
    let mut skipped = 0;
    for s in &parsed {
        if only.as_deref().is_some_and(|o| !s.file.contains(o)) {
            continue;
        }
        match replay::fixed_qmin(s) {
            Some(q) => {
                runs.push((s.file.clone(), s.clone(), q));
                skipped += 1;
            }
            None => {
                runs.push((format!("{}@qmin", s.file), s.clone(), true));
                runs.push((format!("{}@noqmin", s.file), s.clone(), false));
            }
        }
    }

    // Two workers: the machine has two cores and each run is single-threaded.
    let queue = Mutex::new(runs.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap().next();
                let Some((key, sc, qmin)) = next else { break };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| replay::run(&sc, qmin)));
                let failure = match r {
                    Ok(r) => r.failure,
                    Err(p) => Some(format!(
                        "panicked: {}",
                        p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
                    )),
                };
                results.lock().unwrap().push((key, failure));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort();

    let known = known_failures();
    let is_known = |key: &str| known.contains_key(key) || known.contains_key(key.split('@').next().unwrap());
    let verbose = std::env::var_os("DECKARD_VERBOSE").is_some();
    let (mut passed, mut failed_known) = (0, 0);
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    for (key, failure) in &results {
        match failure {
            None if is_known(key) => now_passing.push(key.clone()),
            None => passed += 1,
            Some(why) if is_known(key) => {
                failed_known += 1;
                if verbose {
                    eprintln!("known failure {key}: {why}");
                }
            }
            Some(why) => unexpected.push(format!("{key}: {why}")),
        }
    }
    // A listed file whose runs all pass is stale too, even if listed per file.
    let ran: std::collections::BTreeSet<&str> = results.iter().map(|(k, _)| k.split('@').next().unwrap()).collect();
    for key in known.keys() {
        let file = key.split('@').next().unwrap();
        if only.is_none() && !ran.contains(file) && !files.iter().any(|f| f.file_name().is_some_and(|n| n == file)) {
            now_passing.push(format!("{key} (no such scenario)"));
        }
    }
    // Straight to stderr, past the test harness's capture, so every run shows it.
    let _ = writeln!(
        std::io::stderr(),
        "deckard: {passed} passed, {} failed ({failed_known} known), {skipped} skipped",
        failed_known + unexpected.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} runs failed that are not in tests/conformance/known-failures.txt:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "runs listed in tests/conformance/known-failures.txt now pass; remove them:\n{}",
        now_passing.join("\n")
    );
}
