//! Stages 3 and 4: parse one record and validate it against its contract.
//!
//! `parse_record` is the only way from bytes to a document: UTF-8 check, JSON parse, schema
//! validation (validators compiled once). Anything wrong becomes a [`Problem`] positioned in
//! the record's bytes.

pub mod locate;
pub mod model;
pub mod schema;

pub use model::Trace;
pub use schema::{DocKind, Schemas, schemas};

use crate::diag::{Problem, RejectKind};
use serde_json::Value;

/// A record that passed its schema.
#[derive(Debug)]
pub struct Document {
    pub kind: DocKind,
    pub value: Value,
}

/// A record that did not; `run_id` is filled when the document got far enough to have one.
#[derive(Debug)]
pub struct Invalid {
    pub problem: Box<Problem>,
    pub run_id: Option<String>,
}

impl From<Problem> for Invalid {
    fn from(problem: Problem) -> Self {
        Invalid {
            problem: Box::new(problem),
            run_id: None,
        }
    }
}

/// Parse and validate one record (a whole `.json` file or one line of a `.jsonl` file).
pub fn parse_record(record: &[u8]) -> Result<Document, Invalid> {
    if record.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::new(
            RejectKind::Empty,
            "no JSON document: the input is empty or only whitespace",
        )
        .into());
    }
    let text = std::str::from_utf8(record).map_err(|e| {
        let at = e.valid_up_to();
        let bad = record.get(at).copied().unwrap_or_default();
        Problem::new(
            RejectKind::Encoding,
            format!("invalid UTF-8 (byte 0x{bad:02x}): traces must be UTF-8 text"),
        )
        .at(at..at + e.error_len().unwrap_or(1), "not UTF-8")
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| syntax_problem(record, &e))?;
    let kind = Schemas::kind_of(&value);
    if let Some(problem) = schemas().check(kind, &value, record) {
        let run_id = value
            .pointer("/run/id")
            .or_else(|| value.pointer("/id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        return Err(Invalid {
            problem: Box::new(problem),
            run_id,
        });
    }
    Ok(Document { kind, value })
}

/// The typed view of a validated trace document.
pub fn view(doc: &Document) -> Result<Trace<'_>, Box<Problem>> {
    Trace::from_value(&doc.value).map_err(|e| {
        // The schema accepted what the typed view cannot read: a bug in kubeautopsy, reported
        // as a rejection so that nothing is lost.
        Box::new(Problem::new(
            RejectKind::Schema,
            format!(
                "{}: expected {} (internal: the schema and the trace model disagree; please report)",
                e.pointer, e.expected
            ),
        ))
    })
}

pub(crate) fn syntax_problem(record: &[u8], e: &serde_json::Error) -> Problem {
    // serde_json positions are 1-based line and column (in bytes) within the record.
    let line_start = if e.line() <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', record)
            .nth(e.line() - 2)
            .map_or(record.len(), |i| i + 1)
    };
    let offset = (line_start + e.column().saturating_sub(1)).min(record.len());
    let full = e.to_string();
    let what = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => &full,
    };
    let (message, label) = match e.classify() {
        serde_json::error::Category::Eof => (
            format!("the JSON ends too early ({what}): the record is truncated"),
            "input ends here",
        ),
        _ => (format!("not valid JSON: {what}"), "here"),
    };
    // Point at the last byte when the problem is the end of the input.
    let start = offset.min(record.len().saturating_sub(1));
    Problem::new(RejectKind::Syntax, message).at(start..start + 1, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(record: &[u8]) -> RejectKind {
        parse_record(record).unwrap_err().problem.kind
    }

    #[test]
    fn classifies_bad_records() {
        assert_eq!(kind(b"  \n "), RejectKind::Empty);
        assert_eq!(kind(b"{\"a\": \"\xff\"}"), RejectKind::Encoding);
        assert_eq!(kind(b"{\"a\": "), RejectKind::Syntax);
        assert_eq!(kind(b"{\"a\": 1}"), RejectKind::Schema);
        assert_eq!(kind(b"[1, 2]"), RejectKind::Schema);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(kind(deep.as_bytes()), RejectKind::Syntax);
    }

    #[test]
    fn syntax_errors_point_at_the_right_line() {
        let record = b"{\n  \"run\": {\"id\": \"x\"},\n  \"events\": [1,,]\n}";
        let p = parse_record(record).unwrap_err().problem;
        let span = p.span.unwrap();
        let pos = crate::diag::Position::of(record, span.start);
        assert_eq!((pos.line, pos.col), (2, 15));
        let truncated = b"{\n  \"run\": {\"id\": \"x\"";
        let p = parse_record(truncated).unwrap_err().problem;
        assert!(p.message.contains("truncated"), "{}", p.message);
    }

    #[test]
    fn accepts_traces_and_scenarios() {
        let t = parse_record(
            br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": []}"#,
        )
        .unwrap();
        assert_eq!(t.kind, DocKind::Trace);
        let s = parse_record(br#"{"schema": "kubeautopsy.scenario/v1", "id": "s"}"#).unwrap();
        assert_eq!(s.kind, DocKind::Scenario);
        let bad = parse_record(br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r9"}}"#)
            .unwrap_err();
        assert_eq!(bad.run_id.as_deref(), Some("r9"));
    }
}
