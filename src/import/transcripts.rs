//! Agent transcripts → traces: MCP JSON-RPC captures, Anthropic Messages / Claude Code session
//! logs, OpenAI chat and Responses logs, Inspect AI logs, OpenTelemetry GenAI spans.
//!
//! Each format's tool calls keep their recorded names (`mcp__server__tool`, `Bash`,
//! `kubectl_apply`...): the normalizer's tool maps decide what they do, exactly as for native
//! traces. Transcripts rarely record a verifier outcome; runs without one are `unknown`.

use super::{
    Call, CallResult, ImportFormat, Imported, InputFile, RunLabels, TraceBuilder, reject_at,
    reject_syntax, s,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// The file's JSON values: one document, or one per line (JSONL), each with its line. A line
/// that is not JSON is rejected and skipped.
pub(super) fn values(file: &InputFile<'_>, out: &mut Vec<Imported>) -> Vec<(u64, Value, String)> {
    let trimmed = file.text.trim_start();
    if trimmed.starts_with('[') || (trimmed.starts_with('{') && !looks_like_jsonl(file.text)) {
        return match serde_json::from_str::<Value>(file.text) {
            Ok(v) => vec![(1, v, file.text.to_string())],
            Err(e) => {
                out.push(reject_syntax(&file.display, 1, file.text, &e));
                Vec::new()
            }
        };
    }
    let mut vals = Vec::new();
    for (i, line) in file.text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i as u64 + 1;
        match serde_json::from_str::<Value>(line) {
            Ok(v) => vals.push((n, v, line.to_string())),
            Err(e) => out.push(reject_syntax(&file.display, n, line, &e)),
        }
    }
    vals
}

/// More than one line, and the first non-blank line is a complete JSON value.
fn looks_like_jsonl(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    match (lines.next(), lines.next()) {
        (Some(first), Some(_)) => serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok(),
        _ => false,
    }
}

/// Text of an MCP / Anthropic content value: a string, or the `text` of its text blocks.
pub(super) fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<&str> = items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.as_str()),
                    _ => s(i, "text"),
                })
                .collect();
            Some(parts.join("\n"))
        }
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Arguments recorded as a JSON string (OpenAI, OTel): the object when it parses, else the text.
pub(super) fn arguments_of(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(text) => Some(
            serde_json::from_str::<Value>(text)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| Value::String(text.clone())),
        ),
        other => Some(other.clone()),
    }
}

/// Calls waiting for their results, in call order.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) calls: Vec<Call>,
    pub(super) by_id: BTreeMap<String, usize>,
}

impl Pending {
    pub(super) fn add(&mut self, call: Call) {
        if let Some(id) = &call.call_id {
            self.by_id.insert(id.clone(), self.calls.len());
        }
        self.calls.push(call);
    }
    /// Attach a result to the call with `id`; false when there is no such call.
    pub(super) fn answer(&mut self, id: &str, result: CallResult) -> bool {
        match self.by_id.get(id).and_then(|i| self.calls.get_mut(*i)) {
            Some(c) => {
                c.result = Some(result);
                true
            }
            None => false,
        }
    }
    pub(super) fn into_builder(self, b: &mut TraceBuilder) {
        for c in self.calls {
            b.call(c);
        }
    }
}

