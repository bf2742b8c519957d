//! Aggregation: the run results become the tables, grouped and counted by polars. Every table
//! is a list of typed rows; each renders for the terminal or Markdown (in `render`) and becomes
//! a [`Frame`] for CSV, Parquet and JSON, so every output shows the same numbers.

use super::frame::Frame;
use crate::fold::{
    COUNTERS, FidelityCounts, GroupField, LABEL_FIELDS, MAX_CELL_LETTERS, NO_LABEL, RuleKey,
    RunFold, VERDICT_COUNTERS,
};
use crate::rules::{Category, Severity};
use crate::run_result::RunResult;
use crate::verdict::{Share, Verdict};
use polars::prelude::{DataFrame, DataType, PolarsResult};
use std::collections::BTreeMap;

/// One group's counts (one row of the safety and activity tables).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRow {
    /// The value of each `--by` field, in `--by` order ("(none)" when the trace names none).
    pub key: Vec<String>,
    pub runs: u64,
    pub scenarios: u64,
    pub tool_calls: u64,
    pub mutations: u64,
    /// Calls that could not touch the cluster.
    pub not_cluster_calls: u64,
    /// Calls whose effect on the cluster was not established.
    pub unseen_calls: u64,
    pub created: u64,
    pub changed: u64,
    pub removed: u64,
    pub safe_pass: u64,
    pub unsafe_pass: u64,
    pub incomplete: u64,
    pub fail: u64,
    pub unknown: u64,
}

impl GroupRow {
    /// The key's values joined with " / ".
    pub fn label(&self) -> String {
        self.key.join(" / ")
    }
    /// Runs with a recorded outcome: the denominator of every rate.
    pub fn known(&self) -> u64 {
        self.passed() + self.fail
    }
    /// Final passes: safe + unsafe + incomplete.
    pub fn passed(&self) -> u64 {
        self.safe_pass + self.unsafe_pass + self.incomplete
    }
    pub fn final_pass(&self) -> Share {
        Share::wilson(self.passed(), self.known())
    }
    pub fn safe(&self) -> Share {
        Share::wilson(self.safe_pass, self.known())
    }
    pub fn unsafe_(&self) -> Share {
        Share::wilson(self.unsafe_pass, self.known())
    }
    pub fn incomplete_(&self) -> Share {
        Share::wilson(self.incomplete, self.known())
    }
    pub fn failed(&self) -> Share {
        Share::wilson(self.fail, self.known())
    }
    /// The unsafe share of the passes.
    pub fn unsafe_of_passes(&self) -> Share {
        Share::wilson(self.unsafe_pass, self.passed())
    }
}

/// One (arm, scenario) cell: its verdicts in repeat order and the rule found most often in its
/// unsafe and failed runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub arm: String,
    pub scenario: String,
    pub runs: u64,
    pub safe_pass: u64,
    pub unsafe_pass: u64,
    pub incomplete: u64,
    pub fail: u64,
    pub unknown: u64,
    /// S safe pass, U unsafe pass, I incomplete, F fail, ? unknown; space-separated, in repeat
    /// order.
    pub verdicts: String,
    pub top_rule: Option<String>,
}

impl Cell {
    /// Final passes: safe + unsafe + incomplete.
    pub fn passed(&self) -> u64 {
        self.safe_pass + self.unsafe_pass + self.incomplete
    }
}

/// pass^k of one arm for one k.
#[derive(Debug, Clone, PartialEq)]
pub struct PassK {
    pub arm: String,
    pub k: u64,
    pub cells: u64,
    pub final_pass_k: f64,
    pub safe_pass_k: f64,
}

/// One rule's hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    pub rule: String,
    pub version: u64,
    pub severity: Severity,
    pub category: Category,
    pub findings: u64,
    pub runs: u64,
    pub scenarios: u64,
    /// Runs in which the rule could not judge (nothing it looks at happened, unknown facts).
    pub not_applicable: u64,
}

/// Calls that no tool map understood, by label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUnderstood {
    pub label: String,
    pub calls: u64,
    pub runs: u64,
}

/// Calls whose effect was not established, by reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unseen {
    pub reason: String,
    pub calls: u64,
    pub runs: u64,
}

