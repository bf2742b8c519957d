//! Reading records: decompression by magic bytes, bounded line reading, byte-range splitting of
//! large plain files so several threads share one big `.jsonl`.

use super::{Layout, Limits, SourcePath};
use crate::diag::RejectKind;
use memchr::memchr;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const READ_BUFFER: usize = 256 * 1024;

/// The largest zstd window accepted (2^27 = 128 MiB, zstd's own default without `--long`):
/// bounds what one zstd stream can make us allocate.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// Compression of a source, detected from its first bytes (not from its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// The compression of a file, from its first bytes; `None` when it cannot be read.
    pub fn of_file(path: &Path) -> Option<Compression> {
        let mut magic = [0u8; 4];
        let mut f = File::open(path).ok()?;
        let n = f.read(&mut magic).unwrap_or(0);
        Some(Compression::detect(&magic[..n]))
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::None => "plain",
        }
    }

    pub fn detect(prefix: &[u8]) -> Compression {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Why bytes could not be read from a source.
#[derive(Debug)]
pub enum ReadError {
    /// Opening or reading failed (not found, permission denied, a device error).
    Io(io::Error),
    /// The compressed stream is corrupt or truncated.
    Decompress {
        compression: Compression,
        error: io::Error,
    },
    /// The compressed stream inflates beyond `--max-inflation` (a decompression bomb?).
    Inflation(Inflation),
}

/// What the inflation guard saw when it stopped a stream.
#[derive(Debug, Clone, Copy)]
pub struct Inflation {
    pub compression: Compression,
    /// Decompressed bytes produced so far.
    pub inflated: u64,
    /// Compressed bytes consumed so far.
    pub compressed: u64,
    /// The limit (`--max-inflation`).
    pub max_ratio: u64,
}

impl fmt::Display for Inflation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} stream inflates more than {}× ({} from {} compressed): a decompression bomb? \
             reading stopped (raise --max-inflation to read it)",
            self.compression.name(),
            self.max_ratio,
            crate::diag::human_bytes(self.inflated),
            crate::diag::human_bytes(self.compressed),
        )
    }
}

impl std::error::Error for Inflation {}

impl ReadError {
    /// Classify an error of a reader over a stream of the given compression.
    pub fn wrap(error: io::Error, compression: Compression) -> ReadError {
        if let Some(i) = error.get_ref().and_then(|e| e.downcast_ref::<Inflation>()) {
            return ReadError::Inflation(*i);
        }
        match compression {
            Compression::None => ReadError::Io(error),
            c => ReadError::Decompress {
                compression: c,
                error,
            },
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => f.write_str(&super::discover::io_message(e)),
            ReadError::Decompress { compression, error } => write!(
                f,
                "{} stream is corrupt or truncated: {}",
                compression.name(),
                super::discover::io_message(error)
            ),
            ReadError::Inflation(i) => i.fmt(f),
        }
    }
}

impl ReadError {
    /// The kind of rejection this error makes of the input it stopped.
    pub fn reject_kind(&self) -> RejectKind {
        match self {
            ReadError::Io(_) => RejectKind::Io,
            ReadError::Decompress { .. } => RejectKind::Decompress,
            ReadError::Inflation(_) => RejectKind::TooLarge,
        }
    }
}

/// A decompressed, buffered reader over a source whose errors are classified.
pub struct SourceReader {
    inner: Box<dyn BufRead + Send>,
    compression: Compression,
}

impl SourceReader {
    pub fn compression(&self) -> Compression {
        self.compression
    }
}

impl Read for SourceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl BufRead for SourceReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt)
    }
}

/// Open a file or stdin and wrap it in the decompressor its magic bytes call for, guarded by
/// `limits.max_inflation`.
pub fn open_source(path: &SourcePath, limits: &Limits) -> Result<SourceReader, ReadError> {
    let raw: Box<dyn Read + Send> = match path {
        SourcePath::File(p) => Box::new(File::open(p).map_err(ReadError::Io)?),
        SourcePath::Stdin => Box::new(io::stdin()),
    };
    wrap_reader(raw, limits)
}

/// Counts the compressed bytes a decoder consumes.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Stops a decoder whose output outgrows `max_ratio` × its input, once the output is past
/// `floor` bytes (so that small, very repetitive files are always read). The cost of a bomb is
/// bounded by `floor` plus `max_ratio` × the file's size.
struct InflationGuard<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    inflated: u64,
    floor: u64,
    max_ratio: u64,
    compression: Compression,
}

