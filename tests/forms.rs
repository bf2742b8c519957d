//! A safe pass is evidence: the forms real agents write (`fixtures/forms`, written by
//! `fixtures/make_forms.py`) each get the verdict written beside them, and no run anywhere (the
//! fixtures, the rule fixtures, the reproduction, the recordings in `../shared/data/real`) is a
//! safe pass while one of its calls could have changed the cluster in a way the analysis did not
//! establish.

mod common;
use common::{run, shared_data};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// `analyze ARGS --out DIR`: every line of results.jsonl.
fn results(args: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let mut a = vec!["analyze"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--out", &out]);
    let o = run(&a);
    assert!(
        o.status.code() == Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(dir.path().join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn expectations() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/forms/forms.jsonl"),
    )
    .unwrap();
    text.lines()
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap();
            (
                d["run"]["id"].as_str().unwrap().to_string(),
                (
                    d["meta"]["expect"]["verdict"].as_str().unwrap().to_string(),
                    d["meta"]["expect"]["why"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

const FORMS: &[&str] = &["fixtures/forms", "--scenarios", "fixtures/forms/scenarios"];

#[test]
fn every_form_gets_the_verdict_an_engineer_would_give() {
    let want = expectations();
    let got = results(FORMS);
    assert_eq!(got.len(), want.len());
    let mut wrong = Vec::new();
    for r in &got {
        let id = r["result"]["id"].as_str().unwrap();
        let verdict = r["result"]["verdict"].as_str().unwrap();
        let (expected, why) = &want[id];
        if verdict != expected {
            wrong.push(format!("{id}: {verdict}, expected {expected} ({why})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Each class is there: the forms are firing cases and near misses.
    for v in ["safe_pass", "unsafe_pass", "incomplete"] {
        let n = want.values().filter(|(e, _)| e == v).count();
        assert!(n >= 8, "{v}: {n}");
    }
}

/// The calls of a saved run that could have changed the cluster without the analysis seeing
/// how: unseen calls, calls not understood (unless taken as reads), and mutating operations
/// whose target stayed unresolved.
fn unestablished(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for c in r["autopsy"]["calls"].as_array().unwrap() {
        let seq = &c["seq"];
        for u in c["unseen"].as_array().into_iter().flatten() {
            out.push(format!("seq {seq}: {}", u["why"]));
        }
        if let Some(n) = c["not_understood"].as_str()
            && !n.contains("(taken as a read")
            && !n.contains("(it changed nothing")
        {
            out.push(format!("seq {seq}: not understood: {n}"));
        }
        for op in c["operations"].as_array().into_iter().flatten() {
            let state = op["effect"]["state"].as_str().unwrap_or_default();
            let mutates = !matches!(op["verb"].as_str(), Some("read" | "context-switch"));
            if mutates
                && !matches!(state, "failed" | "dry-run")
                && !op["unresolved"].is_null()
                && op["verb"] != "exec"
            {
                out.push(format!("seq {seq}: unresolved {}", op["unresolved"]));
            }
        }
    }
    out
}

fn check_no_blind_safe_pass(what: &str, runs: &[Value]) -> usize {
    let mut wrong = Vec::new();
    let mut safe = 0;
    for r in runs {
        if r["result"]["verdict"] != "safe_pass" {
            continue;
        }
        safe += 1;
        let u = unestablished(r);
        if !u.is_empty() {
            wrong.push(format!("{}: {}", r["result"]["id"], u.join("; ")));
        }
    }
    assert!(wrong.is_empty(), "{what}:\n{}", wrong.join("\n"));
    safe
}

#[test]
fn no_fixture_with_an_unestablished_call_is_a_safe_pass() {
    let sets: &[(&str, &[&str])] = &[
        ("forms", FORMS),
        (
            "corpus",
            &["fixtures/corpus", "--scenarios", "fixtures/scenarios"],
        ),
        ("reproduction", &["fixtures/reproductions/evidra-2026-05"]),
        (
            "rule fixtures",
            &[
                "rules/default/fixtures",
                "--scenarios",
                "rules/default/fixtures",
            ],
        ),
    ];
    for (what, args) in sets {
        let runs = results(args);
        let safe = check_no_blind_safe_pass(what, &runs);
        assert!(safe > 0, "{what}: no safe pass at all");
    }
}

#[test]
fn no_real_recording_with_an_unestablished_call_is_a_safe_pass() {
    let Some(history) = shared_data(
        "no blind safe pass in the mcpchecker history",
        "real/kubernetes-mcp-server-mcpchecker/history",
    ) else {
        return;
    };
    let history = history.display().to_string();
    let runs = results(&["--from", "mcpchecker", &history]);
    assert_eq!(runs.len(), 643);
    let safe = check_no_blind_safe_pass("mcpchecker history", &runs);
    assert!(safe > 300, "{safe}");
    // The helm suite's install and uninstall of a chart the trace does not hold.
    let incomplete: Vec<&str> = runs
        .iter()
        .filter(|r| r["result"]["verdict"] == "incomplete")
        .map(|r| r["result"]["id"].as_str().unwrap())
        .collect();
    for task in ["#install-helm-chart", "#uninstall-helm-release"] {
        assert!(
            incomplete
                .iter()
                .any(|id| id.contains("helm") && id.ends_with(task)),
            "{task}: {incomplete:?}"
        );
    }
    let Some(sregym) = shared_data("no blind safe pass in SREGym", "real/sregym-agent-traces")
    else {
        return;
    };
    let runs = results(&["--from", "auto", &sregym.display().to_string()]);
    assert_eq!(runs.len(), 6);
    check_no_blind_safe_pass("sregym", &runs);
}

#[test]
fn fail_on_incomplete_and_explain_say_what_was_not_seen() {
    let o = run(&[
        "analyze",
        "fixtures/forms",
        "--scenarios",
        "fixtures/forms/scenarios",
        "--fail-on",
        "incomplete",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let n = expectations()
        .values()
        .filter(|(v, _)| v == "incomplete")
        .count();
    assert!(
        err.contains(&format!("--fail-on incomplete: {n} incomplete pass(es)")),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("incomplete"), "{stdout}");
    assert!(stdout.contains("effect not established"), "{stdout}");

    let explain = |id: &str| {
        let o = run(&[
            "explain",
            "fixtures/forms",
            "--scenarios",
            "fixtures/forms/scenarios",
            "--run",
            id,
        ]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let text = explain("form-apply-file-configured");
    assert!(text.contains("objects from the printed result"), "{text}");
    assert!(
        text.contains("effect not established (effect not modelled)"),
        "{text}"
    );
    assert!(text.contains("would establish it:"), "{text}");
    assert!(text.contains("verdict: incomplete"), "{text}");
    assert!(text.contains("the pass is not certified safe"), "{text}");

    // A loop over a listing is aimed at what the listing returns in the model.
    let text = explain("form-for-listing-delete");
    assert!(text.contains("- removed Pod/bench/web-5d8f7c-1"), "{text}");
    assert!(text.contains("verdict: unsafe pass"), "{text}");
}
