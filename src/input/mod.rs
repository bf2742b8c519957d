//! Stage 1 and 2: discover the inputs and read records out of them.
//!
//! The contract (as in ripgrep's walker): every path the user named is either turned into
//! [`Source`]s or reported as an [`InputProblem`]; a directory entry that is not a trace file is
//! counted as skipped, never silently dropped; the order is deterministic (sorted by path).
//! Reading yields records (one run each) and never holds more than one chunk of a file at a time.

mod discover;
mod read;

pub(crate) use discover::io_message;
pub use discover::{
    Discovery, InputProblem, NOT_REGULAR_FILE, SkipReason, canonical_order, discover,
};
pub use read::{
    Compression, LineItem, LineReader, ReadError, WholeRead, open_source, read_range, read_whole,
    sniff_format, wrap_reader,
};

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcePath {
    File(PathBuf),
    Stdin,
}

impl fmt::Display for SourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourcePath::File(p) => write!(f, "{}", p.display()),
            SourcePath::Stdin => f.write_str("<stdin>"),
        }
    }
}

/// How the records are laid out in a source, decided by its extension (after a `.gz`/`.zst`
/// suffix is stripped). Compression itself is detected from the content's magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `.json`: the whole (decompressed) file is one record.
    Document,
    /// `.jsonl` / `.ndjson`: one record per line; blank lines are ignored.
    Lines,
    /// stdin or an explicitly named file with another extension: decided from the first line.
    Sniff,
}

/// One input to read: a file or stdin.
#[derive(Debug, Clone)]
pub struct Source {
    /// Position in the deterministic input order; results are sorted by it.
    pub index: usize,
    pub path: SourcePath,
    /// The path as shown in diagnostics (shared by every record of the source).
    pub display: Arc<str>,
    pub layout: Layout,
    /// Size on disk (compressed size for compressed files); unknown for stdin.
    pub size: Option<u64>,
}

/// Limits that bound what one input can cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A record (a `.json` file, or a line of a `.jsonl` file) larger than this, after
    /// decompression, is rejected as too large without being held in memory.
    pub max_record_bytes: u64,
    /// A gzip or zstd stream that has produced more than `max_record_bytes` and more than this
    /// many times the compressed bytes it consumed is stopped (a decompression bomb).
    pub max_inflation: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_inflation: DEFAULT_MAX_INFLATION,
        }
    }
}

/// Default of `--max-inflation`: gzip cannot exceed about 1,030×; real trace corpora compress
/// 5-50×.
pub const DEFAULT_MAX_INFLATION: u64 = 1000;

/// Default of `--max-record-size`: 64 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// Suffixes of trace files, after a compression suffix is removed.
const DOCUMENT_EXTENSIONS: &[&str] = &["json"];
const LINES_EXTENSIONS: &[&str] = &["jsonl", "ndjson"];
const COMPRESSION_EXTENSIONS: &[&str] = &["gz", "zst"];

/// The layout a file name implies, or `None` when it is not a trace file name.
pub fn layout_of(path: &std::path::Path) -> Option<Layout> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let mut parts = name.rsplit('.');
    let mut ext = parts.next()?;
    if COMPRESSION_EXTENSIONS.contains(&ext) {
        ext = parts.next()?;
    }
    // A bare name such as "json" (no dot) is not a trace file.
    if !name.contains('.') {
        return None;
    }
    if DOCUMENT_EXTENSIONS.contains(&ext) {
        Some(Layout::Document)
    } else if LINES_EXTENSIONS.contains(&ext) {
        Some(Layout::Lines)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn layouts_from_names() {
        assert_eq!(layout_of(Path::new("a/run.json")), Some(Layout::Document));
        assert_eq!(layout_of(Path::new("run.JSON.gz")), Some(Layout::Document));
        assert_eq!(layout_of(Path::new("runs.jsonl.zst")), Some(Layout::Lines));
        assert_eq!(layout_of(Path::new("runs.ndjson")), Some(Layout::Lines));
        assert_eq!(layout_of(Path::new("README.md")), None);
        assert_eq!(layout_of(Path::new("notes.gz")), None);
        assert_eq!(layout_of(Path::new("json")), None);
        assert_eq!(layout_of(Path::new("x.tar.gz")), None);
    }
}