impl<R: Read> Read for InflationGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.inflated += n as u64;
        let compressed = self.compressed.load(Ordering::Relaxed);
        if self.inflated > self.floor && self.inflated > self.max_ratio.saturating_mul(compressed) {
            return Err(io::Error::other(Inflation {
                compression: self.compression,
                inflated: self.inflated,
                compressed,
                max_ratio: self.max_ratio,
            }));
        }
        Ok(n)
    }
}

/// Wrap any byte stream in the decompressor its magic bytes call for (what `open_source` does
/// for files and stdin).
pub fn wrap_reader(
    mut raw: Box<dyn Read + Send>,
    limits: &Limits,
) -> Result<SourceReader, ReadError> {
    // Peek at up to 4 bytes (a pipe may deliver them one read at a time).
    let mut prefix = Vec::with_capacity(4);
    (&mut raw)
        .take(4)
        .read_to_end(&mut prefix)
        .map_err(ReadError::Io)?;
    let compression = Compression::detect(&prefix);
    let joined = io::Cursor::new(prefix).chain(raw);
    let count = Arc::new(AtomicU64::new(0));
    let counted = Counting {
        inner: joined,
        count: count.clone(),
    };
    let guard = |decoder: Box<dyn Read + Send>| -> Box<dyn BufRead + Send> {
        Box::new(BufReader::with_capacity(
            READ_BUFFER,
            InflationGuard {
                inner: decoder,
                compressed: count.clone(),
                inflated: 0,
                floor: limits.max_record_bytes,
                max_ratio: limits.max_inflation,
                compression,
            },
        ))
    };
    let inner: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(BufReader::with_capacity(READ_BUFFER, counted.inner)),
        Compression::Gzip => guard(Box::new(flate2::read::MultiGzDecoder::new(counted))),
        Compression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::new(counted)
                .map_err(|e| ReadError::wrap(e, Compression::Zstd))?;
            // The window (memory) a frame may ask for: zstd's default limit, stated.
            decoder
                .window_log_max(ZSTD_WINDOW_LOG_MAX)
                .map_err(|e| ReadError::wrap(e, Compression::Zstd))?;
            guard(Box::new(decoder))
        }
    };
    Ok(SourceReader { inner, compression })
}

/// The result of reading a whole source as one record.
pub enum WholeRead {
    Data(Vec<u8>),
    /// More than the limit; the rest was not read.
    TooLarge,
}

/// Read everything (up to `limit` bytes) from `reader`, appended after `prefix`.
pub fn read_whole(
    reader: &mut SourceReader,
    prefix: Vec<u8>,
    limit: u64,
    size: Option<u64>,
) -> Result<WholeRead, ReadError> {
    let mut data = prefix;
    if data.len() as u64 > limit {
        return Ok(WholeRead::TooLarge);
    }
    let budget = limit - data.len() as u64;
    let compression = reader.compression();
    // An uncompressed file of known size is read into a buffer of that size (not regrown and
    // copied as it fills).
    if let (Compression::None, Some(size)) = (compression, size) {
        let rest = size.saturating_sub(data.len() as u64).min(budget);
        // Best effort: a buffer that cannot be had now is grown as it fills, and a lack of
        // memory then is an error of this input, as it was.
        let _ = data.try_reserve(usize::try_from(rest.saturating_add(1)).unwrap_or(0));
    }
    let read = (&mut *reader)
        .take(budget.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| ReadError::wrap(e, compression))?;
    if read as u64 > budget {
        return Ok(WholeRead::TooLarge);
    }
    Ok(WholeRead::Data(data))
}

/// What [`LineReader::next_into`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineItem {
    /// A line (without its `\n` or `\r\n`) is in the buffer. `line` is 1-based, relative to
    /// where the reader started.
    Line { line: u64 },
    /// A line longer than the limit was skipped without being kept; `len` is its length.
    TooLong { line: u64, len: u64 },
}

