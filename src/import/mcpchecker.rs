//! mcpchecker (formerly gevals) evaluation results: the document its `check` command writes,
//! `{summary, results[]}` (or, in older versions, the bare `results` array). One run per task
//! result: scenario = `taskName`, outcome = `taskPassed` with the assertion results (and the
//! verify steps) as checks, calls = `callHistory.ToolCalls` (server name, arguments, result
//! content, success, timestamp). The suite's agent model and MCP servers (with the tools they
//! offered) are recorded on every run.
//!
//! Labels, so that a history of weekly results can be grouped and ordered (each is overridden by
//! `--report`, `--arm`, `--model`):
//! - `report` is the evaluation: `DATE@COMMIT`, the date from a leading `YYYY-MM-DD` in the file
//!   name, else the earliest call timestamp of the file; the commit from `@HEX` or `DATE-HEX-` in
//!   the file name (7 to 40 hex digits). Either part alone when only one is known.
//! - `arm` is the toolset configuration: the `suite` labels the summary's task sets select, joined
//!   by `+` (`core+config+helm`); without a summary (the older bare arrays), the suites the tasks'
//!   paths name (`evals/tasks/SUITE/TASK/...`); else the MCP server the calls went to.
//! - `model` is `summary.agent.model` where recorded.
//!
//! Shape read from containers/kubernetes-mcp-server's committed `evals/results/*.json`
//! (mcpchecker's `pkg/eval` result types).

use super::{Call, CallResult, ImportFormat, Imported, InputFile, RunLabels, TraceBuilder, s};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

pub fn import(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let doc = match super::whole_document_as(file, Pruned(Level::Document)) {
        Ok(v) => v,
        Err(rejected) => return vec![rejected],
    };
    // The document is owned: each call's arguments and results are moved into its trace, not
    // copied.
    let (summary, mut results, base) = match doc {
        Value::Array(list) => (None, list, ""),
        Value::Object(mut m) => match m.remove("results") {
            Some(Value::Array(list)) => (m.remove("summary"), list, "/results"),
            _ => {
                return vec![super::not_this_format(
                    file,
                    "not an mcpchecker result: expected `results` (an array of task results)",
                )];
            }
        },
        _ => {
            return vec![super::not_this_format(
                file,
                "not an mcpchecker result: expected an object with `results`, or an array",
            )];
        }
    };
    let summary = summary.as_ref();
    let model = summary
        .and_then(|s| s.pointer("/agent/model"))
        .and_then(Value::as_str);
    let agent = summary
        .and_then(|s| s.pointer("/agent/name"))
        .and_then(Value::as_str);
    let servers: Vec<Value> = summary
        .and_then(|s| s.get("mcpServers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|srv| {
            let tools: Vec<Value> = srv
                .get("tools")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|t| {
                    let mut m = json!({ "name": s(t, "name") });
                    if let Some(a) = t.get("annotations").filter(|a| !a.is_null()) {
                        m["annotations"] = a.clone();
                    }
                    m
                })
                .collect();
            json!({ "name": s(srv, "name"), "type": s(srv, "type"), "tools": tools })
        })
        .collect();
    let report = report_of(file.stem.as_str(), &results);
    let toolsets = toolsets_of(summary, &results);
    let mut out = Vec::new();
    for (i, r) in results.iter_mut().enumerate() {
        let pointer = format!("{base}/{i}");
        let Some(task) = s(r, "taskName") else {
            out.push(super::reject_at(
                &file.display,
                1,
                file.text,
                &pointer,
                "an mcpchecker task result needs `taskName`",
            ));
            continue;
        };
        let mut b = TraceBuilder::new(format!("{}#{task}", file.stem), labels);
        b.run_field("scenario", task);
        b.run_field("report", report.clone());
        b.run_field("arm", toolsets.clone());
        b.run_field("model", model);
        b.run_field("benchmark", "mcpchecker");
        if let Some(a) = agent {
            b.meta("agent", a);
        }
        if !servers.is_empty() {
            b.meta("mcp_servers", Value::Array(servers.clone()));
        }
        if let Some(d) = s(r, "difficulty") {
            b.meta("difficulty", d);
        }
        let calls = r
            .pointer_mut("/callHistory/ToolCalls")
            .and_then(Value::as_array_mut)
            .map(std::mem::take)
            .unwrap_or_default();
        // The arm is the MCP server the calls went to (the suite's only server when a task
        // made no call).
        let only_server = match servers.as_slice() {
            [one] => s(one, "name"),
            _ => None,
        };
        let server = calls
            .iter()
            .find_map(|c| s(c, "serverName"))
            .or(only_server);
        b.run_field("arm", server);
        for mut c in calls {
            let arguments = c.pointer_mut("/request/Params/arguments").map(Value::take);
            let json = c.pointer_mut("/result/structuredContent").map(Value::take);
            let name = s(&c, "name")
                .or_else(|| c.pointer("/request/Params/name").and_then(Value::as_str))
                .unwrap_or("(unnamed)");
            let result = c.get("result").filter(|r| !r.is_null());
            let failed = c.get("success").and_then(Value::as_bool) == Some(false)
                || result
                    .and_then(|r| r.get("isError"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            let text = result
                .and_then(|r| r.get("content"))
                .and_then(super::transcripts::content_text)
                .or_else(|| s(&c, "error").map(str::to_string));
            b.call(Call {
                tool: name.to_string(),
                server: s(&c, "serverName").map(str::to_string),
                call_id: None,
                arguments,
                result: Some(CallResult {
                    text,
                    json,
                    is_error: failed,
                    ..CallResult::default()
                }),
                ts: s(&c, "timestamp").map(str::to_string),
            });
        }
        if let Some(passed) = r.get("taskPassed").and_then(Value::as_bool) {
            b.outcome(passed, checks_of(r));
        }
        out.push(Imported::Doc {
            line: 1,
            json: b.finish(ImportFormat::Mcpchecker),
        });
    }
    out
}

/// The evaluation a result file records: `DATE@COMMIT` from its name, the date falling back on
/// the earliest call timestamp (see the module doc).
fn report_of(stem: &str, results: &[Value]) -> Option<String> {
    let named_date = date_prefix(stem);
    let commit = commit_in(stem, named_date.is_some());
    let date = named_date.map(str::to_string).or_else(|| {
        results
            .iter()
            .filter_map(|r| {
                r.pointer("/callHistory/ToolCalls")
                    .and_then(Value::as_array)
            })
            .flatten()
            .filter_map(|c| s(c, "timestamp"))
            .filter(|t| super::is_rfc3339(t))
            .min()
            .map(|t| t[..10].to_string())
    });
    match (date, commit) {
        (Some(d), Some(c)) => Some(format!("{d}@{c}")),
        (Some(d), None) => Some(d),
        (None, Some(c)) => Some(c.to_string()),
        (None, None) => None,
    }
}

/// A leading `YYYY-MM-DD`.
fn date_prefix(stem: &str) -> Option<&str> {
    let d = stem.get(..10)?;
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)).then_some(d)
}

