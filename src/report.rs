//! Tables: per-arm counts of the recorded outcomes, and the accounting of every input.
//!
//! Until replay and rules land this is the recorded verifier outcome only (final pass / fail);
//! the safe/unsafe split and the statistics come with the verdict stage.

use crate::diag::RejectKind;
use crate::input::SkipReason;
use crate::pipeline::Corpus;
use crate::run_result::RunResult;
use crate::verdict::{Share, Verdict};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// How tables are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Box-drawn table for the terminal.
    Table,
    /// GitHub-flavoured Markdown, to paste into a paper or a pull request.
    Markdown,
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Label of runs that name no arm.
pub const NO_ARM: &str = "(none)";

/// One row of the per-arm tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArmRow {
    pub arm: String,
    pub runs: u64,
    pub scenarios: u64,
    pub tool_calls: u64,
    pub mutations: u64,
    pub created: u64,
    pub changed: u64,
    pub removed: u64,
    pub safe_pass: u64,
    pub unsafe_pass: u64,
    pub fail: u64,
    pub unknown: u64,
}

impl ArmRow {
    /// Runs with a recorded outcome: the denominator of every rate.
    pub fn known(&self) -> u64 {
        self.safe_pass + self.unsafe_pass + self.fail
    }
    pub fn final_pass(&self) -> Share {
        Share::wilson(self.safe_pass + self.unsafe_pass, self.known())
    }
}

#[derive(Default)]
struct Acc {
    row: ArmRow,
    scenarios: BTreeSet<String>,
}

impl Acc {
    fn add(&mut self, r: &RunResult) {
        let row = &mut self.row;
        row.runs += 1;
        if let Some(s) = &r.scenario {
            self.scenarios.insert(s.clone());
        }
        row.tool_calls += u64::from(r.tool_calls);
        row.mutations += u64::from(r.mutations);
        row.created += u64::from(r.objects_created);
        row.changed += u64::from(r.objects_changed);
        row.removed += u64::from(r.objects_removed);
        match r.verdict {
            Verdict::SafePass => row.safe_pass += 1,
            Verdict::UnsafePass => row.unsafe_pass += 1,
            Verdict::Fail => row.fail += 1,
            Verdict::Unknown => row.unknown += 1,
        }
    }
    fn row(self, arm: String) -> ArmRow {
        ArmRow {
            arm,
            scenarios: self.scenarios.len() as u64,
            ..self.row
        }
    }
}

/// What tables can be grouped by (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum GroupField {
    Report,
    Model,
    Arm,
    Scenario,
}

impl GroupField {
    pub fn name(self) -> &'static str {
        match self {
            GroupField::Report => "report",
            GroupField::Model => "model",
            GroupField::Arm => "arm",
            GroupField::Scenario => "scenario",
        }
    }
    fn value(self, r: &RunResult) -> &str {
        let v = match self {
            GroupField::Report => &r.report,
            GroupField::Model => &r.model,
            GroupField::Arm => &r.arm,
            GroupField::Scenario => &r.scenario,
        };
        v.as_deref().unwrap_or(NO_ARM)
    }
}

/// The header of the group column: "arm", "model / arm"...
pub fn group_label(by: &[GroupField]) -> String {
    by.iter().map(|f| f.name()).collect::<Vec<_>>().join(" / ")
}

/// Rows per arm (sorted by arm name) and the total row.
pub fn arm_rows<'a>(runs: impl Iterator<Item = &'a RunResult>) -> (Vec<ArmRow>, ArmRow) {
    group_rows(runs, &[GroupField::Arm])
}

/// Rows per group (the `by` fields' values joined with " / ", sorted) and the total row.
pub fn group_rows<'a>(
    runs: impl Iterator<Item = &'a RunResult>,
    by: &[GroupField],
) -> (Vec<ArmRow>, ArmRow) {
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    for r in runs {
        let key = by
            .iter()
            .map(|f| f.value(r))
            .collect::<Vec<_>>()
            .join(" / ");
        groups.entry(key).or_default().add(r);
        total.add(r);
    }
    let rows = groups.into_iter().map(|(a, acc)| acc.row(a)).collect();
    (rows, total.row("all".to_string()))
}

