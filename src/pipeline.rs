//! The driver: runs discover → read → parse → validate → (per-run stages) in parallel and
//! returns one small result per record, in corpus order.
//!
//! Work is cut into units: a `.json` file, a byte range of a large plain `.jsonl` file (so one
//! big file keeps every core busy), or a sequential stream (compressed files, stdin) whose line
//! batches are fanned out to the thread pool. Only small per-record results are kept; record
//! bytes are dropped as soon as a record is done. Results are sorted by (source, line), so the
//! output does not depend on the number of threads.

use crate::diag::{Problem, RejectKind, Rejection};
use crate::input::{
    self, Compression, Discovery, Layout, Limits, LineItem, LineReader, Source, SourcePath,
    WholeRead,
};
use crate::trace::{self, DocKind, Parsed, Trace};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Plain `.jsonl` files larger than this are split into byte ranges of this size.
pub const DEFAULT_CHUNK_BYTES: u64 = 8 * 1024 * 1024;
/// Lines of a stream are handed to the thread pool in batches of about this many bytes.
const STREAM_BATCH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    pub chunk_bytes: u64,
    /// Stop at the first rejected record (in corpus order).
    pub strict: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Read the sources with this importer instead of as trace v1 (`--from FORMAT`).
    pub import: Option<(crate::import::ImportFormat, crate::import::RunLabels)>,
    /// Analyse only this shard of the records (`--shard K/N`).
    pub shard: Option<Shard>,
    /// Outcomes recorded beside the traces (`--outcomes`, SREGym results files), attached to
    /// each trace document before it is typed.
    pub outcomes: Option<std::sync::Arc<crate::import::outcomes::Outcomes>>,
    /// Parse every trace as a whole document (`Trace::document`), for a command that writes the
    /// documents out (`import`); otherwise traces take the typed fast path.
    pub documents: bool,
}

/// One of N deterministic parts of a corpus: a record belongs to shard
/// `FNV-1a(path as given, line) mod N`, so every record lands in exactly one shard whatever
/// machine or thread count reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `K/N` with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (e.g. 2/7), got {text:?}"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("K in {text:?} is not a number"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("N in {text:?} is not a number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("need 1 <= K <= N, got {k}/{n}"));
        }
        Ok(Shard {
            index: k - 1,
            count: n,
        })
    }

    /// Whether the record of `path` starting at `line` (0: the whole source) is in this shard.
    pub fn contains(&self, path: &str, line: u64) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in path.bytes().chain([0]).chain(line.to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h % self.count == self.index
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            strict: false,
            progress: false,
            import: None,
            shard: None,
            outcomes: None,
            documents: false,
        }
    }
}

/// What became of one record.
#[derive(Debug)]
pub enum Outcome<R> {
    /// A valid trace, and what the per-run stages made of it.
    Run(R),
    /// A valid standalone scenario definition.
    Scenario {
        id: Option<String>,
        value: Box<serde_json::Value>,
    },
    Rejected(Box<Rejection>),
    /// A record of another shard (`--shard`): dropped before the corpus is returned.
    OtherShard,
}

#[derive(Debug)]
pub struct Item<R> {
    pub source: usize,
    /// 1-based line where the record starts (1 for a `.json` file; 0 for a whole-source problem).
    pub line: u64,
    pub outcome: Outcome<R>,
}

/// Everything the analysis saw, in corpus order.
#[derive(Debug)]
pub struct Corpus<R> {
    pub sources: Vec<Source>,
    /// Named paths that could not be read at all (missing, unreadable, symlink loops).
    pub input_problems: Vec<Rejection>,
    pub skipped: Vec<(PathBuf, input::SkipReason)>,
    pub items: Vec<Item<R>>,
    /// True when `strict` stopped the analysis early.
    pub stopped_early: bool,
    /// Runs handed to a [`Sink`] instead of being kept in `items` (`run_into`).
    pub folded_runs: u64,
    /// Records inside imported inputs that their importer does not read, by what they are.
    pub skipped_records: BTreeMap<String, u64>,
    /// Imported inputs by the importer that read them.
    pub read_as: BTreeMap<String, u64>,
}

/// What the importers said about the inputs of a unit, besides their documents.
#[derive(Debug, Default)]
struct ImportTally {
    skipped_records: BTreeMap<String, u64>,
    read_as: BTreeMap<String, u64>,
}

