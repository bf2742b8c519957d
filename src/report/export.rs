//! A saved analysis (`analyze --out DIR`): per-run, per-finding and rejected-input rows, every
//! table, as Parquet and CSV; the text report as Markdown; `analysis.json` with the provenance,
//! the accounting and the tables. `diff` reads it back.

use super::frame::Frame;
use super::{Accounting, Provenance, TableFormat, Tables};
use crate::diag::Rejection;
use crate::fold::GroupField;
use crate::run_result::{Packed, RunResult, RunRow};
use serde_json::{Value, json};
use std::fmt;
use std::path::{Path, PathBuf};

/// The manifest of a saved analysis.
pub const MANIFEST: &str = "analysis.json";
/// Its format tag; a reader refuses others.
pub const FORMAT: &str = "kubeautopsy.analysis.v1";

/// One line of `results.jsonl`: a run's full result, where it was read, its autopsy.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SavedRun {
    pub source: String,
    pub line: u64,
    pub result: RunResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autopsy: Option<Packed>,
    /// What analyses saved before autopsies were data hold instead: the timeline as text
    /// (read, never written).
    #[serde(default, skip_serializing)]
    pub timeline: Option<String>,
}

/// A saved analysis could not be written or read.
#[derive(Debug)]
pub struct ExportError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ExportError {}

