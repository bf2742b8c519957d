//! Typed, borrowed views of a trace: what later stages read instead of raw JSON. A view is
//! built from a [`TraceDoc`] (`trace::typed`), whose types already hold the contract, so
//! building it cannot fail.

use super::typed::{EventDoc, TraceDoc};
use serde_json::{Map, Value};

/// A trace v1 document.
#[derive(Debug)]
pub struct Trace<'a> {
    /// The whole document, when it was parsed as one (a record the schema checked, or one
    /// whose document a command asked for: `kubeautopsy import` writes it out).
    pub document: Option<&'a Value>,
    pub run: Run<'a>,
    /// The embedded scenario definition, if any (interpreted by later stages).
    pub scenario: Option<&'a Value>,
    pub events: Vec<Event<'a>>,
    /// `None` when no verifier outcome was recorded.
    pub outcome: Option<Outcome<'a>>,
    pub final_state: Option<&'a [Value]>,
    /// The text of the first user message (the task prompt), when recorded.
    pub prompt: Option<&'a str>,
    /// The trace's free-form `meta` object.
    pub meta: Option<&'a Map<String, Value>>,
}

/// Identity of a run and the grouping keys of the tables.
#[derive(Debug)]
pub struct Run<'a> {
    pub id: &'a str,
    pub report: Option<&'a str>,
    pub benchmark: Option<&'a str>,
    pub scenario: Option<&'a str>,
    pub arm: Option<&'a str>,
    pub model: Option<&'a str>,
    pub repeat: Option<u64>,
    pub started_at: Option<&'a str>,
    pub ended_at: Option<&'a str>,
    pub labels: Option<&'a Map<String, Value>>,
}

#[derive(Debug)]
pub enum Event<'a> {
    ToolCall(ToolCall<'a>),
    /// Any other event (a message, a note); replay ignores it.
    Other {
        kind: &'a str,
        seq: Option<u64>,
    },
}

#[derive(Debug)]
pub struct ToolCall<'a> {
    pub seq: u64,
    pub ts: Option<&'a str>,
    pub tool: &'a str,
    pub server: Option<&'a str>,
    pub call_id: Option<&'a str>,
    pub arguments: Arguments<'a>,
    /// `None` when the result was not recorded.
    pub result: Option<ToolResult<'a>>,
}

/// A call's arguments as recorded.
#[derive(Debug, Clone, Copy)]
pub enum Arguments<'a> {
    None,
    Object(&'a Map<String, Value>),
    /// Some recorders log the arguments as one string (often JSON text).
    Text(&'a str),
}

#[derive(Debug)]
pub struct ToolResult<'a> {
    pub text: Option<&'a str>,
    pub json: Option<&'a Value>,
    pub is_error: Option<bool>,
    pub exit_code: Option<i64>,
    pub stderr: Option<&'a str>,
}

#[derive(Debug)]
pub struct Outcome<'a> {
    pub passed: bool,
    pub checks: Vec<Check<'a>>,
    pub message: Option<&'a str>,
}

#[derive(Debug)]
pub struct Check<'a> {
    pub name: &'a str,
    pub kind: Option<&'a str>,
    pub verdict: CheckVerdict,
    pub message: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckVerdict {
    Pass,
    Fail,
    Skip,
    Error,
}

impl<'a> Trace<'a> {
    /// The view of a typed document; `document` is the document it was read from, if any.
    pub fn of(doc: &'a TraceDoc<'_>, document: Option<&'a Value>) -> Trace<'a> {
        let run = &doc.run.0;
        let s = |v: &'a super::typed::Opt<super::typed::Str<'_>>| v.0.as_ref().map(|x| &*x.0);
        let object = |v: &'a Value| v.as_object();
        let events = doc.events.iter().map(Event::of).collect();
        let prompt = doc.events.iter().find_map(|e| match e {
            EventDoc::Other {
                kind, role, text, ..
            } if kind == "message" && role.as_deref() == Some("user") => Some(text.as_deref()),
            _ => None,
        });
        Trace {
            document,
            run: Run {
                id: &run.id.0,
                report: s(&run.report),
                benchmark: s(&run.benchmark),
                scenario: s(&run.scenario),
                arm: s(&run.arm),
                model: s(&run.model),
                repeat: run.repeat.0.as_ref().map(|r| r.0),
                started_at: run.started_at.0.as_ref().map(|t| &*t.0),
                ended_at: run.ended_at.0.as_ref().map(|t| &*t.0),
                labels: run.labels.0.as_ref().map(|l| &l.0),
            },
            scenario: doc.scenario.0.as_ref().map(|v| &v.0),
            events,
            outcome: doc.outcome.0.as_ref().map(|o| Outcome::of(&o.0)),
            final_state: doc.final_state.0.as_ref().map(|f| f.0.as_slice()),
            prompt: prompt.flatten(),
            meta: doc.meta.0.as_ref().and_then(|m| object(&m.0)),
        }
    }

    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall<'a>> {
        self.events.iter().filter_map(|e| match e {
            Event::ToolCall(c) => Some(c),
            Event::Other { .. } => None,
        })
    }
}

