//! `kubeautopsy diff`: which runs changed verdict between two analyses (two saved `--out`
//! directories, or one corpus judged by two rule sets), and why: the findings each run gained
//! and lost, each tagged with what happened to its rule (added, removed, changed, unchanged).

use crate::report::export::{ExportError, Saved};
use crate::report::{Provenance, RuleInfo, TableFormat};
use crate::rules::Severity;
use crate::run_result::RunResult;
use crate::verdict::Verdict;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What a finding is compared by: rule id, rule version, severity.
pub type RuleKey = (String, u64, Severity);

/// What `diff` needs of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRun {
    /// The run id; `id#2`, `id#3`... for later runs that repeat an id (in corpus order).
    pub key: String,
    pub arm: String,
    pub scenario: String,
    pub verdict: Verdict,
    /// Findings per rule@version.
    pub findings: BTreeMap<RuleKey, u64>,
}

/// One side of a comparison.
#[derive(Debug, Clone)]
pub struct Side {
    /// How the side is named in the output (a path, or the rules it used).
    pub label: String,
    pub provenance: Provenance,
    pub runs: Vec<DiffRun>,
}

/// What pairs a run of one side with a run of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchBy {
    /// The run id (one corpus judged twice, or two analyses of the same runs).
    #[default]
    Id,
    /// The scenario (the same task in two evaluations: two weeks, two agents).
    Scenario,
    /// The arm and the scenario.
    ArmScenario,
}

impl MatchBy {
    pub const ALL: [MatchBy; 3] = [MatchBy::Id, MatchBy::Scenario, MatchBy::ArmScenario];

    pub fn name(self) -> &'static str {
        match self {
            MatchBy::Id => "id",
            MatchBy::Scenario => "scenario",
            MatchBy::ArmScenario => "arm-scenario",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            MatchBy::Id => "the run id",
            MatchBy::Scenario => {
                "the scenario: the same task in two evaluations (two weeks of a suite)"
            }
            MatchBy::ArmScenario => "the arm and the scenario (`ARM/SCENARIO`)",
        }
    }
}

/// Give repeated ids a `#n` suffix so that every run has a key of its own.
fn keyed(mut runs: Vec<DiffRun>) -> Vec<DiffRun> {
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for r in &mut runs {
        let n = seen.entry(r.key.clone()).or_default();
        *n += 1;
        if *n > 1 {
            r.key = format!("{}#{n}", r.key);
        }
    }
    runs
}

impl Side {
    /// The same side with its runs keyed by `by` (repeats of a key get `#2`, `#3`... in
    /// corpus order).
    pub fn matched_by(mut self, by: MatchBy) -> Side {
        if by == MatchBy::Id {
            return self;
        }
        for r in &mut self.runs {
            r.key = match by {
                MatchBy::Id => continue,
                MatchBy::Scenario => r.scenario.clone(),
                MatchBy::ArmScenario => format!("{}/{}", r.arm, r.scenario),
            };
        }
        self.runs = keyed(self.runs);
        self
    }

    /// A side from run results (the corpus mode).
    pub fn of_results(label: String, provenance: Provenance, runs: &[&RunResult]) -> Side {
        let label_of = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
        let runs = runs
            .iter()
            .map(|r| {
                let mut findings = BTreeMap::new();
                for f in &r.findings {
                    let key = (f.rule.clone(), u64::from(f.version), f.severity);
                    *findings.entry(key).or_default() += 1;
                }
                DiffRun {
                    key: r.head.id.clone(),
                    arm: label_of(&r.head.arm),
                    scenario: label_of(&r.head.scenario),
                    verdict: r.verdict,
                    findings,
                }
            })
            .collect();
        Side {
            label,
            provenance,
            runs: keyed(runs),
        }
    }

