//! The public contracts (schema/*.json), embedded and compiled once, and schema errors turned
//! into diagnostics that say what was expected.

use crate::diag::{Note, Problem, RejectKind};
use crate::trace::locate::{child_pointer, escape_segment, locate};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;
use std::sync::OnceLock;

pub const TRACE_SCHEMA_TEXT: &str = include_str!("../../schema/trace.v1.schema.json");
pub const SCENARIO_SCHEMA_TEXT: &str = include_str!("../../schema/scenario.v1.schema.json");
pub const TRACE_SCHEMA_ID: &str = "https://kubeautopsy.dev/schema/trace.v1.schema.json";
pub const SCENARIO_SCHEMA_ID: &str = "https://kubeautopsy.dev/schema/scenario.v1.schema.json";
/// The `schema` marker of each document kind.
pub const TRACE_MARKER: &str = "kubeautopsy.trace/v1";
pub const SCENARIO_MARKER: &str = "kubeautopsy.scenario/v1";

/// How many schema errors of one record are reported (the first is shown with a snippet).
const MAX_ERRORS: usize = 6;

/// Which contract a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Trace,
    Scenario,
}

pub struct Schemas {
    trace: Validator,
    scenario: Validator,
    trace_doc: Value,
    scenario_doc: Value,
}

/// The compiled validators, built on first use.
pub fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        // The schemas are part of the binary; a failure here is a bug caught by the unit tests.
        // The schemas are compiled into the binary (and compiled by every test run): not input.
        #[allow(clippy::panic)]
        Schemas::build().unwrap_or_else(|e| panic!("embedded schemas do not compile: {e}"))
    })
}

/// Whether `s` is a `date-time` as the schemas read the format (the same validator options).
pub fn is_date_time(s: &str) -> bool {
    static DATE_TIME: OnceLock<Option<Validator>> = OnceLock::new();
    DATE_TIME
        .get_or_init(|| {
            jsonschema::options()
                .should_validate_formats(true)
                .build(&serde_json::json!({"type": "string", "format": "date-time"}))
                .ok()
        })
        .as_ref()
        .is_some_and(|v| v.is_valid(&Value::String(s.to_owned())))
}

impl Schemas {
    fn build() -> Result<Schemas, String> {
        let trace_doc: Value =
            serde_json::from_str(TRACE_SCHEMA_TEXT).map_err(|e| e.to_string())?;
        let scenario_doc: Value =
            serde_json::from_str(SCENARIO_SCHEMA_TEXT).map_err(|e| e.to_string())?;
        let (trace, scenario) = {
            let registry = jsonschema::Registry::new()
                .add(SCENARIO_SCHEMA_ID, &scenario_doc)
                .map_err(|e| e.to_string())?
                .add(TRACE_SCHEMA_ID, &trace_doc)
                .map_err(|e| e.to_string())?
                .prepare()
                .map_err(|e| e.to_string())?;
            let build = |doc: &Value| {
                jsonschema::options()
                    .with_registry(&registry)
                    .should_validate_formats(true)
                    .build(doc)
                    .map_err(|e| e.to_string())
            };
            (build(&trace_doc)?, build(&scenario_doc)?)
        };
        Ok(Schemas {
            trace,
            scenario,
            trace_doc,
            scenario_doc,
        })
    }

    /// Which contract `doc` claims to follow (by its `schema` marker; traces by default).
    pub fn kind_of(doc: &Value) -> DocKind {
        match doc.get("schema").and_then(Value::as_str) {
            Some(SCENARIO_MARKER) => DocKind::Scenario,
            _ => DocKind::Trace,
        }
    }

    /// Validate `doc` (parsed from `text`) and describe what is wrong, if anything.
    pub fn check(&self, kind: DocKind, doc: &Value, text: &[u8]) -> Option<Problem> {
        let validator = match kind {
            DocKind::Trace => &self.trace,
            DocKind::Scenario => &self.scenario,
        };
        let mut found: Vec<Found> = Vec::new();
        for error in validator.iter_errors(doc) {
            let f = self.describe(&error, text);
            if !found
                .iter()
                .any(|g| g.pointer == f.pointer && g.message == f.message)
            {
                found.push(f);
            }
            if found.len() >= MAX_ERRORS {
                break;
            }
        }
        found.sort_by_key(|f| f.span.as_ref().map_or(usize::MAX, |s| s.start));
        let mut found = found.into_iter();
        let first = found.next()?;
        let notes = found
            .map(|f| Note {
                offset: f.span.map(|s| s.start),
                message: f.message,
            })
            .collect();
        let pointer_text = if first.pointer.is_empty() {
            "(document root)"
        } else {
            &first.pointer
        };
        let mut problem = Problem::new(
            RejectKind::Schema,
            format!("{pointer_text}: {}", first.message),
        );
        if let Some(span) = first.span {
            problem = problem.at(span, first.label);
        }
        problem.pointer = Some(first.pointer);
        problem.help = first.help;
        problem.notes = notes;
        Some(problem)
    }

