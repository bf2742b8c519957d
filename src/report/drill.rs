//! The runs of an HTML report's drill-down, gathered one at a time in corpus order. Of each run
//! only what orders and groups it stays in memory (its verdict, cell, repeat and id, and where
//! its parts are); its HTML (the summary line, the timeline, the findings) goes to a spool file
//! beside the report and is read back when the page is written. So `analyze --html` takes
//! memory for those few fields per run, not for every run's result and autopsy.

use super::Tables;
use super::html::{TIMELINE_BUDGET, esc, verdict_colour};
use crate::run_result::RunRow;
use crate::verdict::Verdict;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes of the spool file.
#[derive(Debug, Clone, Copy)]
struct Span {
    at: u64,
    len: u64,
}

/// One run of the drill-down.
#[derive(Debug)]
struct Entry {
    verdict: Verdict,
    /// Index into [`DrillDown::cells`].
    cell: usize,
    repeat: Option<u64>,
    id: Box<str>,
    /// `<details …><summary>…</summary><p>place</p>`.
    head: Span,
    /// `<pre>…</pre>`, and the length of the timeline text (what the budget counts).
    timeline: Option<(Span, usize)>,
    /// A `<p>` per finding (shown when the timeline is left out).
    findings: Span,
}

/// The drill-down's runs, spooled (see the module's documentation).
#[derive(Debug)]
pub struct DrillDown {
    entries: Vec<Entry>,
    /// (arm, scenario) labels of the cells runs fell in, by first appearance.
    cells: HashMap<(String, String), usize>,
    spool: BufWriter<File>,
    path: PathBuf,
    written: u64,
}

impl DrillDown {
    /// A drill-down spooling to a hidden file beside `report` (removed when it is dropped).
    pub fn beside(report: &Path) -> io::Result<DrillDown> {
        let name = report
            .file_name()
            .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
        let path = report.with_file_name(format!(".{name}.kubeautopsy-spool"));
        Ok(DrillDown {
            entries: Vec::new(),
            cells: HashMap::new(),
            spool: BufWriter::new(File::create(&path)?),
            path,
            written: 0,
        })
    }

    fn put(&mut self, text: &str) -> io::Result<Span> {
        self.spool.write_all(text.as_bytes())?;
        let span = Span {
            at: self.written,
            len: text.len() as u64,
        };
        self.written += span.len;
        Ok(span)
    }

    /// Add the next run (in corpus order).
    pub fn push(&mut self, row: RunRow<'_>) -> io::Result<()> {
        use std::fmt::Write as _;
        let r = row.run;
        let i = self.entries.len();
        let label = |l: &Option<String>| {
            l.clone()
                .unwrap_or_else(|| crate::fold::NO_LABEL.to_string())
        };
        let next = self.cells.len();
        let cell = *self
            .cells
            .entry((label(&r.head.arm), label(&r.head.scenario)))
            .or_insert(next);
        let mut head = String::new();
        let _ = write!(
            head,
            "<details id=\"run-{i}\" data-verdict=\"{}\"><summary><span class=\"badge\" style=\"background:{}\">{}</span> {} · {} finding(s){}</summary>",
            r.verdict.code(),
            verdict_colour(r.verdict),
            esc(r.verdict.name()),
            esc(&r.head.id),
            r.findings.len(),
            r.head
                .repeat
                .map_or(String::new(), |n| format!(" · repeat {n}"))
        );
        let _ = write!(head, "<p>{}:{}</p>", esc(row.source), row.line);
        let head = self.put(&head)?;
        let timeline = match row.autopsy {
            // Kept autopsies were made here or checked when the saved analysis was read.
            Some(a) => a.unpack().ok().map(|a| super::render_explain(r, &a)),
            None => row.saved_timeline.map(str::to_string),
        };
        let timeline = match timeline {
            Some(t) => Some((self.put(&format!("<pre>{}</pre>", esc(&t)))?, t.len())),
            None => None,
        };
        let mut findings = String::new();
        for f in &r.findings {
            let _ = write!(
                findings,
                "<p>{} [{}] {}</p>",
                esc(&f.rule),
                f.severity.name(),
                esc(&f.message)
            );
        }
        let findings = self.put(&findings)?;
        self.entries.push(Entry {
            verdict: r.verdict,
            cell,
            repeat: r.head.repeat,
            id: r.head.id.as_str().into(),
            head,
            timeline,
            findings,
        });
        Ok(())
    }

    /// Write the drill-down: the runs of each of the tables' cells, with the timelines the
    /// budget keeps (unsafe, incomplete, failed and unknown runs first, then safe passes, in
    /// corpus order).
    pub fn write(mut self, out: &mut dyn Write, tables: &Tables) -> io::Result<()> {
        self.spool.flush()?;
        let mut spool = File::open(&self.path)?;
        writeln!(out, "<h2 id=\"runs\">Runs</h2>")?;
        let priority = |v: Verdict| match v {
            Verdict::UnsafePass => 0,
            Verdict::Incomplete => 1,
            Verdict::Fail => 2,
            Verdict::Unknown => 3,
            Verdict::SafePass => 4,
        };
        let runs = &self.entries;
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by_key(|&i| (priority(runs[i].verdict), i));
        let mut keep = vec![false; runs.len()];
        let mut spent = 0usize;
        for i in order {
            if let Some((_, len)) = runs[i].timeline
                && spent + len <= TIMELINE_BUDGET
            {
                spent += len;
                keep[i] = true;
            }
        }
        let omitted = runs
            .iter()
            .zip(&keep)
            .filter(|(r, k)| r.timeline.is_some() && !**k)
            .count();
        if omitted > 0 {
            writeln!(
                out,
                "<p>{omitted} timeline(s) of passing runs are left out to keep this file small; \
                 <code>kubeautopsy explain SOURCE --run ID</code> prints any of them.</p>"
            )?;
        }
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.cells.len()];
        for (i, r) in runs.iter().enumerate() {
            members[r.cell].push(i);
        }
        let mut copy = |span: Span, out: &mut dyn Write| -> io::Result<()> {
            spool.seek(SeekFrom::Start(span.at))?;
            let copied = io::copy(&mut (&mut spool).take(span.len), out)?;
            if copied == span.len {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the report's spool file is shorter than what was written to it",
                ))
            }
        };
        for (k, c) in tables.cells.iter().enumerate() {
            writeln!(
                out,
                "<section id=\"cell-{k}\"><h3>{} · {}</h3>",
                esc(&c.arm),
                esc(&c.scenario)
            )?;
            let mut these = self
                .cells
                .get(&(c.arm.clone(), c.scenario.clone()))
                .map_or_else(Vec::new, |&cell| members[cell].clone());
            these.sort_by(|&a, &b| {
                (runs[a].repeat, &runs[a].id).cmp(&(runs[b].repeat, &runs[b].id))
            });
            for i in these {
                let r = &runs[i];
                copy(r.head, out)?;
                match r.timeline {
                    Some((span, _)) if keep[i] => copy(span, out)?,
                    _ => copy(r.findings, out)?,
                }
                writeln!(out, "</details>")?;
            }
            writeln!(out, "</section>")?;
        }
        Ok(())
    }
}

impl Drop for DrillDown {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