/// The commit a file name carries: after its last `@`, or the word after a leading date.
fn commit_in(stem: &str, dated: bool) -> Option<&str> {
    let is_commit = |w: &str| {
        (7..=40).contains(&w.len())
            && w.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    };
    if let Some((_, after)) = stem.rsplit_once('@') {
        return is_commit(after).then_some(after);
    }
    if dated {
        let word = stem.get(11..)?.split(['-', '_', '.']).next()?;
        return is_commit(word).then_some(word);
    }
    None
}

/// The toolset configuration a result file ran: the suites its task sets select, else the
/// suites its tasks' paths name (see the module doc).
fn toolsets_of(summary: Option<&Value>, results: &[Value]) -> Option<String> {
    let mut suites: Vec<&str> = summary
        .and_then(|s| s.pointer("/evals/taskSets"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.pointer("/labelSelector/suite").and_then(Value::as_str))
        .collect();
    if suites.is_empty() {
        suites = results
            .iter()
            .filter_map(|r| s(r, "taskPath"))
            .filter_map(suite_of_path)
            .collect();
    }
    let mut seen = Vec::new();
    for suite in suites {
        if !seen.contains(&suite) {
            seen.push(suite);
        }
    }
    (!seen.is_empty()).then(|| seen.join("+"))
}

/// `.../tasks/SUITE/TASK/task.yaml` → SUITE.
fn suite_of_path(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split('/').collect();
    let at = parts.iter().rposition(|p| *p == "tasks")?;
    (parts.len() > at + 3)
        .then(|| parts[at + 1])
        .filter(|s| !s.is_empty())
}

/// The assertion results (`toolsUsed`, `minToolCalls`, ...) and the verify steps (script or
/// LLM judge) as trace v1 checks.
fn checks_of(r: &Value) -> Vec<Value> {
    let mut checks = Vec::new();
    if let Some(m) = r.get("assertionResults").and_then(Value::as_object) {
        for (name, a) in m {
            if let Some(p) = a.get("passed").and_then(Value::as_bool) {
                let mut c = json!({"name": name, "type": "assertion", "verdict": verdict(p)});
                if let Some(reason) = s(a, "reason").filter(|t| !t.is_empty()) {
                    c["message"] = reason.into();
                }
                checks.push(c);
            }
        }
    }
    for step in r
        .pointer("/verifyOutput/Steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(p) = step.get("success").and_then(Value::as_bool) {
            let mut c = json!({
                "name": s(step, "type").unwrap_or("verify"),
                "type": "verify",
                "verdict": verdict(p),
            });
            if let Some(m) = s(step, "message").filter(|t| !t.is_empty()) {
                c["message"] = m.chars().take(2000).collect::<String>().into();
            }
            checks.push(c);
        }
    }
    checks
}