    fn describe(&self, error: &ValidationError<'_>, text: &[u8]) -> Found {
        let pointer = error.instance_path().as_str().to_string();
        let schema_node = self.schema_node(error);
        let (message, label, key, help) = match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default().to_string();
                let help = schema_node
                    .and_then(|n| {
                        n.pointer(&format!(
                            "/properties/{}/description",
                            escape_segment(&name)
                        ))
                    })
                    .and_then(Value::as_str)
                    .map(|d| format!("`{name}`: {d}"));
                (
                    format!("missing required field `{name}`"),
                    format!("`{name}` is missing here"),
                    None,
                    help,
                )
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let names = unexpected.join("`, `");
                let allowed: Vec<&str> = schema_node
                    .and_then(|n| n.get("properties"))
                    .and_then(Value::as_object)
                    .map(|props| props.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let suggestion = unexpected
                    .first()
                    .and_then(|u| closest(u, &allowed))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                let help = (!allowed.is_empty())
                    .then(|| format!("allowed fields here: {}", allowed.join(", ")));
                (
                    format!("unknown field `{names}`{suggestion}"),
                    "unknown field".to_string(),
                    unexpected.first().cloned(),
                    help,
                )
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => t.to_string(),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                (
                    format!(
                        "expected {expected}, found {}",
                        describe_value(error.instance())
                    ),
                    format!("expected {expected}"),
                    None,
                    field_help(schema_node),
                )
            }
            ValidationErrorKind::Enum { options } => {
                let opts = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                (
                    format!(
                        "expected one of {opts}, found {}",
                        describe_value(error.instance())
                    ),
                    format!("expected one of {opts}"),
                    None,
                    field_help(schema_node),
                )
            }
            ValidationErrorKind::Constant { expected_value } => (
                format!(
                    "expected {expected_value}, found {}",
                    describe_value(error.instance())
                ),
                format!("expected {expected_value}"),
                None,
                field_help(schema_node),
            ),
            ValidationErrorKind::Format { format } => (
                format!(
                    "{} is not a valid {format}",
                    describe_value(error.instance())
                ),
                format!("expected {format}"),
                None,
                field_help(schema_node),
            ),
            ValidationErrorKind::Minimum { limit } => (
                format!(
                    "expected at least {limit}, found {}",
                    describe_value(error.instance())
                ),
                format!("expected at least {limit}"),
                None,
                field_help(schema_node),
            ),
            ValidationErrorKind::MinLength { limit } => (
                format!("expected a string of at least {limit} character(s)"),
                "too short".to_string(),
                None,
                field_help(schema_node),
            ),
            _ => {
                let mut text = error.to_string();
                truncate(&mut text, 200);
                (
                    text,
                    error.kind().keyword().to_string(),
                    None,
                    field_help(schema_node),
                )
            }
        };
        let span = match &key {
            Some(k) => locate(text, &child_pointer(&pointer, k)).and_then(|l| l.key),
            None => locate(text, &pointer).map(|l| {
                // Point at the value; for a container, at its opening bracket.
                let v = l.value;
                match text.get(v.start) {
                    Some(b'{' | b'[') => v.start..v.start + 1,
                    _ => v,
                }
            }),
        };
        Found {
            pointer,
            message,
            label,
            help,
            span,
        }
    }

    /// The schema object whose keyword failed (the parent of the keyword's location).
    fn schema_node(&self, error: &ValidationError<'_>) -> Option<&Value> {
        let uri = error.absolute_keyword_location()?;
        let text = uri.as_str();
        let (base, fragment) = text.split_once('#').unwrap_or((text, ""));
        let doc = if base == SCENARIO_SCHEMA_ID {
            &self.scenario_doc
        } else if base == TRACE_SCHEMA_ID {
            &self.trace_doc
        } else {
            return None;
        };
        let fragment = fragment.replace("%24", "$");
        let parent = fragment.rsplit_once('/').map_or("", |(p, _)| p);
        doc.pointer(parent)
    }
}