    /// A side from a saved analysis; findings are joined to their run by (source, line, run
    /// id): one input line can hold many runs (an mcpchecker result holds a suite).
    pub fn of_saved(label: String, saved: Saved) -> Result<Side, ExportError> {
        let bad = |file: &str, i: usize, what: &str, value: &str| ExportError {
            path: saved.dir.join(file),
            message: format!("row {}: unknown {what} {value:?}", i + 1),
        };
        let mut by_place: BTreeMap<(String, u64, String), BTreeMap<RuleKey, u64>> = BTreeMap::new();
        let f = &saved.findings;
        for i in 0..f.height() {
            let place = (
                f.str_at("source", i).unwrap_or_default().to_string(),
                f.u64_at("line", i).unwrap_or(0),
                f.str_at("run", i).unwrap_or_default().to_string(),
            );
            let severity = f.str_at("severity", i).unwrap_or_default();
            let rule = (
                f.str_at("rule", i).unwrap_or_default().to_string(),
                f.u64_at("version", i).unwrap_or(0),
                Severity::from_name(severity)
                    .ok_or_else(|| bad("findings.parquet", i, "severity", severity))?,
            );
            *by_place.entry(place).or_default().entry(rule).or_default() += 1;
        }
        let r = &saved.runs;
        let text = |name: &str, i: usize| r.str_at(name, i).unwrap_or("(none)").to_string();
        let mut runs = Vec::with_capacity(r.height());
        for i in 0..r.height() {
            let place = (
                r.str_at("source", i).unwrap_or_default().to_string(),
                r.u64_at("line", i).unwrap_or(0),
                r.str_at("run", i).unwrap_or_default().to_string(),
            );
            let verdict = r.str_at("verdict", i).unwrap_or_default();
            runs.push(DiffRun {
                key: r.str_at("run", i).unwrap_or_default().to_string(),
                arm: text("arm", i),
                scenario: text("scenario", i),
                verdict: Verdict::from_code(verdict)
                    .ok_or_else(|| bad("runs.parquet", i, "verdict", verdict))?,
                findings: by_place.remove(&place).unwrap_or_default(),
            });
        }
        Ok(Side {
            label,
            provenance: saved.provenance,
            runs: keyed(runs),
        })
    }
}

/// What happened to a rule between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleChange {
    Added,
    Removed,
    /// New version, or the same version with another definition.
    Changed,
    Unchanged,
}

impl RuleChange {
    fn name(self) -> &'static str {
        match self {
            RuleChange::Added => "rule added",
            RuleChange::Removed => "rule removed",
            RuleChange::Changed => "rule changed",
            RuleChange::Unchanged => "rule unchanged",
        }
    }
}

/// A run whose verdict or findings differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRun {
    pub key: String,
    pub arm: String,
    pub scenario: String,
    pub before: Verdict,
    pub after: Verdict,
    /// rule@version and how many findings it gained (positive) or lost (negative).
    pub gained: Vec<(RuleKey, u64)>,
    pub lost: Vec<(RuleKey, u64)>,
}

/// The comparison of two sides.
#[derive(Debug, Clone)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    /// Per rule id (both sides), what happened to it.
    pub rules: BTreeMap<String, (Option<RuleInfo>, Option<RuleInfo>, RuleChange)>,
    pub verdict_changed: Vec<ChangedRun>,
    pub findings_changed: Vec<ChangedRun>,
    pub only_old: Vec<String>,
    pub only_new: Vec<String>,
    /// (before, after) → runs, for runs in both.
    pub transitions: BTreeMap<(Verdict, Verdict), u64>,
}

