//! The runs folded, as the pipeline produces them, into what the tables are made of: counters
//! summed per label tuple (report, model, arm, scenario), per-cell verdicts, rule hits, calls
//! not understood, fidelity. Memory grows with the number of distinct labels, rules and
//! scenarios, not with the number of runs (the one per-run state is [`IdIndex`], the run ids
//! seen, for the duplicate-id warning).
//!
//! Folding is commutative: folds made on different threads, over any split of the corpus,
//! merge into the same value, so the tables cannot depend on the thread count. Aggregation
//! (`Tables::from_fold`) groups these pre-summed rows with polars exactly as it would group
//! one row per run: sums of sums, distinct counts of scenario labels.

use crate::accounting::DuplicateId;
use crate::rules::{Category, Severity};
use crate::run_result::{FidelityState, RunResult};
use crate::verdict::Verdict;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The label of runs that name no value for a field (no arm, no model...).
pub const NO_LABEL: &str = "(none)";

/// The fields runs are labelled (and tables grouped) by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupField {
    Report,
    Model,
    Arm,
    Scenario,
}

impl GroupField {
    pub const ALL: [GroupField; 4] = [
        GroupField::Report,
        GroupField::Model,
        GroupField::Arm,
        GroupField::Scenario,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GroupField::Report => "report",
            GroupField::Model => "model",
            GroupField::Arm => "arm",
            GroupField::Scenario => "scenario",
        }
    }

    pub fn from_name(name: &str) -> Option<GroupField> {
        GroupField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The run's value of this field, or [`NO_LABEL`].
    pub fn value(self, r: &RunResult) -> &str {
        let v = match self {
            GroupField::Report => &r.head.report,
            GroupField::Model => &r.head.model,
            GroupField::Arm => &r.head.arm,
            GroupField::Scenario => &r.head.scenario,
        };
        v.as_deref().unwrap_or(NO_LABEL)
    }
}

/// Runs whose replayed end state was checked against a recorded `final_state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FidelityCounts {
    pub agrees: u64,
    pub disagrees: u64,
    pub not_recorded: u64,
}

/// The counters summed per label tuple, in this order (the column names of the aggregation):
/// run counts, then one per verdict (named by its code, in the order of [`Verdict::ALL`]).
pub const COUNTERS: [&str; N_COUNTERS] = [
    "runs",
    "tool_calls",
    "mutations",
    "not_cluster_calls",
    "unseen_calls",
    "objects_created",
    "objects_changed",
    "objects_removed",
    "safe_pass",
    "unsafe_pass",
    "incomplete",
    "fail",
    "unknown",
];

/// How many counters a label tuple has.
pub const N_COUNTERS: usize = 13;

/// Where the verdict counters start in [`COUNTERS`].
pub const VERDICT_COUNTERS: usize = N_COUNTERS - Verdict::ALL.len();

/// A cell lists its runs' verdict letters only up to this many runs (a benchmark repeats a
/// cell a handful of times); a bigger cell shows its counts per verdict instead.
pub const MAX_CELL_LETTERS: u64 = 30;

/// The label fields, in the order of a label tuple.
pub const LABEL_FIELDS: [GroupField; 4] = GroupField::ALL;

/// A rule finding's identity in the rule-hit table, and the scenario it was found in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleKey {
    pub rule: String,
    pub version: u32,
    pub severity: Severity,
    pub category: Category,
    pub scenario: String,
}

/// One (arm, scenario) cell's runs: their verdicts while the cell is small, and the rules found
/// in its unsafe and failed runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellFold {
    pub runs: u64,
    /// (repeat, id, verdict) of every run while `runs` ≤ [`MAX_CELL_LETTERS`]; empty after.
    pub letters: Vec<(Option<u64>, String, Verdict)>,
    /// Findings per rule in the cell's unsafe-pass and failed runs.
    pub rule_counts: BTreeMap<String, u64>,
}

impl CellFold {
    fn merge(&mut self, other: CellFold) {
        self.runs += other.runs;
        if self.runs <= MAX_CELL_LETTERS {
            self.letters.extend(other.letters);
        } else {
            self.letters = Vec::new();
        }
        for (rule, n) in other.rule_counts {
            *self.rule_counts.entry(rule).or_default() += n;
        }
    }
}

