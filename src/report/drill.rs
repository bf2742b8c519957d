//! The runs of an HTML report's drill-down, gathered one at a time in corpus order. Of each run
//! only a few numbers stay in memory (its verdict, cell and repeat, and the lengths of its
//! parts); its id and its HTML (the summary line, the timeline, the findings) go to a spool
//! file beside the report and are read back when the page is written, the ids one cell at a
//! time. So `analyze --html` takes about 50 bytes a run, not every run's result and autopsy.

use super::Tables;
use super::html::{TIMELINE_BUDGET, esc, verdict_colour};
use crate::run_result::{RunResult, RunRow};
use crate::verdict::Verdict;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One run of the drill-down. Its parts follow each other in the spool from `at`: its id, then
/// `<details …><summary>…</summary><p>place</p>`, then `<pre>timeline</pre>` (if any), then a
/// `<p>` per finding (shown when the timeline is left out).
#[derive(Debug)]
struct Entry {
    at: u64,
    id: u32,
    head: u32,
    timeline: u32,
    findings: u32,
    /// The length of the timeline text (what the budget counts), if there is one.
    timeline_text: Option<u32>,
    /// Index into [`DrillDown::cells`].
    cell: u32,
    repeat: Option<u64>,
    verdict: Verdict,
}

impl Entry {
    fn head_at(&self) -> u64 {
        self.at + u64::from(self.id)
    }
    fn timeline_at(&self) -> u64 {
        self.head_at() + u64::from(self.head)
    }
    fn findings_at(&self) -> u64 {
        self.timeline_at() + u64::from(self.timeline)
    }
}