/// Every table of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tables {
    pub by: Vec<GroupField>,
    pub groups: Vec<GroupRow>,
    pub total: GroupRow,
    pub cells: Vec<Cell>,
    pub pass_k: Vec<PassK>,
    pub rule_hits: Vec<RuleHit>,
    pub not_understood: Vec<NotUnderstood>,
    pub unseen: Vec<Unseen>,
    pub fidelity: FidelityCounts,
}

/// One aggregated group: its key values, the sums and the distinct counts asked for.
struct Agg {
    key: Vec<String>,
    sums: Vec<u64>,
    distinct: Vec<u64>,
}

/// Group `df` by `keys` (string columns; no key: one group of everything), summing `sums` and
/// counting the distinct values of `distinct` in each group. Polars' eager group-by: its lazy
/// engine would pull an HTTP/TLS stack into the build for nothing (see design.md).
#[allow(deprecated)]
fn aggregate(
    df: &DataFrame,
    keys: &[&str],
    sums: &[&str],
    distinct: &[&str],
) -> PolarsResult<Vec<Agg>> {
    let mut df = df.clone();
    let keys: Vec<&str> = if keys.is_empty() {
        let all = polars::prelude::Column::new("__all".into(), vec!["all"; df.height()]);
        df.with_column(all)?;
        vec!["__all"]
    } else {
        keys.to_vec()
    };
    let gb = df.group_by_stable(keys.iter().copied())?;
    let summed = gb.clone().select(sums.iter().copied()).sum()?;
    let uniq = gb.select(distinct.iter().copied()).n_unique()?;
    let mut out = Vec::with_capacity(summed.height());
    let key_cols = keys
        .iter()
        .map(|k| summed.column(k).and_then(|c| Ok(c.str()?.clone())))
        .collect::<PolarsResult<Vec<_>>>()?;
    let sum_cols = sums
        .iter()
        .map(|s| u64_column(&summed, &format!("{s}_sum")))
        .collect::<PolarsResult<Vec<_>>>()?;
    let uniq_cols = distinct
        .iter()
        .map(|s| u64_column(&uniq, &format!("{s}_n_unique")))
        .collect::<PolarsResult<Vec<_>>>()?;
    for i in 0..summed.height() {
        out.push(Agg {
            key: key_cols
                .iter()
                .map(|c| c.get(i).unwrap_or(NO_LABEL).to_string())
                .collect(),
            sums: sum_cols.iter().map(|c| c[i]).collect(),
            distinct: uniq_cols.iter().map(|c| c[i]).collect(),
        });
    }
    Ok(out)
}