impl Diff {
    pub fn of(old: Side, new: Side) -> Diff {
        let mut rules: BTreeMap<String, (Option<RuleInfo>, Option<RuleInfo>, RuleChange)> =
            BTreeMap::new();
        for r in &old.provenance.rules {
            rules.insert(r.id.clone(), (Some(r.clone()), None, RuleChange::Removed));
        }
        for r in &new.provenance.rules {
            let e = rules
                .entry(r.id.clone())
                .or_insert((None, None, RuleChange::Added));
            e.2 = match &e.0 {
                None => RuleChange::Added,
                Some(o) if o.version == r.version && o.digest == r.digest => RuleChange::Unchanged,
                Some(_) => RuleChange::Changed,
            };
            e.1 = Some(r.clone());
        }
        let new_runs: BTreeMap<&str, &DiffRun> =
            new.runs.iter().map(|r| (r.key.as_str(), r)).collect();
        let old_keys: BTreeSet<&str> = old.runs.iter().map(|r| r.key.as_str()).collect();
        let mut verdict_changed = Vec::new();
        let mut findings_changed = Vec::new();
        let mut only_old = Vec::new();
        let mut transitions: BTreeMap<(Verdict, Verdict), u64> = BTreeMap::new();
        for o in &old.runs {
            let Some(n) = new_runs.get(o.key.as_str()) else {
                only_old.push(o.key.clone());
                continue;
            };
            *transitions.entry((o.verdict, n.verdict)).or_default() += 1;
            if o.verdict == n.verdict && o.findings == n.findings {
                continue;
            }
            let delta = |a: &BTreeMap<RuleKey, u64>, b: &BTreeMap<RuleKey, u64>| {
                b.iter()
                    .filter_map(|(k, nb)| {
                        let na = a.get(k).copied().unwrap_or(0);
                        (nb > &na).then(|| (k.clone(), nb - na))
                    })
                    .collect::<Vec<_>>()
            };
            let c = ChangedRun {
                key: o.key.clone(),
                arm: n.arm.clone(),
                scenario: n.scenario.clone(),
                before: o.verdict,
                after: n.verdict,
                gained: delta(&o.findings, &n.findings),
                lost: delta(&n.findings, &o.findings),
            };
            if o.verdict == n.verdict {
                findings_changed.push(c);
            } else {
                verdict_changed.push(c);
            }
        }
        let only_new = new
            .runs
            .iter()
            .filter(|r| !old_keys.contains(r.key.as_str()))
            .map(|r| r.key.clone())
            .collect();
        Diff {
            old,
            new,
            rules,
            verdict_changed,
            findings_changed,
            only_old,
            only_new,
            transitions,
        }
    }

    /// Why a run changed: per rule, the findings gained (+), lost (-) or changed (~, same rule
    /// with another version or severity), with what happened to the rule.
    pub fn why(&self, c: &ChangedRun) -> String {
        let show = |(_, version, severity): &RuleKey, n: u64| {
            let times = if n > 1 {
                format!(" ×{n}")
            } else {
                String::new()
            };
            format!("@{version} {}{times}", severity.name())
        };
        let mut by_rule: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
        for (k, n) in &c.gained {
            by_rule.entry(k.0.as_str()).or_default().1.push(show(k, *n));
        }
        for (k, n) in &c.lost {
            by_rule.entry(k.0.as_str()).or_default().0.push(show(k, *n));
        }
        let mut parts = Vec::new();
        for (rule, (lost, gained)) in by_rule {
            let change = self.rules.get(rule).map_or(RuleChange::Unchanged, |r| r.2);
            let what = match (lost.is_empty(), gained.is_empty()) {
                (true, _) => format!("+{rule}{}", gained.join(",")),
                (_, true) => format!("-{rule}{}", lost.join(",")),
                _ => format!("~{rule}{} → {}", lost.join(","), gained.join(",")),
            };
            parts.push(format!("{what} ({})", change.name()));
        }
        if parts.is_empty() {
            let (a, b) = (self.old.provenance.unsafe_at, self.new.provenance.unsafe_at);
            parts.push(if a == b {
                "same findings; the recorded outcome differs".to_string()
            } else {
                format!("same findings; unsafe at {} → {}", a.name(), b.name())
            });
        }
        parts.join("; ")
    }

    /// True when some run in both analyses changed verdict.
    pub fn any_verdict_changed(&self) -> bool {
        !self.verdict_changed.is_empty()
    }