/// Everything the tables need from the runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFold {
    /// [`COUNTERS`] summed per label tuple (the values of [`LABEL_FIELDS`]).
    pub labels: BTreeMap<[String; 4], [u64; N_COUNTERS]>,
    pub cells: BTreeMap<(String, String), CellFold>,
    /// (findings, runs) per rule@version and scenario.
    pub rules: BTreeMap<RuleKey, [u64; 2]>,
    /// Runs in which each rule could not judge.
    pub not_applicable: BTreeMap<String, u64>,
    /// (calls, runs) per label of calls no tool map understood.
    pub not_understood: BTreeMap<String, [u64; 2]>,
    /// (calls, runs) per reason that a call's effect was not established.
    pub unseen: BTreeMap<String, [u64; 2]>,
    pub fidelity: FidelityCounts,
}

impl RunFold {
    /// Fold one run in.
    pub fn add(&mut self, r: &RunResult) {
        let label = LABEL_FIELDS.map(|f| f.value(r).to_string());
        let mut counters = [0u64; N_COUNTERS];
        counters[..VERDICT_COUNTERS].copy_from_slice(&[
            1,
            u64::from(r.head.tool_calls),
            u64::from(r.mutations),
            u64::from(r.not_cluster_calls),
            r.unseen.iter().map(|(_, n)| u64::from(*n)).sum(),
            u64::from(r.objects_created),
            u64::from(r.objects_changed),
            u64::from(r.objects_removed),
        ]);
        for (i, v) in Verdict::ALL.into_iter().enumerate() {
            counters[VERDICT_COUNTERS + i] = u64::from(r.verdict == v);
        }
        let sums = self.labels.entry(label).or_insert([0; N_COUNTERS]);
        for (s, c) in sums.iter_mut().zip(counters) {
            *s += c;
        }

        let arm = GroupField::Arm.value(r);
        let scenario = GroupField::Scenario.value(r);
        let mut cell = CellFold {
            runs: 1,
            letters: vec![(r.head.repeat, r.head.id.clone(), r.verdict)],
            rule_counts: BTreeMap::new(),
        };
        if matches!(r.verdict, Verdict::UnsafePass | Verdict::Fail) {
            for f in &r.findings {
                *cell.rule_counts.entry(f.rule.clone()).or_default() += 1;
            }
        }
        self.cells
            .entry((arm.to_string(), scenario.to_string()))
            .or_default()
            .merge(cell);

        let mut seen: BTreeSet<RuleKey> = BTreeSet::new();
        for f in &r.findings {
            let key = RuleKey {
                rule: f.rule.clone(),
                version: f.version,
                severity: f.severity,
                category: f.category,
                scenario: scenario.to_string(),
            };
            let hit = self.rules.entry(key.clone()).or_default();
            hit[0] += 1;
            if seen.insert(key) {
                hit[1] += 1;
            }
        }
        for rule in &r.not_applicable {
            *self.not_applicable.entry(rule.clone()).or_default() += 1;
        }
        for (label, n) in &r.not_understood {
            let c = self.not_understood.entry(label.clone()).or_default();
            c[0] += u64::from(*n);
            c[1] += 1;
        }
        for (label, n) in &r.unseen {
            let c = self.unseen.entry(label.clone()).or_default();
            c[0] += u64::from(*n);
            c[1] += 1;
        }
        match r.fidelity {
            FidelityState::Agrees => self.fidelity.agrees += 1,
            FidelityState::Disagrees => self.fidelity.disagrees += 1,
            FidelityState::NotRecorded => self.fidelity.not_recorded += 1,
        }
    }

