//! Counts that account for every input: sources read and skipped, records, runs analysed,
//! rejections by kind, runs that share an id. Every `analyze`, `validate`, `import`, `report`
//! and `merge` ends with them; saved analyses store them (`analysis.json`).

use crate::diag::RejectKind;
use crate::input::SkipReason;
use crate::pipeline::Corpus;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A run whose id an earlier run (in corpus order) already has: both are analysed and
/// counted (nothing is dropped on a guess); the user is told, since a copied file inflates
/// every rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateId {
    pub id: String,
    /// Where the repeat was read (`file:line`).
    pub at: String,
    /// Where the first run with the id was read.
    pub first: String,
}

/// Counts that account for every input: read, skipped, analysed, rejected by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    pub sources: u64,
    pub skipped_not_trace: u64,
    pub skipped_duplicate: u64,
    pub skipped_outcome_files: u64,
    /// Records inside inputs that an importer does not read (not its kind), by what they are.
    pub skipped_records: BTreeMap<String, u64>,
    /// Inputs by the importer that read them (with `--from auto`, the one picked).
    pub read_as: BTreeMap<String, u64>,
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
            skipped_records: corpus.skipped_records.clone(),
            read_as: corpus.read_as.clone(),
            runs: corpus.runs().count() as u64 + corpus.folded_runs,
            scenarios: corpus.scenario_count() as u64,
            stopped_early: corpus.stopped_early,
            ..Accounting::default()
        };
        for (path, reason) in &corpus.skipped {
            match reason {
                SkipReason::NotATraceFile => a.skipped_not_trace += 1,
                SkipReason::Duplicate => a.skipped_duplicate += 1,
                SkipReason::OutcomeFile => a.skipped_outcome_files += 1,
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
            "skipped_outcome_files": self.skipped_outcome_files,
            "skipped_records": self.skipped_records,
            "read_as": self.read_as,
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
            for (k, n) in &p.skipped_records {
                *a.skipped_records.entry(k.clone()).or_default() += n;
            }
            for (k, n) in &p.read_as {
                *a.read_as.entry(k.clone()).or_default() += n;
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
        let count = |reason: SkipReason| {
            a.skipped_paths
                .iter()
                .filter(|(_, r)| r == reason.as_str())
                .count() as u64
        };
        a.skipped_not_trace = count(SkipReason::NotATraceFile);
        a.skipped_duplicate = count(SkipReason::Duplicate);
        a.skipped_outcome_files = count(SkipReason::OutcomeFile);
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
        fn field<T: serde::de::DeserializeOwned + Default>(v: &serde_json::Value, k: &str) -> T {
            v.get(k)
                .and_then(|x| serde_json::from_value(x.clone()).ok())
                .unwrap_or_default()
        }
        Accounting {
            sources: n("sources"),
            skipped_not_trace: n("skipped_not_trace"),
            skipped_duplicate: n("skipped_duplicate"),
            skipped_outcome_files: n("skipped_outcome_files"),
            skipped_records: field(v, "skipped_records"),
            read_as: field(v, "read_as"),
            records: n("records"),
            runs: n("runs"),
            scenarios: n("scenarios"),
            duplicate_run_ids: n("duplicate_run_ids"),
            rejected,
            stopped_early: v
                .get("stopped_early")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            source_paths: field(v, "source_paths"),
            skipped_paths: field(v, "skipped_paths"),
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
        if self.skipped_outcome_files > 0 {
            skipped.push(format!(
                "{} SREGym results file(s), noted on the runs beside them",
                self.skipped_outcome_files
            ));
        }
        if !skipped.is_empty() {
            let _ = write!(s, " (skipped: {})", skipped.join(", "));
        }
        let _ = writeln!(s, ", {} record(s)", self.records);
        let counts = |m: &BTreeMap<String, u64>, each: fn(&str, u64) -> String| {
            m.iter()
                .map(|(k, n)| each(k, *n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.read_as.is_empty() {
            let by = counts(&self.read_as, |f, n| format!("{f} {n}"));
            let _ = writeln!(s, "read as: {by}");
        }
        if !self.skipped_records.is_empty() {
            let by = counts(&self.skipped_records, |w, n| format!("{n} {w}"));
            let _ = writeln!(s, "not read inside inputs: {by}");
        }
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
