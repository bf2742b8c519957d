//! `kubeautopsy rules test`: every rule runs on its fixtures (small traces next to the rule file,
//! in `fixtures/<rule id>/`), each saying where the rule must fire:
//! `"meta": {"rule_test": {"fires_at": [5]}}` (an empty list: a near miss where it must not).
//! Strict: a missing or unexpected hit fails, and so does a rule without a positive and a
//! negative fixture.

use super::Analyzer;
use crate::rules::fixture_dir;
use serde::Serialize;
use std::collections::BTreeSet;

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
/// the scenario it embeds).
pub fn run(analyzer: &Analyzer) -> Vec<RuleResult> {
    analyzer
        .rules
        .rules
        .iter()
        .map(|lr| {
            let dir = fixture_dir(&lr.file, &lr.rule.id);
            let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
                .map(|d| {
                    d.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "json"))
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
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

fn run_fixture(analyzer: &Analyzer, rule: &str, path: &std::path::Path) -> FixtureResult {
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
    let doc = match crate::trace::parse_record(&bytes) {
        Ok(d) => d,
        Err(e) => return fail(format!("not a valid trace: {}", e.problem.message)),
    };
    let trace = match crate::trace::view(&doc) {
        Ok(t) => t,
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
    let got: BTreeSet<u64> = analyzer
        .run(&trace)
        .judgement
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .filter_map(|f| f.seq.or(Some(0)))
        .collect();
    let problem = (got != expected).then(|| {
        let missing: Vec<u64> = expected.difference(&got).copied().collect();
        let unexpected: Vec<u64> = got.difference(&expected).copied().collect();
        format!("missing hits at seq {missing:?}, unexpected hits at seq {unexpected:?}")
    });
    FixtureResult {
        file,
        expected: expected.into_iter().collect(),
        got: got.into_iter().collect(),
        problem,
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