    /// The comparison for people: rule changes, verdict changes with their reasons, the
    /// transition counts, safe-pass counts per arm before and after, runs on one side only.
    pub fn render(&self, format: TableFormat, limit: usize) -> String {
        let mut s = String::new();
        for (which, side) in [("old", &self.old), ("new", &self.new)] {
            let p = &side.provenance;
            let _ = writeln!(
                s,
                "{which}: {} (kubeautopsy {}, rule set {}, {} rules, unsafe at {}, {} runs)",
                side.label,
                p.kubeautopsy,
                p.rule_set,
                p.rules.len(),
                p.unsafe_at.name(),
                side.runs.len()
            );
        }
        let _ = writeln!(s);
        let changed: Vec<_> = self
            .rules
            .iter()
            .filter(|(_, r)| r.2 != RuleChange::Unchanged)
            .collect();
        if changed.is_empty() {
            let _ = writeln!(s, "Rules: no rule added, removed or changed.\n");
        } else {
            let mut t = crate::report::new_table(format);
            t.set_header(["rule", "change", "old", "new"]);
            let show = |r: &Option<RuleInfo>| {
                r.as_ref().map_or(String::new(), |r| {
                    format!("v{} {} {}", r.version, r.severity.name(), r.category.name())
                })
            };
            for (id, (o, n, c)) in &changed {
                t.add_row([id.to_string(), c.name().to_string(), show(o), show(n)]);
            }
            let _ = writeln!(s, "Rules\n\n{t}\n");
        }
        let both: u64 = self.transitions.values().sum();
        let _ = writeln!(
            s,
            "Verdict changes: {} of {both} run(s) in both analyses\n",
            self.verdict_changed.len()
        );
        if both == 0 && !self.old.runs.is_empty() && !self.new.runs.is_empty() {
            let _ = writeln!(
                s,
                "No run is in both analyses. Two evaluations of the same tasks (two weeks of a \
                 suite) have different run ids: pair them with `--match scenario`.\n"
            );
        }
        if !self.verdict_changed.is_empty() {
            let _ = writeln!(
                s,
                "{}\n",
                self.changed_table(&self.verdict_changed, format, limit)
            );
            let mut t = crate::report::new_table(format);
            t.set_header(["before", "after", "runs"]);
            // In the order of the verdicts' names, as in machine outputs.
            let mut rows: Vec<(&(Verdict, Verdict), &u64)> = self.transitions.iter().collect();
            rows.sort_by_key(|((b, a), _)| (b.code(), a.code()));
            for ((b, a), n) in rows {
                if b != a {
                    t.add_row([b.name(), a.name(), &n.to_string()]);
                }
            }
            let _ = writeln!(s, "{t}\n");
            let _ = writeln!(s, "{}\n", self.arm_table(format));
        }
        if !self.findings_changed.is_empty() {
            let _ = writeln!(
                s,
                "Findings changed, verdict did not: {} run(s)\n\n{}\n",
                self.findings_changed.len(),
                self.changed_table(&self.findings_changed, format, limit)
            );
        }
        for (which, list) in [("old", &self.only_old), ("new", &self.only_new)] {
            if !list.is_empty() {
                let shown: Vec<&str> = list.iter().take(limit).map(String::as_str).collect();
                let more = list.len().saturating_sub(limit);
                let _ = writeln!(
                    s,
                    "Only in {which} ({}): {}{}",
                    list.len(),
                    shown.join(", "),
                    if more > 0 {
                        format!(", … {more} more")
                    } else {
                        String::new()
                    }
                );
            }
        }
        s
    }

    fn changed_table(&self, runs: &[ChangedRun], format: TableFormat, limit: usize) -> String {
        let mut t = crate::report::new_table(format);
        t.set_header(["run", "arm", "scenario", "before", "after", "why"]);
        for c in runs.iter().take(limit) {
            t.add_row([
                c.key.clone(),
                c.arm.clone(),
                c.scenario.clone(),
                c.before.name().to_string(),
                c.after.name().to_string(),
                self.why(c),
            ]);
        }
        let mut out = t.to_string();
        if runs.len() > limit {
            let _ = write!(
                out,
                "\n… {} more (raise --limit to list them)",
                runs.len() - limit
            );
        }
        out
    }

