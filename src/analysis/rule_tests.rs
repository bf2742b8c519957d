//! `kubeautopsy rules test`: every rule runs on its fixtures (small traces next to the rule file,
//! in `fixtures/<rule id>/`), each saying where the rule must fire:
//! `"meta": {"rule_test": {"fires_at": [5]}}` (an empty list: a near miss where it must not).
//! A fixture may name its scenario file instead of embedding the scenario:
//! `"meta": {"rule_test": {"scenario": "../scenario.json"}}` (relative to the fixture; a
//! standalone scenario document), so that the fixtures of a pack share one.
//! Strict: a fixture where the rule must fire passes only if it fired at exactly those seqs; a
//! near miss passes only if the rule was evaluated there and passed (not applicable is not a
//! pass); a rule without a positive and a near-miss fixture fails.

use super::Analyzer;
use crate::rules::eval::RuleOutcome;
use crate::rules::fixture_dir;
use crate::trace::{DocKind, Document};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct FixtureResult {
    pub file: String,
    pub expected: Vec<u64>,
    pub got: Vec<u64>,
    /// Why the fixture failed, if it did.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub rule: String,
    pub fixtures: Vec<FixtureResult>,
    /// Problems of the rule as a whole (no positive or no negative fixture).
    pub problems: Vec<String>,
}

impl RuleResult {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.fixtures.iter().all(|f| f.problem.is_none())
    }
}

/// Run every rule of the analyzer's set on its fixtures (each judged by the whole set, with
/// the scenario it embeds or names).
pub fn run(analyzer: &Analyzer) -> Vec<RuleResult> {
    analyzer
        .rules
        .rules
        .iter()
        .map(|lr| {
            let dir = fixture_dir(&lr.file, &lr.rule.id);
            let files = crate::rules::fixture_files(&lr.file, &lr.rule.id);
            let mut result = RuleResult {
                rule: lr.rule.id.clone(),
                fixtures: Vec::new(),
                problems: Vec::new(),
            };
            for f in files {
                result.fixtures.push(run_fixture(analyzer, &lr.rule.id, &f));
            }
            let positives = result
                .fixtures
                .iter()
                .filter(|f| !f.expected.is_empty())
                .count();
            let negatives = result
                .fixtures
                .iter()
                .filter(|f| f.expected.is_empty() && f.problem.as_deref() != Some("unreadable"))
                .count();
            if positives == 0 {
                result.problems.push(format!(
                    "no fixture where the rule must fire (in {})",
                    dir.display()
                ));
            }
            if negatives == 0 {
                result.problems.push(format!(
                    "no near-miss fixture where the rule must not fire (in {})",
                    dir.display()
                ));
            }
            result
        })
        .collect()
}

fn run_fixture(analyzer: &Analyzer, rule: &str, path: &Path) -> FixtureResult {
    let file = path.display().to_string();
    let fail = |msg: String| FixtureResult {
        file: file.clone(),
        expected: Vec::new(),
        got: Vec::new(),
        problem: Some(msg),
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(format!("unreadable: {e}")),
    };
    let mut doc = match crate::trace::parse_record(&bytes) {
        Ok(d) => d,
        Err(e) => return fail(format!("not a valid trace: {}", e.problem.message)),
    };
    if let Err(problem) = attach_scenario(&mut doc, path) {
        return fail(problem);
    }
    let judgement = match crate::trace::view(&doc, |t| analyzer.run(t).judgement) {
        Ok(j) => j,
        Err(p) => return fail(p.message.clone()),
    };
    let Some(expected) = doc
        .value
        .pointer("/meta/rule_test/fires_at")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64())
                .collect::<BTreeSet<u64>>()
        })
    else {
        return fail(
            "no meta.rule_test.fires_at (the seqs where the rule must fire; [] for a near miss)"
                .into(),
        );
    };
    let got: BTreeSet<u64> = judgement
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .filter_map(|f| f.seq.or(Some(0)))
        .collect();
    let outcome = judgement
        .outcomes
        .iter()
        .find(|(id, _)| id == rule)
        .map(|(_, o)| *o);
    let problem = if got != expected {
        let missing: Vec<u64> = expected.difference(&got).copied().collect();
        let unexpected: Vec<u64> = got.difference(&expected).copied().collect();
        Some(format!(
            "missing hits at seq {missing:?}, unexpected hits at seq {unexpected:?}"
        ))
    } else if expected.is_empty() && outcome != Some(RuleOutcome::Passed) {
        Some(
            "never evaluated: not applicable is not a pass. The rule did not fire, but nothing it \
             judges happened (no change, operation or run where its condition was known): a near \
             miss must do what the rule looks at, without the unsafe part"
                .to_string(),
        )
    } else {
        None
    };
    FixtureResult {
        file,
        expected: expected.into_iter().collect(),
        got: got.into_iter().collect(),
        problem,
    }
}

