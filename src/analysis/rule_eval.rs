//! `kubeautopsy rules eval`: rules measured against labelled runs. A labels file
//! (`kubeautopsy.labels/v1`) gives, per run id, the verdict a reviewer reached and optionally
//! the rules that should fire; the analysed runs are compared with it, overall (an unsafe pass
//! is a positive) and per rule, with Wilson intervals and the runs behind every error.

use crate::rules::Severity;
use crate::run_result::RunResult;
use crate::verdict::{Share, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const LABELS_SCHEMA: &str = "kubeautopsy.labels/v1";

/// A labels file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub schema: String,
    pub runs: BTreeMap<String, Label>,
}

/// What a reviewer says about one run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// safe_pass, unsafe_pass, incomplete, fail or unknown.
    pub verdict: String,
    /// Rules that must fire on the run (all others must not); absent: not said.
    #[serde(default)]
    pub rules: Option<Vec<String>>,
    /// What makes the run unsafe, in plain words.
    #[serde(default)]
    pub concerns: Vec<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

impl Labels {
    /// Parse and check a labels file: the schema name and every verdict code.
    pub fn parse(file: &str, text: &str) -> Result<Labels, String> {
        let l: Labels = serde_saphyr::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        if l.schema != LABELS_SCHEMA {
            return Err(format!(
                "{file}: schema is `{}`, expected `{LABELS_SCHEMA}`",
                l.schema
            ));
        }
        for (id, label) in &l.runs {
            if Verdict::from_code(&label.verdict).is_none() {
                return Err(format!(
                    "{file}: /runs/{id}/verdict: `{}` is not a verdict (safe_pass, unsafe_pass, \
                     incomplete, fail, unknown)",
                    label.verdict
                ));
            }
        }
        Ok(l)
    }
}

/// Counts of one detector (the verdict, or one rule) against the labels.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub tn: u64,
    /// Runs it flagged that the labels call safe.
    pub false_positives: Vec<String>,
    /// Runs the labels call unsafe (or name this rule for) that it did not flag.
    pub false_negatives: Vec<String>,
    /// Whether false negatives can be known (a rule's are only where labels name it).
    pub recall_known: bool,
    /// The true positives recall is measured over: every one for the verdict; for a rule, those
    /// on runs whose label names it (`tp` also counts the unsafe passes it flagged where the
    /// label names no rules, which say nothing of what it missed).
    #[serde(skip)]
    pub recall_tp: u64,
}

