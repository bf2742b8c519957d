//! Turn the paths a user named into an ordered list of sources.

use super::{Layout, Source, SourcePath, layout_of};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use walkdir::WalkDir;

/// Why a FIFO, socket or device found inside a directory is not read.
pub const NOT_REGULAR_FILE: &str = "not a regular file (a FIFO, socket or device); not read";

/// A named path (or a directory entry) that could not be turned into a source.
#[derive(Debug, Clone)]
pub struct InputProblem {
    pub display: Arc<str>,
    pub message: String,
}

/// Why a file was seen but not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// Found while walking a directory, but its name is not `.json`, `.jsonl` or `.ndjson`
    /// (optionally `.gz`/`.zst`).
    NotATraceFile,
    /// The same file was reached twice (named twice, or through a symlink).
    Duplicate,
    /// SREGym's `*_results_*.json`: read for the runs beside it (as a note), not a run.
    OutcomeFile,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NotATraceFile => "not a trace file name",
            SkipReason::Duplicate => "listed more than once",
            SkipReason::OutcomeFile => "an SREGym results file (noted on the runs beside it)",
        }
    }
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub sources: Vec<Source>,
    pub problems: Vec<InputProblem>,
    pub skipped: Vec<(PathBuf, SkipReason)>,
}

/// Expand files, directories (recursively, following symlinks) and `-` (stdin) into sources.
///
/// The order is canonical whatever order the paths were named in: stdin first, then files by
/// path, component by component (a directory's files in name order, depth first), so that the
/// same corpus gives the same output files byte for byte. A file reached twice (named twice,
/// or through a symlink) is read once, at the first of its paths in that order.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut out = Discovery::default();
    let mut files: Vec<(PathBuf, Layout, Option<u64>)> = Vec::new();
    let mut stdin_seen = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_seen {
                out.skipped.push((path.clone(), SkipReason::Duplicate));
            } else {
                stdin_seen = true;
                push_source(&mut out, SourcePath::Stdin, Layout::Sniff, None);
            }
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => out.problems.push(InputProblem {
                display: display_of(path),
                message: io_message(&e),
            }),
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut out, &mut files),
            Ok(meta) => {
                // A file named explicitly is always read; its layout is sniffed if the name
                // does not tell.
                let layout = layout_of(path).unwrap_or(Layout::Sniff);
                files.push((path.clone(), layout, Some(meta.len())));
            }
        }
    }
    for (path, layout, size) in files {
        push_source(&mut out, SourcePath::File(path), layout, size);
    }
    canonical_order(&mut out);
    out
}

/// Put a discovery in its canonical order: stdin first, then files by path, component by
/// component; a file reached twice (named twice, or through a symlink) is kept once, at the
/// first of its paths in that order, the others are skipped as duplicates.
pub fn canonical_order(out: &mut Discovery) {
    let mut sources = std::mem::take(&mut out.sources);
    sources.sort_by(|a, b| match (&a.path, &b.path) {
        (SourcePath::File(x), SourcePath::File(y)) => x.cmp(y),
        (SourcePath::Stdin, SourcePath::Stdin) => std::cmp::Ordering::Equal,
        (SourcePath::Stdin, _) => std::cmp::Ordering::Less,
        (_, SourcePath::Stdin) => std::cmp::Ordering::Greater,
    });
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for mut source in sources {
        if let SourcePath::File(path) = &source.path {
            let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            if !seen.insert(key) {
                out.skipped.push((path.clone(), SkipReason::Duplicate));
                continue;
            }
        }
        source.index = out.sources.len();
        out.sources.push(source);
    }
    out.skipped.sort();
    out.problems
        .sort_by(|a, b| Path::new(&*a.display).cmp(Path::new(&*b.display)));
}

fn walk_dir(root: &Path, out: &mut Discovery, files: &mut Vec<(PathBuf, Layout, Option<u64>)>) {
    for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
        match entry {
            Err(e) => {
                let display = e.path().map_or_else(|| display_of(root), display_of);
                let message = if let Some(ancestor) = e.loop_ancestor() {
                    format!(
                        "symbolic link loop (back to {}); not followed",
                        ancestor.display()
                    )
                } else if let Some(io) = e.io_error() {
                    io_message(io)
                } else {
                    e.to_string()
                };
                out.problems.push(InputProblem { display, message });
            }
            Ok(entry) => {
                if entry.file_type().is_dir() {
                    continue;
                }
                let path = entry.path();
                // A FIFO would block the reader forever, a device could be endless: inside a
                // directory only regular files are read (a FIFO named on the command line, such
                // as `<(zcat x.gz)`, is still read).
                if !entry.file_type().is_file() && layout_of(path).is_some() {
                    out.problems.push(InputProblem {
                        display: display_of(path),
                        message: NOT_REGULAR_FILE.to_string(),
                    });
                    continue;
                }
                match layout_of(path) {
                    None => out
                        .skipped
                        .push((path.to_path_buf(), SkipReason::NotATraceFile)),
                    Some(layout) => {
                        let size = entry.metadata().ok().map(|m| m.len());
                        files.push((path.to_path_buf(), layout, size));
                    }
                }
            }
        }
    }
}

fn push_source(out: &mut Discovery, path: SourcePath, layout: Layout, size: Option<u64>) {
    let display: Arc<str> = Arc::from(path.to_string());
    out.sources.push(Source {
        index: out.sources.len(),
        path,
        display,
        layout,
        size,
    });
}

fn display_of(path: &Path) -> Arc<str> {
    Arc::from(path.display().to_string())
}

/// An I/O error as a short sentence without the OS error number.
pub(crate) fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".to_string(),
        PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            // "Is a directory (os error 21)" -> "Is a directory"
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn walks_sorted_skips_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("b")).unwrap();
        fs::write(d.join("b/2.jsonl"), "").unwrap();
        fs::write(d.join("a.json"), "{}").unwrap();
        fs::write(d.join("notes.md"), "x").unwrap();
        fs::write(d.join("c.json.gz"), "").unwrap();
        let got = discover(&[
            d.to_path_buf(),
            d.join("a.json"),
            d.join("missing.json"),
            PathBuf::from("-"),
        ]);
        let names: Vec<String> = got
            .sources
            .iter()
            .map(|s| match &s.path {
                SourcePath::File(p) => p.strip_prefix(d).unwrap().display().to_string(),
                SourcePath::Stdin => "-".into(),
            })
            .collect();
        // The canonical order, whatever order the paths were named in: stdin, then by path.
        assert_eq!(names, ["-", "a.json", "b/2.jsonl", "c.json.gz"]);
        assert_eq!(got.sources[2].layout, Layout::Lines);
        assert_eq!(got.problems.len(), 1);
        assert_eq!(got.problems[0].message, "no such file or directory");
        let reasons: Vec<SkipReason> = got.skipped.iter().map(|s| s.1).collect();
        assert_eq!(reasons, [SkipReason::Duplicate, SkipReason::NotATraceFile]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_a_problem_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
        fs::write(d.join("sub/x.json"), "{}").unwrap();
        let got = discover(&[d.to_path_buf()]);
        assert_eq!(got.sources.len(), 1);
        assert_eq!(got.problems.len(), 1);
        assert!(
            got.problems[0].message.contains("loop"),
            "{:?}",
            got.problems
        );
    }
}