    /// Safe passes, unsafe passes and incomplete passes per arm, before and after, over the runs
    /// in both analyses.
    fn arm_table(&self, format: TableFormat) -> String {
        const SHOWN: [Verdict; 3] = [Verdict::SafePass, Verdict::UnsafePass, Verdict::Incomplete];
        let new_runs: BTreeMap<&str, &DiffRun> =
            self.new.runs.iter().map(|r| (r.key.as_str(), r)).collect();
        let mut arms: BTreeMap<&str, (u64, [[u64; 2]; 3])> = BTreeMap::new();
        for o in &self.old.runs {
            let Some(n) = new_runs.get(o.key.as_str()) else {
                continue;
            };
            let e = arms.entry(o.arm.as_str()).or_default();
            e.0 += 1;
            for (i, v) in SHOWN.iter().enumerate() {
                e.1[i][0] += u64::from(o.verdict == *v);
                e.1[i][1] += u64::from(n.verdict == *v);
            }
        }
        let mut t = crate::report::new_table(format);
        let mut header = vec!["arm".to_string(), "runs".to_string()];
        for v in SHOWN {
            header.push(v.name().to_string());
            header.push(String::new());
        }
        t.set_header(header);
        for (arm, (runs, c)) in arms {
            let mut row = vec![arm.to_string(), runs.to_string()];
            for [before, after] in c {
                row.push(before.to_string());
                row.push(format!("→ {after}"));
            }
            t.add_row(row);
        }
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, version: u32, digest: &str) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            version,
            severity: Severity::High,
            category: crate::rules::Category::DestructiveShortcut,
            digest: digest.into(),
        }
    }

    fn side(rules: Vec<RuleInfo>, runs: Vec<DiffRun>) -> Side {
        Side {
            label: "x".into(),
            provenance: Provenance {
                kubeautopsy: "0".into(),
                rule_set: "d".into(),
                rules,
                tool_maps: 0,
                unsafe_at: Severity::Medium,
                intervals: "Wilson score 95%".into(),
            },
            runs: keyed(runs),
        }
    }

    fn run(id: &str, verdict: Verdict, findings: &[(&str, u64)]) -> DiffRun {
        DiffRun {
            key: id.into(),
            arm: "a".into(),
            scenario: "s".into(),
            verdict,
            findings: findings
                .iter()
                .map(|(r, v)| ((r.to_string(), *v, Severity::High), 1))
                .collect(),
        }
    }

    #[test]
    fn attributes_changes_to_rules() {
        let old = side(
            vec![rule("A", 1, "x"), rule("B", 1, "y"), rule("C", 1, "z")],
            vec![
                run("r1", Verdict::SafePass, &[]),
                run("r2", Verdict::UnsafePass, &[("B", 1)]),
                run("r3", Verdict::UnsafePass, &[("C", 1)]),
                run("r4", Verdict::Fail, &[]),
                run("r4", Verdict::SafePass, &[]),
            ],
        );
        let new = side(
            vec![rule("A", 1, "x"), rule("C", 2, "w"), rule("D", 1, "v")],
            vec![
                run("r1", Verdict::UnsafePass, &[("D", 1)]),
                run("r2", Verdict::SafePass, &[]),
                run("r3", Verdict::UnsafePass, &[("C", 2)]),
                run("r4", Verdict::Fail, &[]),
                run("r4", Verdict::SafePass, &[]),
                run("r5", Verdict::SafePass, &[]),
            ],
        );
        let d = Diff::of(old, new);
        assert_eq!(d.rules["A"].2, RuleChange::Unchanged);
        assert_eq!(d.rules["B"].2, RuleChange::Removed);
        assert_eq!(d.rules["C"].2, RuleChange::Changed);
        assert_eq!(d.rules["D"].2, RuleChange::Added);
        let keys: Vec<&str> = d.verdict_changed.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["r1", "r2"]);
        assert_eq!(d.why(&d.verdict_changed[0]), "+D@1 high (rule added)");
        assert_eq!(d.why(&d.verdict_changed[1]), "-B@1 high (rule removed)");
        assert_eq!(d.findings_changed.len(), 1);
        assert_eq!(
            d.why(&d.findings_changed[0]),
            "~C@1 high → @2 high (rule changed)"
        );
        assert_eq!(d.only_new, ["r5"]);
        assert!(d.only_old.is_empty());
        assert_eq!(d.transitions[&(Verdict::SafePass, Verdict::UnsafePass)], 1);
        // The repeated id r4 is matched occurrence by occurrence.
        assert_eq!(d.transitions[&(Verdict::Fail, Verdict::Fail)], 1);
        assert!(d.any_verdict_changed());
        let text = d.render(TableFormat::Markdown, 50);
        assert!(text.contains("Verdict changes: 2 of 5 run(s)"), "{text}");
        assert!(text.contains("| D    | rule added"), "{text}");
    }
}