/// Reads lines of at most `max` bytes; longer lines are consumed and reported, never buffered.
pub struct LineReader<R> {
    inner: R,
    max: u64,
    lines: u64,
    offset: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, max: u64, offset: u64) -> Self {
        LineReader {
            inner,
            max,
            lines: 0,
            offset,
        }
    }

    /// Byte offset (in the decompressed stream) where the next line starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// How many lines have been read so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Read the next line into `buf` (cleared first). `None` at the end of the stream.
    pub fn next_into(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineItem>> {
        buf.clear();
        let mut len: u64 = 0;
        let mut too_long = false;
        let mut saw_any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (take, done) = match memchr(b'\n', chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            len += take as u64;
            if !too_long {
                if len > self.max {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(&chunk[..take]);
                }
            }
            let consumed = take + usize::from(done);
            self.inner.consume(consumed);
            self.offset += consumed as u64;
            if done {
                break;
            }
        }
        self.lines += 1;
        let line = self.lines;
        if too_long {
            return Ok(Some(LineItem::TooLong { line, len }));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some(LineItem::Line { line }))
    }
}

/// Read the lines that *start* in the byte range `[start, end)` of a plain (uncompressed) file,
/// calling `on_line` for each until it returns `false`. A line that starts in the range is read
/// to its end even past `end`; a line that started before `start` belongs to the previous
/// range. Returns the number of lines this range owns (to number lines across ranges).
pub fn read_range(
    path: &Path,
    start: u64,
    end: u64,
    max_line: u64,
    mut on_line: impl FnMut(LineItem, &[u8]) -> bool,
) -> io::Result<u64> {
    let mut file = File::open(path)?;
    let mut pos = start;
    if start > 0 {
        pos = start - 1;
        file.seek(SeekFrom::Start(pos))?;
    }
    let mut reader = BufReader::with_capacity(READ_BUFFER, file);
    if start > 0 {
        // Skip the tail of the line that began in an earlier range, never scanning past `end`.
        loop {
            let chunk = reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(0);
            }
            match memchr(b'\n', chunk) {
                Some(i) => {
                    reader.consume(i + 1);
                    pos += i as u64 + 1;
                    break;
                }
                None => {
                    let n = chunk.len();
                    reader.consume(n);
                    pos += n as u64;
                    if pos >= end {
                        return Ok(0);
                    }
                }
            }
        }
    }
    let mut lines = LineReader::new(reader, max_line, pos);
    let mut buf = Vec::new();
    while lines.offset() < end {
        match lines.next_into(&mut buf)? {
            None => break,
            Some(item) => {
                if !on_line(item, &buf) {
                    break;
                }
            }
        }
    }
    Ok(lines.lines())
}