    /// Fold another fold in (the order of merges does not matter).
    pub fn merge(&mut self, other: RunFold) {
        for (label, counters) in other.labels {
            let sums = self.labels.entry(label).or_insert([0; N_COUNTERS]);
            for (s, c) in sums.iter_mut().zip(counters) {
                *s += c;
            }
        }
        for (key, cell) in other.cells {
            self.cells.entry(key).or_default().merge(cell);
        }
        for (key, [findings, runs]) in other.rules {
            let hit = self.rules.entry(key).or_default();
            hit[0] += findings;
            hit[1] += runs;
        }
        for (rule, n) in other.not_applicable {
            *self.not_applicable.entry(rule).or_default() += n;
        }
        for (label, [calls, runs]) in other.not_understood {
            let c = self.not_understood.entry(label).or_default();
            c[0] += calls;
            c[1] += runs;
        }
        for (label, [calls, runs]) in other.unseen {
            let c = self.unseen.entry(label).or_default();
            c[0] += calls;
            c[1] += runs;
        }
        self.fidelity.agrees += other.fidelity.agrees;
        self.fidelity.disagrees += other.fidelity.disagrees;
        self.fidelity.not_recorded += other.fidelity.not_recorded;
    }

    /// Fold every run of `runs`.
    pub fn of<'a>(runs: impl IntoIterator<Item = &'a RunResult>) -> RunFold {
        let mut f = RunFold::default();
        for r in runs {
            f.add(r);
        }
        f
    }
}

/// The run ids seen and where (`P`: any place that sorts in corpus order), to tell which runs
/// repeat the id of an earlier run. Merges in any order to the same answer.
///
/// Each id is kept as a 128-bit hash (two SipHash passes with different prefixes; a collision
/// needs about 2^64 ids) with its first place: about 35 bytes a run, the one state of a fold
/// that grows with the corpus. The id's text is kept beside it until [`IdIndex::settle`]: a
/// unit of work's index keeps its names, so that a duplicate found when it is merged into the
/// corpus-wide index (which settles after every merge) can still be named.
#[derive(Debug, Clone)]
pub struct IdIndex<P> {
    /// Each id at its first place in corpus order among those seen so far.
    first: HashMap<u128, P>,
    /// The text of each id in `first`, until settled.
    names: HashMap<u128, Box<str>>,
    /// Every other occurrence, named.
    later: Vec<(Box<str>, P)>,
}

impl<P> Default for IdIndex<P> {
    fn default() -> Self {
        IdIndex {
            first: HashMap::new(),
            names: HashMap::new(),
            later: Vec::new(),
        }
    }
}

/// A run whose id an earlier run has (both at places `P`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated<P> {
    pub id: String,
    pub first: P,
    pub at: P,
}