impl ImportTally {
    fn merge(&mut self, other: ImportTally) {
        for (k, n) in other.skipped_records {
            *self.skipped_records.entry(k).or_default() += n;
        }
        for (k, n) in other.read_as {
            *self.read_as.entry(k).or_default() += n;
        }
    }
}

/// Where the runs go as the per-run stages make them: kept in the corpus (`run`), or folded
/// into something whose size does not grow with the corpus (`run_into`). One sink is made per
/// unit of work (and per batch of a stream), from the seed the analysis gives; sinks are merged
/// in no particular order, so a sink's merge must not depend on it, and a sink of a stream
/// takes its runs in no particular order either (batches run in parallel).
pub trait Sink<R>: Send + Sized {
    /// What every sink of one analysis is made from (shared by the threads).
    type Seed: Sync;
    fn new(seed: &Self::Seed) -> Self;
    /// Take the run read at `at`; give it back to keep it in the corpus as an item.
    fn take(&mut self, at: Place, run: R) -> Option<R>;
    fn merge(&mut self, other: Self);
    /// Called on the corpus-wide sink after each unit's sink is merged into it (to drop what
    /// only a unit needs to keep).
    fn settle(&mut self) {}
}

/// Where a run was read, as the pipeline knows it while reading: the unit of work and the
/// line in it. Places sort in corpus order; [`SinkOutput::line_of`] gives the line in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub unit: u32,
    pub line: u64,
}

/// KeepRuns every run.
#[derive(Default)]
pub struct KeepRuns;

impl<R> Sink<R> for KeepRuns {
    type Seed = ();
    fn new(_: &()) -> Self {
        KeepRuns
    }
    fn take(&mut self, _: Place, run: R) -> Option<R> {
        Some(run)
    }
    fn merge(&mut self, _: Self) {}
}

/// KeepRuns no run: they are only counted (`Corpus::folded_runs`), as `validate` needs.
#[derive(Default)]
pub struct CountRuns;

impl<R> Sink<R> for CountRuns {
    type Seed = ();
    fn new(_: &()) -> Self {
        CountRuns
    }
    fn take(&mut self, _: Place, _: R) -> Option<R> {
        None
    }
    fn merge(&mut self, _: Self) {}
}

/// The corpus-wide sink after `run_into`, and how to turn its places into (source, line).
pub struct SinkOutput<S> {
    pub sink: S,
    /// Per unit: its source and the number of lines before it in that source.
    bases: Vec<(usize, u64)>,
}

impl<S> SinkOutput<S> {
    /// The same places with another sink.
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> SinkOutput<T> {
        SinkOutput {
            sink: f(self.sink),
            bases: self.bases,
        }
    }

    /// The source index and the 1-based line in it of a run read at `at`.
    pub fn line_of(&self, at: Place) -> (usize, u64) {
        let (source, base) = self.bases.get(at.unit as usize).copied().unwrap_or((0, 0));
        (source, base + at.line)
    }
}

impl<R> Corpus<R> {
    /// Every rejection, in corpus order (named paths first).
    pub fn rejections(&self) -> impl Iterator<Item = &Rejection> {
        self.input_problems
            .iter()
            .chain(self.items.iter().filter_map(|i| match &i.outcome {
                Outcome::Rejected(r) => Some(&**r),
                _ => None,
            }))
    }
    pub fn runs(&self) -> impl Iterator<Item = &R> {
        self.items.iter().filter_map(|i| match &i.outcome {
            Outcome::Run(r) => Some(r),
            _ => None,
        })
    }
    pub fn scenario_count(&self) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i.outcome, Outcome::Scenario { .. }))
            .count()
    }
}

/// Work that one thread does in one go.
#[derive(Debug, Clone)]
enum Unit {
    Document(usize),
    Range {
        source: usize,
        chunk: usize,
        start: u64,
        end: u64,
    },
    Stream(usize),
    /// A source read by an importer (a file or a run folder), converted whole.
    Import(usize),
}

struct UnitOut<R, S> {
    unit: usize,
    source: usize,
    /// For ranges: the chunk number and how many lines the range owns (to number lines).
    chunk: Option<(usize, u64)>,
    items: Vec<Item<R>>,
    sink: S,
    folded: u64,
    tally: ImportTally,
}