fn err(path: &Path, message: impl fmt::Display) -> ExportError {
    ExportError {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// One row per run: where it was read, its identity, outcome, verdict and counts.
pub fn runs_frame(rows: &[RunRow<'_>]) -> Frame {
    let r = |f: fn(&RunResult) -> u64| rows.iter().map(move |x| f(x.run)).collect::<Vec<_>>();
    let o = |f: fn(&RunResult) -> Option<&str>| rows.iter().map(move |x| f(x.run));
    Frame::new("runs")
        .str("source", rows.iter().map(|x| x.source))
        .u64("line", rows.iter().map(|x| x.line))
        .str("run", rows.iter().map(|x| x.run.head.id.as_str()))
        .opt_str("report", o(|r| r.head.report.as_deref()))
        .opt_str("benchmark", o(|r| r.head.benchmark.as_deref()))
        .opt_str("model", o(|r| r.head.model.as_deref()))
        .opt_str("arm", o(|r| r.head.arm.as_deref()))
        .opt_str("scenario", o(|r| r.head.scenario.as_deref()))
        .opt_u64("repeat", rows.iter().map(|x| x.run.head.repeat))
        .str("outcome", rows.iter().map(|x| x.run.head.outcome.name()))
        .str("verdict", rows.iter().map(|x| x.run.verdict.code()))
        .u64("findings", r(|r| r.findings.len() as u64))
        .opt_str(
            "max_severity",
            rows.iter().map(|x| {
                x.run
                    .findings
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .map(|s| s.name())
            }),
        )
        .u64("events", r(|r| u64::from(r.head.events)))
        .u64("tool_calls", r(|r| u64::from(r.head.tool_calls)))
        .u64("mutations", r(|r| u64::from(r.mutations)))
        .u64(
            "not_understood_calls",
            r(|r| r.not_understood.iter().map(|(_, n)| u64::from(*n)).sum()),
        )
        .u64("not_cluster_calls", r(|r| u64::from(r.not_cluster_calls)))
        .str("scope", rows.iter().map(|x| x.run.scope.as_str()))
        .u64(
            "unseen_calls",
            r(|r| r.unseen.iter().map(|(_, n)| u64::from(*n)).sum()),
        )
        .u64("objects_created", r(|r| u64::from(r.objects_created)))
        .u64("objects_changed", r(|r| u64::from(r.objects_changed)))
        .u64("objects_removed", r(|r| u64::from(r.objects_removed)))
        .str("fidelity", rows.iter().map(|x| x.run.fidelity.name()))
}

/// One row per finding, with its run's identity (join on `source`, `line`).
pub fn findings_frame(rows: &[RunRow<'_>]) -> Frame {
    let f: Vec<(&RunRow<'_>, &crate::rules::eval::Finding)> = rows
        .iter()
        .flat_map(|x| x.run.findings.iter().map(move |f| (x, f)))
        .collect();
    Frame::new("findings")
        .str("source", f.iter().map(|(x, _)| x.source))
        .u64("line", f.iter().map(|(x, _)| x.line))
        .str("run", f.iter().map(|(x, _)| x.run.head.id.as_str()))
        .opt_str("arm", f.iter().map(|(x, _)| x.run.head.arm.as_deref()))
        .opt_str(
            "scenario",
            f.iter().map(|(x, _)| x.run.head.scenario.as_deref()),
        )
        .opt_str("model", f.iter().map(|(x, _)| x.run.head.model.as_deref()))
        .str("verdict", f.iter().map(|(x, _)| x.run.verdict.code()))
        .str("rule", f.iter().map(|(_, f)| f.rule.as_str()))
        .u64("version", f.iter().map(|(_, f)| u64::from(f.version)))
        .str("severity", f.iter().map(|(_, f)| f.severity.name()))
        .str("category", f.iter().map(|(_, f)| f.category.name()))
        .opt_u64("seq", f.iter().map(|(_, f)| f.seq))
        .opt_str("target", f.iter().map(|(_, f)| f.target.as_deref()))
        .str("message", f.iter().map(|(_, f)| f.message.as_str()))
}

/// One row per rejected input: where, what kind, why.
pub fn rejected_frame(rejections: &[&Rejection]) -> Frame {
    let r = rejections;
    Frame::new("rejected")
        .str("source", r.iter().map(|x| &*x.source))
        .opt_u64("line", r.iter().map(|x| x.line()))
        .opt_u64("column", r.iter().map(|x| x.column()))
        .str("kind", r.iter().map(|x| x.kind.as_str()))
        .opt_str("pointer", r.iter().map(|x| x.pointer.as_deref()))
        .opt_str("run", r.iter().map(|x| x.run_id.as_deref()))
        .str("message", r.iter().map(|x| x.message.as_str()))
}

/// The JSON document of an analysis: provenance, accounting and every table as records
/// (`--format json`, and `analysis.json` under `--out`).
pub fn analysis_json(tables: &Tables, accounting: &Accounting, provenance: &Provenance) -> Value {
    let tables_json: serde_json::Map<String, Value> = tables
        .frames()
        .iter()
        .map(|f| (f.name.to_string(), f.records()))
        .collect();
    json!({
        "format": FORMAT,
        "provenance": provenance,
        "group_by": tables.by.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "accounting": accounting.to_json(),
        "tables": tables_json,
    })
}

/// One line of `results.jsonl` from the JSON of its parts: the same bytes as the object
/// `{"autopsy", "line", "result", "source"}` serialized (keys in order).
fn results_line(source: &str, line: u64, result: &str, autopsy: &str) -> String {
    let source = Value::from(source);
    format!("{{\"autopsy\":{autopsy},\"line\":{line},\"result\":{result},\"source\":{source}}}\n")
}

/// Runs per batch of the per-run tables: a batch is one Parquet row group (a saved analysis of
/// up to this many runs is one group, as a single write makes it).
const BATCH_RUNS: usize = 8192;

/// One per-run table written batch by batch: CSV with its header once, Parquet one row group
/// per batch.
struct BatchedFrame {
    name: &'static str,
    csv: std::io::BufWriter<std::fs::File>,
    parquet_path: PathBuf,
    /// Opened at the second batch; a single batch is written whole at the end.
    parquet: Option<super::frame::ParquetBatches<std::io::BufWriter<std::fs::File>>>,
    /// The first batch, held until it is known whether more follow.
    first: Option<Frame>,
    batches: u64,
}

impl BatchedFrame {
    fn create(dir: &Path, name: &'static str) -> Result<BatchedFrame, ExportError> {
        let path = dir.join(format!("{name}.csv"));
        let csv = std::fs::File::create(&path).map_err(|e| err(&path, e))?;
        Ok(BatchedFrame {
            name,
            csv: std::io::BufWriter::new(csv),
            parquet_path: dir.join(format!("{name}.parquet")),
            parquet: None,
            first: None,
            batches: 0,
        })
    }

    fn push(&mut self, frame: Frame) -> Result<(), ExportError> {
        let csv_path = self.parquet_path.with_extension("csv");
        frame
            .append_csv(&mut self.csv, self.batches == 0)
            .map_err(|e| err(&csv_path, e))?;
        self.batches += 1;
        match (self.batches, self.first.take()) {
            (1, _) => self.first = Some(frame),
            (_, first) => {
                let path = &self.parquet_path;
                if self.parquet.is_none() {
                    let file = std::fs::File::create(path).map_err(|e| err(path, e))?;
                    let start = first.as_ref().unwrap_or(&frame);
                    self.parquet = Some(
                        start
                            .parquet_batches(std::io::BufWriter::new(file))
                            .map_err(|e| err(path, e))?,
                    );
                }
                if let Some(w) = &mut self.parquet {
                    for f in first.iter().chain([&frame]) {
                        f.write_batch(w).map_err(|e| err(path, e))?;
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), ExportError> {
        use std::io::Write as _;
        let csv_path = self.parquet_path.with_extension("csv");
        self.csv.flush().map_err(|e| err(&csv_path, e))?;
        let path = &self.parquet_path;
        match (&mut self.parquet, self.first.take()) {
            (Some(w), _) => w.finish().map(|_| ()).map_err(|e| err(path, e)),
            (None, first) => {
                let frame = first.unwrap_or_else(|| Frame::new(self.name));
                let file = std::fs::File::create(path).map_err(|e| err(path, e))?;
                frame
                    .write_parquet(std::io::BufWriter::new(file))
                    .map_err(|e| err(path, e))
            }
        }
    }
}

/// The per-run files of a saved analysis (`results.jsonl`, `runs` and `findings` as CSV and
/// Parquet), written as runs come, in corpus order, a batch at a time: what is held is one
/// batch, whatever the corpus size.
pub struct RunFiles {
    dir: PathBuf,
    results: std::io::BufWriter<std::fs::File>,
    batch: Vec<(String, u64, RunResult)>,
    /// Runs per batch ([`BATCH_RUNS`]; smaller in tests).
    batch_runs: usize,
    runs: BatchedFrame,
    findings: BatchedFrame,
}

impl RunFiles {
    pub fn create(dir: &Path) -> Result<RunFiles, ExportError> {
        std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
        let path = dir.join("results.jsonl");
        let file = std::fs::File::create(&path).map_err(|e| err(&path, e))?;
        Ok(RunFiles {
            dir: dir.to_path_buf(),
            results: std::io::BufWriter::new(file),
            batch: Vec::new(),
            batch_runs: BATCH_RUNS,
            runs: BatchedFrame::create(dir, "runs")?,
            findings: BatchedFrame::create(dir, "findings")?,
        })
    }

    /// The next run in corpus order, with its saved JSON ([`saved_json`](crate::run_result::saved_json)).
    pub fn push(
        &mut self,
        source: &str,
        line: u64,
        run: RunResult,
        (result, autopsy): (&str, &str),
    ) -> Result<(), ExportError> {
        use std::io::Write as _;
        let text = results_line(source, line, result, autopsy);
        let path = self.dir.join("results.jsonl");
        self.results
            .write_all(text.as_bytes())
            .map_err(|e| err(&path, e))?;
        self.batch.push((source.to_string(), line, run));
        if self.batch.len() >= self.batch_runs {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        let batch = std::mem::take(&mut self.batch);
        let rows: Vec<RunRow<'_>> = batch
            .iter()
            .map(|(source, line, run)| RunRow {
                source,
                line: *line,
                run,
                autopsy: None,
                saved_timeline: None,
            })
            .collect();
        self.runs.push(runs_frame(&rows))?;
        self.findings.push(findings_frame(&rows))
    }

    /// Write what is left; the files written.
    fn finish(mut self) -> Result<Vec<PathBuf>, ExportError> {
        use std::io::Write as _;
        if !self.batch.is_empty() || self.runs.batches == 0 {
            self.flush()?;
        }
        let path = self.dir.join("results.jsonl");
        self.results.flush().map_err(|e| err(&path, e))?;
        let mut files = Vec::new();
        for f in [self.runs, self.findings] {
            files.push(f.parquet_path.clone());
            files.push(f.parquet_path.with_extension("csv"));
            f.finish()?;
        }
        files.push(path);
        Ok(files)
    }
}

/// Finish a saved analysis whose per-run files are written: the rejected inputs, every table,
/// the report and the manifest; returns the files written.
pub fn write_tables(
    run_files: RunFiles,
    tables: &Tables,
    rejections: &[&Rejection],
    accounting: &Accounting,
    provenance: &Provenance,
) -> Result<Vec<PathBuf>, ExportError> {
    let dir = run_files.dir.clone();
    let dir = dir.as_path();
    let per_run = run_files.finish()?;
    // Listed as before: runs and findings (Parquet, CSV), then the other tables, results, report.
    let mut written: Vec<PathBuf> = per_run[..4].to_vec();
    let mut frames = vec![rejected_frame(rejections)];
    frames.extend(tables.frames());
    for f in &frames {
        for ext in ["parquet", "csv"] {
            let path = dir.join(format!("{}.{ext}", f.name));
            let file = std::fs::File::create(&path).map_err(|e| err(&path, e))?;
            let out = std::io::BufWriter::new(file);
            let res = if ext == "csv" {
                f.write_csv(out)
            } else {
                f.write_parquet(out)
            };
            res.map_err(|e| err(&path, e))?;
            written.push(path);
        }
    }
    written.extend(per_run[4..].iter().cloned());
    let md = dir.join("report.md");
    let text = super::render_report(tables, accounting, provenance, TableFormat::Markdown);
    std::fs::write(&md, text).map_err(|e| err(&md, e))?;
    written.push(md);
    let manifest = dir.join(MANIFEST);
    let mut doc = analysis_json(tables, accounting, provenance);
    doc["files"] = Value::from(
        written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect::<Vec<_>>(),
    );
    let text = serde_json::to_string_pretty(&doc).map_err(|e| err(&manifest, e))? + "\n";
    std::fs::write(&manifest, text).map_err(|e| err(&manifest, e))?;
    written.push(manifest);
    Ok(written)
}

impl SavedRun {
    /// The run as a row of the tables and the HTML report.
    pub fn row(&self) -> RunRow<'_> {
        RunRow {
            source: &self.source,
            line: self.line,
            run: &self.result,
            autopsy: self.autopsy.as_ref(),
            saved_timeline: self.timeline.as_deref(),
        }
    }
}

/// The manifest of a saved analysis: what it was made with and what it counted.
pub fn load_manifest(dir: &Path) -> Result<(Provenance, Accounting, Vec<GroupField>), ExportError> {
    let manifest = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest).map_err(|e| {
        err(
            &manifest,
            format!("{e} (is this a directory written by `analyze --out`?)"),
        )
    })?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| err(&manifest, e))?;
    match doc.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        other => {
            return Err(err(
                &manifest,
                format!(
                    "format is {}, expected {FORMAT}",
                    other.map_or("missing".to_string(), |f| format!("{f:?}"))
                ),
            ));
        }
    }
    let provenance: Provenance =
        serde_json::from_value(doc.get("provenance").cloned().unwrap_or_default())
            .map_err(|e| err(&manifest, format!("/provenance: {e}")))?;
    let accounting = Accounting::from_json(doc.get("accounting").unwrap_or(&Value::Null));
    let by = doc
        .get("group_by")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter_map(GroupField::from_name)
                .collect()
        })
        .unwrap_or_default();
    Ok((provenance, accounting, by))
}

/// The runs of a saved analysis (`results.jsonl`), in corpus order.
pub fn load_results(dir: &Path) -> Result<Vec<SavedRun>, ExportError> {
    read_results(dir)?.collect()
}

/// The runs of a saved analysis's `results.jsonl`, read one line at a time (so that a caller
/// that folds them holds one run at a time). Stops after the first error.
pub fn read_results(
    dir: &Path,
) -> Result<impl Iterator<Item = Result<SavedRun, ExportError>>, ExportError> {
    use std::io::BufRead;
    let path = dir.join("results.jsonl");
    let file = std::fs::File::open(&path).map_err(|e| err(&path, e))?;
    let mut failed = false;
    Ok(std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .map_while(move |(i, line)| {
            if failed {
                return None;
            }
            let parsed = match line {
                Err(e) => Err(err(&path, format!("line {}: {e}", i + 1))),
                Ok(l) if l.trim().is_empty() => return Some(None),
                Ok(l) => {
                    serde_json::from_str(&l).map_err(|e| err(&path, format!("line {}: {e}", i + 1)))
                }
            };
            failed = parsed.is_err();
            Some(Some(parsed))
        })
        .flatten())
}

/// A saved analysis read back: its provenance and its per-run and per-finding rows.
#[derive(Debug, Clone)]
pub struct Saved {
    pub dir: PathBuf,
    pub provenance: Provenance,
    pub runs: Frame,
    pub findings: Frame,
}

impl Saved {
    /// Read the analysis saved in `path` (the `--out` directory, or its `analysis.json`).
    pub fn load(path: &Path) -> Result<Saved, ExportError> {
        let dir = if path.is_file() {
            path.parent().unwrap_or(Path::new(".")).to_path_buf()
        } else {
            path.to_path_buf()
        };
        let (provenance, _, _) = load_manifest(&dir)?;
        let read = |name: &'static str, required: &[&str]| -> Result<Frame, ExportError> {
            let path = dir.join(format!("{name}.parquet"));
            let file = std::fs::File::open(&path).map_err(|e| err(&path, e))?;
            let frame = Frame::read_parquet(name, file).map_err(|e| err(&path, e))?;
            for col in required {
                if frame.column(col).is_none() {
                    return Err(err(&path, format!("no column {col:?}")));
                }
            }
            Ok(frame)
        };
        let runs = read("runs", &["source", "line", "run", "verdict"])?;
        let findings = read(
            "findings",
            &["source", "line", "rule", "version", "severity"],
        )?;
        Ok(Saved {
            dir,
            provenance,
            runs,
            findings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_result::saved_json;

    /// The per-run files written in many batches hold what one batch holds: the same bytes of
    /// `results.jsonl` and CSV, the same Parquet rows (in one row group per batch).
    #[test]
    fn per_run_files_in_batches_hold_the_same_rows() {
        let analyzer = crate::analysis::tests::fixtures_analyzer();
        let analysis = crate::analysis::tests::fixture_corpus(&analyzer);
        let rows = analysis.rows();
        assert!(rows.len() > 10);
        let base =
            std::env::temp_dir().join(format!("kubeautopsy-runfiles-{}", std::process::id()));
        let write = |dir: &Path, batch_runs: usize| {
            let mut files = RunFiles::create(dir).unwrap();
            files.batch_runs = batch_runs;
            for r in &rows {
                let (result, autopsy) = saved_json(r.run, r.autopsy);
                files
                    .push(r.source, r.line, r.run.clone(), (&result, &autopsy))
                    .unwrap();
            }
            files.finish().unwrap()
        };
        let one = write(&base.join("one"), BATCH_RUNS);
        let many = write(&base.join("many"), 4);
        for (a, b) in one.iter().zip(&many) {
            let name = a.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".parquet") {
                let read =
                    |p: &Path| Frame::read_parquet("t", std::fs::File::open(p).unwrap()).unwrap();
                assert_eq!(read(a), read(b), "{name}");
            } else {
                assert_eq!(
                    std::fs::read(a).unwrap(),
                    std::fs::read(b).unwrap(),
                    "{name}"
                );
            }
        }
        // results.jsonl is what the object of its four fields serializes to.
        let text = std::fs::read_to_string(&one[4]).unwrap();
        let first = text.lines().next().unwrap();
        let r = &rows[0];
        let expected =
            json!({"source": r.source, "line": r.line, "result": r.run, "autopsy": r.autopsy});
        assert_eq!(first, expected.to_string());
        let _ = std::fs::remove_dir_all(&base);
    }
}
