//! Runs spooled to disk as they are made, and read back in corpus order: how a saved analysis
//! (`analyze --out`) and `--strict` keep memory flat in the corpus size.
//!
//! Each unit of work's sink writes the runs it takes (their result and autopsy, as the JSON a
//! saved analysis holds) into part files of a spool directory, a few megabytes at a time; a part
//! holds runs in the order of their places. The pipeline reads a stream's batches in parallel,
//! so the parts of one unit may interleave: reading back merges the parts of each unit by place
//! and takes the units in order, which is corpus order. Nothing but the list of parts is kept in
//! memory.

use super::corpus::RunOutput;
use crate::pipeline::{Place, Sink};
use std::collections::BinaryHeap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A sink's buffer is written to a part once it holds this many bytes.
const PART_BYTES: usize = 4 * 1024 * 1024;

/// The spool directory of one analysis: what every sink is made from.
#[derive(Debug, Clone)]
pub struct Spool(Arc<SpoolDir>);

#[derive(Debug)]
struct SpoolDir {
    dir: PathBuf,
    next: AtomicU64,
}

impl Spool {
    /// A new spool in `dir` (created; it must not hold an earlier spool's parts).
    pub fn create(dir: &Path) -> Result<Spool, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Spool(Arc::new(SpoolDir {
            dir: dir.to_path_buf(),
            next: AtomicU64::new(0),
        })))
    }

    /// Remove the spool directory and its parts.
    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.0.dir);
    }

    fn part_path(&self) -> PathBuf {
        let n = self.0.next.fetch_add(1, Ordering::Relaxed);
        self.0.dir.join(format!("part-{n:08}.tsv"))
    }
}

/// Runs of one place range written to one file, in place order.
#[derive(Debug)]
struct Part {
    first: Place,
    path: PathBuf,
}

/// The sink of a spooled analysis: each run written out as it is taken, nothing kept.
#[derive(Debug)]
pub struct SpoolSink {
    spool: Spool,
    buf: Vec<u8>,
    first: Option<Place>,
    last: Option<Place>,
    parts: Vec<Part>,
    /// The first write that failed (a sink cannot return errors; `finish` does).
    error: Option<String>,
}

impl SpoolSink {
    /// Write the buffered runs as a part.
    fn flush(&mut self) {
        let Some(first) = self.first.take() else {
            return;
        };
        self.last = None;
        let path = self.spool.part_path();
        let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(&self.buf));
        match written {
            Ok(()) => self.parts.push(Part { first, path }),
            Err(e) => {
                self.error
                    .get_or_insert_with(|| format!("{}: {e}", path.display()));
            }
        }
        self.buf.clear();
    }

    /// Every part written, or the first error.
    pub fn finish(mut self) -> Result<Spooled, String> {
        self.flush();
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut parts = self.parts;
        parts.sort_by_key(|p| p.first);
        Ok(Spooled { parts })
    }
}

impl Sink<RunOutput> for SpoolSink {
    type Seed = Spool;

    fn new(spool: &Spool) -> Self {
        SpoolSink {
            spool: spool.clone(),
            buf: Vec::new(),
            first: None,
            last: None,
            parts: Vec::new(),
            error: None,
        }
    }

    fn take(&mut self, at: Place, run: RunOutput) -> Option<RunOutput> {
        if self.last.is_some_and(|l| at < l) {
            self.flush();
        }
        let (result, autopsy) = crate::run_result::saved_json(&run.result, run.autopsy.as_ref());
        let _ = writeln!(self.buf, "{}\t{}\t{result}\t{autopsy}", at.unit, at.line);
        self.first.get_or_insert(at);
        self.last = Some(at);
        if self.buf.len() >= PART_BYTES {
            self.flush();
        }
        None
    }

    fn merge(&mut self, mut other: Self) {
        other.flush();
        self.parts.append(&mut other.parts);
        if self.error.is_none() {
            self.error = other.error;
        }
    }
}

/// One run read back: where the pipeline read it, and its saved result and autopsy (JSON).
pub struct SpooledRun {
    pub at: Place,
    pub result: String,
    pub autopsy: String,
}

/// The parts of a finished spool.
#[derive(Debug)]
pub struct Spooled {
    parts: Vec<Part>,
}

/// The next run of an open part, ordered by place (the heap of a unit's merge).
struct Head {
    run: SpooledRun,
    part: usize,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.run.at == other.run.at
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    /// Reversed: the heap's top is the earliest place.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.run.at.cmp(&self.run.at)
    }
}