/// A JSON-RPC id as a string (numbers and strings are both allowed).
fn rpc_id(v: &Value) -> Option<String> {
    match v.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// MCP JSON-RPC capture: one message per line (bare, or wrapped as `{"message": …}` with a
/// direction or timestamp); `tools/call` requests paired with responses by id. The server's
/// name comes from the `initialize` response.
pub fn mcp(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    let mut server: Option<String> = None;
    let mut pending = Pending::default();
    let mut any_message = false;
    let mut listed: Vec<Value> = Vec::new();
    let messages = vals.iter().flat_map(|(n, v, text)| {
        let list: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        list.into_iter().map(move |m| (*n, m, text))
    });
    for (n, raw, text) in messages {
        let m = raw.get("message").filter(|m| m.is_object()).unwrap_or(raw);
        let ts = s(raw, "timestamp")
            .or_else(|| s(raw, "ts"))
            .map(str::to_string);
        if m.get("jsonrpc").is_none()
            && m.get("method").is_none()
            && m.get("result").is_none()
            && m.get("error").is_none()
        {
            out.push(reject_at(
                &file.display,
                n,
                text,
                "",
                "not a JSON-RPC message: expected `method` (a request) or `result`/`error` (a response)",
            ));
            continue;
        }
        any_message = true;
        if let Some(name) = m.pointer("/result/serverInfo/name").and_then(Value::as_str) {
            server = Some(name.to_string());
        }
        // A `tools/list` answer: the server's tools with their annotations (`readOnlyHint`,
        // `destructiveHint`), kept so that tools no map knows can be classed.
        if let Some(tools) = m.pointer("/result/tools").and_then(Value::as_array) {
            for t in tools {
                if let Some(name) = t.get("name").and_then(Value::as_str) {
                    let mut entry = serde_json::json!({ "name": name });
                    if let Some(a) = t.get("annotations").filter(|a| a.is_object()) {
                        entry["annotations"] = a.clone();
                    }
                    listed.push(entry);
                }
            }
        }
        match s(m, "method") {
            Some("tools/call") => {
                let Some(tool) = m.pointer("/params/name").and_then(Value::as_str) else {
                    out.push(reject_at(
                        &file.display,
                        n,
                        text,
                        "/params",
                        "a tools/call request needs params.name",
                    ));
                    continue;
                };
                pending.add(Call {
                    tool: tool.to_string(),
                    server: server.clone(),
                    call_id: rpc_id(m),
                    arguments: m.pointer("/params/arguments").cloned(),
                    result: None,
                    ts,
                });
            }
            Some(_) => {}
            None => {
                let Some(id) = rpc_id(m) else { continue };
                let result = if let Some(err) = m.get("error") {
                    CallResult::text(
                        s(err, "message").unwrap_or("JSON-RPC error").to_string(),
                        true,
                    )
                } else {
                    let r = m.get("result").cloned().unwrap_or(Value::Null);
                    CallResult {
                        text: r.get("content").and_then(content_text),
                        json: r.get("structuredContent").cloned(),
                        is_error: r.get("isError").and_then(Value::as_bool).unwrap_or(false),
                        ..CallResult::default()
                    }
                };
                pending.answer(&id, result);
            }
        }
    }
    if any_message {
        let mut b = TraceBuilder::new(file.stem.clone(), labels);
        if !listed.is_empty() {
            b.meta(
                "mcp_servers",
                serde_json::json!([{ "name": server, "tools": listed }]),
            );
        }
        pending.into_builder(&mut b);
        out.insert(
            0,
            Imported::Doc {
                line: 1,
                json: b.finish(ImportFormat::Mcp),
            },
        );
    }
    out
}

/// Anthropic Messages / Claude Code sessions: `tool_use` blocks of assistant messages answered
/// by `tool_result` blocks of user messages. Lines may be Claude Code records (`{type,
/// message, timestamp, sessionId}`), bare messages, or one document with `messages`.
pub fn anthropic(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    let mut pending = Pending::default();
    let mut texts: Vec<(String, String, Option<String>)> = Vec::new();
    let mut without_message: BTreeMap<String, u64> = BTreeMap::new();
    let mut any = false;
    for (n, v, text) in &vals {
        let listed = matches!(v.get("messages"), Some(Value::Array(_)));
        let (messages, ts_default): (Vec<&Value>, Option<&str>) = match v.get("messages") {
            Some(Value::Array(list)) => {
                b.run_field("model", s(v, "model"));
                (list.iter().collect(), None)
            }
            _ => (vec![v.get("message").unwrap_or(v)], s(v, "timestamp")),
        };
        if let Some(id) = s(v, "sessionId").or_else(|| s(v, "session_id")) {
            // Claude Code (session files and `--output-format stream-json`).
            b.run_field("arm", "claude-code");
            b.run_field("started_at", ts_default.filter(|t| super::is_rfc3339(t)));
            b.meta("session_id", id);
        }
        for m in messages {
            let Some(role) = s(m, "role") else {
                // Claude Code also logs summaries, file snapshots, system and result records:
                // not messages, not errors; counted.
                if let Some(kind) = s(v, "type") {
                    let what = if listed {
                        format!("`{kind}` records' messages without a role")
                    } else {
                        format!("`{kind}` records (no message)")
                    };
                    *without_message.entry(what).or_default() += 1;
                    continue;
                }
                out.push(reject_at(
                    &file.display,
                    *n,
                    text,
                    "",
                    "not an Anthropic message: expected `role` and `content`",
                ));
                continue;
            };
            any = true;
            b.run_field("model", s(m, "model"));
            let ts = ts_default.map(str::to_string);
            match m.get("content") {
                Some(Value::String(t)) => texts.push((role.to_string(), t.clone(), ts.clone())),
                Some(Value::Array(blocks)) => {
                    for block in blocks {
                        match s(block, "type") {
                            Some("tool_use") => pending.add(Call {
                                tool: s(block, "name").unwrap_or("(unnamed)").to_string(),
                                call_id: s(block, "id").map(str::to_string),
                                arguments: block.get("input").cloned(),
                                ts: ts.clone(),
                                ..Call::default()
                            }),
                            Some("tool_result") => {
                                let id = s(block, "tool_use_id").unwrap_or_default();
                                pending.answer(
                                    id,
                                    CallResult {
                                        text: block.get("content").and_then(content_text),
                                        is_error: block
                                            .get("is_error")
                                            .and_then(Value::as_bool)
                                            .unwrap_or(false),
                                        ..CallResult::default()
                                    },
                                );
                            }
                            Some("text") => {
                                if let Some(t) = s(block, "text") {
                                    texts.push((role.to_string(), t.to_string(), ts.clone()));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for (kind, count) in without_message {
        out.push(Imported::Skipped {
            what: format!("anthropic {kind}"),
            count,
        });
    }
    if any {
        pending.into_builder(&mut b);
        b.meta("messages", texts.len() as u64);
        out.insert(
            0,
            Imported::Doc {
                line: 1,
                json: b.finish(ImportFormat::Anthropic),
            },
        );
    }
    out
}

/// OpenAI chat completions (`tool_calls` of assistant messages, `role: tool` answers) and
/// Responses (`function_call` / `function_call_output` items, `mcp_call` items with their
/// output). A file is one run: a request/response document, an array, or JSONL of messages
/// or items.
pub fn openai(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    let mut pending = Pending::default();
    let mut any = false;
    for (n, v, text) in &vals {
        b.run_field("model", s(v, "model"));
        // Each item with its JSON pointer in the record (for diagnostics).
        let mut items: Vec<(String, &Value)> = Vec::new();
        for key in ["messages", "input", "output"] {
            if let Some(Value::Array(list)) = v.get(key) {
                items.extend(
                    list.iter()
                        .enumerate()
                        .map(|(i, x)| (format!("/{key}/{i}"), x)),
                );
            }
        }
        if let Some(Value::Array(choices)) = v.get("choices") {
            items.extend(
                choices.iter().enumerate().filter_map(|(i, c)| {
                    Some((format!("/choices/{i}/message"), c.get("message")?))
                }),
            );
        }
        match v {
            Value::Array(list) => {
                items.extend(list.iter().enumerate().map(|(i, x)| (format!("/{i}"), x)));
            }
            _ if items.is_empty() => items.push((String::new(), v)),
            _ => {}
        }
        for (pointer, item) in items {
            let kind = s(item, "type");
            let role = s(item, "role");
            if kind.is_none() && role.is_none() {
                out.push(reject_at(
                    &file.display,
                    *n,
                    text,
                    &pointer,
                    "not an OpenAI message or item: expected `role` (chat) or `type` (Responses)",
                ));
                continue;
            }
            any = true;
            match (kind, role) {
                (Some("function_call"), _) => pending.add(Call {
                    tool: s(item, "name").unwrap_or("(unnamed)").to_string(),
                    call_id: s(item, "call_id")
                        .or_else(|| s(item, "id"))
                        .map(str::to_string),
                    arguments: arguments_of(item.get("arguments")),
                    ..Call::default()
                }),
                (Some("function_call_output"), _) => {
                    let id = s(item, "call_id").unwrap_or_default();
                    let text = item.get("output").and_then(content_text);
                    pending.answer(
                        id,
                        CallResult {
                            text,
                            ..CallResult::default()
                        },
                    );
                }
                (Some("mcp_call"), _) => {
                    let error = item.get("error").filter(|e| !e.is_null());
                    pending.add(Call {
                        tool: s(item, "name").unwrap_or("(unnamed)").to_string(),
                        server: s(item, "server_label").map(str::to_string),
                        call_id: s(item, "id").map(str::to_string),
                        arguments: arguments_of(item.get("arguments")),
                        result: Some(CallResult {
                            text: error
                                .and_then(content_text)
                                .or_else(|| item.get("output").and_then(content_text)),
                            is_error: error.is_some(),
                            ..CallResult::default()
                        }),
                        ts: None,
                    });
                }
                (_, Some("assistant")) => {
                    for tc in item
                        .get("tool_calls")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        pending.add(Call {
                            tool: tc
                                .pointer("/function/name")
                                .and_then(Value::as_str)
                                .unwrap_or("(unnamed)")
                                .to_string(),
                            call_id: s(tc, "id").map(str::to_string),
                            arguments: arguments_of(tc.pointer("/function/arguments")),
                            ..Call::default()
                        });
                    }
                }
                (_, Some("tool")) => {
                    let id = s(item, "tool_call_id").unwrap_or_default();
                    let text = item.get("content").and_then(content_text);
                    pending.answer(
                        id,
                        CallResult {
                            text,
                            ..CallResult::default()
                        },
                    );
                }
                _ => {}
            }
        }
    }
    if any {
        pending.into_builder(&mut b);
        out.insert(
            0,
            Imported::Doc {
                line: 1,
                json: b.finish(ImportFormat::Openai),
            },
        );
    }
    out
}

/// Inspect AI eval logs: `.json` (one document with `eval` and `samples`) or `.eval` (a zip of
/// `header.json` and `samples/*.json`). One run per sample and epoch; `tool` events with their
/// arguments and results (`attachment://` references resolved from the sample's attachments);
/// the first score gives the outcome (C / 1 / true pass, I / 0 / false fail).
pub fn inspect(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let log: Value = match serde_json::from_str(file.text) {
        Ok(v) => v,
        Err(e) => return vec![reject_syntax(&file.display, 1, file.text, &e)],
    };
    let Some(samples) = log.get("samples").and_then(Value::as_array) else {
        return vec![reject_at(
            &file.display,
            1,
            file.text,
            "",
            "not an Inspect log: expected `samples` (a .json log; .eval archives are read as zip)",
        )];
    };
    samples
        .iter()
        .enumerate()
        .map(|(i, sample)| inspect_sample(&log, sample, i, labels))
        .collect()
}

/// Largest member of an `.eval` archive read (the default --max-record-size).
const MAX_EVAL_MEMBER: u64 = crate::input::DEFAULT_MAX_RECORD_BYTES;

/// An Inspect `.eval` archive (zip): `header.json` for the task and model, one run per
/// `samples/*.json` member (in name order).
pub fn inspect_eval(
    display: &std::sync::Arc<str>,
    bytes: &[u8],
    labels: &RunLabels,
) -> Vec<Imported> {
    use std::io::Read;
    let bad = |message: String| {
        vec![super::rejected_source(
            display,
            crate::diag::RejectKind::Import,
            message,
        )]
    };
    let mut zip = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => return bad(format!("not a readable .eval archive (zip): {e}")),
    };
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.starts_with("samples/") && n.ends_with(".json"))
        .map(|n| n.into_owned())
        .collect();
    names.sort();
    let mut read_member = |name: &str| -> Result<Value, String> {
        let entry = zip.by_name(name).map_err(|e| format!("{name}: {e}"))?;
        if entry.size() > MAX_EVAL_MEMBER {
            return Err(format!(
                "{name}: {} bytes, more than the limit",
                entry.size()
            ));
        }
        let mut text = String::new();
        entry
            .take(MAX_EVAL_MEMBER)
            .read_to_string(&mut text)
            .map_err(|e| format!("{name}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("{name}: not JSON: {e}"))
    };
    let header = match read_member("header.json") {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match read_member(name) {
            Ok(sample) => out.push(inspect_sample(&header, &sample, i, labels)),
            Err(e) => out.extend(bad(e)),
        }
    }
    out
}

/// One Inspect sample (with its log's `eval` header) → one trace.
fn inspect_sample(log: &Value, sample: &Value, index: usize, labels: &RunLabels) -> Imported {
    let task = log
        .pointer("/eval/task")
        .and_then(Value::as_str)
        .unwrap_or("inspect");
    let model = log.pointer("/eval/model").and_then(Value::as_str);
    let sid = match sample.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => index.to_string(),
    };
    let epoch = sample.get("epoch").and_then(Value::as_u64).unwrap_or(1);
    let mut b = TraceBuilder::new(format!("{task}-{sid}-e{epoch}"), labels);
    b.run_field("benchmark", task);
    b.run_field("model", model);
    b.run_field("repeat", epoch);
    let attachments = sample.get("attachments").cloned().unwrap_or(Value::Null);
    let resolve_str = |v: &Value| -> Value {
        match v {
            Value::String(t) => t
                .strip_prefix("attachment://")
                .and_then(|h| attachments.get(h))
                .cloned()
                .unwrap_or_else(|| v.clone()),
            other => other.clone(),
        }
    };
    let resolve = |v: &Value| -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), resolve_str(x))).collect())
            }
            other => resolve_str(other),
        }
    };
    for ev in sample
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| s(e, "event") == Some("tool"))
    {
        let error = ev.get("error").filter(|e| !e.is_null());
        b.call(Call {
            tool: s(ev, "function").unwrap_or("(unnamed)").to_string(),
            call_id: s(ev, "id").map(str::to_string),
            arguments: ev.get("arguments").map(resolve),
            result: Some(CallResult {
                text: error
                    .and_then(|e| s(e, "message").map(str::to_string))
                    .or_else(|| {
                        ev.get("result")
                            .map(resolve)
                            .as_ref()
                            .and_then(content_text)
                    }),
                is_error: error.is_some(),
                ..CallResult::default()
            }),
            ts: s(ev, "timestamp").map(str::to_string),
            server: None,
        });
    }
    if let Some(score) = sample
        .get("scores")
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
    {
        let passed = match score.get("value") {
            Some(Value::String(v)) if v == "C" => Some(true),
            Some(Value::String(v)) if v == "I" || v == "N" || v == "P" => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Number(n)) => n.as_f64().map(|x| x >= 1.0),
            _ => None,
        };
        if let Some(p) = passed {
            b.outcome(p, Vec::new());
        }
    }
    Imported::Doc {
        line: 1,
        json: b.finish(ImportFormat::Inspect),
    }
}

