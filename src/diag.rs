//! Rejections: why an input was not analysed, where exactly, and how to show it.
//!
//! A rejection is built where the problem is found (a [`Problem`] with a byte span inside the
//! record), turned into a [`Rejection`] that carries a small window of the source text (never the
//! whole record), and rendered at the end, in corpus order, as a miette diagnostic or as JSON.

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Why an input was rejected; the stable names appear in summaries and JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RejectKind {
    /// The file or directory could not be opened or read.
    Io,
    /// A compressed stream is corrupt or truncated.
    Decompress,
    /// A record exceeds `--max-record-size`.
    TooLarge,
    /// A `.json` file (or stdin) holds nothing but whitespace.
    Empty,
    /// The bytes are not UTF-8.
    Encoding,
    /// The text is not JSON (truncated, malformed, too deeply nested).
    Syntax,
    /// Valid JSON that does not conform to the trace or scenario schema.
    Schema,
    /// Input in an `--from` format that is not what that format records.
    Import,
}

impl RejectKind {
    pub const ALL: [RejectKind; 8] = [
        RejectKind::Io,
        RejectKind::Decompress,
        RejectKind::TooLarge,
        RejectKind::Empty,
        RejectKind::Encoding,
        RejectKind::Syntax,
        RejectKind::Schema,
        RejectKind::Import,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::Io => "io",
            RejectKind::Decompress => "decompress",
            RejectKind::TooLarge => "too-large",
            RejectKind::Empty => "empty",
            RejectKind::Encoding => "encoding",
            RejectKind::Syntax => "syntax",
            RejectKind::Schema => "schema",
            RejectKind::Import => "import",
        }
    }

    fn code(self) -> &'static str {
        match self {
            RejectKind::Io => "kubeautopsy::input::io",
            RejectKind::Decompress => "kubeautopsy::input::decompress",
            RejectKind::TooLarge => "kubeautopsy::input::too_large",
            RejectKind::Empty => "kubeautopsy::input::empty",
            RejectKind::Encoding => "kubeautopsy::trace::encoding",
            RejectKind::Syntax => "kubeautopsy::trace::syntax",
            RejectKind::Schema => "kubeautopsy::trace::schema",
            RejectKind::Import => "kubeautopsy::import",
        }
    }
}

impl fmt::Display for RejectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem found in one record, positioned by byte offsets into that record.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: RejectKind,
    pub message: String,
    /// Bytes of the record the problem is about.
    pub span: Option<Range<usize>>,
    /// Short text under the highlighted span.
    pub label: Option<String>,
    /// JSON pointer of the offending value.
    pub pointer: Option<String>,
    /// What the schema expected there, or how to fix it.
    pub help: Option<String>,
    /// Further problems in the same record.
    pub notes: Vec<Note>,
}

/// A further problem in a record, shown under the main one.
#[derive(Debug, Clone)]
pub struct Note {
    /// Byte offset in the record, if known.
    pub offset: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(kind: RejectKind, message: impl Into<String>) -> Problem {
        Problem {
            kind,
            message: message.into(),
            span: None,
            label: None,
            pointer: None,
            help: None,
            notes: Vec::new(),
        }
    }
    pub fn at(mut self, span: Range<usize>, label: impl Into<String>) -> Problem {
        self.span = Some(span);
        self.label = Some(label.into());
        self
    }
}

/// A position inside a record: 0-based line offset from the record's first line, 0-based byte
/// column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u64,
    pub col: u64,
}

impl Position {
    /// The position of byte `offset` in `text`.
    pub fn of(text: &[u8], offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = memchr::memchr_iter(b'\n', before).count() as u64;
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        Position {
            line,
            col: (offset - line_start) as u64,
        }
    }
}

/// A small window of the source text around a problem, for the diagnostic's snippet.
#[derive(Debug, Clone)]
pub struct Snippet {
    text: String,
    /// 0-based line offset (within the record) of the window's first line.
    first_line: u64,
    /// Column (bytes) at which the window's first line starts (non-zero for cut long lines).
    first_col: u64,
    span: Range<usize>,
    label: String,
}

/// Lines longer than this are cut to a window around the problem.
const LONG_LINE: usize = 240;
const CUT_CONTEXT: usize = 80;
const CONTEXT_LINES: usize = 2;
const MAX_LABEL_SPAN: usize = 60;