fn verdict(passed: bool) -> &'static str {
    if passed { "pass" } else { "fail" }
}

/// The fields of a task result that the import reads. The others (the agent's output, the
/// setup, task and cleanup scripts' output, token estimates: 64% of a weekly result file) are
/// skipped, not built: their JSON syntax is checked, but not what only building them checks
/// (a string's escapes naming a lone surrogate, a number's range, serde_json's nesting limit),
/// so a file whose unread fields hold such values is imported where the whole read refused it.
const READ_FIELDS: [&str; 7] = [
    "taskName",
    "difficulty",
    "callHistory",
    "taskPassed",
    "assertionResults",
    "verifyOutput",
    "taskPath",
];

/// Where in a result file a value is: the document, its `results`, one task result.
#[derive(Clone, Copy)]
enum Level {
    Document,
    Results,
    TaskResult,
}

/// A result file read as [`Value`], except that a task result (an item of the document's
/// `results`, or of the document when it is the bare array) holds only [`READ_FIELDS`].
/// Everything else, those fields included, is read as `serde_json::from_str` reads it.
#[derive(Clone, Copy)]
struct Pruned(Level);

impl<'de> DeserializeSeed<'de> for Pruned {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned {
    type Value = Value;

    crate::json::json_scalar_visits!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        match self.0 {
            Level::Document | Level::Results => {
                while let Some(item) = seq.next_element_seed(Pruned(Level::TaskResult))? {
                    items.push(item);
                }
            }
            Level::TaskResult => {
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
            }
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = match self.0 {
                Level::Document if key == "results" => {
                    map.next_value_seed(Pruned(Level::Results))?
                }
                Level::TaskResult if !READ_FIELDS.contains(&key.as_str()) => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                _ => map.next_value()?,
            };
            fields.insert(key, value);
        }
        Ok(Value::Object(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a JSON error is, and of what category (what a rejection shows; the wording may
    /// differ: a cut in a skipped field ends "an object" where the whole read ends "a value").
    type Place = (usize, usize, serde_json::error::Category);

    fn place(e: serde_json::Error) -> Place {
        (e.line(), e.column(), e.classify())
    }

    fn pruned(text: &str) -> Result<Value, Place> {
        let mut de = serde_json::Deserializer::from_str(text);
        Pruned(Level::Document)
            .deserialize(&mut de)
            .and_then(|doc| de.end().map(|()| doc))
            .map_err(place)
    }

    /// `doc` read whole, less the unread fields of its task results.
    fn whole_less_unread(mut doc: Value) -> Value {
        let results = match &mut doc {
            Value::Array(items) => Some(items),
            Value::Object(m) => m.get_mut("results").and_then(Value::as_array_mut),
            _ => None,
        };
        for r in results.into_iter().flatten() {
            if let Some(m) = r.as_object_mut() {
                m.retain(|k, _| READ_FIELDS.contains(&k.as_str()));
            }
        }
        doc
    }

    /// Reading a result file pruned gives the file read whole less the task results' unread
    /// fields, on every real result file (as the document and as the bare array of its
    /// results) and on the shapes the import rejects; a cut file is rejected at the same line
    /// and column, for the same kind of error.
    #[test]
    fn a_pruned_result_file_lacks_only_the_unread_fields() {
        let Some(root) = crate::testdata::shared_data(
            "a_pruned_result_file_lacks_only_the_unread_fields",
            "real/kubernetes-mcp-server-mcpchecker",
        ) else {
            return;
        };
        let mut texts: Vec<String> = vec![
            r#"{"results": {"taskName": "x", "agentOutput": "y"}, "summary": {"results": [{"a": 1}]}}"#.into(),
            r#"[1, "two", null, [{"agentOutput": 3}], {"taskName": "t", "taskOutput": {"x": [1.5e3]}}]"#.into(),
            r#"{"results": [{"taskName": "a", "taskName": "b", "agentOutput": "c"}], "results": []}"#.into(),
            r#""a string""#.into(),
        ];
        for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
            if entry.path().extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                let doc: Value = serde_json::from_str(&text).unwrap();
                if let Some(results) = doc.get("results") {
                    texts.push(results.to_string());
                }
                texts.push(text);
            }
        }
        assert!(texts.len() > 40, "{} texts", texts.len());
        let mut errors = 0;
        for text in &texts {
            let whole: Value = serde_json::from_str(text).unwrap();
            assert_eq!(pruned(text), Ok(whole_less_unread(whole)));
            for cut in [text.len() / 3, text.len() / 2, text.len() - 1] {
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| text.is_char_boundary(c))
                    .unwrap_or(0);
                let t = &text[..cut];
                let whole = serde_json::from_str::<Value>(t).map_err(place);
                errors += usize::from(whole.is_err());
                assert_eq!(pruned(t), whole.map(whole_less_unread), "cut at {cut}");
            }
        }
        assert!(errors > 100, "{errors} cut files rejected");
    }