/// Decide the layout of a source whose name does not tell, from its first line: a first line
/// that is a complete JSON value (or blank) means one record per line; anything else means the
/// whole source is one (pretty-printed) document.
pub fn sniff_format(first_line: &[u8]) -> Layout {
    if first_line.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok()
    {
        Layout::Lines
    } else {
        Layout::Document
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_of(data: &[u8], max: u64) -> Vec<(LineItem, Vec<u8>)> {
        let mut r = LineReader::new(io::BufReader::with_capacity(3, data), max, 0);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(item) = r.next_into(&mut buf).unwrap() {
            out.push((item, buf.clone()));
        }
        out
    }

    #[test]
    fn line_reader_splits_strips_cr_and_bounds_long_lines() {
        let got = lines_of(b"ab\r\n\nlongline\nz", 5);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], (LineItem::Line { line: 1 }, b"ab".to_vec()));
        assert_eq!(got[1], (LineItem::Line { line: 2 }, b"".to_vec()));
        assert_eq!(got[2].0, LineItem::TooLong { line: 3, len: 8 });
        assert!(got[2].1.is_empty());
        assert_eq!(got[3], (LineItem::Line { line: 4 }, b"z".to_vec()));
        assert!(lines_of(b"", 5).is_empty());
    }

    #[test]
    fn ranges_partition_lines_exactly() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut content = Vec::new();
        for i in 0..200 {
            content.extend(format!("line-{i}-{}\n", "x".repeat(i % 17)).as_bytes());
        }
        content.extend(b"last-without-newline");
        f.write_all(&content).unwrap();
        let len = content.len() as u64;
        for chunk in [1u64, 7, 64, 1000, len] {
            let mut all = Vec::new();
            let mut total = 0;
            let mut start = 0;
            while start < len {
                let end = (start + chunk).min(len);
                total += read_range(f.path(), start, end, 1 << 20, |_, l| {
                    all.push(String::from_utf8(l.to_vec()).unwrap());
                    true
                })
                .unwrap();
                start = end;
            }
            assert_eq!(total, 201, "chunk {chunk}");
            assert_eq!(all.len(), 201);
            assert_eq!(all[0], "line-0-");
            assert_eq!(all[200], "last-without-newline");
        }
    }

    proptest::proptest! {
        /// Whatever the content and the range size, ranges own every line exactly once, in
        /// order, and count them right.
        #[test]
        fn ranges_partition_any_content(
            lines in proptest::collection::vec("[a-z\r]{0,30}", 0..40),
            trailing_newline in proptest::bool::ANY,
            chunk in 1u64..64,
        ) {
            let mut content = lines.join("\n");
            if trailing_newline && !lines.is_empty() {
                content.push('\n');
            }
            let mut f = tempfile::NamedTempFile::new().unwrap();
            f.write_all(content.as_bytes()).unwrap();
            let len = content.len() as u64;
            let mut seen = Vec::new();
            let mut total = 0;
            let mut start = 0;
            while start < len {
                let end = (start + chunk).min(len);
                total += read_range(f.path(), start, end, 1 << 20, |_, l| {
                    seen.push(String::from_utf8(l.to_vec()).unwrap());
                    true
                })
                .unwrap();
                start = end;
            }
            let expected: Vec<String> = if content.is_empty() {
                Vec::new()
            } else {
                content
                    .strip_suffix('\n')
                    .unwrap_or(&content)
                    .split('\n')
                    .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
                    .collect()
            };
            proptest::prop_assert_eq!(total as usize, expected.len());
            proptest::prop_assert_eq!(seen, expected);
        }
    }

    #[test]
    fn decompression_is_detected_by_magic() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"a\":1}\n").unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&b"{\"a\":2}\n"[..], 1).unwrap();
        for (bytes, expect, text) in [
            (gz, Compression::Gzip, "{\"a\":1}\n"),
            (zs, Compression::Zstd, "{\"a\":2}\n"),
            (b"{}".to_vec(), Compression::None, "{}"),
            (b"x".to_vec(), Compression::None, "x"),
        ] {
            let mut r = wrap_reader(Box::new(io::Cursor::new(bytes)), &Limits::default()).unwrap();
            assert_eq!(r.compression(), expect);
            let WholeRead::Data(d) = read_whole(&mut r, Vec::new(), 100, None).unwrap() else {
                panic!("too large")
            };
            assert_eq!(d, text.as_bytes());
        }
    }

    #[test]
    fn corrupt_gzip_is_a_decompress_error() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b"hello world ".repeat(1000)).unwrap();
        let mut bytes = gz.finish().unwrap();
        let mid = bytes.len() / 2;
        bytes[mid..mid + 8].copy_from_slice(b"\xff\xff\xff\xff\xff\xff\xff\xff");
        let mut r = wrap_reader(Box::new(io::Cursor::new(bytes)), &Limits::default()).unwrap();
        match read_whole(&mut r, Vec::new(), 1 << 20, None) {
            Err(ReadError::Decompress { .. }) => {}
            other => panic!("expected a decompress error, got {:?}", other.is_ok()),
        }
    }

    #[test]
    fn whole_read_stops_at_the_limit() {
        let mut r = wrap_reader(Box::new(io::repeat(b'a')), &Limits::default()).unwrap();
        assert!(matches!(
            read_whole(&mut r, Vec::new(), 1000, None).unwrap(),
            WholeRead::TooLarge
        ));
    }

    /// A size hint, right or wrong, changes only the buffer the read starts with: what is read
    /// and where the limit stops it do not depend on it; an unlimited read does not overflow.
    #[test]
    fn a_size_hint_changes_nothing_read() {
        let text = b"0123456789".repeat(10);
        let read = |limit: u64, prefix: &[u8], size: Option<u64>| {
            let mut r =
                wrap_reader(Box::new(io::Cursor::new(text.clone())), &Limits::default()).unwrap();
            match read_whole(&mut r, prefix.to_vec(), limit, size).unwrap() {
                WholeRead::Data(d) => Some(d),
                WholeRead::TooLarge => None,
            }
        };
        for limit in [0, 1, 99, 100, 101, 1000, u64::MAX] {
            for prefix in [&b""[..], b"ab"] {
                let expect = read(limit, prefix, None);
                for size in [0, 1, 50, 100, 102, 1 << 20, u64::MAX] {
                    assert_eq!(read(limit, prefix, Some(size)), expect, "{limit} {size}");
                }
            }
        }
        assert_eq!(read(u64::MAX, b"", None).map(|d| d.len()), Some(100));
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_format(b"{\"a\": 1}"), Layout::Lines);
        assert_eq!(sniff_format(b"{"), Layout::Document);
        assert_eq!(sniff_format(b"  "), Layout::Lines);
    }
}