/// The arm × scenario matrix: each cell lists its runs' verdicts in repeat order (S safe pass,
/// U unsafe pass, F fail, ? unknown) and the rule found most often in its unsafe and failed runs.
pub fn render_matrix(runs: &[&RunResult], format: TableFormat) -> String {
    let mut cells: BTreeMap<(&str, &str), Vec<&RunResult>> = BTreeMap::new();
    let mut scenarios = BTreeSet::new();
    for r in runs {
        let (a, sc) = (GroupField::Arm.value(r), GroupField::Scenario.value(r));
        scenarios.insert(sc);
        cells.entry((a, sc)).or_default().push(r);
    }
    let arms: BTreeSet<&str> = cells.keys().map(|k| k.0).collect();
    let mut t = new_table(format);
    let mut header = vec!["arm".to_string()];
    header.extend(scenarios.iter().map(|s| s.to_string()));
    t.set_header(header);
    for arm in arms {
        let mut row = vec![arm.to_string()];
        for sc in &scenarios {
            let Some(list) = cells.get_mut(&(arm, sc)) else {
                row.push(String::new());
                continue;
            };
            list.sort_by_key(|r| (r.repeat, r.id.clone()));
            let letters: Vec<&str> = list
                .iter()
                .map(|r| match r.verdict {
                    Verdict::SafePass => "S",
                    Verdict::UnsafePass => "U",
                    Verdict::Fail => "F",
                    Verdict::Unknown => "?",
                })
                .collect();
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for r in list
                .iter()
                .filter(|r| matches!(r.verdict, Verdict::UnsafePass | Verdict::Fail))
            {
                for f in &r.findings {
                    *counts.entry(f.rule.as_str()).or_default() += 1;
                }
            }
            let top = counts
                .iter()
                .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))
                .map(|(id, _)| format!(" · {id}"));
            row.push(format!("{}{}", letters.join(" "), top.unwrap_or_default()));
        }
        t.add_row(row);
    }
    t.to_string()
}

/// pass^k (tau-bench): the chance that k repeats of a cell all pass, averaged over the cells
/// (arm, scenario) of each arm: mean of C(c, k) / C(n, k) for n runs with a recorded outcome
/// and c passes; for final passes and for safe passes. k runs up to the smallest n of the arm.
pub fn render_pass_k(runs: &[&RunResult], format: TableFormat) -> Option<String> {
    let mut cells: BTreeMap<(&str, &str), (u64, u64, u64)> = BTreeMap::new();
    for r in runs {
        let e = cells
            .entry((GroupField::Arm.value(r), GroupField::Scenario.value(r)))
            .or_default();
        match r.verdict {
            Verdict::SafePass => *e = (e.0 + 1, e.1 + 1, e.2 + 1),
            Verdict::UnsafePass => *e = (e.0 + 1, e.1 + 1, e.2),
            Verdict::Fail => e.0 += 1,
            Verdict::Unknown => {}
        }
    }
    let choose = |n: u64, k: u64| -> f64 {
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    };
    let mut t = new_table(format);
    t.set_header(["arm", "k", "cells", "final pass^k", "safe pass^k"]);
    let arms: BTreeSet<&str> = cells.keys().map(|k| k.0).collect();
    let mut any = false;
    for arm in arms {
        let arm_cells: Vec<&(u64, u64, u64)> = cells
            .iter()
            .filter(|(k, v)| k.0 == arm && v.0 > 0)
            .map(|(_, v)| v)
            .collect();
        let kmax = arm_cells.iter().map(|c| c.0).min().unwrap_or(0);
        for k in 1..=kmax {
            any |= k >= 2;
            let mean = |pick: fn(&(u64, u64, u64)) -> u64| {
                arm_cells
                    .iter()
                    .map(|c| {
                        if pick(c) >= k {
                            choose(pick(c), k) / choose(c.0, k)
                        } else {
                            0.0
                        }
                    })
                    .sum::<f64>()
                    / arm_cells.len() as f64
            };
            t.add_row([
                arm.to_string(),
                k.to_string(),
                arm_cells.len().to_string(),
                format!("{:.3}", mean(|c| c.1)),
                format!("{:.3}", mean(|c| c.2)),
            ]);
        }
    }
    any.then(|| t.to_string())
}

fn new_table(format: TableFormat) -> Table {
    let mut t = Table::new();
    match format {
        TableFormat::Table => t.load_style(presets::UTF8_FULL_CONDENSED),
        TableFormat::Markdown => t.load_style(presets::ASCII_MARKDOWN),
    };
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.force_no_tty();
    t
}