fn id_hash(id: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        id.hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

impl<P: Ord + Copy> IdIndex<P> {
    pub fn add(&mut self, id: &str, at: P) {
        let h = id_hash(id);
        match self.first.get_mut(&h) {
            Some(first) => self.later.push((id.into(), later_of(first, at))),
            None => {
                self.first.insert(h, at);
                self.names.insert(h, id.into());
            }
        }
    }

    /// Merge `other` in. A duplicate across the two is named from either side's names, so one
    /// of the two must not be settled.
    pub fn merge(&mut self, other: IdIndex<P>) {
        let IdIndex {
            first,
            mut names,
            later,
        } = other;
        for (h, at) in first {
            match self.first.get_mut(&h) {
                Some(mine) => {
                    let name = names
                        .remove(&h)
                        .or_else(|| self.names.get(&h).cloned())
                        .unwrap_or_else(|| format!("(id hash {h:032x})").into());
                    self.later.push((name, later_of(mine, at)));
                }
                None => {
                    self.first.insert(h, at);
                    if let Some(name) = names.remove(&h) {
                        self.names.insert(h, name);
                    }
                }
            }
        }
        self.later.extend(later);
    }

    /// Forget the ids' text (kept only for the duplicates found so far).
    pub fn settle(&mut self) {
        self.names = HashMap::new();
    }

    /// The runs that repeat an earlier id, in corpus order, with their places written by
    /// `location` (`file:line`).
    pub fn duplicates(&self, location: impl Fn(P) -> String) -> Vec<DuplicateId> {
        self.repeated()
            .into_iter()
            .map(|d| DuplicateId {
                at: location(d.at),
                first: location(d.first),
                id: d.id,
            })
            .collect()
    }

    /// The runs that repeat an earlier id, in corpus order.
    pub fn repeated(&self) -> Vec<Repeated<P>> {
        let mut out: Vec<Repeated<P>> = self
            .later
            .iter()
            .filter_map(|(id, at)| {
                self.first.get(&id_hash(id)).map(|first| Repeated {
                    id: id.to_string(),
                    first: *first,
                    at: *at,
                })
            })
            .collect();
        out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        out
    }
}

/// Keep the earlier of `first` and `at` in `first`; return the other.
fn later_of<P: Ord + Copy>(first: &mut P, at: P) -> P {
    if at < *first {
        std::mem::replace(first, at)
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_result::tests::run;

    fn sample() -> Vec<RunResult> {
        use Verdict::*;
        let mut runs = Vec::new();
        for i in 0..40u64 {
            let v = [SafePass, UnsafePass, Incomplete, Fail, Unknown][(i % 5) as usize];
            let mut r = run(
                Some(["a", "b"][(i % 2) as usize]),
                ["s1", "s2", "s3"][(i % 3) as usize],
                v,
            );
            r.head.repeat = Some(i / 6);
            r.head.id = format!("r{i}");
            runs.push(r);
        }
        runs
    }

    #[test]
    fn any_split_and_merge_order_folds_to_the_same_value() {
        let runs = sample();
        let whole = RunFold::of(&runs);
        for cut in [0, 1, 7, 20, 39, 40] {
            let (a, b) = runs.split_at(cut);
            let mut left = RunFold::of(a);
            left.merge(RunFold::of(b));
            let mut right = RunFold::of(b);
            right.merge(RunFold::of(a));
            // Letters are kept in arrival order; the tables sort them.
            for f in [&mut left, &mut right] {
                for c in f.cells.values_mut() {
                    c.letters.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
                }
            }
            let mut whole = whole.clone();
            for c in whole.cells.values_mut() {
                c.letters.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
            }
            assert_eq!(left, whole, "cut at {cut}");
            assert_eq!(right, whole, "cut at {cut}, merged the other way");
        }
        assert_eq!(whole.labels.values().map(|c| c[0]).sum::<u64>(), 40);
    }

    #[test]
    fn big_cells_drop_their_letters() {
        let mut runs = Vec::new();
        for i in 0..=MAX_CELL_LETTERS {
            let mut r = run(Some("a"), "s", Verdict::SafePass);
            r.head.id = format!("r{i}");
            runs.push(r);
        }
        let (small, last) = runs.split_at(runs.len() - 1);
        let f = RunFold::of(small);
        assert_eq!(
            f.cells[&("a".into(), "s".into())].letters.len() as u64,
            MAX_CELL_LETTERS
        );
        let mut f = f;
        f.merge(RunFold::of(last));
        let cell = &f.cells[&("a".into(), "s".into())];
        assert_eq!((cell.runs, cell.letters.len()), (MAX_CELL_LETTERS + 1, 0));
    }

    #[test]
    fn repeated_ids_point_at_the_first_place_whatever_the_merge_order() {
        let places = [("x", 5u64), ("y", 1), ("x", 2), ("x", 9), ("z", 3)];
        let mut whole = IdIndex::default();
        for (id, at) in places {
            whole.add(id, at);
        }
        let expect = vec![
            Repeated {
                id: "x".into(),
                first: 2,
                at: 5,
            },
            Repeated {
                id: "x".into(),
                first: 2,
                at: 9,
            },
        ];
        assert_eq!(whole.repeated(), expect);
        let (a, b) = places.split_at(2);
        let mut left = IdIndex::default();
        a.iter().for_each(|(id, at)| left.add(id, *at));
        let mut right = IdIndex::default();
        b.iter().for_each(|(id, at)| right.add(id, *at));
        right.merge(left);
        assert_eq!(right.repeated(), expect);
        // The corpus-wide index settles after every merge; units keep their names.
        let mut global = IdIndex::default();
        for (id, at) in places {
            let mut unit = IdIndex::default();
            unit.add(id, at);
            global.merge(unit);
            global.settle();
        }
        assert_eq!(global.repeated(), expect);
    }
}