impl Spooled {
    /// Hand every run to `f` in corpus order, until `f` says to stop (`Ok(false)`) or fails.
    pub fn for_each(
        &self,
        mut f: impl FnMut(SpooledRun) -> Result<bool, String>,
    ) -> Result<(), String> {
        let mut i = 0;
        while i < self.parts.len() {
            let unit = self.parts[i].first.unit;
            let end = self.parts[i..]
                .iter()
                .position(|p| p.first.unit != unit)
                .map_or(self.parts.len(), |n| i + n);
            if !merge_parts(&self.parts[i..end], &mut f)? {
                return Ok(());
            }
            i = end;
        }
        Ok(())
    }
}

/// The runs of one unit's parts, merged by place; false when `f` asked to stop.
fn merge_parts(
    parts: &[Part],
    f: &mut impl FnMut(SpooledRun) -> Result<bool, String>,
) -> Result<bool, String> {
    let mut readers = Vec::with_capacity(parts.len());
    let mut heap = BinaryHeap::new();
    for (n, p) in parts.iter().enumerate() {
        let file =
            std::fs::File::open(&p.path).map_err(|e| format!("{}: {e}", p.path.display()))?;
        let mut r = BufReader::new(file);
        if let Some(run) = next_run(&mut r, &p.path)? {
            heap.push(Head { run, part: n });
        }
        readers.push(r);
    }
    while let Some(Head { run, part }) = heap.pop() {
        if !f(run)? {
            return Ok(false);
        }
        if let Some(next) = next_run(&mut readers[part], &parts[part].path)? {
            heap.push(Head { run: next, part });
        }
    }
    Ok(true)
}

/// The next line of a part: `UNIT \t LINE \t RESULT \t AUTOPSY` (JSON holds no raw tab).
fn next_run(r: &mut impl BufRead, path: &Path) -> Result<Option<SpooledRun>, String> {
    let mut line = String::new();
    let n = r
        .read_line(&mut line)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if n == 0 {
        return Ok(None);
    }
    let bad = || format!("{}: a damaged spool line", path.display());
    let line = line.strip_suffix('\n').ok_or_else(bad)?;
    let mut fields = line.splitn(4, '\t');
    let mut field = || fields.next().ok_or_else(bad);
    let unit = field()?.parse().map_err(|_| bad())?;
    let at_line = field()?.parse().map_err(|_| bad())?;
    let result = field()?.to_string();
    let autopsy = field()?.to_string();
    Ok(Some(SpooledRun {
        at: Place {
            unit,
            line: at_line,
        },
        result,
        autopsy,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unit: u32, line: u64) -> Place {
        Place { unit, line }
    }

    /// Parts of one unit that interleave (a stream's batches taken by two sinks) come back in
    /// place order, and units in order.
    #[test]
    fn interleaved_parts_come_back_in_corpus_order() {
        let dir =
            std::env::temp_dir().join(format!("kubeautopsy-spool-test-{}", std::process::id()));
        let spool = Spool::create(&dir).unwrap();
        let write = |path: &Path, lines: &[(u32, u64)]| {
            let text: String = lines
                .iter()
                .map(|(u, l)| format!("{u}\t{l}\t{{\"r\":{l}}}\tnull\n"))
                .collect();
            std::fs::write(path, text).unwrap();
        };
        let mut parts = Vec::new();
        for lines in [
            &[(0, 1), (0, 5), (0, 6)][..],
            &[(0, 2), (0, 3)],
            &[(1, 1), (1, 2)],
            &[(0, 9)],
        ] {
            let path = spool.part_path();
            write(&path, lines);
            parts.push(Part {
                first: at(lines[0].0, lines[0].1),
                path,
            });
        }
        parts.sort_by_key(|p| p.first);
        let spooled = Spooled { parts };
        let mut seen = Vec::new();
        spooled
            .for_each(|r| {
                assert_eq!(r.result, format!("{{\"r\":{}}}", r.at.line));
                seen.push((r.at.unit, r.at.line));
                Ok(true)
            })
            .unwrap();
        assert_eq!(
            seen,
            [
                (0, 1),
                (0, 2),
                (0, 3),
                (0, 5),
                (0, 6),
                (0, 9),
                (1, 1),
                (1, 2)
            ]
        );
        let mut first_three = 0;
        spooled
            .for_each(|_| {
                first_three += 1;
                Ok(first_three < 3)
            })
            .unwrap();
        assert_eq!(first_three, 3, "stops when asked");
        spool.remove();
        assert!(!dir.exists());
    }
}
