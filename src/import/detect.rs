//! `--from auto`: which importer reads an input, told from its content (the first records'
//! shape), never from its name; and the check that a session whose calls all vanished does
//! not hold tool records of a shape its importer does not read.

use super::ImportFormat;
use serde_json::Value;
use std::path::Path;

/// A folder format, told by its marker file.
pub fn folder(path: &Path) -> Option<ImportFormat> {
    [ImportFormat::EvidraRun, ImportFormat::EvidraScenario]
        .into_iter()
        .find(|f| f.marker().is_some_and(|m| path.join(m).is_file()))
}

/// How many leading records are looked at.
const SNIFF_RECORDS: usize = 40;

/// The importer for an input file's bytes (decompressed), or why none could be picked.
pub fn sniff(bytes: &[u8]) -> Result<ImportFormat, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(ImportFormat::Inspect);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "not UTF-8 text: no importer reads it (name one with --from)".to_string())?;
    let records = leading_records(text);
    if records.is_empty() {
        return Err(
            "no JSON record found at its start: no importer reads it (name one with --from)"
                .to_string(),
        );
    }
    // A whole document first (one JSON value), then line records.
    for r in &records {
        if let Some(f) = of_record(r) {
            return Ok(f);
        }
    }
    if records
        .first()
        .is_some_and(|r| has(r, &["problem_id", "return_code", "success"]))
    {
        return Err(
            "an SREGym results file (the agent's exit status for the sessions in its folder): \
             it is read beside the sessions it belongs to when its folder holds no other \
             results file, and here it is not (no session of this import under its folder, or \
             several results files in one folder)"
                .to_string(),
        );
    }
    if let Some(tool) = records.iter().find_map(|r| {
        r.pointer("/attributes/gen_ai.tool.name")
            .and_then(Value::as_str)
    }) {
        return Err(format!(
            "an access-log record of an MCP call (gen_ai.tool.name {tool}): it names the tool but \
             holds no arguments or result, so there is no call to replay; no importer reads it"
        ));
    }
    let keys: Vec<String> = records
        .iter()
        .take(3)
        .map(|r| match r {
            Value::Object(m) => format!(
                "{{{}}}",
                m.keys().take(8).cloned().collect::<Vec<_>>().join(", ")
            ),
            Value::Array(_) => "an array".to_string(),
            other => other.to_string().chars().take(40).collect(),
        })
        .collect();
    Err(format!(
        "could not tell the format from its content (first records: {}); name it with --from",
        keys.join("; ")
    ))
}

/// The file as one JSON value when it is one, else its first JSON lines.
fn leading_records(text: &str) -> Vec<Value> {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('[') || trimmed.starts_with('{'))
        && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        return match v {
            Value::Array(items) => {
                let mut out: Vec<Value> = items.into_iter().take(SNIFF_RECORDS).collect();
                if out.is_empty() {
                    out.push(Value::Array(Vec::new()));
                }
                out
            }
            other => vec![other],
        };
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_RECORDS * 4)
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .take(SNIFF_RECORDS)
        .collect()
}