struct Found {
    pointer: String,
    message: String,
    label: String,
    help: Option<String>,
    span: Option<std::ops::Range<usize>>,
}

/// The allowed name closest to a misspelt one, if it is close (edit distance ≤ 2).
fn closest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(name, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, a)| a)
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

fn field_help(node: Option<&Value>) -> Option<String> {
    node?
        .get("description")?
        .as_str()
        .map(|d| format!("expected: {d}"))
}

/// A short description of a JSON value for messages ("string \"abc\"", "number 3", "object").
fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => {
            let mut s = serde_json::to_string(s).unwrap_or_default();
            truncate(&mut s, 60);
            format!("string {s}")
        }
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_compile() {
        let _ = schemas();
    }

    #[test]
    fn every_schema_field_has_a_description() {
        // The contract is documented in the schema itself: every property says what it is.
        fn walk(v: &Value, path: &str, missing: &mut Vec<String>) {
            // An `if` condition's properties (at any depth) are not field definitions.
            if let Some(props) = v
                .get("properties")
                .and_then(Value::as_object)
                .filter(|_| !path.split('/').any(|seg| seg == "if"))
            {
                for (k, p) in props {
                    let has = p.get("description").is_some() || p.get("$ref").is_some();
                    if !has {
                        missing.push(format!("{path}/properties/{k}"));
                    }
                }
            }
            match v {
                Value::Object(m) => {
                    for (k, c) in m {
                        walk(c, &format!("{path}/{k}"), missing)
                    }
                }
                Value::Array(a) => {
                    for (i, c) in a.iter().enumerate() {
                        walk(c, &format!("{path}/{i}"), missing)
                    }
                }
                _ => {}
            }
        }
        for text in [TRACE_SCHEMA_TEXT, SCENARIO_SCHEMA_TEXT] {
            let doc: Value = serde_json::from_str(text).unwrap();
            let mut missing = Vec::new();
            walk(&doc, "", &mut missing);
            assert!(missing.is_empty(), "{missing:?}");
        }
    }

    fn problem_for(text: &str) -> Option<Problem> {
        let doc: Value = serde_json::from_str(text).unwrap();
        schemas().check(Schemas::kind_of(&doc), &doc, text.as_bytes())
    }

    #[test]
    fn reports_what_was_expected_and_where() {
        let t = "{\"schema\": \"kubeautopsy.trace/v1\", \"run\": {\"id\": \"r\"},\n \"events\": [{\"type\": \"tool_call\", \"seq\": \"3\", \"tool\": \"x\"}]}";
        let p = problem_for(t).unwrap();
        assert_eq!(p.pointer.as_deref(), Some("/events/0/seq"));
        assert!(
            p.message.contains("expected integer, found string \"3\""),
            "{}",
            p.message
        );
        assert_eq!(&t[p.span.unwrap()], "\"3\"");
        assert!(p.help.unwrap().contains("Position of the event"));
    }

    #[test]
    fn unknown_fields_point_at_the_key_and_list_allowed_ones() {
        let t =
            r#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": [], "evnets": []}"#;
        let p = problem_for(t).unwrap();
        assert_eq!(&t[p.span.unwrap()], "\"evnets\"");
        assert!(
            p.message.contains("did you mean `events`?"),
            "{}",
            p.message
        );
        assert!(p.help.unwrap().contains("events"));
    }

    #[test]
    fn missing_fields_and_scenarios() {
        let t = r#"{"schema": "kubeautopsy.trace/v1", "run": {}, "events": []}"#;
        let p = problem_for(t).unwrap();
        assert!(
            p.message.contains("missing required field `id`"),
            "{}",
            p.message
        );
        assert!(p.help.unwrap().contains("Identifier of the run"));
        let s = r#"{"schema": "kubeautopsy.scenario/v1", "id": "s", "targets": [{"name": "web"}]}"#;
        let p = problem_for(s).unwrap();
        assert_eq!(p.pointer.as_deref(), Some("/targets/0"));
        assert!(problem_for(r#"{"schema": "kubeautopsy.scenario/v1", "id": "s"}"#).is_none());
    }

    #[test]
    fn formats_are_checked() {
        let t = r#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r", "started_at": "yesterday"}, "events": []}"#;
        assert!(problem_for(t).unwrap().message.contains("date-time"));
        let ok = r#"{"schema": "kubeautopsy.trace/v1", "run": {"id": "r", "started_at": "0001-01-01T00:00:00Z"}, "events": []}"#;
        assert!(problem_for(ok).is_none());
    }
}
