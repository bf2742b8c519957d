//! Typed, borrowed views of a validated trace: what later stages read instead of raw JSON.
//!
//! A view is built from a document that already passed the schema, so the fields have the
//! types the schema promises; the constructors still return an error instead of panicking if
//! the schema and this code ever disagree.

use serde_json::{Map, Value};

/// A trace v1 document.
#[derive(Debug)]
pub struct Trace<'a> {
    /// The whole validated document (what `kubeautopsy import` writes out).
    pub document: &'a Value,
    pub run: Run<'a>,
    /// The embedded scenario definition, if any (interpreted by later stages).
    pub scenario: Option<&'a Value>,
    pub events: Vec<Event<'a>>,
    /// `None` when no verifier outcome was recorded.
    pub outcome: Option<Outcome<'a>>,
    pub final_state: Option<&'a [Value]>,
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

/// The schema and the typed view disagree about a field (a bug, reported, never a panic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub pointer: String,
    pub expected: &'static str,
}

type Shape<T> = Result<T, ShapeError>;

/// A JSON number that is an integer (JSON Schema's sense: `3`, `3.0` and `3e0` are integers)
/// within ±2^53, where every JSON parser agrees on its value.
fn integral(v: &Value) -> Option<i64> {
    const EXACT: i64 = 1 << 53;
    let n = match v.as_i64() {
        Some(n) => n,
        None => {
            let f = v.as_f64()?;
            if f.fract() != 0.0 || f.abs() > EXACT as f64 {
                return None;
            }
            f as i64
        }
    };
    (-EXACT..=EXACT).contains(&n).then_some(n)
}

fn shape_err<T>(pointer: impl Into<String>, expected: &'static str) -> Shape<T> {
    Err(ShapeError {
        pointer: pointer.into(),
        expected,
    })
}

/// Field access with the pointer kept for error messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, at: String) -> Shape<Obj<'a>> {
        match v.as_object() {
            Some(map) => Ok(Obj { map, at }),
            None => shape_err(at, "object"),
        }
    }
    fn path(&self, key: &str) -> String {
        format!("{}/{key}", self.at)
    }
    fn opt_str(&self, key: &str) -> Shape<Option<&'a str>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => shape_err(self.path(key), "string"),
        }
    }
    fn str(&self, key: &str) -> Shape<&'a str> {
        self.opt_str(key)?
            .map_or_else(|| shape_err(self.path(key), "string"), Ok)
    }
    fn opt_u64(&self, key: &str) -> Shape<Option<u64>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => integral(v).and_then(|n| u64::try_from(n).ok()).map_or_else(
                || shape_err(self.path(key), "non-negative integer"),
                |n| Ok(Some(n)),
            ),
        }
    }
    fn opt_bool(&self, key: &str) -> Shape<Option<bool>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => shape_err(self.path(key), "boolean"),
        }
    }
    fn opt_obj(&self, key: &str) -> Shape<Option<Obj<'a>>> {
        self.map
            .get(key)
            .map(|v| Obj::new(v, self.path(key)))
            .transpose()
    }
    fn opt_array(&self, key: &str) -> Shape<Option<&'a [Value]>> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => shape_err(self.path(key), "array"),
        }
    }
}

impl<'a> Trace<'a> {
    /// View a document that passed the trace schema.
    pub fn from_value(doc: &'a Value) -> Shape<Trace<'a>> {
        let root = Obj::new(doc, String::new())?;
        let run = match root.opt_obj("run")? {
            Some(r) => Run::from_obj(&r)?,
            None => return shape_err("/run", "object"),
        };
        let events = root
            .opt_array("events")?
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, e)| Event::from_value(e, format!("/events/{i}")))
            .collect::<Shape<Vec<_>>>()?;
        let outcome = root
            .opt_obj("outcome")?
            .map(|o| Outcome::from_obj(&o))
            .transpose()?;
        Ok(Trace {
            document: doc,
            run,
            scenario: root.map.get("scenario"),
            events,
            outcome,
            final_state: root.opt_array("final_state")?,
        })
    }

    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall<'a>> {
        self.events.iter().filter_map(|e| match e {
            Event::ToolCall(c) => Some(c),
            Event::Other { .. } => None,
        })
    }
}