fn has(v: &Value, keys: &[&str]) -> bool {
    keys.iter().all(|k| v.get(k).is_some())
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The format one record (or whole document) shows, if it is telling.
fn of_record(v: &Value) -> Option<ImportFormat> {
    use ImportFormat as F;
    let kind = str_at(v, "type");
    let is_audit_event = |e: &Value| {
        str_at(e, "kind") == Some("Event")
            || (has(e, &["verb", "objectRef"]) && e.get("kind").is_none())
    };
    if str_at(v, "schema").is_some_and(|s| s.starts_with("kubeautopsy.")) {
        return Some(F::Native);
    }
    if has(v, &["summary", "results"]) && v.pointer("/summary/mcpServers").is_some()
        || has(v, &["taskName", "callHistory"])
    {
        return Some(F::Mcpchecker);
    }
    if has(v, &["name", "llmConfig", "result"]) {
        return Some(F::K8sAiBench);
    }
    if is_audit_event(v)
        || str_at(v, "kind") == Some("EventList")
        || v.pointer("/protoPayload/methodName").is_some()
        || v.pointer("/properties/log").is_some()
    {
        return Some(F::K8sAudit);
    }
    if str_at(v, "schema_version").is_some_and(|s| s.starts_with("ATIF"))
        || has(v, &["agent", "steps"])
    {
        return Some(F::Atif);
    }
    if has(v, &["info", "messages"]) && v.pointer("/messages/0/parts").is_some() {
        return Some(F::Opencode);
    }
    if has(v, &["sessionId", "projectHash"]) || v.get("$set").is_some() {
        return Some(F::GeminiCli);
    }
    if matches!(
        kind,
        Some("session_meta" | "response_item" | "event_msg" | "turn_context")
    ) && v.get("payload").is_some()
    {
        return Some(F::Codex);
    }
    if kind.is_some_and(|k| {
        k.starts_with("session.") || k.starts_with("tool.execution_") || k.starts_with("assistant.")
    }) && v.get("data").is_some()
    {
        return Some(F::CopilotCli);
    }
    if has(v, &["ID", "Source", "Type", "Payload"]) {
        return Some(F::KubectlAi);
    }
    if matches!(kind, Some("stage_start"))
        || (matches!(kind, Some("metadata")) && v.get("total_stages").is_some())
        || is_langchain_messages(v)
    {
        return Some(F::Langchain);
    }
    if v.get("resourceSpans").is_some() {
        return Some(F::Otel);
    }
    if has(v, &["eval", "samples"]) {
        return Some(F::Inspect);
    }
    let m = v.get("message").filter(|m| m.is_object()).unwrap_or(v);
    if m.get("jsonrpc").is_some() {
        return Some(F::Mcp);
    }
    // Claude Code session lines / stream-json, Anthropic Messages.
    if v.get("sessionId").is_some() && v.get("message").is_some()
        || matches!(kind, Some("system" | "result")) && v.get("session_id").is_some()
        || is_anthropic_message(m)
    {
        return Some(F::Anthropic);
    }
    if v.get("choices").is_some()
        || matches!(
            kind,
            Some("function_call" | "function_call_output" | "mcp_call")
        )
        || v.pointer("/messages/0/role").is_some()
        || v.pointer("/output/0/type").is_some()
        || str_at(v, "role") == Some("tool")
    {
        return Some(F::Openai);
    }
    None
}

fn is_anthropic_message(m: &Value) -> bool {
    str_at(m, "role").is_some()
        && m.get("content")
            .and_then(Value::as_array)
            .is_some_and(|blocks| {
                blocks
                    .iter()
                    .any(|b| matches!(str_at(b, "type"), Some("tool_use" | "tool_result" | "text")))
            })
}

fn is_langchain_messages(v: &Value) -> bool {
    let list = v.get("messages").and_then(Value::as_array);
    list.is_some_and(|l| {
        l.iter().any(|m| {
            matches!(
                str_at(m, "type"),
                Some(
                    "AIMessage" | "HumanMessage" | "ToolMessage" | "SystemMessage" | "ai" | "tool"
                )
            )
        })
    })
}

/// Tool records of each format, as they appear in its text: a record that holds one of these
/// (a type value, or a key with a non-empty array or object) is a tool call (or its answer) of
/// that shape. An importer that read no call from a text holding one read it wrong, whichever
/// format the marker belongs to (a Codex rollout wraps OpenAI's `function_call` items in
/// `payload`, where the openai importer does not look).
const TOOL_SHAPES: &[(&str, &str)] = &[
    (
        "\"function_call\"",
        "`type: function_call` (OpenAI Responses / Codex CLI)",
    ),
    (
        "\"tool_use\"",
        "`type: tool_use` blocks (Anthropic / Claude Code)",
    ),
    ("\"tool_calls\"", "`tool_calls` (OpenAI chat / LangChain)"),
    ("\"toolCalls\"", "`toolCalls` (Gemini CLI)"),
    ("\"ToolCalls\"", "`callHistory.ToolCalls` (mcpchecker)"),
    ("\"toolRequests\"", "`toolRequests` (Copilot CLI)"),
    (
        "\"tool.execution_start\"",
        "`tool.execution_start` (Copilot CLI)",
    ),
    ("\"tools/call\"", "`tools/call` (MCP JSON-RPC)"),
    ("\"tool-call-request\"", "`tool-call-request` (kubectl-ai)"),
    ("\"execute_tool", "`execute_tool` spans (OpenTelemetry)"),
    ("\"functionCall\"", "`functionCall` parts (Gemini API)"),
];

/// Whether the marker at `at` (of length `len`) stands for a record: a value, or a key whose
/// value is a non-empty array or object (`"tool_calls": []` is no call).
fn holds_records(text: &str, at: usize, len: usize) -> bool {
    let rest = text[at + len..].trim_start();
    let Some(value) = rest.strip_prefix(':') else {
        return true;
    };
    let value = value.trim_start();
    match value.chars().next() {
        Some('[') => !value[1..].trim_start().starts_with(']'),
        Some('{') => !value[1..].trim_start().starts_with('}'),
        _ => false,
    }
}

/// The first tool record of a shape `format` does not read, with its line.
pub fn foreign_tool_records(format: ImportFormat, bytes: &[u8]) -> Option<(u64, &'static str)> {
    if matches!(
        format,
        ImportFormat::Native
            | ImportFormat::K8sAudit
            | ImportFormat::EvidraRun
            | ImportFormat::EvidraScenario
    ) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut first: Option<(usize, &'static str)> = None;
    for (needle, shape) in TOOL_SHAPES {
        // A quoted key or value, not the same word inside an escaped string.
        let mut from = 0;
        while let Some(i) = text[from..].find(needle) {
            let at = from + i;
            from = at + needle.len();
            let escaped = at > 0 && text.as_bytes()[at - 1] == b'\\';
            if !escaped && holds_records(text, at, needle.len()) {
                if first.is_none_or(|(f, _)| at < f) {
                    first = Some((at, shape));
                }
                break;
            }
        }
    }
    let (at, shape) = first?;
    let line = text[..at].bytes().filter(|b| *b == b'\n').count() as u64 + 1;
    Some((line, shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_from_content() {
        let f = |t: &str| sniff(t.as_bytes());
        assert_eq!(
            f(
                "{\"timestamp\":\"t\",\"type\":\"session_meta\",\"payload\":{}}\n{\"type\":\"response_item\",\"payload\":{}}\n"
            ),
            Ok(ImportFormat::Codex)
        );
        assert_eq!(
            f("{\"kind\":\"Event\",\"verb\":\"get\"}\n"),
            Ok(ImportFormat::K8sAudit)
        );
        assert_eq!(
            f("[\n  {\"verb\": \"patch\", \"objectRef\": {}}\n]\n"),
            Ok(ImportFormat::K8sAudit)
        );
        assert_eq!(
            f("{\"ID\":\"a\",\"Source\":\"model\",\"Type\":\"text\",\"Payload\":\"x\"}\n"),
            Ok(ImportFormat::KubectlAi)
        );
        assert_eq!(
            f("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}\n"),
            Ok(ImportFormat::Mcp)
        );
        let e = f("{\"hello\": 1}\n").unwrap_err();
        assert!(e.contains("hello") && e.contains("--from"), "{e}");
        assert_eq!(
            f("{\"schema\":\"kubeautopsy.trace/v1\"}"),
            Ok(ImportFormat::Native)
        );
    }

    #[test]
    fn foreign_tool_records_are_found_with_their_line() {
        let t = "{\"type\":\"session_meta\"}\n{\"payload\":{\"type\":\"function_call\"}}\n";
        assert_eq!(
            foreign_tool_records(ImportFormat::Openai, t.as_bytes()).map(|x| x.0),
            Some(2)
        );
        let escaped = "{\"text\":\"say \\\"tool_use\\\" here\"}\n";
        let empty = "{\"type\":\"assistant.message\",\"data\":{\"toolRequests\":[ ]}}\n";
        assert_eq!(
            foreign_tool_records(ImportFormat::Anthropic, empty.as_bytes()),
            None
        );
        assert_eq!(
            foreign_tool_records(ImportFormat::CopilotCli, t.as_bytes()).map(|x| x.0),
            Some(2)
        );
        let null = "{\"role\":\"assistant\",\"tool_calls\":null}\n";
        assert_eq!(
            foreign_tool_records(ImportFormat::Openai, null.as_bytes()),
            None
        );
        assert_eq!(
            foreign_tool_records(ImportFormat::Anthropic, escaped.as_bytes()),
            None
        );
    }
}
