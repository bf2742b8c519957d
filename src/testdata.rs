//! What tests need beside the checkout: `../shared/data`, which CI always has, and programs
//! `.ci/run` installs (Chromium, PySpark). A test without them skips with one line on stderr
//! saying what it skipped and why (a fresh clone), and fails under `CI=true`. The end-to-end tests include this file
//! too (`tests/common`), so the rule is written once.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// `../shared/data/<rel>`, or `None` (after saying so) when it is not there.
pub fn shared_data(test: &str, rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    skip(
        test,
        &format!(
            "{} is not beside this checkout (../shared comes with CI)",
            path.display()
        ),
    );
    None
}

/// Say on stderr that `test` did not run and why; under `CI=true`, where everything a test
/// needs is there (`.ci/run` installs it), fail instead.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{test} cannot run under CI=true: {why}"
    );
    // Written to the stream itself, not through `eprintln!`, which the test harness captures.
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
}

/// Every YAML object text recorded in the files under `roots`: each string that starts as a
/// YAML object does (`apiVersion:`), in a JSON file, in each line of a JSON Lines file, and in
/// JSON held in such strings (an MCP result's text), sorted, each once.
pub fn recorded_yaml_texts(roots: &[PathBuf]) -> Vec<String> {
    recorded_strings(roots, |s| s.trim_start().starts_with("apiVersion:"))
}

/// Every string recorded in the files under `roots` that `keep` takes: in a JSON file, in each
/// line of a JSON Lines file, and in JSON held in such strings (an MCP result's text), sorted,
/// each once.
pub fn recorded_strings(roots: &[PathBuf], keep: impl Fn(&str) -> bool) -> Vec<String> {
    use serde_json::Value;
    fn walk(v: &Value, keep: &dyn Fn(&str) -> bool, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                if keep(s) {
                    out.push(s.clone());
                }
                if s.trim_start().starts_with(['{', '['])
                    && let Ok(inner) = serde_json::from_str::<Value>(s)
                {
                    walk(&inner, keep, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, keep, out)),
            Value::Object(m) => m.values().for_each(|x| walk(x, keep, out)),
            _ => {}
        }
    }
    let mut texts = Vec::new();
    for root in roots {
        for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => walk(&v, &keep, &mut texts),
                Err(_) => text
                    .lines()
                    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                    .for_each(|v| walk(&v, &keep, &mut texts)),
            }
        }
    }
    texts.sort();
    texts.dedup();
    texts
}