/// The items of one unit (or batch) as they are made, and its sink.
struct UnitBuffer<R, S> {
    unit: usize,
    items: Vec<Item<R>>,
    sink: S,
    folded: u64,
    tally: ImportTally,
}

impl<R, S: Sink<R>> UnitBuffer<R, S> {
    fn new(unit: usize, seed: &S::Seed) -> Self {
        UnitBuffer {
            unit,
            items: Vec::new(),
            sink: S::new(seed),
            folded: 0,
            tally: ImportTally::default(),
        }
    }

    fn push(&mut self, item: Item<R>) {
        let Item {
            source,
            line,
            outcome,
        } = item;
        let outcome = match outcome {
            Outcome::Run(r) => {
                let at = Place {
                    unit: u32::try_from(self.unit).unwrap_or(u32::MAX),
                    line,
                };
                match self.sink.take(at, r) {
                    Some(r) => Outcome::Run(r),
                    None => {
                        self.folded += 1;
                        return;
                    }
                }
            }
            other => other,
        };
        self.items.push(Item {
            source,
            line,
            outcome,
        });
    }

    fn merge(mut self, other: Self) -> Self {
        self.items.extend(other.items);
        self.sink.merge(other.sink);
        self.folded += other.folded;
        self
    }

    fn out(self, source: usize, chunk: Option<(usize, u64)>) -> UnitOut<R, S> {
        UnitOut {
            unit: self.unit,
            source,
            chunk,
            items: self.items,
            sink: self.sink,
            folded: self.folded,
            tally: self.tally,
        }
    }
}

