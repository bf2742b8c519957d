//! A corpus analysed: the pipeline runs [`Analyzer::run`] on every valid trace and hands each
//! run's output to a sink that keeps it (for `--html`), folds it into the tables' numbers at
//! once, or spools it to disk to be read back in corpus order ([`analyze_spooled`], for `--out`
//! and `--strict`); the last two keep memory flat in the corpus size. Either way the result is a
//! [`CorpusAnalysis`]: the fold, the runs kept, the rejections, the accounting and the runs that
//! repeat an earlier run's id.

use super::{Analyzer, RunAnalysis};
use crate::accounting::{Accounting, DuplicateId};
use crate::fold::{IdIndex, RunFold};
use crate::input::Discovery;
use crate::pipeline::{self, Corpus, Options, Outcome, Place, Sink};
use crate::rules::RuleSet;
use crate::run_result::{Packed, RunResult, RunRow};
use crate::trace::Trace;

/// What the per-run stage leaves of a run in a corpus analysis.
#[derive(Debug)]
pub struct RunOutput {
    pub result: RunResult,
    /// Made only when the runs are kept.
    pub autopsy: Option<Packed>,
}

/// How much of each run a corpus analysis keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Every run's result and autopsy (an HTML report, which lists every run).
    KeepRuns,
    /// No run: each is folded into the tables' numbers as it is made.
    FoldOnly,
}

/// A corpus analysed.
pub struct CorpusAnalysis {
    /// The rejections, and with [`Retention::KeepRuns`] every run, in corpus order.
    pub corpus: Corpus<RunOutput>,
    /// Every run folded (with `--strict`, those before the first rejection).
    pub fold: RunFold,
    pub accounting: Accounting,
    /// The runs whose id an earlier run has, in corpus order.
    pub duplicates: Vec<DuplicateId>,
}

impl CorpusAnalysis {
    /// Every kept run with the source and line it was read from, in corpus order.
    pub fn rows(&self) -> Vec<RunRow<'_>> {
        let c = &self.corpus;
        c.items
            .iter()
            .filter_map(|item| match &item.outcome {
                Outcome::Run(r) => Some(RunRow {
                    source: c.sources.get(item.source).map_or("", |s| &*s.display),
                    line: item.line,
                    run: &r.result,
                    autopsy: r.autopsy.as_ref(),
                    saved_timeline: None,
                }),
                _ => None,
            })
            .collect()
    }
}

/// The sink of a folding analysis: every run folded into the tables' numbers and the id index
/// as it is made.
#[derive(Default)]
struct FoldSink {
    fold: RunFold,
    ids: IdIndex<Place>,
}

impl Sink<RunOutput> for FoldSink {
    type Seed = ();
    fn new(_: &()) -> Self {
        FoldSink::default()
    }
    fn take(&mut self, at: Place, run: RunOutput) -> Option<RunOutput> {
        self.fold.add(&run.result);
        self.ids.add(&run.result.head.id, at);
        None
    }
    fn merge(&mut self, other: Self) {
        self.fold.merge(other.fold);
        self.ids.merge(other.ids);
    }
    fn settle(&mut self) {
        self.ids.settle();
    }
}

/// Analyse every run of a corpus.
pub fn analyze(
    analyzer: &Analyzer,
    discovery: Discovery,
    opts: &Options,
    keep: Retention,
) -> CorpusAnalysis {
    let per_run = |t: &Trace<'_>| {
        let a = analyzer.run(t);
        RunOutput {
            result: a.result(),
            autopsy: (keep == Retention::KeepRuns).then(|| Packed::of(&a.autopsy())),
        }
    };
    match keep {
        Retention::KeepRuns => {
            let (corpus, _) =
                pipeline::run_into::<_, pipeline::KeepRuns, _>(discovery, opts, &(), per_run);
            let mut accounting = Accounting::of(&corpus);
            let mut analysis = CorpusAnalysis {
                corpus,
                fold: RunFold::default(),
                accounting: Accounting::default(),
                duplicates: Vec::new(),
            };
            let rows = analysis.rows();
            let fold = RunFold::of(rows.iter().map(|r| r.run));
            let duplicates = duplicate_ids(&rows);
            accounting.duplicate_run_ids = duplicates.len() as u64;
            analysis.fold = fold;
            analysis.accounting = accounting;
            analysis.duplicates = duplicates;
            analysis
        }
        Retention::FoldOnly => {
            let (corpus, folded) =
                pipeline::run_into::<_, FoldSink, _>(discovery, opts, &(), per_run);
            let mut accounting = Accounting::of(&corpus);
            let place = |p: Place| {
                let (source, line) = folded.line_of(p);
                let path = corpus.sources.get(source).map_or("", |s| &*s.display);
                format!("{path}:{line}")
            };
            let duplicates: Vec<DuplicateId> = folded.sink.ids.duplicates(place);
            accounting.duplicate_run_ids = duplicates.len() as u64;
            CorpusAnalysis {
                fold: folded.sink.fold,
                corpus,
                accounting,
                duplicates,
            }
        }
    }
}