    /// What only building a value checks (a lone surrogate, a number's range, the nesting
    /// limit) is not checked in an unread field, and still is in a read one.
    #[test]
    fn only_the_read_fields_are_built() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for bad in [r#""\ud800""#, "1e400", deep.as_str()] {
            let unread = format!(r#"{{"results": [{{"taskName": "t", "agentOutput": {bad}}}]}}"#);
            assert!(serde_json::from_str::<Value>(&unread).is_err(), "{unread}");
            assert_eq!(
                pruned(&unread),
                Ok(json!({"results": [{"taskName": "t"}]})),
                "{unread}"
            );
            let read = format!(r#"{{"results": [{{"taskName": "t", "callHistory": {bad}}}]}}"#);
            assert!(pruned(&read).is_err(), "{read}");
        }
    }

    fn call_at(ts: &str) -> Value {
        json!({"callHistory": {"ToolCalls": [{"name": "pods_list", "timestamp": ts}]}})
    }

    #[test]
    fn the_report_is_the_evaluation_date_and_commit() {
        let none: [Value; 0] = [];
        assert_eq!(
            report_of("2026-03-09-8128369d-openai-agent-latest", &none).as_deref(),
            Some("2026-03-09@8128369d")
        );
        // The commit after `@`, the date from the earliest call.
        let calls = [
            call_at("2026-08-17T09:52:00Z"),
            call_at("2026-08-16T23:59:59.5Z"),
        ];
        assert_eq!(
            report_of("builtin-openai-core-latest@072e25f9", &calls).as_deref(),
            Some("2026-08-16@072e25f9")
        );
        assert_eq!(report_of("results", &calls).as_deref(), Some("2026-08-16"));
        assert_eq!(report_of("results", &none), None);
        // Not a commit: uppercase, too short, not hex.
        assert_eq!(report_of("x@ABCDEF12", &none), None);
        assert_eq!(
            report_of("2026-03-09-abc-x", &none).as_deref(),
            Some("2026-03-09")
        );
        assert_eq!(
            report_of("2026-03-09-suite", &none).as_deref(),
            Some("2026-03-09")
        );
        // A date-like prefix that is not one.
        assert_eq!(report_of("2026-3-09-8128369d", &none), None);
    }

    #[test]
    fn the_arm_is_the_suites_the_file_ran() {
        let summary = json!({"evals": {"taskSets": [
            {"labelSelector": {"suite": "core"}},
            {"labelSelector": {"suite": "config"}},
            {"labelSelector": {"suite": "core"}},
            {"labelSelector": {"suite": "helm"}}
        ]}});
        assert_eq!(
            toolsets_of(Some(&summary), &[]).as_deref(),
            Some("core+config+helm")
        );
        let results = [
            json!({"taskPath": "/home/runner/work/x/evals/tasks/kubernetes/fix-crashloop/task.yaml"}),
            json!({"taskPath": "evals/tasks/kubernetes/ahoy/task.yaml"}),
            json!({"taskPath": "tasks/short"}),
        ];
        assert_eq!(toolsets_of(None, &results).as_deref(), Some("kubernetes"));
        assert_eq!(toolsets_of(Some(&json!({})), &[]), None);
    }
}