/// An OTLP attribute value as JSON.
fn otlp_value(v: &Value) -> Value {
    if let Some(s) = v.get("stringValue") {
        return s.clone();
    }
    if let Some(i) = v.get("intValue") {
        // OTLP JSON writes 64-bit integers as strings.
        return i
            .as_str()
            .and_then(|t| t.parse::<i64>().ok())
            .map_or_else(|| i.clone(), Value::from);
    }
    for k in ["boolValue", "doubleValue"] {
        if let Some(x) = v.get(k) {
            return x.clone();
        }
    }
    Value::Null
}

fn attributes(span: &Value) -> BTreeMap<String, Value> {
    span.get("attributes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| Some((s(a, "key")?.to_string(), otlp_value(a.get("value")?))))
        .collect()
}

/// OpenTelemetry GenAI spans (OTLP JSON, one export per document or per line): `execute_tool`
/// spans (`gen_ai.tool.name`, opt-in `gen_ai.tool.call.arguments` / `.result`) and MCP
/// `tools/call` spans, grouped by trace id into runs, in start-time order.
pub fn otel(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    // trace id → (start time, span attributes, span) of its tool spans; and its model.
    type ToolSpan = (u64, BTreeMap<String, Value>, Value);
    let mut runs: BTreeMap<String, (Vec<ToolSpan>, Option<String>)> = BTreeMap::new();
    for (n, v, text) in &vals {
        let Some(resource_spans) = v.get("resourceSpans").and_then(Value::as_array) else {
            out.push(reject_at(
                &file.display,
                *n,
                text,
                "",
                "not OTLP JSON: expected `resourceSpans`",
            ));
            continue;
        };
        for span in resource_spans
            .iter()
            .filter_map(|r| r.get("scopeSpans").and_then(Value::as_array))
            .flatten()
            .filter_map(|sc| sc.get("spans").and_then(Value::as_array))
            .flatten()
        {
            let trace = s(span, "traceId").unwrap_or("trace").to_string();
            let attrs = attributes(span);
            let entry = runs.entry(trace).or_default();
            if let Some(m) = attrs.get("gen_ai.request.model").and_then(Value::as_str) {
                entry.1.get_or_insert_with(|| m.to_string());
            }
            let name = s(span, "name").unwrap_or_default();
            let op = attrs.get("gen_ai.operation.name").and_then(Value::as_str);
            let is_tool = op == Some("execute_tool")
                || name.starts_with("execute_tool")
                || attrs.get("mcp.method.name").and_then(Value::as_str) == Some("tools/call");
            if is_tool {
                let start = span
                    .get("startTimeUnixNano")
                    .and_then(|t| t.as_str().and_then(|x| x.parse().ok()).or(t.as_u64()))
                    .unwrap_or(0);
                entry.0.push((start, attrs, span.clone()));
            }
        }
    }
    for (trace, (mut spans, model)) in runs {
        if spans.is_empty() {
            continue;
        }
        spans.sort_by_key(|x| x.0);
        let mut b = TraceBuilder::new(trace, labels);
        b.run_field("model", model);
        for (start, attrs, span) in spans {
            let name = s(&span, "name").unwrap_or_default();
            let tool = attrs
                .get("gen_ai.tool.name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| name.strip_prefix("execute_tool ").map(str::to_string))
                .or_else(|| name.strip_prefix("tools/call ").map(str::to_string))
                .unwrap_or_else(|| name.to_string());
            let is_error = span.pointer("/status/code").and_then(|c| {
                c.as_u64()
                    .or_else(|| c.as_str().map(|t| u64::from(t.contains("ERROR")) * 2))
            }) == Some(2);
            let result = attrs.get("gen_ai.tool.call.result").and_then(content_text);
            b.call(Call {
                tool,
                server: attrs
                    .get("mcp.server.name")
                    .or_else(|| attrs.get("server.address"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                call_id: attrs
                    .get("gen_ai.tool.call.id")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                arguments: arguments_of(attrs.get("gen_ai.tool.call.arguments")),
                result: (result.is_some() || is_error).then(|| CallResult {
                    text: result.or_else(|| {
                        span.pointer("/status/message")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    }),
                    is_error,
                    ..CallResult::default()
                }),
                ts: Some(nanos_to_rfc3339(start)),
            });
        }
        out.insert(
            0,
            Imported::Doc {
                line: 1,
                json: b.finish(ImportFormat::Otel),
            },
        );
    }
    out
}

/// Unix nanoseconds → RFC 3339 UTC (civil-from-days, proleptic Gregorian).
pub(super) fn nanos_to_rfc3339(nanos: u64) -> String {
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanos_become_rfc3339() {
        assert_eq!(nanos_to_rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            nanos_to_rfc3339(1_778_580_260_500_000_000),
            "2026-05-12T10:04:20.500000000Z"
        );
    }

    #[test]
    fn arguments_parse_when_json() {
        assert_eq!(
            arguments_of(Some(&Value::String("{\"a\":1}".into()))),
            Some(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            arguments_of(Some(&Value::String("kubectl get pods".into()))),
            Some(Value::String("kubectl get pods".into()))
        );
    }
}