/// The drill-down's runs, spooled (see the module's documentation).
#[derive(Debug)]
pub struct DrillDown {
    entries: Vec<Entry>,
    /// (arm, scenario) labels of the cells runs fell in, by first appearance.
    cells: HashMap<(String, String), u32>,
    spool: BufWriter<File>,
    path: PathBuf,
    written: u64,
    /// Bytes of timelines the page holds at most ([`TIMELINE_BUDGET`]).
    budget: usize,
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
            budget: TIMELINE_BUDGET,
        })
    }

    /// Append `text` to the spool; its length.
    fn put(&mut self, text: &str) -> io::Result<u32> {
        let len = u32::try_from(text.len()).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "a run's report part over 4 GiB")
        })?;
        self.spool.write_all(text.as_bytes())?;
        self.written += u64::from(len);
        Ok(len)
    }

    /// Add the next run (in corpus order) with its kept autopsy or saved timeline.
    pub fn push(&mut self, row: RunRow<'_>) -> io::Result<()> {
        let timeline = match row.autopsy {
            // Kept autopsies were made here or checked when the saved analysis was read.
            Some(a) => a.unpack().ok().map(|a| super::render_explain(row.run, &a)),
            None => row.saved_timeline.map(str::to_string),
        };
        self.push_run(row.source, row.line, row.run, timeline)
    }

    /// Add the next run (in corpus order), read at `source:line`, with its timeline if any.
    pub fn push_run(
        &mut self,
        source: &str,
        line: u64,
        r: &RunResult,
        timeline: Option<String>,
    ) -> io::Result<()> {
        use std::fmt::Write as _;
        let i = self.entries.len();
        let label = |l: &Option<String>| {
            l.clone()
                .unwrap_or_else(|| crate::fold::NO_LABEL.to_string())
        };
        let next = u32::try_from(self.cells.len()).unwrap_or(u32::MAX);
        let cell = *self
            .cells
            .entry((label(&r.head.arm), label(&r.head.scenario)))
            .or_insert(next);
        let at = self.written;
        let id = self.put(&r.head.id)?;
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
        let _ = write!(head, "<p>{}:{}</p>", esc(source), line);
        let head = self.put(&head)?;
        let (timeline, timeline_text) = match timeline {
            Some(t) => (
                self.put(&format!("<pre>{}</pre>", esc(&t)))?,
                Some(u32::try_from(t.len()).unwrap_or(u32::MAX)),
            ),
            None => (0, None),
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
            at,
            id,
            head,
            timeline,
            findings,
            timeline_text,
            cell,
            repeat: r.head.repeat,
            verdict: r.verdict,
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
            if let Some(len) = runs[i].timeline_text.map(|l| l as usize)
                && spent + len <= self.budget
            {
                spent += len;
                keep[i] = true;
            }
        }
        let omitted = runs
            .iter()
            .zip(&keep)
            .filter(|(r, k)| r.timeline_text.is_some() && !**k)
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
            members[r.cell as usize].push(i);
        }
        let short = || {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the report's spool file is shorter than what was written to it",
            )
        };
        let mut copy = |at: u64, len: u32, out: &mut dyn Write| -> io::Result<()> {
            spool.seek(SeekFrom::Start(at))?;
            let copied = io::copy(&mut (&mut spool).take(u64::from(len)), out)?;
            if copied == u64::from(len) {
                Ok(())
            } else {
                Err(short())
            }
        };
        for (k, c) in tables.cells.iter().enumerate() {
            writeln!(
                out,
                "<section id=\"cell-{k}\"><h3>{} · {}</h3>",
                esc(&c.arm),
                esc(&c.scenario)
            )?;
            // The cell's runs by repeat and id (their ids read back for this cell only).
            let mut these: Vec<(Option<u64>, Vec<u8>, usize)> = Vec::new();
            for &i in self
                .cells
                .get(&(c.arm.clone(), c.scenario.clone()))
                .map_or(&[][..], |&cell| &members[cell as usize])
            {
                let mut id = Vec::new();
                copy(runs[i].at, runs[i].id, &mut id)?;
                these.push((runs[i].repeat, id, i));
            }
            these.sort();
            for (_, _, i) in these {
                let r = &runs[i];
                copy(r.head_at(), r.head, out)?;
                if r.timeline_text.is_some() && keep[i] {
                    copy(r.timeline_at(), r.timeline, out)?;
                } else {
                    copy(r.findings_at(), r.findings, out)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_result::RunRow;

    /// With a budget that holds exactly the unsafe passes' timelines, the page shows those and
    /// only those, says how many it left out, lists every run once in its cell by repeat and id,
    /// and removes its spool.
    #[test]
    fn the_budget_keeps_unsafe_timelines_first_and_cells_list_runs_by_repeat() {
        let analyzer = crate::analysis::tests::fixtures_analyzer();
        let analysis = crate::analysis::tests::fixture_corpus(&analyzer);
        let rows: Vec<RunRow<'_>> = analysis.rows();
        let tables = Tables::from_fold(&analysis.fold, &[crate::fold::GroupField::Arm]).unwrap();
        let timeline = |r: &RunRow<'_>| {
            super::super::render_explain(r.run, &r.autopsy.unwrap().unpack().unwrap())
        };
        let unsafe_runs: Vec<&RunRow<'_>> = rows
            .iter()
            .filter(|r| r.run.verdict == Verdict::UnsafePass)
            .collect();
        assert!(unsafe_runs.len() >= 2 && unsafe_runs.len() < rows.len());
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.html");
        let mut drill = DrillDown::beside(&report).unwrap();
        drill.budget = unsafe_runs.iter().map(|r| timeline(r).len()).sum();
        for r in &rows {
            drill.push(*r).unwrap();
        }
        let mut page = Vec::new();
        drill.write(&mut page, &tables).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert_eq!(page.matches("<pre>").count(), unsafe_runs.len());
        for r in &unsafe_runs {
            assert!(page.contains(&format!("<pre>{}</pre>", esc(&timeline(r)))));
        }
        let left_out = rows.len() - unsafe_runs.len();
        assert!(page.contains(&format!(
            "<p>{left_out} timeline(s) of passing runs are left out"
        )));
        assert_eq!(page.matches("<details id=\"run-").count(), rows.len());
        // In each cell, by repeat and then id.
        for section in page.split("<section ").skip(1) {
            let keys: Vec<(Option<u64>, String)> = section
                .split("<details id=\"run-")
                .skip(1)
                .map(|d| {
                    let i: usize = d[..d.find('"').unwrap()].parse().unwrap();
                    (rows[i].run.head.repeat, rows[i].run.head.id.clone())
                })
                .collect();
            assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the spool is removed"
        );
    }
}