fn u64_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let c = df.column(name)?.cast(&DataType::UInt64)?;
    Ok(c.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// The frame aggregation works on: one row per label tuple (report, model, arm, scenario) with
/// its summed counters. Sums of these rows and distinct counts of their scenario labels are
/// those of one row per run.
fn label_counters(fold: &RunFold) -> Frame {
    let mut f = Frame::new("label_counters");
    for (i, field) in LABEL_FIELDS.iter().enumerate() {
        f = f.str(field.name(), fold.labels.keys().map(|k| k[i].as_str()));
    }
    for (i, name) in COUNTERS.iter().enumerate() {
        f = f.u64(name, fold.labels.values().map(|c| c[i]));
    }
    f
}

fn group_row(a: Agg) -> GroupRow {
    let s = |name: &str| {
        COUNTERS
            .iter()
            .position(|c| *c == name)
            .map_or(0, |i| a.sums[i])
    };
    GroupRow {
        runs: s("runs"),
        scenarios: a.distinct[0],
        tool_calls: s("tool_calls"),
        mutations: s("mutations"),
        not_cluster_calls: s("not_cluster_calls"),
        unseen_calls: s("unseen_calls"),
        created: s("objects_created"),
        changed: s("objects_changed"),
        removed: s("objects_removed"),
        safe_pass: s("safe_pass"),
        unsafe_pass: s("unsafe_pass"),
        incomplete: s("incomplete"),
        fail: s("fail"),
        unknown: s("unknown"),
        key: a.key,
    }
}

impl Tables {
    /// Aggregate `runs` grouped by `by`.
    pub fn of(runs: &[&RunResult], by: &[GroupField]) -> PolarsResult<Tables> {
        Tables::from_fold(&RunFold::of(runs.iter().copied()), by)
    }

    /// Aggregate folded runs grouped by `by`.
    pub fn from_fold(fold: &RunFold, by: &[GroupField]) -> PolarsResult<Tables> {
        let df = label_counters(fold).to_polars()?;
        let keys: Vec<&str> = by.iter().map(|f| f.name()).collect();
        let mut groups: Vec<GroupRow> = aggregate(&df, &keys, &COUNTERS, &["scenario"])?
            .into_iter()
            .map(group_row)
            .collect();
        groups.sort_by_key(GroupRow::label);
        let mut total = aggregate(&df, &[], &COUNTERS, &["scenario"])?
            .pop()
            .map(group_row)
            .unwrap_or_else(|| GroupRow {
                key: vec!["all".to_string()],
                ..GroupRow::default()
            });
        total.key = vec!["all".to_string()];

        let cells = cells(fold, &df)?;
        let pass_k = pass_k(&cells);
        Ok(Tables {
            by: by.to_vec(),
            groups,
            total,
            pass_k,
            cells,
            rule_hits: rule_hits(fold)?,
            not_understood: not_understood(fold),
            unseen: fold
                .unseen
                .iter()
                .map(|(reason, [calls, runs])| Unseen {
                    reason: reason.clone(),
                    calls: *calls,
                    runs: *runs,
                })
                .collect(),
            fidelity: fold.fidelity,
        })
    }

    /// The header of the group column: "arm", "model / arm"...
    pub fn label(&self) -> String {
        super::group_label(&self.by)
    }

    /// Every table as a frame (the file stems under `--out`).
    pub fn frames(&self) -> Vec<Frame> {
        vec![
            self.safety_frame(),
            self.activity_frame(),
            self.matrix_frame(),
            self.pass_k_frame(),
            self.rule_hits_frame(),
            self.not_understood_frame(),
            self.unseen_frame(),
        ]
    }

    fn with_keys(&self, name: &'static str) -> (Frame, Vec<&GroupRow>) {
        let rows: Vec<&GroupRow> = self
            .groups
            .iter()
            .chain(std::iter::once(&self.total))
            .collect();
        let mut f = Frame::new(name);
        for (i, field) in self.by.iter().enumerate() {
            // The total row has "all" in every key column.
            f = f.str(
                field.name(),
                rows.iter()
                    .map(|r| r.key.get(i).or(r.key.first()).cloned().unwrap_or_default()),
            );
        }
        (f, rows)
    }

    /// The headline table: counts and Wilson intervals of each verdict per group, then the
    /// total row (key "all").
    pub fn safety_frame(&self) -> Frame {
        let (f, rows) = self.with_keys("safety");
        let shares = |g: fn(&GroupRow) -> Share| rows.iter().map(|r| g(r)).collect::<Vec<_>>();
        f.u64("runs", rows.iter().map(|r| r.runs))
            .u64("with_outcome", rows.iter().map(|r| r.known()))
            .share("final_pass", &shares(GroupRow::final_pass))
            .share("safe_pass", &shares(GroupRow::safe))
            .share("unsafe_pass", &shares(GroupRow::unsafe_))
            .share("incomplete", &shares(GroupRow::incomplete_))
            .share("fail", &shares(GroupRow::failed))
            .u64("unknown", rows.iter().map(|r| r.unknown))
            .share("unsafe_of_passes", &shares(GroupRow::unsafe_of_passes))
    }

    pub fn activity_frame(&self) -> Frame {
        let (f, rows) = self.with_keys("activity");
        f.u64("runs", rows.iter().map(|r| r.runs))
            .u64("scenarios", rows.iter().map(|r| r.scenarios))
            .u64("tool_calls", rows.iter().map(|r| r.tool_calls))
            .u64("mutations", rows.iter().map(|r| r.mutations))
            .u64(
                "not_cluster_calls",
                rows.iter().map(|r| r.not_cluster_calls),
            )
            .u64("unseen_calls", rows.iter().map(|r| r.unseen_calls))
            .u64("objects_created", rows.iter().map(|r| r.created))
            .u64("objects_changed", rows.iter().map(|r| r.changed))
            .u64("objects_removed", rows.iter().map(|r| r.removed))
    }

    pub fn matrix_frame(&self) -> Frame {
        let c = &self.cells;
        Frame::new("matrix")
            .str("arm", c.iter().map(|c| c.arm.as_str()))
            .str("scenario", c.iter().map(|c| c.scenario.as_str()))
            .u64("runs", c.iter().map(|c| c.runs))
            .u64("safe_pass", c.iter().map(|c| c.safe_pass))
            .u64("unsafe_pass", c.iter().map(|c| c.unsafe_pass))
            .u64("incomplete", c.iter().map(|c| c.incomplete))
            .u64("fail", c.iter().map(|c| c.fail))
            .u64("unknown", c.iter().map(|c| c.unknown))
            .str("verdicts", c.iter().map(|c| c.verdicts.as_str()))
            .opt_str("top_rule", c.iter().map(|c| c.top_rule.as_deref()))
    }

    pub fn pass_k_frame(&self) -> Frame {
        let p = &self.pass_k;
        Frame::new("pass_k")
            .str("arm", p.iter().map(|p| p.arm.as_str()))
            .u64("k", p.iter().map(|p| p.k))
            .u64("cells", p.iter().map(|p| p.cells))
            .f64("final_pass_k", p.iter().map(|p| Some(p.final_pass_k)))
            .f64("safe_pass_k", p.iter().map(|p| Some(p.safe_pass_k)))
    }

    pub fn rule_hits_frame(&self) -> Frame {
        let h = &self.rule_hits;
        Frame::new("rule_hits")
            .str("rule", h.iter().map(|h| h.rule.as_str()))
            .u64("version", h.iter().map(|h| h.version))
            .str("severity", h.iter().map(|h| h.severity.name()))
            .str("category", h.iter().map(|h| h.category.name()))
            .u64("findings", h.iter().map(|h| h.findings))
            .u64("runs", h.iter().map(|h| h.runs))
            .u64("scenarios", h.iter().map(|h| h.scenarios))
            .u64("not_applicable", h.iter().map(|h| h.not_applicable))
    }

    pub fn not_understood_frame(&self) -> Frame {
        let n = &self.not_understood;
        Frame::new("not_understood")
            .str("tool_call", n.iter().map(|n| n.label.as_str()))
            .u64("calls", n.iter().map(|n| n.calls))
            .u64("runs", n.iter().map(|n| n.runs))
    }

    pub fn unseen_frame(&self) -> Frame {
        let n = &self.unseen;
        Frame::new("unseen")
            .str("reason", n.iter().map(|n| n.reason.as_str()))
            .u64("calls", n.iter().map(|n| n.calls))
            .u64("runs", n.iter().map(|n| n.runs))
    }
}

/// The arm × scenario cells: counts by polars; the verdict letters in repeat order (or, for a
/// cell of more than [`MAX_CELL_LETTERS`] runs, the count of each verdict) and the most
/// frequent rule of the unsafe and failed runs from the fold.
fn cells(fold: &RunFold, df: &DataFrame) -> PolarsResult<Vec<Cell>> {
    let counts = &COUNTERS[VERDICT_COUNTERS..];
    let mut out = Vec::new();
    for a in aggregate(df, &["arm", "scenario"], counts, &[])? {
        let (arm, scenario) = (a.key[0].clone(), a.key[1].clone());
        let Some(cell) = fold.cells.get(&(arm.clone(), scenario.clone())) else {
            continue;
        };
        let [safe_pass, unsafe_pass, incomplete, fail, unknown] =
            [a.sums[0], a.sums[1], a.sums[2], a.sums[3], a.sums[4]];
        let verdicts = if cell.runs <= MAX_CELL_LETTERS {
            let mut list: Vec<&(Option<u64>, String, Verdict)> = cell.letters.iter().collect();
            list.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
            list.iter()
                .map(|r| r.2.letter())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            [
                (safe_pass, Verdict::SafePass),
                (unsafe_pass, Verdict::UnsafePass),
                (incomplete, Verdict::Incomplete),
                (fail, Verdict::Fail),
                (unknown, Verdict::Unknown),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, v)| format!("{n}×{}", v.letter()))
            .collect::<Vec<_>>()
            .join(" ")
        };
        let top_rule = cell
            .rule_counts
            .iter()
            .max_by_key(|(id, n)| (**n, std::cmp::Reverse(*id)))
            .map(|(id, _)| id.clone());
        out.push(Cell {
            runs: cell.runs,
            safe_pass,
            unsafe_pass,
            incomplete,
            fail,
            unknown,
            verdicts,
            top_rule,
            arm,
            scenario,
        });
    }
    out.sort_by(|x, y| (&x.arm, &x.scenario).cmp(&(&y.arm, &y.scenario)));
    Ok(out)
}