/// A table with one row per group and the total row; numeric columns right-aligned.
fn grouped_table(
    rows: &[ArmRow],
    total: &ArmRow,
    header: &[&str],
    cells: impl Fn(&ArmRow) -> Vec<String>,
    format: TableFormat,
) -> String {
    let mut t = new_table(format);
    t.set_header(header.to_vec());
    for row in rows.iter().chain(std::iter::once(total)) {
        let mut r = vec![row.arm.clone()];
        r.extend(cells(row));
        t.add_row(r);
    }
    for i in 1..header.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t.to_string()
}

/// The headline: final pass, safe pass, unsafe pass and fail per group, as x/n with a Wilson
/// 95% interval over the runs whose outcome was recorded; the unsafe share of passes.
pub fn render_verdict_table(
    rows: &[ArmRow],
    total: &ArmRow,
    label: &str,
    format: TableFormat,
) -> String {
    let header = [
        label,
        "runs",
        "final pass",
        "safe pass",
        "unsafe pass",
        "fail",
        "unknown",
        "unsafe share of passes",
    ];
    grouped_table(
        rows,
        total,
        &header,
        |row| {
            let n = row.known();
            vec![
                row.runs.to_string(),
                row.final_pass().render(),
                Share::wilson(row.safe_pass, n).render(),
                Share::wilson(row.unsafe_pass, n).render(),
                Share::wilson(row.fail, n).render(),
                row.unknown.to_string(),
                Share::wilson(row.unsafe_pass, row.safe_pass + row.unsafe_pass).render(),
            ]
        },
        format,
    )
}

/// What the agents did per group: calls, mutations, and the objects the replay saw change.
pub fn render_activity_table(
    rows: &[ArmRow],
    total: &ArmRow,
    label: &str,
    format: TableFormat,
) -> String {
    let header = [
        label,
        "runs",
        "scenarios",
        "tool calls",
        "mutations",
        "objects created",
        "changed",
        "removed",
    ];
    grouped_table(
        rows,
        total,
        &header,
        |row| {
            [
                row.runs,
                row.scenarios,
                row.tool_calls,
                row.mutations,
                row.created,
                row.changed,
                row.removed,
            ]
            .iter()
            .map(u64::to_string)
            .collect()
        },
        format,
    )
}

/// Rule hits: rule, severity, category, findings, runs hit, scenarios hit, not applicable.
pub fn render_rule_hits(runs: &[&RunResult], format: TableFormat) -> String {
    /// Severity, category, findings, runs hit, scenarios hit.
    #[derive(Default)]
    struct Hits {
        severity: String,
        category: String,
        findings: u64,
        runs: BTreeSet<String>,
        scenarios: BTreeSet<String>,
    }
    let mut by_rule: BTreeMap<String, Hits> = BTreeMap::new();
    for r in runs {
        for f in &r.findings {
            let e = by_rule
                .entry(format!("{}@{}", f.rule, f.version))
                .or_insert_with(|| Hits {
                    severity: serde_name(f.severity),
                    category: serde_name(f.category),
                    ..Hits::default()
                });
            e.findings += 1;
            e.runs.insert(r.id.clone());
            if let Some(s) = &r.scenario {
                e.scenarios.insert(s.clone());
            }
        }
    }
    if by_rule.is_empty() {
        return "No rule found anything.".to_string();
    }
    let mut na: BTreeMap<&str, u64> = BTreeMap::new();
    for r in runs {
        for id in &r.not_applicable {
            *na.entry(id.as_str()).or_default() += 1;
        }
    }
    let mut t = new_table(format);
    t.set_header([
        "rule",
        "severity",
        "category",
        "findings",
        "runs",
        "scenarios",
        "not applicable",
    ]);
    for (rule, h) in &by_rule {
        let id = rule.split('@').next().unwrap_or_default();
        t.add_row([
            rule.clone(),
            h.severity.clone(),
            h.category.clone(),
            h.findings.to_string(),
            h.runs.len().to_string(),
            h.scenarios.len().to_string(),
            na.get(id).copied().unwrap_or(0).to_string(),
        ]);
    }
    for i in 3..7 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t.to_string()
}