/// A run of a spooled analysis, handed over in corpus order.
pub struct InOrder<'a> {
    pub source: &'a str,
    pub line: u64,
    pub result: RunResult,
    /// Its result and autopsy as a saved analysis holds them (`run_result::saved_json`).
    pub result_json: &'a str,
    pub autopsy_json: &'a str,
}

/// Analyse every run of a corpus with memory flat in its size, and hand each run (with its
/// autopsy) to `each` in corpus order: runs are spooled to part files under `spool_dir` as they
/// are made (removed at the end), then read back in order, folded into the tables' numbers and
/// handed over. With `--strict`, only the runs before the first rejection are read back.
pub fn analyze_spooled(
    analyzer: &Analyzer,
    discovery: Discovery,
    opts: &Options,
    spool_dir: &std::path::Path,
    mut each: impl FnMut(InOrder<'_>) -> Result<(), String>,
) -> Result<CorpusAnalysis, String> {
    use super::spool::{Spool, SpoolSink};
    let spool = Spool::create(spool_dir)?;
    let per_run = |t: &Trace<'_>| {
        let a = analyzer.run(t);
        RunOutput {
            result: a.result(),
            autopsy: Some(Packed::of(&a.autopsy())),
        }
    };
    let (mut corpus, out) = pipeline::run_into::<_, SpoolSink, _>(discovery, opts, &spool, per_run);
    let out = out.map(SpoolSink::finish);
    let spooled = match &out.sink {
        Ok(s) => s,
        Err(e) => {
            spool.remove();
            return Err(e.clone());
        }
    };
    // --strict: nothing after the first rejection (the corpus keeps it as its last item).
    let cutoff = opts
        .strict
        .then(|| {
            corpus
                .items
                .iter()
                .find(|i| matches!(i.outcome, Outcome::Rejected(_)))
                .map(|i| (i.source, i.line))
        })
        .flatten();
    let mut fold = RunFold::default();
    let mut ids: IdIndex<(usize, u64)> = IdIndex::default();
    let mut kept = 0u64;
    let sources = &corpus.sources;
    let done = spooled.for_each(|run| {
        let (source, line) = out.line_of(run.at);
        if cutoff.is_some_and(|c| (source, line) > c) {
            return Ok(false);
        }
        let result: RunResult = serde_json::from_str(&run.result)
            .map_err(|e| format!("a spooled run cannot be read back: {e}"))?;
        fold.add(&result);
        ids.add(&result.head.id, (source, line));
        kept += 1;
        // One index in corpus order names each duplicate as it is added: the ids' text is not
        // needed after (held, it would grow with the corpus).
        if kept.is_multiple_of(1024) {
            ids.settle();
        }
        each(InOrder {
            source: sources.get(source).map_or("", |s| &*s.display),
            line,
            result,
            result_json: &run.result,
            autopsy_json: &run.autopsy,
        })?;
        Ok(true)
    });
    spool.remove();
    done?;
    corpus.folded_runs = kept;
    let mut accounting = Accounting::of(&corpus);
    let place = |(source, line): (usize, u64)| {
        let path = corpus.sources.get(source).map_or("", |s| &*s.display);
        format!("{path}:{line}")
    };
    let duplicates = ids.duplicates(place);
    accounting.duplicate_run_ids = duplicates.len() as u64;
    Ok(CorpusAnalysis {
        corpus,
        fold,
        accounting,
        duplicates,
    })
}

/// The runs of `rows` that repeat an earlier run's id.
pub fn duplicate_ids(rows: &[RunRow<'_>]) -> Vec<DuplicateId> {
    let mut ids = IdIndex::default();
    for (i, r) in rows.iter().enumerate() {
        ids.add(&r.run.head.id, i);
    }
    let at = |i: usize| rows.get(i).map(RunRow::location).unwrap_or_default();
    ids.duplicates(at)
}

/// Analyse the runs of a corpus (all, or the one with id `only`) and keep what `f` makes of
/// each; a run with another id is not analysed.
pub fn each_run<T: Send>(
    analyzer: &Analyzer,
    discovery: Discovery,
    opts: &Options,
    only: Option<&str>,
    f: impl Fn(&RunAnalysis<'_>) -> T + Sync,
) -> Corpus<Option<T>> {
    pipeline::run(discovery, opts, |t| {
        if only.is_some_and(|id| id != t.run.id) {
            return None;
        }
        Some(f(&analyzer.run(t)))
    })
}

/// Every run judged twice from one replay: by the analyzer's rules (old) and by `new`.
pub fn judge_twice(
    analyzer: &Analyzer,
    new: &RuleSet,
    discovery: Discovery,
    opts: &Options,
) -> Corpus<(RunResult, RunResult)> {
    pipeline::run(discovery, opts, |t| {
        let old = analyzer.run(t);
        let before = old.result();
        (before, old.judged_by(new, analyzer.unsafe_at).result())
    })
}