impl<'a> Run<'a> {
    fn from_obj(o: &Obj<'a>) -> Shape<Run<'a>> {
        Ok(Run {
            id: o.str("id")?,
            report: o.opt_str("report")?,
            benchmark: o.opt_str("benchmark")?,
            scenario: o.opt_str("scenario")?,
            arm: o.opt_str("arm")?,
            model: o.opt_str("model")?,
            repeat: o.opt_u64("repeat")?,
            started_at: o.opt_str("started_at")?,
            ended_at: o.opt_str("ended_at")?,
            labels: o.opt_obj("labels")?.map(|l| l.map),
        })
    }
}

impl<'a> Event<'a> {
    fn from_value(v: &'a Value, at: String) -> Shape<Event<'a>> {
        let o = Obj::new(v, at)?;
        // The contract as first published had no `type`: an event naming a tool is a call.
        let kind = match o.map.get("type") {
            None if o.map.contains_key("tool") => "tool_call",
            _ => o.str("type")?,
        };
        if kind != "tool_call" {
            return Ok(Event::Other {
                kind,
                seq: o.opt_u64("seq")?,
            });
        }
        let arguments = match o.map.get("arguments") {
            None => Arguments::None,
            Some(Value::Object(m)) => Arguments::Object(m),
            Some(Value::String(s)) => Arguments::Text(s),
            Some(_) => return shape_err(o.path("arguments"), "object or string"),
        };
        let result = o
            .opt_obj("result")?
            .map(|r| -> Shape<ToolResult<'a>> {
                Ok(ToolResult {
                    text: r.opt_str("text")?,
                    json: r.map.get("json"),
                    is_error: r.opt_bool("is_error")?,
                    exit_code: match r.map.get("exit_code") {
                        None => None,
                        Some(v) => Some(
                            integral(v)
                                .map_or_else(|| shape_err(r.path("exit_code"), "integer"), Ok)?,
                        ),
                    },
                    stderr: r.opt_str("stderr")?,
                })
            })
            .transpose()?;
        Ok(Event::ToolCall(ToolCall {
            seq: o
                .opt_u64("seq")?
                .map_or_else(|| shape_err(o.path("seq"), "non-negative integer"), Ok)?,
            ts: o.opt_str("ts")?,
            tool: o.str("tool")?,
            server: o.opt_str("server")?,
            call_id: o.opt_str("call_id")?,
            arguments,
            result,
        }))
    }
}

impl<'a> Outcome<'a> {
    fn from_obj(o: &Obj<'a>) -> Shape<Outcome<'a>> {
        let passed = o
            .opt_bool("passed")?
            .map_or_else(|| shape_err(o.path("passed"), "boolean"), Ok)?;
        let checks = o
            .opt_array("checks")?
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = Obj::new(c, format!("{}/checks/{i}", o.at))?;
                let verdict = match c.str("verdict")? {
                    "pass" => CheckVerdict::Pass,
                    "fail" => CheckVerdict::Fail,
                    "skip" => CheckVerdict::Skip,
                    "error" => CheckVerdict::Error,
                    _ => return shape_err(c.path("verdict"), "pass, fail, skip or error"),
                };
                Ok(Check {
                    name: c.str("name")?,
                    kind: c.opt_str("type")?,
                    verdict,
                    message: c.opt_str("message")?,
                })
            })
            .collect::<Shape<Vec<_>>>()?;
        Ok(Outcome {
            passed,
            checks,
            message: o.opt_str("message")?,
        })
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
        let t = Trace::from_value(&doc).unwrap();
        assert_eq!(t.run.id, "r1");
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
        let t = Trace::from_value(&doc.value).unwrap();
        assert_eq!(
            t.tool_calls().map(|c| c.tool).collect::<Vec<_>>(),
            ["kubectl_delete"]
        );
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
    fn shape_errors_instead_of_panics() {
        let doc: Value = serde_json::from_str(r#"{"run": {"id": 3}, "events": []}"#).unwrap();
        let e = Trace::from_value(&doc).unwrap_err();
        assert_eq!(e.pointer, "/run/id");
    }
}
