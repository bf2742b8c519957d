//! Stage 9: tables. `tables` aggregates run results (with polars) into typed rows; this module
//! renders them for the terminal and Markdown; `frame` turns them into CSV, Parquet and JSON;
//! `export` writes a saved analysis (`--out DIR`) and reads it back; `explain` is the autopsy
//! of one run.

pub mod explain;
pub mod export;
pub mod fold;
pub mod frame;
pub mod html;
pub mod tables;

pub use explain::render_explain;
pub use tables::Tables;

use crate::diag::RejectKind;
use crate::input::SkipReason;
use crate::pipeline::Corpus;
use crate::run_result::RunResult;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use tables::GroupRow;

/// How tables are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Box-drawn table for the terminal.
    Table,
    /// GitHub-flavoured Markdown, to paste into a paper or a pull request.
    Markdown,
}

pub use crate::diag::ellipsis;

/// Label of runs that name no arm.
pub const NO_ARM: &str = "(none)";

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

pub fn new_table(format: TableFormat) -> Table {
    let mut t = Table::new();
    match format {
        TableFormat::Table => t.load_style(presets::UTF8_FULL_CONDENSED),
        TableFormat::Markdown => t.load_style(presets::ASCII_MARKDOWN),
    };
    // On a terminal, wrap cells to fit its width; elsewhere (files, pipes, tests) never wrap,
    // so that output does not depend on where it goes.
    if format == TableFormat::Table && std::io::stdout().is_terminal() {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        t.set_content_arrangement(ContentArrangement::Disabled);
        t.force_no_tty();
    }
    t
}