/// The name a unit enum serializes to ("high", "broad-patch").
fn serde_name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The facts catalog as a table.
pub fn render_facts(format: TableFormat) -> String {
    let mut t = new_table(format);
    t.set_header(["fact", "scope", "type", "meaning"]);
    for f in crate::model::facts::FACTS {
        t.add_row([
            f.name.to_string(),
            serde_name(f.scope),
            serde_name(f.ty),
            f.description.to_string(),
        ]);
    }
    t.to_string()
}

/// Calls that no tool map understood: label → (calls, runs), most frequent first.
pub fn not_understood<'a>(runs: impl Iterator<Item = &'a RunResult>) -> Vec<(String, u64, u64)> {
    let mut by_label: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for r in runs {
        for (label, n) in &r.not_understood {
            let e = by_label.entry(label.as_str()).or_default();
            e.0 += u64::from(*n);
            e.1 += 1;
        }
    }
    let mut rows: Vec<(String, u64, u64)> = by_label
        .into_iter()
        .map(|(l, (calls, runs))| (l.to_string(), calls, runs))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

/// The not-understood table, or a line saying there is none.
pub fn render_not_understood(rows: &[(String, u64, u64)], format: TableFormat) -> String {
    if rows.is_empty() {
        return "Every tool call was understood.".to_string();
    }
    let mut t = new_table(format);
    t.set_header(["tool call not understood", "calls", "runs"]);
    for (label, calls, runs) in rows {
        t.add_row([label.clone(), calls.to_string(), runs.to_string()]);
    }
    for i in 1..3 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let total: u64 = rows.iter().map(|r| r.1).sum();
    format!("{total} tool call(s) were not understood; their effects are not in any count:\n\n{t}")
}

/// One line on how far the replay can be trusted: runs whose recorded final state was checked.
pub fn render_fidelity<'a>(runs: impl Iterator<Item = &'a RunResult>) -> String {
    use crate::run_result::FidelityState::*;
    let (mut agree, mut disagree, mut none) = (0, 0, 0);
    for r in runs {
        match r.fidelity {
            Agrees => agree += 1,
            Disagrees => disagree += 1,
            NotRecorded => none += 1,
        }
    }
    format!(
        "replay fidelity: final_state agrees in {agree} run(s), disagrees in {disagree}, not recorded in {none}"
    )
}

/// Counts that account for every input: read, skipped, analysed, rejected by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    pub sources: u64,
    pub skipped_not_trace: u64,
    pub skipped_duplicate: u64,
    pub records: u64,
    pub runs: u64,
    pub scenarios: u64,
    /// Rejections of records and of named paths, by kind.
    pub rejected: BTreeMap<RejectKind, u64>,
    pub stopped_early: bool,
}

impl Accounting {
    pub fn of<R>(corpus: &Corpus<R>) -> Accounting {
        let mut a = Accounting {
            sources: corpus.sources.len() as u64,
            records: corpus.items.len() as u64,
            runs: corpus.runs().count() as u64,
            scenarios: corpus.scenario_count() as u64,
            stopped_early: corpus.stopped_early,
            ..Accounting::default()
        };
        for (_, reason) in &corpus.skipped {
            match reason {
                SkipReason::NotATraceFile => a.skipped_not_trace += 1,
                SkipReason::Duplicate => a.skipped_duplicate += 1,
            }
        }
        for r in corpus.rejections() {
            *a.rejected.entry(r.kind).or_default() += 1;
        }
        a
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// "syntax 1, schema 2".
    pub fn rejected_by_kind(&self) -> String {
        self.rejected
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A few lines for the end of a report.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "inputs: {} file(s)", self.sources);
        let mut skipped = Vec::new();
        if self.skipped_not_trace > 0 {
            skipped.push(format!("{} not trace files", self.skipped_not_trace));
        }
        if self.skipped_duplicate > 0 {
            skipped.push(format!("{} listed twice", self.skipped_duplicate));
        }
        if !skipped.is_empty() {
            let _ = write!(s, " (skipped: {})", skipped.join(", "));
        }
        let _ = writeln!(s, ", {} record(s)", self.records);
        let _ = write!(s, "analyzed: {} run(s)", self.runs);
        if self.scenarios > 0 {
            let _ = write!(s, ", {} scenario definition(s)", self.scenarios);
        }
        let _ = writeln!(s);
        let _ = write!(s, "rejected: {}", self.rejected_total());
        if self.rejected_total() > 0 {
            let _ = write!(s, " ({})", self.rejected_by_kind());
        }
        let _ = writeln!(s);
        if self.stopped_early {
            let _ = writeln!(s, "stopped at the first rejection (--strict)");
        }
        s
    }
}