impl Snippet {
    /// A window of `record` around `span`.
    fn around(record: &[u8], span: Range<usize>, label: String) -> Snippet {
        let start = span.start.min(record.len());
        let line_start = memchr::memrchr(b'\n', &record[..start]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &record[start..]).map_or(record.len(), |i| start + i);
        // Highlight at most the rest of the line, and not too much of it.
        let span_end = span
            .end
            .clamp(start, line_end)
            .min(start + MAX_LABEL_SPAN)
            .max(start + usize::from(start < line_end));
        let (win_start, win_end, first_col) = if line_end - line_start > LONG_LINE {
            let ws = start.saturating_sub(CUT_CONTEXT).max(line_start);
            let we = (span_end + CUT_CONTEXT).min(line_end);
            (ws, we, (ws - line_start) as u64)
        } else {
            let mut ws = line_start;
            for _ in 0..CONTEXT_LINES {
                if ws == 0 {
                    break;
                }
                let prev = memchr::memrchr(b'\n', &record[..ws - 1]).map_or(0, |i| i + 1);
                if ws - prev > LONG_LINE {
                    break;
                }
                ws = prev;
            }
            let mut we = line_end;
            for _ in 0..CONTEXT_LINES {
                if we >= record.len() {
                    break;
                }
                let next =
                    memchr::memchr(b'\n', &record[we + 1..]).map_or(record.len(), |i| we + 1 + i);
                if next - we > LONG_LINE {
                    break;
                }
                we = next;
            }
            (ws, we, 0)
        };
        let head = clean(&record[win_start..start]);
        let mid = clean(&record[start..span_end]);
        let tail = clean(&record[span_end..win_end]);
        let span = head.len()..head.len() + mid.len();
        Snippet {
            text: format!("{head}{mid}{tail}"),
            first_line: Position::of(record, win_start).line,
            first_col,
            span,
            label,
        }
    }
}

/// Text fit for a terminal: invalid UTF-8 and control characters become U+FFFD.
fn clean(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// An input that was not analysed, with everything needed to say why and where.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub source: Arc<str>,
    /// 1-based line of the source where the record starts; 0 when the problem is about the
    /// whole source (it could not be opened, say).
    pub record_line: u64,
    pub kind: RejectKind,
    pub message: String,
    /// Where in the record, if known.
    pub at: Option<Position>,
    pub pointer: Option<String>,
    pub help: Option<String>,
    /// Further problems in the same record: position in the record, message.
    pub notes: Vec<(Option<Position>, String)>,
    pub run_id: Option<String>,
    snippet: Option<Snippet>,
}

impl Rejection {
    /// A problem with a whole source (or a part of it that has no text to show).
    pub fn of_source(
        source: Arc<str>,
        record_line: u64,
        kind: RejectKind,
        message: String,
    ) -> Self {
        Rejection {
            source,
            record_line,
            kind,
            message,
            at: None,
            pointer: None,
            help: None,
            notes: Vec::new(),
            run_id: None,
            snippet: None,
        }
    }

    /// A problem found in the text of one record.
    pub fn in_record(
        source: Arc<str>,
        record_line: u64,
        record: &[u8],
        problem: Problem,
        run_id: Option<String>,
    ) -> Self {
        let at = problem.span.as_ref().map(|s| Position::of(record, s.start));
        let snippet = problem.span.map(|s| {
            Snippet::around(
                record,
                s,
                problem.label.unwrap_or_else(|| problem.kind.to_string()),
            )
        });
        Rejection {
            source,
            record_line,
            kind: problem.kind,
            message: problem.message,
            at,
            pointer: problem.pointer,
            help: problem.help,
            notes: problem
                .notes
                .into_iter()
                .map(|n| (n.offset.map(|o| Position::of(record, o)), n.message))
                .collect(),
            run_id,
            snippet,
        }
    }

    /// 1-based line in the source, when known.
    pub fn line(&self) -> Option<u64> {
        if self.record_line == 0 {
            return None;
        }
        Some(self.record_line + self.at.map_or(0, |p| p.line))
    }

    /// The further problems, each prefixed with its `line:col` in the source.
    pub fn note_lines(&self) -> Vec<String> {
        self.notes
            .iter()
            .map(|(at, message)| match at {
                Some(p) if self.record_line > 0 => {
                    format!("{}:{}: {message}", self.record_line + p.line, p.col + 1)
                }
                _ => message.clone(),
            })
            .collect()
    }

    /// 1-based byte column, when known.
    pub fn column(&self) -> Option<u64> {
        self.at.map(|p| p.col + 1)
    }

    /// `file`, `file:line` or `file:line:col`.
    pub fn location(&self) -> String {
        match (self.line(), self.column()) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.source),
            (Some(l), None) => format!("{}:{l}", self.source),
            _ => self.source.to_string(),
        }
    }

    /// Render as a miette report (with a snippet when the problem has a position).
    pub fn render(&self, handler: &GraphicalReportHandler) -> String {
        let mut out = String::new();
        let report = RejectionReport { rejection: self };
        if handler.render_report(&mut out, &report).is_err() {
            out = format!("{}: {}\n", self.location(), self.message);
        }
        printable(&out).into_owned()
    }

    /// One JSON object, for `--format json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "source": &*self.source,
            "line": self.line(),
            "column": self.column(),
            "kind": self.kind.as_str(),
            "pointer": self.pointer,
            "message": self.message,
            "help": self.help,
            "notes": self.note_lines(),
            "run_id": self.run_id,
        })
    }
}