/// Right-align the columns `from..` (numbers).
fn align_numbers(t: &mut Table, from: usize) {
    for i in from..t.column_count() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// A table with one row per group and the total row; numeric columns right-aligned.
fn grouped_table(
    tables: &Tables,
    header: &[&str],
    cells: impl Fn(&GroupRow) -> Vec<String>,
    format: TableFormat,
) -> String {
    let mut t = new_table(format);
    let label = tables.label();
    let mut h = vec![label.as_str()];
    h.extend_from_slice(header);
    t.set_header(h);
    for row in tables.groups.iter().chain(std::iter::once(&tables.total)) {
        let mut r = vec![row.label()];
        r.extend(cells(row));
        t.add_row(r);
    }
    align_numbers(&mut t, 1);
    t.to_string()
}

/// The headline: final pass, safe pass, unsafe pass and fail per group, as x/n with a Wilson
/// 95% interval over the runs whose outcome was recorded; the unsafe share of passes.
pub fn render_safety(tables: &Tables, format: TableFormat) -> String {
    let header = [
        "runs",
        "final pass",
        "safe pass",
        "unsafe pass",
        "fail",
        "unknown",
        "unsafe share of passes",
    ];
    grouped_table(
        tables,
        &header,
        |row| {
            vec![
                row.runs.to_string(),
                row.final_pass().render(),
                row.safe().render(),
                row.unsafe_().render(),
                row.failed().render(),
                row.unknown.to_string(),
                row.unsafe_of_passes().render(),
            ]
        },
        format,
    )
}

/// What the agents did per group: calls, mutations, and the objects the replay saw change.
pub fn render_activity(tables: &Tables, format: TableFormat) -> String {
    let header = [
        "runs",
        "scenarios",
        "tool calls",
        "mutations",
        "objects created",
        "changed",
        "removed",
    ];
    grouped_table(
        tables,
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

/// The arm × scenario matrix: each cell lists its runs' verdicts in repeat order (S safe pass,
/// U unsafe pass, F fail, ? unknown) and the rule found most often in its unsafe and failed runs.
pub fn render_matrix(tables: &Tables, format: TableFormat) -> String {
    let mut scenarios: Vec<&str> = tables.cells.iter().map(|c| c.scenario.as_str()).collect();
    scenarios.sort_unstable();
    scenarios.dedup();
    let mut arms: Vec<&str> = tables.cells.iter().map(|c| c.arm.as_str()).collect();
    arms.dedup();
    let mut t = new_table(format);
    let mut header = vec!["arm"];
    header.extend(scenarios.iter().copied());
    t.set_header(header);
    for arm in arms {
        let row: Vec<String> = std::iter::once(arm.to_string())
            .chain(scenarios.iter().map(|sc| {
                tables
                    .cells
                    .iter()
                    .find(|c| c.arm == arm && c.scenario == *sc)
                    .map_or(String::new(), |c| match &c.top_rule {
                        Some(rule) => format!("{} · {rule}", c.verdicts),
                        None => c.verdicts.clone(),
                    })
            }))
            .collect();
        t.add_row(row);
    }
    t.to_string()
}

/// The pass^k table, when some arm has at least two repeats of every scenario it ran.
pub fn render_pass_k(tables: &Tables, format: TableFormat) -> Option<String> {
    if !tables.pass_k.iter().any(|p| p.k >= 2) {
        return None;
    }
    let mut t = new_table(format);
    t.set_header(["arm", "k", "cells", "final pass^k", "safe pass^k"]);
    for p in &tables.pass_k {
        t.add_row([
            p.arm.clone(),
            p.k.to_string(),
            p.cells.to_string(),
            format!("{:.3}", p.final_pass_k),
            format!("{:.3}", p.safe_pass_k),
        ]);
    }
    Some(t.to_string())
}

/// Rule hits: rule, severity, category, findings, runs hit, scenarios hit, not applicable.
pub fn render_rule_hits(tables: &Tables, format: TableFormat) -> String {
    if tables.rule_hits.is_empty() {
        return "No rule found anything.".to_string();
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
    for h in &tables.rule_hits {
        t.add_row([
            format!("{}@{}", h.rule, h.version),
            h.severity.clone(),
            h.category.clone(),
            h.findings.to_string(),
            h.runs.to_string(),
            h.scenarios.to_string(),
            h.not_applicable.to_string(),
        ]);
    }
    align_numbers(&mut t, 3);
    t.to_string()
}

/// The not-understood table, or a line saying there is none.
pub fn render_not_understood(tables: &Tables, format: TableFormat) -> String {
    let rows = &tables.not_understood;
    if rows.is_empty() {
        return "Every tool call was understood.".to_string();
    }
    let mut t = new_table(format);
    t.set_header(["tool call not understood", "calls", "runs"]);
    for r in rows {
        t.add_row([r.label.clone(), r.calls.to_string(), r.runs.to_string()]);
    }
    align_numbers(&mut t, 1);
    let total: u64 = rows.iter().map(|r| r.calls).sum();
    format!("{total} tool call(s) were not understood; their effects are not in any count:\n\n{t}")
}

/// One line on how far the replay can be trusted: runs whose recorded final state was checked.
pub fn render_fidelity(tables: &Tables) -> String {
    let f = tables.fidelity;
    format!(
        "replay fidelity: final_state agrees in {} run(s), disagrees in {}, not recorded in {}",
        f.agrees, f.disagrees, f.not_recorded
    )
}

/// The whole text report `analyze` prints: headline, matrix, pass^k, activity, fidelity, rule
/// hits, calls not understood, accounting and provenance.
pub fn render_report(
    tables: &Tables,
    accounting: &Accounting,
    provenance: &Provenance,
    format: TableFormat,
) -> String {
    let mut s = String::new();
    let label = tables.label();
    let _ = writeln!(s, "Safety by {label}\n");
    let _ = writeln!(s, "{}\n", render_safety(tables, format));
    let _ = writeln!(
        s,
        "Rates are x/n over runs with a recorded outcome, with Wilson 95% intervals; an unsafe pass \
         passed with a finding at or above {}.\n",
        provenance.unsafe_at
    );
    let _ = writeln!(
        s,
        "Verdicts by arm and scenario (S safe pass, U unsafe pass, F fail, ? unknown; most frequent rule)\n"
    );
    let _ = writeln!(s, "{}\n", render_matrix(tables, format));
    if let Some(t) = render_pass_k(tables, format) {
        let _ = writeln!(
            s,
            "pass^k over repeats (mean over scenarios of C(c,k)/C(n,k))\n"
        );
        let _ = writeln!(s, "{t}\n");
    }
    let _ = writeln!(s, "Activity by {label}\n");
    let _ = writeln!(s, "{}\n", render_activity(tables, format));
    let _ = writeln!(
        s,
        "mutations = operations that changed or may have changed the cluster (not reads, dry runs or failed calls); \
         objects include cascades and controllers' reactions.\n"
    );
    let _ = writeln!(s, "{}\n", render_fidelity(tables));
    let _ = writeln!(s, "Rule hits\n");
    let _ = writeln!(s, "{}\n", render_rule_hits(tables, format));
    let _ = writeln!(s, "{}\n", render_not_understood(tables, format));
    s.push_str(&accounting.render());
    let _ = writeln!(s, "{}", provenance.render());
    s
}

/// What an analysis was made with: enough to reproduce it, and to tell two analyses apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub kubeautopsy: String,
    /// Digest of the whole rule set (rules, lists, macros).
    pub rule_set: String,
    pub rules: Vec<RuleInfo>,
    pub tool_maps: u64,
    pub unsafe_at: String,
    pub intervals: String,
}

/// One rule of the rule set, as recorded in a saved analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub version: u32,
    pub severity: String,
    pub category: String,
    /// Digest of the rule's definition: tells a changed rule that kept its version.
    pub digest: String,
}

impl Provenance {
    pub fn of(
        rules: &crate::rules::RuleSet,
        tool_maps: usize,
        unsafe_at: crate::rules::Severity,
    ) -> Provenance {
        Provenance {
            kubeautopsy: env!("CARGO_PKG_VERSION").to_string(),
            rule_set: rules.digest(),
            rules: rules
                .rules
                .iter()
                .map(|r| RuleInfo {
                    id: r.rule.id.clone(),
                    version: r.rule.version,
                    severity: r.rule.severity.name().to_string(),
                    category: serde_name(r.rule.category),
                    digest: rules.rule_digest(r),
                })
                .collect(),
            tool_maps: tool_maps as u64,
            unsafe_at: unsafe_at.name().to_string(),
            intervals: "Wilson score 95%".to_string(),
        }
    }

    /// The footer line.
    pub fn render(&self) -> String {
        format!(
            "provenance: kubeautopsy {}, rule set {} ({} rules), {} tool maps, unsafe at {}, intervals {}",
            self.kubeautopsy,
            self.rule_set,
            self.rules.len(),
            self.tool_maps,
            self.unsafe_at,
            self.intervals
        )
    }
}

/// The name a unit enum serializes to ("high", "broad-patch").
pub fn serde_name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The facts catalog as a table.
pub fn render_facts(format: TableFormat) -> String {
    let mut t = new_table(format);
    t.set_header(["fact", "scope", "type", "meaning"]);
    for f in crate::fact::FACTS {
        t.add_row([
            f.name.to_string(),
            f.scope.name().to_string(),
            f.ty.name().to_string(),
            f.description.to_string(),
        ]);
    }
    t.to_string()
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
    /// The sources read and the paths skipped (with the reason): what shards share, so that
    /// merging them counts each input once.
    pub source_paths: Vec<String>,
    pub skipped_paths: Vec<(String, String)>,
    /// Runs whose id an earlier run already has (both are analysed and counted).
    pub duplicate_run_ids: u64,
}

impl Accounting {
    pub fn of<R>(corpus: &Corpus<R>) -> Accounting {
        let mut a = Accounting {
            sources: corpus.sources.len() as u64,
            records: corpus.items.len() as u64 + corpus.folded_runs,
            runs: corpus.runs().count() as u64 + corpus.folded_runs,
            scenarios: corpus.scenario_count() as u64,
            stopped_early: corpus.stopped_early,
            ..Accounting::default()
        };
        for (path, reason) in &corpus.skipped {
            match reason {
                SkipReason::NotATraceFile => a.skipped_not_trace += 1,
                SkipReason::Duplicate => a.skipped_duplicate += 1,
            }
            a.skipped_paths
                .push((path.display().to_string(), reason.as_str().to_string()));
        }
        a.source_paths = corpus
            .sources
            .iter()
            .map(|s| s.display.to_string())
            .collect();
        for r in corpus.rejections() {
            *a.rejected.entry(r.kind).or_default() += 1;
        }
        a
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// The accounting as JSON (for `--format json` and saved analyses).
    pub fn to_json(&self) -> serde_json::Value {
        let rejected: serde_json::Map<String, serde_json::Value> = self
            .rejected
            .iter()
            .map(|(k, n)| (k.as_str().to_string(), (*n).into()))
            .collect();
        serde_json::json!({
            "sources": self.sources,
            "skipped_not_trace": self.skipped_not_trace,
            "skipped_duplicate": self.skipped_duplicate,
            "records": self.records,
            "runs": self.runs,
            "scenarios": self.scenarios,
            "rejected": rejected,
            "rejected_total": self.rejected_total(),
            "stopped_early": self.stopped_early,
            "duplicate_run_ids": self.duplicate_run_ids,
            "source_paths": self.source_paths,
            "skipped_paths": self.skipped_paths,
        })
    }

    /// The accounting of the whole corpus from those of its shards: inputs are counted once
    /// (the union of their paths), records, runs and rejections are added up.
    pub fn merge(parts: &[Accounting]) -> Accounting {
        let mut sources = std::collections::BTreeSet::new();
        let mut skipped = std::collections::BTreeSet::new();
        let mut a = Accounting::default();
        for p in parts {
            a.records += p.records;
            a.runs += p.runs;
            a.scenarios += p.scenarios;
            a.stopped_early |= p.stopped_early;
            for (k, n) in &p.rejected {
                *a.rejected.entry(*k).or_default() += n;
            }
            for s in &p.source_paths {
                if sources.insert(s.clone()) {
                    a.source_paths.push(s.clone());
                }
            }
            for s in &p.skipped_paths {
                if skipped.insert(s.clone()) {
                    a.skipped_paths.push(s.clone());
                }
            }
        }
        // The canonical order of discovery (by path, component by component).
        a.source_paths
            .sort_by(|x, y| std::path::Path::new(x).cmp(std::path::Path::new(y)));
        a.skipped_paths.sort_by(|x, y| {
            std::path::Path::new(&x.0)
                .cmp(std::path::Path::new(&y.0))
                .then_with(|| x.1.cmp(&y.1))
        });
        a.sources = a.source_paths.len() as u64;
        a.skipped_not_trace = a
            .skipped_paths
            .iter()
            .filter(|(_, r)| r == SkipReason::NotATraceFile.as_str())
            .count() as u64;
        a.skipped_duplicate = a.skipped_paths.len() as u64 - a.skipped_not_trace;
        a
    }

    /// Read back what [`Accounting::to_json`] wrote (unknown kinds are ignored).
    pub fn from_json(v: &serde_json::Value) -> Accounting {
        let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
        let mut rejected = BTreeMap::new();
        if let Some(m) = v.get("rejected").and_then(serde_json::Value::as_object) {
            for (k, c) in m {
                if let Some(kind) = RejectKind::ALL.iter().find(|r| r.as_str() == k) {
                    rejected.insert(*kind, c.as_u64().unwrap_or(0));
                }
            }
        }
        Accounting {
            sources: n("sources"),
            skipped_not_trace: n("skipped_not_trace"),
            skipped_duplicate: n("skipped_duplicate"),
            records: n("records"),
            runs: n("runs"),
            scenarios: n("scenarios"),
            duplicate_run_ids: n("duplicate_run_ids"),
            rejected,
            stopped_early: v
                .get("stopped_early")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            source_paths: v
                .get("source_paths")
                .and_then(|x| serde_json::from_value(x.clone()).ok())
                .unwrap_or_default(),
            skipped_paths: v
                .get("skipped_paths")
                .and_then(|x| serde_json::from_value(x.clone()).ok())
                .unwrap_or_default(),
        }
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
        if self.duplicate_run_ids > 0 {
            let _ = write!(
                s,
                " ({} with the id of an earlier run: each is counted)",
                self.duplicate_run_ids
            );
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