/// Run the pipeline over `discovery`, applying `per_run` to every valid trace.
pub fn run<R, F>(discovery: Discovery, opts: &Options, per_run: F) -> Corpus<R>
where
    R: Send,
    F: Fn(&Trace<'_>) -> R + Sync,
{
    run_into::<R, KeepRuns, F>(discovery, opts, &(), per_run).0
}

/// Run the pipeline over `discovery`, applying `per_run` to every valid trace and handing each
/// result to a sink `S` (which keeps it in the corpus, or folds it). Not for `strict`: a run
/// folded cannot be taken back when an earlier record turns out to be rejected.
pub fn run_into<R, S, F>(
    discovery: Discovery,
    opts: &Options,
    seed: &S::Seed,
    per_run: F,
) -> (Corpus<R>, SinkOutput<S>)
where
    R: Send,
    S: Sink<R>,
    F: Fn(&Trace<'_>) -> R + Sync,
{
    let Discovery {
        sources,
        problems,
        skipped,
    } = discovery;
    let input_problems: Vec<Rejection> = problems
        .into_iter()
        .map(|p| Rejection::of_source(p.display, 0, RejectKind::Io, p.message))
        .collect();
    // Strict mode stops at the first problem: a named path that cannot be read is one.
    let units = if opts.strict && !input_problems.is_empty() {
        Vec::new()
    } else {
        plan(&sources, opts)
    };
    let total: u64 = sources.iter().filter_map(|s| s.size).sum();
    let progress = if opts.progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let ctx = Driver {
        sources: &sources,
        opts,
        per_run: &per_run,
        first_bad: AtomicUsize::new(usize::MAX),
        progress: &progress,
    };
    // Each unit's sink is merged into the corpus-wide one as soon as the unit is done (a lock
    // taken once per unit, not per run), so that folds of finished units do not pile up.
    let corpus_sink: Mutex<S> = Mutex::new(S::new(seed));
    let outs: Vec<Option<UnitOut<R, S>>> = units
        .par_iter()
        .enumerate()
        .map(|(i, u)| {
            let mut out = ctx.run_unit::<R, S>(i, u, seed)?;
            let sink = std::mem::replace(&mut out.sink, S::new(seed));
            let mut all = corpus_sink.lock().unwrap_or_else(PoisonError::into_inner);
            all.merge(sink);
            all.settle();
            Some(out)
        })
        .collect();
    let corpus_sink = corpus_sink
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    progress.finish_and_clear();
    let stopped_early =
        ctx.first_bad.load(Ordering::Relaxed) != usize::MAX || !input_problems.is_empty();
    let (mut items, mut folded, tally) =
        assemble(units.len(), outs.into_iter().flatten().collect(), seed);
    folded.0.sink.merge(corpus_sink);
    folded.0.sink.settle();
    let folded_runs = folded.1;
    let mut input_problems = input_problems;
    if let Some(shard) = opts.shard {
        // Every item (records, and whole-source problems at line 0) belongs to one shard.
        items.retain(|i| {
            !matches!(i.outcome, Outcome::OtherShard)
                && sources
                    .get(i.source)
                    .is_some_and(|s| shard.contains(&s.display, i.line))
        });
        input_problems.retain(|p| shard.contains(&p.source, 0));
    }
    let mut corpus = Corpus {
        sources,
        input_problems,
        skipped,
        items,
        stopped_early: opts.strict && stopped_early,
        folded_runs,
        skipped_records: tally.skipped_records,
        read_as: tally.read_as,
    };
    if opts.strict {
        // KeepRuns only what comes before the first rejection (in corpus order) and it.
        if let Some(pos) = corpus
            .items
            .iter()
            .position(|i| matches!(i.outcome, Outcome::Rejected(_)))
        {
            corpus.items.truncate(pos + 1);
        }
    }
    (corpus, folded.0)
}

/// Cut sources into units.
fn plan(sources: &[Source], opts: &Options) -> Vec<Unit> {
    let mut units = Vec::new();
    if opts.import.is_some() {
        return sources.iter().map(|s| Unit::Import(s.index)).collect();
    }
    for s in sources {
        match (s.layout, &s.path, s.size) {
            (Layout::Document, _, _) => units.push(Unit::Document(s.index)),
            // Sharding needs each record's absolute line while reading: no byte ranges.
            (Layout::Lines, SourcePath::File(p), Some(size))
                if size > opts.chunk_bytes && opts.shard.is_none() && is_plain(p) =>
            {
                let mut start = 0;
                let mut chunk = 0;
                while start < size {
                    let end = (start + opts.chunk_bytes).min(size);
                    units.push(Unit::Range {
                        source: s.index,
                        chunk,
                        start,
                        end,
                    });
                    chunk += 1;
                    start = end;
                }
            }
            _ => units.push(Unit::Stream(s.index)),
        }
    }
    units
}

fn is_plain(path: &std::path::Path) -> bool {
    // A file that cannot be read is left to the stream path, which reports the error.
    Compression::of_file(path) == Some(Compression::None)
}

/// Number the lines of ranged sources and sort everything into corpus order; merge the sinks.
fn assemble<R, S: Sink<R>>(
    units: usize,
    mut outs: Vec<UnitOut<R, S>>,
    seed: &S::Seed,
) -> (Vec<Item<R>>, (SinkOutput<S>, u64), ImportTally) {
    outs.sort_by_key(|o| (o.source, o.chunk.map_or(0, |c| c.0)));
    let mut items = Vec::new();
    let mut current = usize::MAX;
    let mut base = 0u64;
    let mut sink = S::new(seed);
    let mut folded = 0;
    let mut tally = ImportTally::default();
    let mut bases = vec![(0, 0); units];
    for out in outs {
        tally.merge(out.tally);
        if out.source != current {
            current = out.source;
            base = 0;
        }
        if let Some(b) = bases.get_mut(out.unit) {
            *b = (out.source, base);
        }
        sink.merge(out.sink);
        folded += out.folded;
        if let Some((_, lines)) = out.chunk {
            for mut item in out.items {
                if item.line > 0 {
                    item.line += base;
                    if let Outcome::Rejected(r) = &mut item.outcome {
                        r.record_line += base;
                    }
                }
                items.push(item);
            }
            base += lines;
        } else {
            items.extend(out.items);
        }
    }
    items.sort_by_key(|i| (i.source, i.line));
    (items, (SinkOutput { sink, bases }, folded), tally)
}

struct Driver<'a, F> {
    sources: &'a [Source],
    opts: &'a Options,
    per_run: &'a F,
    /// Strict mode: the lowest unit index that produced a rejection.
    first_bad: AtomicUsize,
    progress: &'a ProgressBar,
}

impl<F> Driver<'_, F> {
    fn skip(&self, unit: usize) -> bool {
        self.opts.strict && unit > self.first_bad.load(Ordering::Relaxed)
    }

    fn note_rejection<R>(&self, unit: usize, outcome: &Outcome<R>) -> bool {
        if self.opts.strict && matches!(outcome, Outcome::Rejected(_)) {
            self.first_bad.fetch_min(unit, Ordering::Relaxed);
            return true;
        }
        false
    }
}