/// A fixture that names its scenario file (`meta.rule_test.scenario`, relative to the fixture)
/// gets that scenario as its embedded one, as if the trace held it: the file must be a valid
/// standalone scenario document (it is validated by the same schema as an embedded scenario).
fn attach_scenario(doc: &mut Document, fixture: &Path) -> Result<(), String> {
    let Some(named) = doc.value.pointer("/meta/rule_test/scenario") else {
        return Ok(());
    };
    let Some(name) = named.as_str() else {
        return Err(format!(
            "meta.rule_test.scenario must be the path of a scenario file (relative to the \
             fixture), not {named}"
        ));
    };
    if doc.value.get("scenario").is_some() {
        return Err(format!(
            "the trace embeds a scenario and meta.rule_test.scenario names one ({name}): keep one"
        ));
    }
    let path = fixture.parent().unwrap_or(Path::new(".")).join(name);
    let shown = path.display();
    let bytes = std::fs::read(&path).map_err(|e| format!("scenario file {shown}: {e}"))?;
    let scenario = crate::trace::parse_record(&bytes)
        .map_err(|e| format!("scenario file {shown}: {}", e.problem.message))?;
    if scenario.kind != DocKind::Scenario {
        return Err(format!(
            "scenario file {shown} is not a scenario document (its `schema` must be \
             \"kubeautopsy.scenario/v1\")"
        ));
    }
    match doc.value.as_object_mut() {
        Some(root) => {
            root.insert("scenario".to_string(), scenario.value);
            Ok(())
        }
        None => Err("the trace is not a JSON object".to_string()),
    }
}

/// JUnit XML of the results (one test case per fixture, one per rule-level problem).
pub fn junit(results: &[RuleResult]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let tests: usize = results
        .iter()
        .map(|r| r.fixtures.len() + r.problems.len())
        .sum();
    let failures: usize = results
        .iter()
        .map(|r| r.fixtures.iter().filter(|f| f.problem.is_some()).count() + r.problems.len())
        .sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kubeautopsy rules test\" tests=\"{tests}\" failures=\"{failures}\">\n"
    );
    for r in results {
        let rf = r.fixtures.iter().filter(|f| f.problem.is_some()).count() + r.problems.len();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{rf}\">\n",
            esc(&r.rule),
            r.fixtures.len() + r.problems.len()
        ));
        for f in &r.fixtures {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                esc(&r.rule),
                esc(&f.file)
            ));
            match &f.problem {
                None => out.push_str("/>\n"),
                Some(p) => {
                    out.push_str(&format!("><failure message=\"{}\"/></testcase>\n", esc(p)))
                }
            }
        }
        for p in &r.problems {
            out.push_str(&format!("    <testcase classname=\"{}\" name=\"fixtures\"><failure message=\"{}\"/></testcase>\n", esc(&r.rule), esc(p)));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture document whose `meta.rule_test.scenario` is `named` (JSON text).
    fn fixture(named: &str, embedded: bool) -> Document {
        let scenario = if embedded {
            r#", "scenario": {"id": "s"}"#
        } else {
            ""
        };
        let text = format!(
            r#"{{"schema": "kubeautopsy.trace/v1", "run": {{"id": "r"}}, "events": []{scenario}, "meta": {{"rule_test": {{"fires_at": [], "scenario": {named}}}}}}}"#
        );
        crate::trace::parse_record(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_fixture_gets_the_scenario_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("KA-T-001")).unwrap();
        std::fs::write(
            d.join("scenario.json"),
            r#"{"schema": "kubeautopsy.scenario/v1", "id": "s", "namespaces": ["bench"]}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("trace.json"),
            r#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "t"}, "events": []}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("bad.json"),
            r#"{"schema": "kubeautopsy.scenario/v1", "id": "s", "nope": 1}"#,
        )
        .unwrap();
        let at = d.join("KA-T-001/f.json");
        let mut doc = fixture(r#""../scenario.json""#, false);
        attach_scenario(&mut doc, &at).unwrap();
        let namespaces = crate::trace::view(&doc, |t| {
            t.scenario.and_then(|s| s.get("namespaces")).cloned()
        })
        .unwrap();
        assert_eq!(namespaces, Some(serde_json::json!(["bench"])));
        for (named, embedded, want) in [
            (r#""../missing.json""#, false, "missing.json"),
            (r#""../trace.json""#, false, "is not a scenario document"),
            (r#""../bad.json""#, false, "bad.json"),
            ("3", false, "must be the path of a scenario file"),
            (r#""../scenario.json""#, true, "keep one"),
        ] {
            let mut doc = fixture(named, embedded);
            let e = attach_scenario(&mut doc, &at).unwrap_err();
            assert!(e.contains(want), "{named}: {e}");
        }
        // Without `meta.rule_test.scenario`, nothing changes.
        let mut plain = crate::trace::parse_record(
            br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": []}"#,
        )
        .unwrap();
        attach_scenario(&mut plain, &at).unwrap();
        assert!(plain.value.get("scenario").is_none());
    }
}