/// How diagnostics look: colours and Unicode only on a terminal that wants them.
pub fn report_handler(color: bool, unicode: bool) -> GraphicalReportHandler {
    let theme = match (unicode, color) {
        (true, true) => GraphicalTheme::unicode(),
        (true, false) => GraphicalTheme::unicode_nocolor(),
        (false, true) => GraphicalTheme::ascii(),
        (false, false) => GraphicalTheme::none(),
    };
    GraphicalReportHandler::new_themed(theme)
        .with_context_lines(CONTEXT_LINES)
        .with_wrap_lines(false)
        .with_links(false)
}

struct RejectionReport<'a> {
    rejection: &'a Rejection,
}

impl fmt::Debug for RejectionReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.rejection, f)
    }
}

impl fmt::Display for RejectionReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.rejection;
        write!(f, "{}: {}", r.location(), r.message)?;
        if let Some(id) = &r.run_id {
            write!(f, " (run {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RejectionReport<'_> {}

impl Diagnostic for RejectionReport<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.rejection.kind.code()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let r = self.rejection;
        if r.help.is_none() && r.notes.is_empty() {
            return None;
        }
        let mut text = r.help.clone().unwrap_or_default();
        if !r.notes.is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str("also in this record:");
            for n in r.note_lines() {
                text.push_str("\n  - ");
                text.push_str(&n);
            }
        }
        Some(Box::new(text))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.rejection
            .snippet
            .as_ref()
            .map(|_| self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let s = self.rejection.snippet.as_ref()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(
                Some(s.label.clone()),
                SourceSpan::from(s.span.clone()),
            ),
        )))
    }
}

impl SourceCode for RejectionReport<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let r = self.rejection;
        let Some(s) = &r.snippet else {
            return Err(MietteError::OutOfBounds);
        };
        let inner = s.text.read_span(span, before, after)?;
        let base_line = r.record_line.saturating_sub(1) + s.first_line;
        let line = base_line as usize + inner.line();
        // The header shows the primary span's position: report the true column there (the
        // window may start mid-line, and cleaned text may differ in length from the source).
        let column = if span.offset() == s.span.start && before == 0 {
            r.at.map_or(inner.column(), |p| p.col as usize)
        } else if inner.line() == 0 {
            inner.column() + s.first_col as usize
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            r.source.to_string(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

/// Parse a byte size: `1024`, `64KiB`, `64MiB`, `1GiB` (powers of 1024), `500KB`, `1GB` (powers
/// of 1000), `64K`/`64M`/`1G` (powers of 1024, as dd does).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (examples: 1048576, 64MiB, 1GB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "unknown size unit `{other}` (use B, KiB, MiB, GiB, KB, MB, GB)"
            ));
        }
    };
    let bytes = value * factor as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(bytes as u64)
}

/// `offset` moved back to the start of the character it falls in (and into `text`): a safe
/// place to slice at, whatever position a parser reported.
pub fn char_floor(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Text from a trace made safe for a terminal: control characters other than newline and tab
/// (ESC starts the sequences that move the cursor, retitle the window or rewrite the screen)
/// are shown as `\u{1b}` escapes instead of being sent to it.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// "64 MiB", "1.5 KiB", "12 B".
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert!(parse_size("abc").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("0").is_err());
    }

    fn render(r: &Rejection) -> String {
        r.render(&report_handler(false, false))
    }

    #[test]
    fn positions() {
        let t = b"ab\ncd\nef";
        assert_eq!(Position::of(t, 0), Position { line: 0, col: 0 });
        assert_eq!(Position::of(t, 4), Position { line: 1, col: 1 });
        assert_eq!(Position::of(t, 99), Position { line: 2, col: 2 });
    }

    #[test]
    fn snippet_shows_absolute_lines_and_context() {
        let record = b"{\n  \"a\": 1,\n  \"b\": \"x\",\n  \"c\": 3\n}";
        let p =
            Problem::new(RejectKind::Schema, "/b: expected integer").at(19..22, "expected integer");
        let r = Rejection::in_record("f.jsonl".into(), 10, record, p, None);
        assert_eq!(r.location(), "f.jsonl:12:8");
        let out = render(&r);
        assert!(out.contains("[f.jsonl:12:8]"), "{out}");
        assert!(out.contains("12 |   \"b\": \"x\","), "{out}");
        assert!(out.contains("expected integer"), "{out}");
    }

    #[test]
    fn long_lines_are_cut_around_the_problem() {
        let mut record = vec![b'x'; 10_000];
        record[5000] = b'!';
        let p = Problem::new(RejectKind::Syntax, "bad").at(5000..5001, "here");
        let r = Rejection::in_record("big.jsonl".into(), 3, &record, p, None);
        let out = render(&r);
        assert!(out.contains("[big.jsonl:3:5001]"), "{out}");
        assert!(out.len() < 1000, "{} bytes", out.len());
    }

    #[test]
    fn invalid_utf8_and_control_bytes_do_not_reach_the_terminal() {
        let record = b"{\"a\": \"\xff\x00\x1b[31m\"}";
        let p = Problem::new(RejectKind::Encoding, "invalid UTF-8").at(7..8, "here");
        let out = render(&Rejection::in_record("x.json".into(), 1, record, p, None));
        assert!(!out.contains('\u{1b}') && !out.contains('\0'), "{out:?}");
    }
}
