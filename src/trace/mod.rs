//! Stages 3 and 4: parse one record and validate it against its contract.
//!
//! Two ways from bytes to a trace, with one contract. [`parse_fast`], the hot path, reads a
//! trace straight into its types (`typed`), which hold the schema's contract themselves; what
//! they do not accept goes to [`parse_record`]: UTF-8 check, strict JSON parse, schema
//! validation (validators compiled once), which accepts it or says why not, as a [`Problem`]
//! positioned in the record's bytes. Scenario documents, and traces embedding a scenario or a
//! final state (the scenario schema's objects), always take `parse_record`.

pub mod locate;
pub mod model;
pub mod schema;
pub mod strict;
pub mod typed;

pub use model::Trace;
pub use schema::{DocKind, Schemas, schemas};
pub use typed::TraceDoc;

use crate::diag::{Problem, RejectKind};
use serde_json::Value;

/// A record that passed its schema.
#[derive(Debug)]
pub struct Document {
    pub kind: DocKind,
    pub value: Value,
}

/// A record that passed: a trace read into its types, or a document the schema checked.
pub enum Parsed<'a> {
    Typed(Box<TraceDoc<'a>>),
    Document(Document),
}

/// Parse one record by the hot path: into the trace's types when they accept it (no document
/// tree, no schema run), else by [`parse_record`], which accepts it or explains why not.
pub fn parse_fast(record: &[u8]) -> Result<Parsed<'_>, Invalid> {
    if let Ok(text) = std::str::from_utf8(record)
        && let Ok(doc) = typed::from_str(text)
        && !doc.needs_schema()
        && events_in_order(doc.events.iter().map(typed::EventDoc::seq))
    {
        return Ok(Parsed::Typed(Box::new(doc)));
    }
    parse_record(record).map(Parsed::Document)
}

/// Whether the events' `seq` values increase strictly (events without one are skipped).
fn events_in_order(seqs: impl Iterator<Item = Option<u64>>) -> bool {
    let mut previous = None;
    for seq in seqs.flatten() {
        if previous.is_some_and(|p| seq <= p) {
            return false;
        }
        previous = Some(seq);
    }
    true
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
    let value: Value = strict::from_str(text).map_err(|e| syntax_problem(record, &e))?;
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
    if kind == DocKind::Trace
        && let Some(problem) = check_event_order(&value, record)
    {
        return Err(Invalid {
            problem: Box::new(problem),
            run_id: value
                .pointer("/run/id")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    Ok(Document { kind, value })
}

/// Events must come in strictly increasing `seq` order. A trace whose events were reordered or
/// merged is rejected rather than replayed in a guessed order: whether a Deployment was deleted
/// before or after it was recreated decides a verdict.
fn check_event_order(doc: &Value, record: &[u8]) -> Option<Problem> {
    let events = doc.get("events")?.as_array()?;
    let mut previous: Option<(u64, usize)> = None;
    for (i, event) in events.iter().enumerate() {
        let Some(seq) = event.get("seq").and_then(Value::as_f64) else {
            continue;
        };
        let seq = seq as u64;
        if let Some((before, j)) = previous
            && seq <= before
        {
            let pointer = format!("/events/{i}/seq");
            let what = if seq == before {
                "the same seq as"
            } else {
                "a lower seq than"
            };
            let mut problem = Problem::new(
                RejectKind::Schema,
                format!(
                    "{pointer}: event {i} has {what} event {j} (seq {seq} after {before}): \
                     events must be in increasing seq order"
                ),
            );
            if let Some(at) = locate::locate(record, &pointer) {
                problem = problem.at(at.value, format!("seq {seq} after {before}"));
            }
            problem.pointer = Some(pointer);
            problem.help = Some(
                "the recorder reordered or merged events; kubeautopsy does not guess the order \
                 of mutations. Write events in the order they happened, numbered 1, 2, 3, ..."
                    .to_string(),
            );
            return Some(problem);
        }
        previous = Some((seq, i));
    }
    None
}

/// Call `f` with the typed view of a trace document the schema accepted.
pub fn view<R>(doc: &Document, f: impl FnOnce(&Trace<'_>) -> R) -> Result<R, Box<Problem>> {
    match typed::from_value(&doc.value) {
        Ok(t) => Ok(f(&Trace::of(&t, Some(&doc.value)))),
        // The schema accepted what the types do not: a bug in kubeautopsy, reported as a
        // rejection so that nothing is lost.
        Err(e) => Err(Box::new(Problem::new(
            RejectKind::Schema,
            format!("{e} (internal: the schema and the trace types disagree; please report)"),
        ))),
    }
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
    fn rejects_events_out_of_order_and_duplicate_keys() {
        let record = br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": [
            {"type": "message", "seq": 2, "role": "user", "text": "a"},
            {"type": "message", "seq": 1, "role": "user", "text": "b"}]}"#;
        let e = parse_record(record).unwrap_err();
        assert_eq!(e.run_id.as_deref(), Some("r"));
        assert_eq!(e.problem.kind, RejectKind::Schema);
        assert_eq!(e.problem.pointer.as_deref(), Some("/events/1/seq"));
        assert!(
            e.problem.message.contains("seq 1 after 2"),
            "{}",
            e.problem.message
        );
        let dup =
            br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r", "id": "s"}, "events": []}"#;
        let e = parse_record(dup).unwrap_err();
        assert_eq!(e.problem.kind, RejectKind::Syntax);
        assert!(
            e.problem.message.contains("duplicate key"),
            "{}",
            e.problem.message
        );
    }

    #[test]
    fn integers_beyond_2_pow_53_are_schema_errors_not_internal_ones() {
        for record in [
            r#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r", "repeat": 1e300}, "events": []}"#,
            r#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": [{"type": "tool_call", "seq": 18446744073709551616, "tool": "t"}]}"#,
        ] {
            let e = parse_record(record.as_bytes()).unwrap_err();
            assert_eq!(e.problem.kind, RejectKind::Schema);
            assert!(
                !e.problem.message.contains("internal"),
                "{}",
                e.problem.message
            );
        }
        // An integral float is an integer, as JSON Schema says.
        let doc = parse_record(
            br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r", "repeat": 2.0}, "events": []}"#,
        )
        .unwrap();
        assert_eq!(view(&doc, |t| t.run.repeat).unwrap(), Some(2));
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