/// The largest k of the pass^k table (a benchmark repeats a cell a handful of times; a cell of
/// thousands of runs would otherwise give thousands of rows, each costing O(k)).
pub const MAX_PASS_K: u64 = 10;

/// pass^k (tau-bench): the chance that k repeats of a cell all pass, averaged over the cells
/// (arm, scenario) of each arm: mean of C(c, k) / C(n, k) for n runs with a recorded outcome
/// and c passes; for final passes and for safe passes. k runs up to the smallest n of the arm,
/// at most [`MAX_PASS_K`].
fn pass_k(cells: &[Cell]) -> Vec<PassK> {
    let ratio = crate::verdict::pass_hat_k;
    let mut by_arm: BTreeMap<&str, Vec<&Cell>> = BTreeMap::new();
    for c in cells.iter().filter(|c| c.passed() + c.fail > 0) {
        by_arm.entry(c.arm.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    for (arm, cells) in by_arm {
        let n = |c: &Cell| c.passed() + c.fail;
        let kmax = cells
            .iter()
            .map(|c| n(c))
            .min()
            .unwrap_or(0)
            .min(MAX_PASS_K);
        for k in 1..=kmax {
            let mean = |pick: fn(&Cell) -> u64| {
                cells
                    .iter()
                    .map(|c| {
                        if pick(c) >= k {
                            ratio(pick(c), n(c), k)
                        } else {
                            0.0
                        }
                    })
                    .sum::<f64>()
                    / cells.len() as f64
            };
            out.push(PassK {
                arm: arm.to_string(),
                k,
                cells: cells.len() as u64,
                final_pass_k: mean(Cell::passed),
                safe_pass_k: mean(|c| c.safe_pass),
            });
        }
    }
    out
}

/// Rule hits: one row per rule@version that found anything, with its not-applicable count.
/// (A rule's severity and category follow from its id and version: one rule set made the fold.)
fn rule_hits(fold: &RunFold) -> PolarsResult<Vec<RuleHit>> {
    let keys: Vec<&RuleKey> = fold.rules.keys().collect();
    let df = Frame::new("findings")
        .str("rule", keys.iter().map(|k| k.rule.as_str()))
        .str("version", keys.iter().map(|k| k.version.to_string()))
        .str("scenario", keys.iter().map(|k| k.scenario.as_str()))
        .u64("findings", fold.rules.values().map(|c| c[0]))
        .u64("runs", fold.rules.values().map(|c| c[1]))
        .to_polars()?;
    let mut hits: Vec<RuleHit> = Vec::new();
    for a in aggregate(
        &df,
        &["rule", "version"],
        &["findings", "runs"],
        &["scenario"],
    )? {
        let version: u32 = a.key[1].parse().unwrap_or(0);
        let Some(key) = keys
            .iter()
            .find(|k| k.rule == a.key[0] && k.version == version)
        else {
            continue;
        };
        hits.push(RuleHit {
            version: u64::from(version),
            severity: key.severity,
            category: key.category,
            findings: a.sums[0],
            runs: a.sums[1],
            scenarios: a.distinct[0],
            not_applicable: fold.not_applicable.get(&a.key[0]).copied().unwrap_or(0),
            rule: a.key[0].clone(),
        });
    }
    hits.sort_by(|x, y| (&x.rule, x.version).cmp(&(&y.rule, y.version)));
    Ok(hits)
}

/// Calls no tool map understood, most frequent first.
fn not_understood(fold: &RunFold) -> Vec<NotUnderstood> {
    let mut out: Vec<NotUnderstood> = fold
        .not_understood
        .iter()
        .map(|(label, [calls, runs])| NotUnderstood {
            label: label.clone(),
            calls: *calls,
            runs: *runs,
        })
        .collect();
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.label.cmp(&b.label)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_result::tests::run;

    #[test]
    fn rows_count_by_arm() {
        use Verdict::*;
        let runs = [
            run(Some("b"), "s1", SafePass),
            run(Some("a"), "s1", Fail),
            run(Some("b"), "s2", Unknown),
            run(None, "s1", UnsafePass),
        ];
        let refs: Vec<&RunResult> = runs.iter().collect();
        let t = Tables::of(&refs, &[GroupField::Arm]).unwrap();
        let arms: Vec<String> = t.groups.iter().map(GroupRow::label).collect();
        assert_eq!(arms, [NO_LABEL, "a", "b"]);
        let b = &t.groups[2];
        assert_eq!((b.runs, b.scenarios), (2, 2));
        assert_eq!((b.final_pass().x, b.final_pass().n), (1, 1));
        let total = &t.total;
        assert_eq!((total.runs, total.tool_calls, total.scenarios), (4, 8, 2));
        assert_eq!(
            (
                total.safe_pass,
                total.unsafe_pass,
                total.fail,
                total.unknown
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(
            t.not_understood,
            [NotUnderstood {
                label: "acme_apply".into(),
                calls: 8,
                runs: 4
            }]
        );
        let safety = t.safety_frame();
        assert_eq!(safety.height(), 4);
        assert_eq!(safety.str_at("arm", 3), Some("all"));
        assert_eq!(safety.u64_at("final_pass", 3), Some(2));
        assert_eq!(safety.u64_at("with_outcome", 3), Some(3));
    }

    #[test]
    fn groups_by_several_fields_and_no_runs() {
        use Verdict::*;
        let mut runs = [run(Some("a"), "s1", SafePass), run(Some("a"), "s2", Fail)];
        runs[1].head.model = Some("m".into());
        let refs: Vec<&RunResult> = runs.iter().collect();
        let t = Tables::of(&refs, &[GroupField::Model, GroupField::Arm]).unwrap();
        let labels: Vec<String> = t.groups.iter().map(GroupRow::label).collect();
        assert_eq!(labels, ["(none) / a", "m / a"]);
        let empty = Tables::of(&[], &[GroupField::Arm]).unwrap();
        assert!(empty.groups.is_empty());
        assert_eq!(empty.total.runs, 0);
        assert!(empty.cells.is_empty() && empty.rule_hits.is_empty());
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
            r.head.repeat = Some(i as u64);
        }
        let refs: Vec<&RunResult> = runs.iter().collect();
        let t = Tables::of(&refs, &[GroupField::Arm]).unwrap();
        let k2 = &t.pass_k[1];
        assert_eq!((k2.k, k2.cells), (2, 1));
        assert!((k2.final_pass_k - 1.0 / 3.0).abs() < 1e-12);
        assert!((k2.safe_pass_k - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(t.pass_k[2].final_pass_k, 0.0);
        assert_eq!(t.cells[0].verdicts, "S S F");
        assert_eq!((t.cells[0].safe_pass, t.cells[0].fail), (2, 1));
    }

    #[test]
    fn big_cells_show_counts_instead_of_letters() {
        use Verdict::*;
        let mut runs = Vec::new();
        for i in 0..=MAX_CELL_LETTERS {
            runs.push(run(
                Some("a"),
                "s",
                if i % 3 == 0 { Fail } else { SafePass },
            ));
        }
        let refs: Vec<&RunResult> = runs.iter().collect();
        let t = Tables::of(&refs, &[GroupField::Arm]).unwrap();
        assert_eq!(t.cells[0].runs, MAX_CELL_LETTERS + 1);
        assert_eq!(t.cells[0].verdicts, "20×S 11×F");
        let t = Tables::of(&refs[1..], &[GroupField::Arm]).unwrap();
        assert_eq!(t.cells[0].verdicts.len() as u64, 2 * MAX_CELL_LETTERS - 1);
    }

    #[test]
    fn pass_k_stops_at_max_k_for_big_cells() {
        // 100,000 runs of one cell once took minutes (k up to n, each O(k)).
        let cells = [Cell {
            arm: "a".into(),
            scenario: "s".into(),
            runs: 100_000,
            safe_pass: 90_000,
            unsafe_pass: 0,
            incomplete: 0,
            fail: 10_000,
            unknown: 0,
            verdicts: String::new(),
            top_rule: None,
        }];
        let p = pass_k(&cells);
        assert_eq!(p.len() as u64, MAX_PASS_K);
        let expect: f64 = (0..10)
            .map(|i| (90_000 - i) as f64 / (100_000 - i) as f64)
            .product();
        assert!(
            (p[9].safe_pass_k - expect).abs() < 1e-12,
            "{}",
            p[9].safe_pass_k
        );
    }
}
