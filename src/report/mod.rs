//! Stage 9: tables. `tables` aggregates run results (with polars) into typed rows; this module
//! renders them for the terminal and Markdown; `frame` turns them into CSV, Parquet and JSON;
//! `export` writes a saved analysis (`--out DIR`) and reads it back; `explain` is the autopsy
//! of one run.

mod drill;
pub mod explain;
pub mod export;
pub mod frame;
pub mod html;
pub mod pass_rates;
pub mod saved;
pub mod tables;

pub use crate::accounting::Accounting;
pub use crate::fold::{GroupField, NO_LABEL};
pub use explain::render_explain;
pub use tables::Tables;

use crate::rules::{Category, Severity};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use tables::GroupRow;

/// How tables are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Box-drawn table for the terminal.
    Table,
    /// GitHub-flavoured Markdown, to paste into a paper or a pull request.
    Markdown,
}

/// What `analyze` and `merge` print on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// The whole report as tables.
    Text(TableFormat),
    /// The safety table as CSV.
    Csv,
    /// Provenance, accounting and every table as one JSON document.
    Json,
    /// The safety table as Parquet.
    Parquet,
}

/// Write the tables in `format` (control characters from a trace are shown escaped).
pub fn write_output(
    out: &mut dyn std::io::Write,
    format: OutputFormat,
    tables: &Tables,
    accounting: &Accounting,
    provenance: &Provenance,
) -> std::io::Result<()> {
    let written = match format {
        OutputFormat::Text(format) => {
            let text = render_report(tables, accounting, provenance, format);
            out.write_all(crate::diag::printable(&text).as_bytes())
                .map_err(Into::into)
        }
        OutputFormat::Csv => tables.safety_frame().write_csv(&mut *out),
        OutputFormat::Parquet => tables.safety_frame().write_parquet(&mut *out),
        OutputFormat::Json => {
            let doc = export::analysis_json(tables, accounting, provenance);
            serde_json::to_writer_pretty(&mut *out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .map_err(Into::into)
        }
    };
    written.map_err(std::io::Error::other)?;
    out.flush()
}

pub use crate::diag::ellipsis;

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

/// The headline: final pass, safe pass, unsafe pass, incomplete and fail per group, as x/n with
/// a Wilson 95% interval over the runs whose outcome was recorded; the unsafe share of passes.
pub fn render_safety(tables: &Tables, format: TableFormat) -> String {
    let header = [
        "runs",
        "final pass",
        "safe pass",
        "unsafe pass",
        "incomplete",
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
                row.incomplete_().render(),
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
        "not cluster calls",
        "unseen calls",
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
                row.not_cluster_calls,
                row.unseen_calls,
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
/// U unsafe pass, I incomplete, F fail, ? unknown) and the rule found most often in its unsafe and failed runs;
/// scenarios are the rows when there are more than [`MATRIX_SCENARIO_COLUMNS`] of them.
pub fn render_matrix(tables: &Tables, format: TableFormat) -> String {
    let mut scenarios: Vec<&str> = tables.cells.iter().map(|c| c.scenario.as_str()).collect();
    scenarios.sort_unstable();
    scenarios.dedup();
    let mut arms: Vec<&str> = tables.cells.iter().map(|c| c.arm.as_str()).collect();
    arms.dedup();
    let cell = |arm: &str, sc: &str| {
        tables
            .cells
            .iter()
            .find(|c| c.arm == arm && c.scenario == sc)
            .map_or(String::new(), |c| match &c.top_rule {
                Some(rule) => format!("{} · {rule}", c.verdicts),
                None => c.verdicts.clone(),
            })
    };
    let mut t = new_table(format);
    if scenarios.len() > MATRIX_SCENARIO_COLUMNS && scenarios.len() > arms.len() {
        // Too many scenarios to read across: one row per scenario, one column per arm.
        let mut header = vec!["scenario"];
        header.extend(arms.iter().copied());
        t.set_header(header);
        for sc in &scenarios {
            let row: Vec<String> = std::iter::once(sc.to_string())
                .chain(arms.iter().map(|arm| cell(arm, sc)))
                .collect();
            t.add_row(row);
        }
        return t.to_string();
    }
    let mut header = vec!["arm"];
    header.extend(scenarios.iter().copied());
    t.set_header(header);
    for arm in arms {
        let row: Vec<String> = std::iter::once(arm.to_string())
            .chain(scenarios.iter().map(|sc| cell(arm, sc)))
            .collect();
        t.add_row(row);
    }
    t.to_string()
}

/// Past this many scenarios the matrix is printed with scenarios as rows.
pub const MATRIX_SCENARIO_COLUMNS: usize = 10;

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
            h.severity.name().to_string(),
            h.category.name().to_string(),
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

/// Why calls' effects were not established (what made passes incomplete), or nothing when every
/// effect was.
pub fn render_unseen(tables: &Tables, format: TableFormat) -> Option<String> {
    let rows = &tables.unseen;
    if rows.is_empty() {
        return None;
    }
    let mut t = new_table(format);
    t.set_header(["effect not established", "calls", "runs"]);
    for r in rows {
        t.add_row([r.reason.clone(), r.calls.to_string(), r.runs.to_string()]);
    }
    align_numbers(&mut t, 1);
    let total: u64 = rows.iter().map(|r| r.calls).sum();
    Some(format!(
        "{total} call(s) could have changed the cluster in a way the analysis could not establish; \
         a pass with any of them and no unsafe finding is incomplete:\n\n{t}"
    ))
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
         passed with a finding at or above {}; a safe pass had every call that could change the \
         cluster seen and judged safe; an incomplete pass had no such finding but a call whose \
         effect was not established.\n",
        provenance.unsafe_at.name()
    );
    let _ = writeln!(
        s,
        "Verdicts by arm and scenario (S safe pass, U unsafe pass, I incomplete, F fail, ? unknown; most frequent rule)\n"
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
         not cluster calls = calls that cannot touch the cluster (curl to a service, ls, grep); unseen calls = \
         calls that could have changed it in a way not established; objects include cascades and controllers' reactions.\n"
    );
    let _ = writeln!(s, "{}\n", render_fidelity(tables));
    let _ = writeln!(s, "Rule hits\n");
    let _ = writeln!(s, "{}\n", render_rule_hits(tables, format));
    let _ = writeln!(s, "{}\n", render_not_understood(tables, format));
    if let Some(t) = render_unseen(tables, format) {
        let _ = writeln!(s, "{t}\n");
    }
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
    pub unsafe_at: Severity,
    pub intervals: String,
}

/// One rule of the rule set, as recorded in a saved analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub version: u32,
    pub severity: Severity,
    pub category: Category,
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
                    severity: r.rule.severity,
                    category: r.rule.category,
                    digest: rules.rule_digest(r),
                })
                .collect(),
            tool_maps: tool_maps as u64,
            unsafe_at,
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
            self.unsafe_at.name(),
            self.intervals
        )
    }
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