impl<F> Driver<'_, F> {
    fn run_unit<R, S>(&self, index: usize, unit: &Unit, seed: &S::Seed) -> Option<UnitOut<R, S>>
    where
        R: Send,
        S: Sink<R>,
        F: Fn(&Trace<'_>) -> R + Sync,
    {
        if self.skip(index) {
            return None;
        }
        let out = match unit {
            Unit::Document(s) => self.document(index, &self.sources[*s], seed),
            Unit::Range {
                source,
                chunk,
                start,
                end,
            } => self.range(index, &self.sources[*source], *chunk, *start, *end, seed),
            Unit::Stream(s) => self.stream(index, &self.sources[*s], seed),
            Unit::Import(s) => self.import(index, &self.sources[*s], seed),
        };
        Some(out)
    }

    /// Convert one source with the importer, then treat each document as a record.
    fn import<R, S: Sink<R>>(&self, unit: usize, source: &Source, seed: &S::Seed) -> UnitOut<R, S>
    where
        F: Fn(&Trace<'_>) -> R,
    {
        let mut kept = UnitBuffer::new(unit, seed);
        if let Some((format, labels)) = &self.opts.import {
            let max = self.opts.limits.max_record_bytes;
            let read = crate::import::read(*format, source, labels, max);
            if let Some(f) = read.format {
                *kept.tally.read_as.entry(f.name().to_string()).or_default() += 1;
            }
            for imported in read.items {
                let item = match imported {
                    crate::import::Imported::Doc { line, json } => self.record(source, line, &json),
                    crate::import::Imported::Rejected { line, rejection } => Item {
                        source: source.index,
                        line,
                        outcome: Outcome::Rejected(rejection),
                    },
                    crate::import::Imported::Skipped { what, count } => {
                        *kept.tally.skipped_records.entry(what).or_default() += count;
                        continue;
                    }
                };
                let bad = self.note_rejection(unit, &item.outcome);
                kept.push(item);
                if bad {
                    break;
                }
            }
        }
        self.progress.inc(source.size.unwrap_or(0));
        kept.out(source.index, None)
    }

    fn record<R>(&self, source: &Source, line: u64, bytes: &[u8]) -> Item<R>
    where
        F: Fn(&Trace<'_>) -> R,
    {
        if self
            .opts
            .shard
            .is_some_and(|s| !s.contains(&source.display, line))
        {
            return Item {
                source: source.index,
                line,
                outcome: Outcome::OtherShard,
            };
        }
        let reject = |problem: Box<Problem>, run_id: Option<String>| {
            Outcome::Rejected(Box::new(Rejection::in_record(
                source.display.clone(),
                line,
                bytes,
                *problem,
                run_id,
            )))
        };
        // Outcomes from beside the traces are attached to the document: those take the schema
        // path, as does a command that wants the documents.
        let parsed = if self.opts.outcomes.is_none() && !self.opts.documents {
            trace::parse_fast(bytes)
        } else {
            trace::parse_record(bytes).map(Parsed::Document)
        };
        let outcome = match parsed {
            Err(invalid) => reject(invalid.problem, invalid.run_id),
            Ok(Parsed::Typed(doc)) => Outcome::Run((self.per_run)(&Trace::of(&doc, None))),
            Ok(Parsed::Document(mut doc)) => match doc.kind {
                DocKind::Scenario => Outcome::Scenario {
                    id: doc
                        .value
                        .get("id")
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    value: Box::new(doc.value),
                },
                DocKind::Trace => {
                    // Outcomes recorded beside the trace, attached before it is typed.
                    if let Some(outcomes) = &self.opts.outcomes {
                        outcomes.attach(&mut doc.value, &source.display);
                    }
                    match trace::view(&doc, |t| (self.per_run)(t)) {
                        Ok(r) => Outcome::Run(r),
                        Err(p) => reject(p, None),
                    }
                }
            },
        };
        Item {
            source: source.index,
            line,
            outcome,
        }
    }

    fn source_problem<R>(source: &Source, line: u64, kind: RejectKind, message: String) -> Item<R> {
        Item {
            source: source.index,
            line,
            outcome: Outcome::Rejected(Box::new(Rejection::of_source(
                source.display.clone(),
                line,
                kind,
                message,
            ))),
        }
    }

    fn too_large<R>(&self, source: &Source, line: u64, len: Option<u64>) -> Item<R> {
        let limit = self.opts.limits.max_record_bytes;
        let what = match len {
            Some(n) => format!("record is {} long", crate::diag::human_bytes(n)),
            None => "record is larger than the limit".to_string(),
        };
        Self::source_problem(
            source,
            line,
            RejectKind::TooLarge,
            format!(
                "{what}, more than --max-record-size ({}); skipped without holding it in memory",
                crate::diag::human_bytes(limit)
            ),
        )
    }

    fn document<R, S: Sink<R>>(&self, unit: usize, source: &Source, seed: &S::Seed) -> UnitOut<R, S>
    where
        F: Fn(&Trace<'_>) -> R,
    {
        let item = match input::open_source(&source.path, &self.opts.limits) {
            Err(e) => Self::source_problem(source, 0, e.reject_kind(), e.to_string()),
            Ok(mut reader) => {
                match input::read_whole(
                    &mut reader,
                    Vec::new(),
                    self.opts.limits.max_record_bytes,
                    source.size,
                ) {
                    Err(e) => Self::source_problem(source, 0, e.reject_kind(), e.to_string()),
                    Ok(WholeRead::TooLarge) => self.too_large(
                        source,
                        1,
                        source
                            .size
                            .filter(|_| reader.compression() == Compression::None),
                    ),
                    Ok(WholeRead::Data(bytes)) => self.record(source, 1, &bytes),
                }
            }
        };
        self.note_rejection(unit, &item.outcome);
        self.progress.inc(source.size.unwrap_or(0));
        let mut kept = UnitBuffer::new(unit, seed);
        kept.push(item);
        kept.out(source.index, None)
    }

    fn line_item<R>(
        &self,
        source: &Source,
        item: LineItem,
        bytes: &[u8],
        base: u64,
    ) -> Option<Item<R>>
    where
        F: Fn(&Trace<'_>) -> R,
    {
        match item {
            LineItem::TooLong { line, len } => Some(self.too_large(source, base + line, Some(len))),
            LineItem::Line { line } => {
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    None
                } else {
                    Some(self.record(source, base + line, bytes))
                }
            }
        }
    }

    fn range<R, S: Sink<R>>(
        &self,
        unit: usize,
        source: &Source,
        chunk: usize,
        start: u64,
        end: u64,
        seed: &S::Seed,
    ) -> UnitOut<R, S>
    where
        F: Fn(&Trace<'_>) -> R,
    {
        let SourcePath::File(path) = &source.path else {
            unreachable!("ranges are planned for files only")
        };
        let mut kept = UnitBuffer::new(unit, seed);
        let mut last_line = 0;
        let result = input::read_range(
            path,
            start,
            end,
            self.opts.limits.max_record_bytes,
            |item, bytes| {
                if self.skip(unit) {
                    return false;
                }
                if let Some(it) = self.line_item(source, item, bytes, 0) {
                    let bad = self.note_rejection(unit, &it.outcome);
                    last_line = it.line;
                    kept.push(it);
                    return !bad;
                }
                true
            },
        );
        let lines = match result {
            Ok(n) => n,
            Err(e) => {
                let line = last_line + 1;
                kept.push(Self::source_problem(
                    source,
                    line,
                    RejectKind::Io,
                    format!("read failed: {}", input::ReadError::Io(e)),
                ));
                0
            }
        };
        self.progress.inc(end - start);
        kept.out(source.index, Some((chunk, lines)))
    }

    fn stream<R, S: Sink<R>>(&self, unit: usize, source: &Source, seed: &S::Seed) -> UnitOut<R, S>
    where
        R: Send,
        F: Fn(&Trace<'_>) -> R + Sync,
    {
        let out = |items: Vec<Item<R>>| {
            let mut kept = UnitBuffer::new(unit, seed);
            for item in items {
                kept.push(item);
            }
            kept.out(source.index, None)
        };
        let reader = match input::open_source(&source.path, &self.opts.limits) {
            Ok(r) => r,
            Err(e) => {
                let it = Self::source_problem(source, 0, e.reject_kind(), e.to_string());
                self.note_rejection(unit, &it.outcome);
                return out(vec![it]);
            }
        };
        let compression = reader.compression();
        let max = self.opts.limits.max_record_bytes;
        let mut lines = LineReader::new(reader, max, 0);
        let mut first = Vec::new();
        let first_item = match lines.next_into(&mut first) {
            Ok(i) => i,
            Err(e) => {
                let e = input::ReadError::wrap(e, compression);
                let it =
                    Self::source_problem(source, 1, e.reject_kind(), format!("{e} (in line 1)"));
                self.note_rejection(unit, &it.outcome);
                return out(vec![it]);
            }
        };
        if source.layout == Layout::Sniff
            && matches!(first_item, Some(LineItem::Line { .. }))
            && input::sniff_format(&first) == Layout::Document
        {
            // A pretty-printed document: the whole stream is one record.
            first.push(b'\n');
            let mut reader = lines.into_inner();
            let item = match input::read_whole(&mut reader, first, max, source.size) {
                Err(e) => Self::source_problem(source, 0, e.reject_kind(), e.to_string()),
                Ok(WholeRead::TooLarge) => self.too_large(source, 1, None),
                Ok(WholeRead::Data(bytes)) => self.record(source, 1, &bytes),
            };
            self.note_rejection(unit, &item.outcome);
            self.progress.inc(source.size.unwrap_or(0));
            return out(vec![item]);
        }
        // One record per line: read batches sequentially, analyse them in parallel.
        let mut pending = first_item.map(|i| (i, first));
        let mut failed: Option<Item<R>> = None;
        let batches = std::iter::from_fn(|| {
            if failed.is_some() || self.skip(unit) {
                return None;
            }
            let mut batch = Batch::default();
            if let Some((item, bytes)) = pending.take() {
                batch.push(item, &bytes);
            }
            let mut buf = Vec::new();
            while batch.buf.len() < STREAM_BATCH_BYTES {
                match lines.next_into(&mut buf) {
                    Ok(Some(item)) => batch.push(item, &buf),
                    Ok(None) => break,
                    Err(e) => {
                        let e = input::ReadError::wrap(e, compression);
                        failed = Some(Self::source_problem(
                            source,
                            lines.lines() + 1,
                            e.reject_kind(),
                            format!("{e} (after line {})", lines.lines()),
                        ));
                        break;
                    }
                }
            }
            (!batch.lines.is_empty()).then_some(batch)
        });
        let mut kept: UnitBuffer<R, S> = batches
            .par_bridge()
            .fold(
                || UnitBuffer::new(unit, seed),
                |mut kept, batch| {
                    for (item, range) in &batch.lines {
                        if self.skip(unit) {
                            break;
                        }
                        if let Some(it) =
                            self.line_item(source, *item, &batch.buf[range.clone()], 0)
                        {
                            let bad = self.note_rejection(unit, &it.outcome);
                            kept.push(it);
                            if bad {
                                break;
                            }
                        }
                    }
                    kept
                },
            )
            .reduce(|| UnitBuffer::new(unit, seed), UnitBuffer::merge);
        if let Some(f) = failed {
            self.note_rejection(unit, &f.outcome);
            kept.push(f);
        }
        kept.items.sort_by_key(|i| i.line);
        self.progress.inc(source.size.unwrap_or(0));
        kept.out(source.index, None)
    }
}

#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
    lines: Vec<(LineItem, std::ops::Range<usize>)>,
}

impl Batch {
    fn push(&mut self, item: LineItem, bytes: &[u8]) {
        let start = self.buf.len();
        if matches!(item, LineItem::Line { .. }) {
            self.buf.extend_from_slice(bytes);
        }
        self.lines.push((item, start..self.buf.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn shards_partition_records() {
        assert!(Shard::parse("0/3").is_err() && Shard::parse("4/3").is_err());
        assert!(Shard::parse("x").is_err() && Shard::parse("1/0").is_err());
        let n = 7;
        let shards: Vec<Shard> = (1..=n)
            .map(|k| Shard::parse(&format!("{k}/{n}")).unwrap())
            .collect();
        let mut sizes = vec![0; n as usize];
        for path in ["a.jsonl", "dir/b.json", "c.jsonl.gz"] {
            for line in 0..500 {
                let owners: Vec<usize> = (0..shards.len())
                    .filter(|&i| shards[i].contains(path, line))
                    .collect();
                assert_eq!(owners.len(), 1, "{path}:{line}");
                sizes[owners[0]] += 1;
            }
        }
        // Roughly even: every shard gets a share.
        assert!(sizes.iter().all(|&s| s > 120), "{sizes:?}");
    }
}