impl Counts {
    pub fn precision(&self) -> Share {
        Share::wilson(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> Option<Share> {
        self.recall_known
            .then(|| Share::wilson(self.recall_tp, self.recall_tp + self.fn_))
    }
}

/// One labelled run compared.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    pub run: String,
    pub label: String,
    pub verdict: String,
    pub fired: Vec<String>,
    /// Rules the label names that did not fire, and rules that fired that it does not name.
    pub missing_rules: Vec<String>,
    pub unexpected_rules: Vec<String>,
    pub reason: Option<String>,
}

impl Compared {
    pub fn agrees(&self) -> bool {
        self.label == self.verdict
            && self.missing_rules.is_empty()
            && self.unexpected_rules.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub labelled: usize,
    pub agreeing: usize,
    /// Labelled runs that no analysed run matched.
    pub unmatched_labels: Vec<String>,
    /// Analysed runs without a label.
    pub unlabelled: usize,
    /// (label verdict, analysed verdict) → runs.
    pub confusion: BTreeMap<String, BTreeMap<String, u64>>,
    /// An unsafe pass as the positive, over runs both sides call passed.
    pub overall: Counts,
    pub rules: BTreeMap<String, Counts>,
    pub runs: Vec<Compared>,
}

/// Compare analysed runs with labels. `unsafe_at`: the severity from which a finding makes a
/// run unsafe (a rule firing below it on a run labelled safe is not an error). `rule_ids`:
/// every loaded rule, so that a rule that never fired still has a row.
pub fn evaluate(
    results: &[&RunResult],
    labels: &Labels,
    unsafe_at: Severity,
    rule_ids: &[String],
) -> Evaluation {
    let by_id: BTreeMap<&str, &RunResult> =
        results.iter().map(|r| (r.head.id.as_str(), *r)).collect();
    let mut ev = Evaluation {
        labelled: 0,
        agreeing: 0,
        unmatched_labels: Vec::new(),
        unlabelled: results
            .iter()
            .filter(|r| !labels.runs.contains_key(&r.head.id))
            .count(),
        confusion: BTreeMap::new(),
        overall: Counts {
            recall_known: true,
            ..Counts::default()
        },
        rules: rule_ids
            .iter()
            .map(|id| (id.clone(), Counts::default()))
            .collect(),
        runs: Vec::new(),
    };
    for (id, label) in &labels.runs {
        let Some(r) = by_id.get(id.as_str()) else {
            ev.unmatched_labels.push(id.clone());
            continue;
        };
        ev.labelled += 1;
        let want = Verdict::from_code(&label.verdict).unwrap_or(Verdict::Unknown);
        *ev.confusion
            .entry(want.code().to_string())
            .or_default()
            .entry(r.verdict.code().to_string())
            .or_default() += 1;
        // Overall: over runs both call passed.
        if want.passed() && r.verdict.passed() && want != Verdict::Incomplete {
            let positive = want == Verdict::UnsafePass;
            let flagged = r.verdict == Verdict::UnsafePass;
            let o = &mut ev.overall;
            match (positive, flagged) {
                (true, true) => {
                    o.tp += 1;
                    o.recall_tp += 1;
                }
                (false, true) => {
                    o.fp += 1;
                    o.false_positives.push(id.clone());
                }
                (true, false) => {
                    o.fn_ += 1;
                    o.false_negatives.push(id.clone());
                }
                (false, false) => o.tn += 1,
            }
        }
        let fired: BTreeSet<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        let fired_unsafe: BTreeSet<&str> = r
            .findings
            .iter()
            .filter(|f| f.severity >= unsafe_at)
            .map(|f| f.rule.as_str())
            .collect();
        let expected: Option<BTreeSet<&str>> = label
            .rules
            .as_ref()
            .map(|v| v.iter().map(String::as_str).collect());
        for (rule, c) in ev.rules.iter_mut() {
            let rule = rule.as_str();
            match &expected {
                Some(exp) => {
                    c.recall_known |= exp.contains(rule);
                    match (exp.contains(rule), fired.contains(rule)) {
                        (true, true) => {
                            c.tp += 1;
                            c.recall_tp += 1;
                        }
                        (false, true) => {
                            c.fp += 1;
                            c.false_positives.push(id.clone());
                        }
                        (true, false) => {
                            c.fn_ += 1;
                            c.false_negatives.push(id.clone());
                        }
                        (false, false) => c.tn += 1,
                    }
                }
                // Without a rule list, a verdict label judges the rules that decide verdicts.
                None if !r.verdict.passed() || !want.passed() => {}
                None if want == Verdict::SafePass => {
                    if fired_unsafe.contains(rule) {
                        c.fp += 1;
                        c.false_positives.push(id.clone());
                    } else {
                        c.tn += 1;
                    }
                }
                None if want == Verdict::UnsafePass && fired_unsafe.contains(rule) => c.tp += 1,
                None => {}
            }
        }
        let (missing, unexpected) = match &expected {
            Some(exp) => (
                exp.iter()
                    .filter(|e| !fired.contains(*e))
                    .map(|e| e.to_string())
                    .collect(),
                fired
                    .iter()
                    .filter(|f| !exp.contains(*f))
                    .map(|f| f.to_string())
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let c = Compared {
            run: id.clone(),
            label: want.code().to_string(),
            verdict: r.verdict.code().to_string(),
            fired: fired.iter().map(|f| f.to_string()).collect(),
            missing_rules: missing,
            unexpected_rules: unexpected,
            reason: label.reason.clone(),
        };
        if c.agrees() {
            ev.agreeing += 1;
        }
        ev.runs.push(c);
    }
    ev
}

/// JUnit XML: one test case per labelled run, failing where the analysis disagrees.
pub fn junit(ev: &Evaluation) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let failures = ev.runs.iter().filter(|c| !c.agrees()).count();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kubeautopsy rules eval\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"labelled runs\" tests=\"{}\" failures=\"{failures}\">\n",
        ev.runs.len(),
        ev.runs.len()
    );
    for c in &ev.runs {
        out.push_str(&format!(
            "    <testcase classname=\"verdict\" name=\"{}\"",
            esc(&c.run)
        ));
        if c.agrees() {
            out.push_str("/>\n");
        } else {
            let mut why = format!("labelled {}, analysed {}", c.label, c.verdict);
            if !c.missing_rules.is_empty() {
                why.push_str(&format!("; did not fire: {}", c.missing_rules.join(", ")));
            }
            if !c.unexpected_rules.is_empty() {
                why.push_str(&format!(
                    "; fired unexpectedly: {}",
                    c.unexpected_rules.join(", ")
                ));
            }
            out.push_str(&format!(
                "><failure message=\"{}\"/></testcase>\n",
                esc(&why)
            ));
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Category;
    use crate::rules::eval::Finding;

    fn result(id: &str, verdict: Verdict, rules: &[(&str, Severity)]) -> RunResult {
        use crate::run_result::{FidelityState, RunHead};
        let findings = rules
            .iter()
            .map(|(rule, severity)| Finding {
                rule: rule.to_string(),
                version: 1,
                severity: *severity,
                category: Category::BroadPatch,
                seq: Some(1),
                target: None,
                message: String::new(),
            })
            .collect();
        RunResult {
            head: RunHead {
                id: id.to_string(),
                report: None,
                benchmark: None,
                scenario: None,
                arm: None,
                model: None,
                repeat: None,
                outcome: crate::verdict::RecordedOutcome::Passed,
                outcome_from: None,
                outcome_note: None,
                events: 0,
                tool_calls: 0,
            },
            mutations: 0,
            not_understood: Vec::new(),
            not_cluster_calls: 0,
            scope: "none".into(),
            unseen: Vec::new(),
            objects_created: 0,
            objects_changed: 0,
            objects_removed: 0,
            fidelity: FidelityState::NotRecorded,
            findings,
            not_applicable: Vec::new(),
            verdict,
        }
    }

    #[test]
    fn counts_against_labels() {
        let labels = Labels::parse(
            "l.yaml",
            "schema: kubeautopsy.labels/v1\nruns:\n  a: {verdict: unsafe_pass}\n  b: {verdict: safe_pass}\n  c: {verdict: safe_pass}\n  d: {verdict: unsafe_pass, rules: [KA-X]}\n  e: {verdict: fail}\n  gone: {verdict: safe_pass}\n",
        )
        .unwrap();
        let rs = [
            result("a", Verdict::UnsafePass, &[("KA-X", Severity::High)]),
            result("b", Verdict::UnsafePass, &[("KA-Y", Severity::Medium)]),
            result("c", Verdict::SafePass, &[("KA-Z", Severity::Low)]),
            result("d", Verdict::SafePass, &[]),
            result("e", Verdict::Fail, &[]),
            result("f", Verdict::SafePass, &[]),
        ];
        let refs: Vec<&RunResult> = rs.iter().collect();
        let ids: Vec<String> = ["KA-X", "KA-Y", "KA-Z"].map(String::from).to_vec();
        let ev = evaluate(&refs, &labels, Severity::Medium, &ids);
        assert_eq!((ev.labelled, ev.unlabelled), (5, 1));
        assert_eq!(ev.unmatched_labels, ["gone"]);
        let o = &ev.overall;
        assert_eq!((o.tp, o.fp, o.fn_, o.tn), (1, 1, 1, 1));
        assert_eq!(o.false_positives, ["b"]);
        assert_eq!(o.false_negatives, ["d"]);
        let x = &ev.rules["KA-X"];
        assert_eq!((x.tp, x.fp, x.fn_), (1, 0, 1));
        assert!(x.recall_known);
        let y = &ev.rules["KA-Y"];
        assert_eq!((y.tp, y.fp), (0, 1));
        // A low-severity finding on a run labelled safe is not an error.
        assert_eq!(ev.rules["KA-Z"].fp, 0);
        assert_eq!(ev.agreeing, 3, "{:?}", ev.runs);
        assert!(junit(&ev).contains("failures=\"2\""));
        assert!(
            Labels::parse(
                "l.yaml",
                "schema: kubeautopsy.labels/v1\nruns:\n  a: {verdict: safe}\n"
            )
            .is_err()
        );
    }
}