impl<'a> Event<'a> {
    fn of(e: &'a EventDoc<'_>) -> Event<'a> {
        match e {
            EventDoc::Other { kind, seq, .. } => Event::Other { kind, seq: *seq },
            EventDoc::Call(c) => Event::ToolCall(ToolCall {
                seq: c.seq,
                ts: c.ts.as_deref(),
                tool: &c.tool,
                server: c.server.as_deref(),
                call_id: c.call_id.as_deref(),
                arguments: match &c.arguments {
                    None => Arguments::None,
                    Some(Value::String(s)) => Arguments::Text(s),
                    Some(Value::Object(m)) => Arguments::Object(m),
                    // The typed document holds only an object or a string.
                    Some(_) => Arguments::None,
                },
                result: c.result.as_ref().map(|r| ToolResult {
                    text: r.text.as_deref(),
                    json: r.json.as_ref(),
                    is_error: r.is_error,
                    exit_code: r.exit_code,
                    stderr: r.stderr.as_deref(),
                }),
            }),
        }
    }
}

impl<'a> Outcome<'a> {
    fn of(o: &'a super::typed::OutcomeDoc<'_>) -> Outcome<'a> {
        Outcome {
            passed: o.passed,
            checks: o
                .checks
                .0
                .iter()
                .flatten()
                .map(|c| Check {
                    name: &c.0.name.0,
                    kind: c.0.kind.0.as_ref().map(|k| &*k.0),
                    verdict: c.0.verdict.0,
                    message: c.0.message.0.as_ref().map(|m| &*m.0),
                })
                .collect(),
            message: o.message.0.as_ref().map(|m| &*m.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_a_full_trace() {
        let doc: Value = serde_json::from_str(
            r#"{"schema": "kubeautopsy.trace/v1",
                "run": {"id": "r1", "arm": "flux159", "scenario": "s", "repeat": 2},
                "events": [
                  {"type": "message", "role": "user", "text": "fix it"},
                  {"type": "tool_call", "seq": 1, "tool": "kubectl_get", "arguments": {"resourceType": "pods"},
                   "result": {"text": "NAME READY", "is_error": false}},
                  {"type": "tool_call", "seq": 2, "tool": "run_command", "arguments": "{\"command\": \"kubectl get po\"}"}
                ],
                "outcome": {"passed": true, "checks": [{"name": "c", "verdict": "pass"}]}}"#,
        )
        .unwrap();
        let typed = crate::trace::typed::from_value(&doc).unwrap();
        let t = Trace::of(&typed, None);
        assert_eq!(t.run.id, "r1");
        assert_eq!(t.prompt, Some("fix it"));
        assert_eq!(t.run.repeat, Some(2));
        assert_eq!(t.tool_calls().count(), 2);
        let calls: Vec<_> = t.tool_calls().collect();
        assert!(matches!(calls[0].arguments, Arguments::Object(_)));
        assert!(matches!(calls[1].arguments, Arguments::Text(_)));
        assert!(calls[1].result.is_none());
        let o = t.outcome.unwrap();
        assert!(o.passed);
        assert_eq!(o.checks[0].verdict, CheckVerdict::Pass);
    }

    #[test]
    fn an_event_with_a_tool_and_no_type_is_a_call() {
        // The contract as first published: no `type`; an event with neither is still rejected.
        let ok = br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"},
            "events": [{"seq": 1, "tool": "kubectl_delete", "arguments": {"resourceType": "pod", "name": "a"}},
                       {"type": "message", "seq": 2, "role": "user", "text": "x"}]}"#;
        let doc = crate::trace::parse_record(ok).expect("valid");
        let tools = crate::trace::view(&doc, |t| {
            t.tool_calls()
                .map(|c| c.tool.to_string())
                .collect::<Vec<_>>()
        })
        .unwrap();
        assert_eq!(tools, ["kubectl_delete"]);
        let bad =
            br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": [{"seq": 1}]}"#;
        assert!(crate::trace::parse_record(bad).is_err());
        let typo = br#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": [{"seq": 1, "tool": "t", "argumnts": {}}]}"#;
        assert!(
            crate::trace::parse_record(typo).is_err(),
            "a call is held to tool_call's fields"
        );
    }

    #[test]
    fn a_document_of_the_wrong_shape_is_an_error_not_a_panic() {
        let doc: Value = serde_json::from_str(
            r#"{"schema": "kubeautopsy.trace/v1", "run": {"id": 3}, "events": []}"#,
        )
        .unwrap();
        let e = crate::trace::typed::from_value(&doc).err().unwrap();
        assert!(e.to_string().contains("a string"), "{e}");
    }
}