/// The autopsy of one run: every call with its canonical operations, their effects and the
/// findings, then the verdict.
pub fn render_explain(
    trace: &crate::trace::Trace<'_>,
    calls: &[crate::ops::NormalizedCall],
    replay: &crate::model::facts::RunReplay,
    judgement: &crate::rules::eval::Judgement,
    rules: &crate::rules::RuleSet,
    verdict: Verdict,
) -> String {
    use crate::model::replay::{Cause, Change};
    use crate::ops::CallOutcome;
    let mut s = String::new();
    let run = &trace.run;
    let _ = writeln!(s, "run {}", run.id);
    let field = |k: &str, v: Option<&str>| v.map(|v| format!("{k} {v}"));
    let head: Vec<String> = [
        field("arm", run.arm),
        field("scenario", run.scenario),
        field("model", run.model),
        field("report", run.report),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !head.is_empty() {
        let _ = writeln!(s, "  {}", head.join(" · "));
    }
    let _ = writeln!(s);
    for n in calls {
        let _ = writeln!(s, "seq {:>3}  {}", n.seq, n.tool);
        match &n.outcome {
            CallOutcome::NotUnderstood { reason, .. } => {
                let _ = writeln!(s, "          not understood: {reason}");
            }
            CallOutcome::Operations(_) => {
                for op in replay.ops.iter().filter(|o| o.seq == n.seq) {
                    let o = &op.operation;
                    if o.verb == crate::ops::Verb::Read {
                        continue;
                    }
                    let target = if o.target.names.is_empty() {
                        o.target
                            .selector
                            .as_ref()
                            .map_or("(all)".to_string(), |sel| format!("-l {sel}"))
                    } else {
                        o.target.names.join(",")
                    };
                    let kinds: Vec<String> =
                        o.target.kinds.iter().map(|k| k.kind.clone()).collect();
                    let ns = o
                        .target
                        .namespace
                        .as_deref()
                        .map_or(String::new(), |n| format!(" -n {n}"));
                    let effect = match &o.effect {
                        crate::ops::Effect::Applied => "applied".to_string(),
                        crate::ops::Effect::Failed(r) => format!("failed: {r}"),
                        crate::ops::Effect::DryRun => "dry run".to_string(),
                        crate::ops::Effect::Unknown(r) => format!("unknown: {r}"),
                    };
                    let _ = writeln!(
                        s,
                        "          {} {} {target}{ns}  [{effect}]",
                        o.verb.name(),
                        kinds.join(",")
                    );
                    if let Some(u) = &o.target.unresolved {
                        let _ = writeln!(s, "            target unresolved: {u}");
                    }
                    for e in &op.replay.effects {
                        let verb = match e.change {
                            Change::Created => "+ created",
                            Change::Changed => "~ changed",
                            Change::Removed => "- removed",
                        };
                        let why = match &e.cause {
                            Cause::Direct => String::new(),
                            Cause::Owner(k) => format!(" (owner {k} deleted)"),
                            Cause::Namespace(n) => format!(" (namespace {n} deleted)"),
                            Cause::Controller(k) => format!(" (by controller {k})"),
                        };
                        let _ = writeln!(s, "            {verb} {}{why}", e.key);
                        if e.change == Change::Changed {
                            for (mark, paths) in [
                                ("+", &e.diff.added),
                                ("~", &e.diff.changed),
                                ("-", &e.diff.removed),
                            ] {
                                for p in paths.iter().take(6) {
                                    let _ = writeln!(s, "                {mark} {p}");
                                }
                                if paths.len() > 6 {
                                    let _ = writeln!(
                                        s,
                                        "                {mark} … {} more",
                                        paths.len() - 6
                                    );
                                }
                            }
                        }
                    }
                    for note in &op.replay.notes {
                        let _ = writeln!(s, "            note: {note}");
                    }
                }
            }
        }
        for f in judgement.findings.iter().filter(|f| f.seq == Some(n.seq)) {
            explain_finding(&mut s, f, rules);
        }
    }
    for f in judgement.findings.iter().filter(|f| f.seq.is_none()) {
        let _ = writeln!(s, "run");
        explain_finding(&mut s, f, rules);
    }
    let _ = writeln!(s);
    let outcome = match &trace.outcome {
        None => "no verifier outcome recorded".to_string(),
        Some(o) => format!("verifier {}", if o.passed { "passed" } else { "failed" }),
    };
    let _ = writeln!(
        s,
        "verdict: {} ({outcome}; {} finding(s))",
        verdict.name(),
        judgement.findings.len()
    );
    s
}

fn explain_finding(s: &mut String, f: &crate::rules::eval::Finding, rules: &crate::rules::RuleSet) {
    let _ = writeln!(
        s,
        "          ! {} [{}] {}",
        f.rule,
        f.severity.name(),
        f.message
    );
    if let Some(r) = rules.rules.iter().find(|r| r.rule.id == f.rule) {
        let _ = writeln!(s, "            fix: {}", r.rule.remediation.trim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(arm: Option<&str>, scenario: &str, verdict: Verdict) -> RunResult {
        RunResult {
            id: "r".into(),
            report: None,
            benchmark: None,
            scenario: Some(scenario.into()),
            arm: arm.map(str::to_string),
            model: None,
            repeat: None,
            outcome: crate::run_result::RecordedOutcome::Passed,
            events: 3,
            tool_calls: 2,
            mutations: 1,
            not_understood: vec![("acme_apply".into(), 2)],
            objects_created: 0,
            objects_changed: 1,
            objects_removed: 0,
            fidelity: crate::run_result::FidelityState::NotRecorded,
            findings: Vec::new(),
            not_applicable: Vec::new(),
            verdict,
        }
    }

    #[test]
    fn rows_count_by_arm() {
        use Verdict::*;
        let runs = [
            run(Some("b"), "s1", SafePass),
            run(Some("a"), "s1", Fail),
            run(Some("b"), "s2", Unknown),
            run(None, "s1", UnsafePass),
        ];
        let (rows, total) = arm_rows(runs.iter());
        let arms: Vec<&str> = rows.iter().map(|r| r.arm.as_str()).collect();
        assert_eq!(arms, [NO_ARM, "a", "b"]);
        assert_eq!(rows[2].runs, 2);
        assert_eq!(rows[2].scenarios, 2);
        assert_eq!(rows[2].final_pass().x, 1);
        assert_eq!(rows[2].final_pass().n, 1);
        assert_eq!(total.runs, 4);
        assert_eq!(total.tool_calls, 8);
        assert_eq!(
            (
                total.safe_pass,
                total.unsafe_pass,
                total.fail,
                total.unknown
            ),
            (1, 1, 1, 1)
        );
        let md = render_verdict_table(&rows, &total, "arm", TableFormat::Markdown);
        assert!(md.contains("| all "), "{md}");
        assert!(md.contains("2/3 66.7% [20.8–93.9]"), "{md}");
        let nu = not_understood(runs.iter());
        assert_eq!(nu, [("acme_apply".to_string(), 8, 4)]);
        assert!(render_not_understood(&nu, TableFormat::Markdown).starts_with("8 tool call(s)"));
    }

    #[test]
    fn pass_k_follows_tau_bench() {
        use Verdict::*;
        // One cell: 3 runs, 2 safe passes, 1 fail: pass^2 = C(2,2)/C(3,2) = 1/3.
        let mut runs = [
            run(Some("a"), "s", SafePass),
            run(Some("a"), "s", SafePass),
            run(Some("a"), "s", Fail),
        ];
        for (i, r) in runs.iter_mut().enumerate() {
            r.repeat = Some(i as u64);
        }
        let refs: Vec<&RunResult> = runs.iter().collect();
        let t = render_pass_k(&refs, TableFormat::Markdown).unwrap();
        assert!(
            t.contains("| a   | 2 | 1     | 0.333        | 0.333       |"),
            "{t}"
        );
        assert!(
            t.contains("| a   | 3 | 1     | 0.000        | 0.000       |"),
            "{t}"
        );
        let m = render_matrix(&refs, TableFormat::Markdown);
        assert!(m.contains("| S S F |"), "{m}");
    }
}
