//! Coding-agent session logs → traces: Codex CLI rollouts, Gemini CLI sessions, opencode
//! exports, Copilot CLI event logs, LangChain / LangGraph message dumps (SREGym's Stratus),
//! kubectl-ai session stores, and ATIF trajectories (Harbor's uniform format, which SREGym
//! converts all of these into).
//!
//! Each call keeps its recorded tool name and is tagged with the harness as its `server`
//! (`codex`, `gemini-cli`, ...), so the harness's tool map (rules/tools/) reads it; the shell
//! tools' command lines then go through the kubectl parser like any other. Where a harness
//! writes the exit code into the output text, it is taken out into `exit_code`.
//!
//! Shapes read from the real sessions in shared/data/real/sregym-agent-traces and
//! shared/data/real/kubectl-ai (see their SOURCES.md) and the recorders' sources.

use super::transcripts::{Pending, arguments_of, content_text, values};
use super::{Call, CallResult, ImportFormat, Imported, InputFile, RunLabels, TraceBuilder, s};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The exit code a harness wrote into a shell tool's output. Codex writes a header ("Process
/// exited with code N") before "Output:"; Gemini CLI ("Exit Code: N") and Copilot CLI
/// ("<shellId: N completed with exit code N>") write a trailer after the command's own output,
/// so the last such line counts (a line of the output that looks like one does not).
pub fn exit_code_in(text: &str) -> Option<i64> {
    static RE: std::sync::OnceLock<Option<(regex::Regex, regex::Regex)>> =
        std::sync::OnceLock::new();
    let (header, trailer) = RE
        .get_or_init(|| {
            Some((
                regex::Regex::new(r"(?m)^Process exited with code (-?\d+)\s*$").ok()?,
                regex::Regex::new(
                    r"(?m)(?:^Exit Code: (-?\d+)\s*$|completed with exit code (-?\d+)>\s*$)",
                )
                .ok()?,
            ))
        })
        .as_ref()?;
    let head = text.split("\nOutput:").next().unwrap_or(text);
    if let Some(c) = header.captures(head) {
        return c.get(1).and_then(|m| m.as_str().parse().ok());
    }
    let last = trailer.captures_iter(text).last()?;
    (1..=2)
        .find_map(|i| last.get(i))
        .and_then(|m| m.as_str().parse().ok())
}

/// A shell tool's result from its output text (exit code taken out when written there).
fn shell_result(text: Option<String>, is_error: bool) -> CallResult {
    let exit_code = text.as_deref().and_then(exit_code_in);
    CallResult {
        is_error: is_error || exit_code.is_some_and(|c| c != 0),
        exit_code,
        text,
        ..CallResult::default()
    }
}

/// Records of a kind the importer does not read, by kind: reported as skips.
#[derive(Default)]
struct Unread(BTreeMap<String, u64>);

impl Unread {
    fn add(&mut self, kind: impl Into<String>) {
        *self.0.entry(kind.into()).or_default() += 1;
    }
    fn into_items(self, format: ImportFormat, out: &mut Vec<Imported>) {
        for (kind, count) in self.0 {
            out.push(Imported::Skipped {
                what: format!("{} `{kind}` records (not read)", format.name()),
                count,
            });
        }
    }
}

/// The document as the first item, then the rejections and skips.
fn finish(out: &mut Vec<Imported>, b: TraceBuilder, format: ImportFormat) {
    out.insert(
        0,
        Imported::Doc {
            line: 1,
            json: b.finish(format),
        },
    );
}

/// An argv (`["bash", "-lc", "kubectl get po"]`) as one command line: the script of a
/// `sh -c` / `bash -lc`, else the words shell-quoted.
fn command_line(argv: &[Value]) -> Option<String> {
    let words: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
    if words.len() != argv.len() || words.is_empty() {
        return None;
    }
    let shells = ["bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/usr/bin/bash"];
    if words.len() == 3 && shells.contains(&words[0]) && words[1].ends_with('c') {
        return Some(words[2].to_string());
    }
    Some(
        words
            .iter()
            .map(|w| {
                if w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
                {
                    w.to_string()
                } else {
                    format!("'{}'", w.replace('\'', "'\\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Codex CLI rollout JSONL (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`): `session_meta`,
/// `turn_context` (model), `response_item` (Responses items: `function_call` /
/// `function_call_output`, `custom_tool_call`, `local_shell_call`, messages, reasoning) and
/// `event_msg` (UI events, not read). `exec_command {cmd}` runs a command line; when it is
/// still running its output says "Process running with session ID N" and later
/// `write_stdin {session_id}` polls return the rest, ending "Process exited with code N":
/// that exit code is also given to the `exec_command` call.
pub fn codex(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    b.run_field("arm", "codex");
    let mut pending = Pending::default();
    let mut unread = Unread::default();
    // call_id → index of its call; codex session id → the exec_command that started it.
    let mut order: Vec<String> = Vec::new();
    let mut sessions: HashMap<i64, String> = HashMap::new();
    let mut outputs: HashMap<String, String> = HashMap::new();
    let mut polls: Vec<(String, String)> = Vec::new();
    let mut poll_ids: HashSet<String> = HashSet::new();
    let mut any = false;
    for (n, v, text) in &vals {
        let Some(kind) = s(v, "type") else {
            out.push(super::reject_at(
                &file.display,
                *n,
                text,
                "",
                "not a Codex rollout record: expected `type` and `payload`",
            ));
            continue;
        };
        let p = v.get("payload").unwrap_or(&Value::Null);
        let ts = s(v, "timestamp").map(str::to_string);
        match kind {
            "session_meta" => {
                any = true;
                if let Some(id) = s(p, "id").or_else(|| s(p, "session_id")) {
                    b.meta("session_id", id);
                }
                if let Some(vsn) = s(p, "cli_version") {
                    b.meta("codex_version", vsn);
                }
                b.run_field(
                    "started_at",
                    s(p, "timestamp").filter(|t| super::is_rfc3339(t)),
                );
            }
            "turn_context" => {
                any = true;
                b.run_field("model", s(p, "model"));
            }
            "response_item" => {
                any = true;
                match s(p, "type") {
                    Some("function_call") => {
                        let id = s(p, "call_id").unwrap_or_default().to_string();
                        let tool = s(p, "name").unwrap_or("(unnamed)");
                        let mut arguments = arguments_of(p.get("arguments"));
                        // The older `shell` tool's command is an argv.
                        if let Some(Value::Object(m)) = &mut arguments
                            && let Some(Value::Array(argv)) = m.get("command").cloned()
                            && let Some(line) = command_line(&argv)
                        {
                            m.insert("command".into(), line.into());
                        }
                        if tool == "write_stdin" {
                            poll_ids.insert(id.clone());
                        }
                        // A poll belongs to the command that last reported its session id.
                        if tool == "write_stdin"
                            && let Some(origin) = arguments
                                .as_ref()
                                .and_then(|a| a.get("session_id"))
                                .and_then(Value::as_i64)
                                .and_then(|sid| sessions.get(&sid))
                        {
                            polls.push((id.clone(), origin.clone()));
                        }
                        order.push(id.clone());
                        pending.add(Call {
                            tool: tool.to_string(),
                            server: Some("codex".into()),
                            call_id: Some(id),
                            arguments,
                            result: None,
                            ts,
                        });
                    }
                    Some("custom_tool_call") => {
                        let id = s(p, "call_id").unwrap_or_default().to_string();
                        order.push(id.clone());
                        pending.add(Call {
                            tool: s(p, "name").unwrap_or("(unnamed)").to_string(),
                            server: Some("codex".into()),
                            call_id: Some(id),
                            arguments: p.get("input").map(|i| serde_json::json!({"input": i})),
                            result: None,
                            ts,
                        });
                    }
                    Some("local_shell_call") => {
                        let id = s(p, "call_id")
                            .or_else(|| s(p, "id"))
                            .unwrap_or_default()
                            .to_string();
                        let line = p
                            .pointer("/action/command")
                            .and_then(Value::as_array)
                            .and_then(|a| command_line(a));
                        order.push(id.clone());
                        pending.add(Call {
                            tool: "local_shell".into(),
                            server: Some("codex".into()),
                            call_id: Some(id),
                            arguments: line.map(|l| serde_json::json!({"command": l})),
                            result: None,
                            ts,
                        });
                    }
                    Some("function_call_output" | "custom_tool_call_output") => {
                        let id = s(p, "call_id").unwrap_or_default().to_string();
                        let raw = p.get("output").and_then(content_text).unwrap_or_default();
                        // The older `shell` tool answers {"output": ..., "metadata": {exit_code}}.
                        let (text, code) = match serde_json::from_str::<Value>(&raw) {
                            Ok(o) if o.get("output").is_some() => (
                                s(&o, "output").unwrap_or_default().to_string(),
                                o.pointer("/metadata/exit_code").and_then(Value::as_i64),
                            ),
                            _ => (raw.clone(), None),
                        };
                        // The first call that reports a session id started the command (a
                        // poll reports it again); an id reused later names a new command.
                        if let Some(sid) = running_session(&text)
                            && !poll_ids.contains(&id)
                        {
                            sessions.insert(sid, id.clone());
                        }
                        let mut result = shell_result(Some(text.clone()), false);
                        if code.is_some() {
                            result.exit_code = code;
                            result.is_error = code.is_some_and(|c| c != 0);
                        }
                        outputs.insert(id.clone(), text);
                        if !pending.answer(&id, result) {
                            unread.add("response_item/function_call_output without a call");
                        }
                    }
                    Some("message" | "reasoning") => {
                        if let (Some(role), Some(t)) = (
                            s(p, "role"),
                            p.get("content")
                                .and_then(content_text)
                                .filter(|t| !t.is_empty()),
                        ) {
                            b.message(role, &t, ts.as_deref());
                        }
                    }
                    Some(other) => unread.add(format!("response_item/{other}")),
                    None => unread.add("response_item"),
                }
            }
            "event_msg" | "compacted" => any = true,
            other => unread.add(other),
        }
    }
    // A command that was still running when exec_command returned gets the exit code (and
    // the output) of the write_stdin poll that saw it end.
    for (poll, origin) in &polls {
        let Some(text) = outputs.get(poll) else {
            continue;
        };
        if let Some(code) = exit_code_in(text)
            && let Some(i) = pending.by_id.get(origin).copied()
            && let Some(call) = pending.calls.get_mut(i)
            && let Some(r) = &mut call.result
            && r.exit_code.is_none()
        {
            r.exit_code = Some(code);
            r.is_error = code != 0;
            r.text = Some(format!(
                "{}\n[output of write_stdin {poll}]\n{text}",
                r.text.clone().unwrap_or_default()
            ));
        }
    }
    unread.into_items(ImportFormat::Codex, &mut out);
    if any {
        pending.into_builder(&mut b);
        finish(&mut out, b, ImportFormat::Codex);
    }
    out
}

/// "Process running with session ID N": the command is still running.
fn running_session(text: &str) -> Option<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix("Process running with session ID "))
        .and_then(|n| n.trim().parse().ok())
}

/// Gemini CLI sessions: the JSONL its session store appends (a header `{sessionId,
/// projectHash, startTime}`, `{"$set": ...}` updates, and message records `{id, timestamp,
/// type: user|gemini|info|error, content, toolCalls?, model?}`, where a message is written
/// again, with its tool calls, when it is updated: the last record of an id wins), or a saved
/// chat (one document with `messages`). Each `toolCalls[]` entry is `{id, name, args, result:
/// [{functionResponse: {response: {output | error}}}], status}`.
pub fn gemini_cli(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    b.run_field("arm", "gemini-cli");
    let mut unread = Unread::default();
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, Value> = HashMap::new();
    let mut any = false;
    let mut keep = |m: &Value, order: &mut Vec<String>| {
        let id = s(m, "id").map_or_else(|| format!("#{}", order.len()), str::to_string);
        if !latest.contains_key(&id) {
            order.push(id.clone());
        }
        latest.insert(id, m.clone());
    };
    for (n, v, text) in &vals {
        if let Some(id) = s(v, "sessionId") {
            any = true;
            b.meta("session_id", id);
            b.run_field(
                "started_at",
                s(v, "startTime").filter(|t| super::is_rfc3339(t)),
            );
        }
        let set = v.get("$set");
        let listed = set.unwrap_or(v).get("messages").and_then(Value::as_array);
        if let Some(list) = listed {
            any = true;
            for m in list {
                keep(m, &mut order);
            }
            continue;
        }
        if set.is_some() || v.get("sessionId").is_some() {
            any = true;
            continue;
        }
        if v.get("type").is_some() && v.get("id").is_some() {
            any = true;
            keep(v, &mut order);
            continue;
        }
        out.push(super::reject_at(
            &file.display,
            *n,
            text,
            "",
            "not a Gemini CLI session record: expected a message (`id`, `type`), a `$set` \
             update or the session header",
        ));
    }
    for id in &order {
        let Some(m) = latest.get(id) else { continue };
        let ts = s(m, "timestamp").map(str::to_string);
        b.run_field("model", s(m, "model"));
        match s(m, "type") {
            Some(kind @ ("user" | "gemini")) => {
                let role = if kind == "user" { "user" } else { "assistant" };
                if let Some(t) = m
                    .get("content")
                    .and_then(content_text)
                    .filter(|t| !t.is_empty())
                {
                    b.message(role, &t, ts.as_deref());
                }
            }
            Some("info" | "error" | "warning") => {}
            Some(other) => unread.add(format!("message/{other}")),
            None => unread.add("message"),
        }
        for tc in m
            .get("toolCalls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let response = tc.get("result").and_then(Value::as_array).and_then(|r| {
                r.iter()
                    .find_map(|x| x.pointer("/functionResponse/response"))
            });
            let error = response.and_then(|r| r.get("error")).and_then(content_text);
            let output = response
                .and_then(|r| r.get("output"))
                .and_then(content_text);
            let status = s(tc, "status");
            let failed = error.is_some() || matches!(status, Some("error" | "cancelled"));
            b.call(Call {
                tool: s(tc, "name").unwrap_or("(unnamed)").to_string(),
                server: Some("gemini-cli".into()),
                call_id: s(tc, "id").map(str::to_string),
                arguments: tc.get("args").cloned(),
                result: (response.is_some() || status.is_some())
                    .then(|| shell_result(error.or(output), failed)),
                ts: s(tc, "timestamp").map(str::to_string).or(ts.clone()),
            });
        }
    }
    unread.into_items(ImportFormat::GeminiCli, &mut out);
    if any {
        finish(&mut out, b, ImportFormat::GeminiCli);
    }
    out
}

/// opencode session export (`opencode export`): `{info, messages: [{info, parts}]}`, where a
/// tool part is `{type: tool, tool, callID, state: {status, input, output, error, metadata:
/// {exit}, time}}`.
pub fn opencode(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let doc = match super::whole_document(file) {
        Ok(v) => v,
        Err(rejected) => return vec![rejected],
    };
    let Some(messages) = doc.get("messages").and_then(Value::as_array) else {
        return vec![super::not_this_format(
            file,
            "not an opencode session export: expected `info` and `messages`",
        )];
    };
    let info = doc.get("info").unwrap_or(&Value::Null);
    let id = s(info, "id").map_or_else(|| file.stem.clone(), str::to_string);
    let mut b = TraceBuilder::new(id, labels);
    b.run_field("arm", "opencode");
    b.run_field(
        "model",
        info.pointer("/model/id")
            .or_else(|| info.get("modelID"))
            .and_then(Value::as_str),
    );
    if let Some(vsn) = s(info, "version") {
        b.meta("opencode_version", vsn);
    }
    let mut out = Vec::new();
    let mut unread = Unread::default();
    for m in messages {
        let minfo = m.get("info").unwrap_or(&Value::Null);
        b.run_field("model", s(minfo, "modelID"));
        let role = s(minfo, "role").unwrap_or("assistant");
        for part in m
            .get("parts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match s(part, "type") {
                Some("tool") => {
                    let st = part.get("state").unwrap_or(&Value::Null);
                    let status = s(st, "status");
                    let error = st.get("error").and_then(content_text);
                    let output = st.get("output").and_then(content_text);
                    let mut result = shell_result(
                        error.clone().or(output),
                        error.is_some() || status == Some("error"),
                    );
                    if let Some(code) = st.pointer("/metadata/exit").and_then(Value::as_i64) {
                        result.exit_code = Some(code);
                        result.is_error |= code != 0;
                    }
                    let ts = st.pointer("/time/start").and_then(Value::as_u64).map(|ms| {
                        super::transcripts::nanos_to_rfc3339(ms.saturating_mul(1_000_000))
                    });
                    b.call(Call {
                        tool: s(part, "tool").unwrap_or("(unnamed)").to_string(),
                        server: Some("opencode".into()),
                        call_id: s(part, "callID").map(str::to_string),
                        arguments: st.get("input").cloned(),
                        result: matches!(status, Some("completed" | "error")).then_some(result),
                        ts,
                    });
                }
                Some("text") => {
                    if let Some(t) = s(part, "text").filter(|t| !t.is_empty()) {
                        b.message(role, t, None);
                    }
                }
                Some(
                    "step-start" | "step-finish" | "reasoning" | "patch" | "file" | "snapshot"
                    | "agent" | "subtask" | "retry" | "compaction",
                ) => {}
                Some(other) => unread.add(format!("part/{other}")),
                None => unread.add("part"),
            }
        }
    }
    unread.into_items(ImportFormat::Opencode, &mut out);
    finish(&mut out, b, ImportFormat::Opencode);
    out
}

/// GitHub Copilot CLI event log (its `--log` / session JSONL): `{type, data, id, timestamp}`
/// events; a call is `tool.execution_start {toolCallId, toolName, arguments}` answered by
/// `tool.execution_complete {toolCallId, success, result: {content}, error}`. The CLI may end
/// the capture with a plain text line ("Session exported to: ..."), which is counted, not read.
pub fn copilot_cli(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    b.run_field("arm", "copilot-cli");
    let mut pending = Pending::default();
    let mut unread = Unread::default();
    let mut text_lines = 0u64;
    let mut any = false;
    for (i, line) in file.text.lines().enumerate() {
        let n = i as u64 + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if !t.starts_with('{') {
            text_lines += 1;
            continue;
        }
        let v: Value = match serde_json::from_str(t) {
            Ok(v) => v,
            Err(e) => {
                out.push(super::reject_syntax(&file.display, n, line, &e));
                continue;
            }
        };
        let Some(kind) = s(&v, "type") else {
            out.push(super::reject_at(
                &file.display,
                n,
                line,
                "",
                "not a Copilot CLI event: expected `type` and `data`",
            ));
            continue;
        };
        any = true;
        let d = v.get("data").unwrap_or(&Value::Null);
        b.run_field("model", s(d, "model"));
        let ts = s(&v, "timestamp").map(str::to_string);
        match kind {
            "tool.execution_start" => pending.add(Call {
                tool: s(d, "toolName").unwrap_or("(unnamed)").to_string(),
                server: Some("copilot-cli".into()),
                call_id: s(d, "toolCallId").map(str::to_string),
                arguments: d.get("arguments").cloned(),
                result: None,
                ts,
            }),
            "tool.execution_complete" => {
                let id = s(d, "toolCallId").unwrap_or_default();
                let error = d
                    .get("error")
                    .filter(|e| !e.is_null())
                    .map(|e| s(e, "message").map_or_else(|| e.to_string(), str::to_string));
                let text = error
                    .clone()
                    .or_else(|| d.pointer("/result/content").and_then(content_text));
                let failed =
                    error.is_some() || d.get("success").and_then(Value::as_bool) == Some(false);
                if !pending.answer(id, shell_result(text, failed)) {
                    unread.add("tool.execution_complete without a start");
                }
            }
            "assistant.message" => {
                if let Some(t) = s(d, "content").filter(|t| !t.is_empty()) {
                    b.message("assistant", t, ts.as_deref());
                }
            }
            "user.message" => {
                if let Some(t) = s(d, "content").filter(|t| !t.is_empty()) {
                    b.message("user", t, ts.as_deref());
                }
            }
            "result" => {
                if let Some(id) = s(&v, "sessionId") {
                    b.meta("session_id", id);
                }
                if let Some(code) = v.get("exitCode").and_then(Value::as_i64) {
                    b.meta("cli_exit_code", code);
                }
            }
            k if k.starts_with("session.")
                || k.starts_with("assistant.")
                || k.starts_with("tool.")
                || k.starts_with("user.") => {}
            other => unread.add(other),
        }
    }
    if text_lines > 0 {
        out.push(Imported::Skipped {
            what: "copilot-cli plain text lines (not events)".into(),
            count: text_lines,
        });
    }
    unread.into_items(ImportFormat::CopilotCli, &mut out);
    if any {
        pending.into_builder(&mut b);
        finish(&mut out, b, ImportFormat::CopilotCli);
    }
    out
}

/// A LangChain message as `(kind, fields)`: the dict form (`{"type": "AIMessage", ...}` or
/// `{"type": "ai", "data": {...}}`) or the serialized form (`{"lc": 1, "id": [..,
/// "AIMessage"], "kwargs": {...}}`).
fn lc_message(m: &Value) -> Option<(&str, &Value)> {
    if let Some(kwargs) = m.get("kwargs") {
        let kind = m
            .get("id")
            .and_then(Value::as_array)
            .and_then(|id| id.last())
            .and_then(Value::as_str)?;
        return Some((kind, kwargs));
    }
    let kind = s(m, "type")?;
    Some((kind, m.get("data").filter(|d| d.is_object()).unwrap_or(m)))
}

/// LangChain / LangGraph message dumps: a document or JSONL records holding `messages`
/// (SREGym's Stratus trajectory: `metadata`, `stage_start`, and one `event` per stage step
/// with the stage's messages so far), or a bare array of messages. AIMessage `tool_calls`
/// (`{name, args, id}`, or OpenAI-style `additional_kwargs.tool_calls`) are answered by
/// ToolMessages: by `tool_call_id` when recorded, else in order. A call id seen before (the
/// same message repeated in a later step's list) is not read twice.
pub fn langchain(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    let mut pending = Pending::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut unread = Unread::default();
    let mut stages: Vec<String> = Vec::new();
    let mut any = false;
    for (n, v, text) in &vals {
        let messages: &[Value] = match v {
            Value::Array(list) => list,
            _ => match v.get("messages").and_then(Value::as_array) {
                Some(list) => list,
                None => {
                    match s(v, "type") {
                        Some("metadata") => {
                            any = true;
                            b.run_field("scenario", s(v, "problem_id"));
                        }
                        Some("stage_start") => any = true,
                        Some(other) => unread.add(other),
                        None => out.push(super::reject_at(
                            &file.display,
                            *n,
                            text,
                            "",
                            "not a LangChain message dump: expected `messages`",
                        )),
                    }
                    continue;
                }
            },
        };
        any = true;
        if let Some(stage) = s(v, "stage")
            && stages.last().map(String::as_str) != Some(stage)
        {
            stages.push(stage.to_string());
            b.message("system", &format!("stage: {stage}"), None);
        }
        // Calls of the latest AIMessage still waiting for a ToolMessage, in order.
        let mut waiting: Vec<String> = Vec::new();
        // Whether the latest AIMessage's calls were all read before (a record listing earlier
        // messages again): their ToolMessages are not orphans.
        let mut relisted = false;
        for (index, m) in messages.iter().enumerate() {
            let Some((kind, f)) = lc_message(m) else {
                unread.add("message without type");
                continue;
            };
            match kind {
                "AIMessage" | "AIMessageChunk" | "ai" => {
                    let mut calls: Vec<(String, String, Option<Value>)> = Vec::new();
                    for tc in f
                        .get("tool_calls")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        calls.push((
                            s(tc, "id").unwrap_or_default().to_string(),
                            s(tc, "name").unwrap_or("(unnamed)").to_string(),
                            tc.get("args").cloned(),
                        ));
                    }
                    if calls.is_empty() {
                        for tc in f
                            .pointer("/additional_kwargs/tool_calls")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            calls.push((
                                s(tc, "id").unwrap_or_default().to_string(),
                                tc.pointer("/function/name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("(unnamed)")
                                    .to_string(),
                                arguments_of(tc.pointer("/function/arguments")),
                            ));
                        }
                    }
                    if let Some(t) = f
                        .get("content")
                        .and_then(content_text)
                        .filter(|t| !t.is_empty())
                    {
                        b.message("assistant", &t, None);
                    }
                    waiting.clear();
                    relisted = !calls.is_empty();
                    for (i, (id, name, args)) in calls.into_iter().enumerate() {
                        // Without an id, a call is its place: the message's index in the
                        // list (the same when a later record lists the messages again).
                        let key = if id.is_empty() {
                            format!("#{index}:{i}:{name}")
                        } else {
                            id.clone()
                        };
                        if !seen.insert(key.clone()) {
                            continue;
                        }
                        relisted = false;
                        waiting.push(key.clone());
                        pending.add(Call {
                            tool: name,
                            server: None,
                            call_id: Some(key),
                            arguments: args,
                            result: None,
                            ts: None,
                        });
                    }
                    waiting.reverse();
                }
                "ToolMessage" | "tool" => {
                    let text = f.get("content").and_then(content_text);
                    let failed = s(f, "status") == Some("error");
                    let id = s(f, "tool_call_id")
                        .filter(|id| pending.by_id.contains_key(*id))
                        .map(str::to_string)
                        .or_else(|| waiting.pop());
                    match id {
                        Some(id) => {
                            waiting.retain(|w| *w != id);
                            let open = pending
                                .by_id
                                .get(&id)
                                .and_then(|i| pending.calls.get(*i))
                                .is_some_and(|c| c.result.is_none());
                            if open {
                                pending.answer(&id, shell_result(text, failed));
                            }
                        }
                        None if !relisted => unread.add("ToolMessage without a call"),
                        None => {}
                    }
                }
                "HumanMessage" | "human" => {
                    if let Some(t) = f
                        .get("content")
                        .and_then(content_text)
                        .filter(|t| !t.is_empty())
                    {
                        b.message("user", &t, None);
                    }
                }
                "SystemMessage" | "system" => {}
                other => unread.add(format!("message/{other}")),
            }
        }
    }
    if !stages.is_empty() {
        b.meta("stages", stages.join(", "));
    }
    unread.into_items(ImportFormat::Langchain, &mut out);
    if any {
        pending.into_builder(&mut b);
        finish(&mut out, b, ImportFormat::Langchain);
    }
    out
}

/// kubectl-ai's session store (`~/.kubectl-ai/sessions/<id>/history.json`, JSONL of `{ID,
/// Source: user|agent|model, Type, Payload, Timestamp}`), with the session's model from
/// `metadata.yaml` beside it. A `tool-call-request` (its payload the command line, or `{name,
/// arguments}`) is answered by the next `tool-call-response` (`{command, stdout, stderr,
/// error, exit_code}`). kubectl-ai runs both its `kubectl` and `bash` tools as `bash -c
/// <command>`; a request that records only the command line is read as a call of `bash`.
pub fn kubectl_ai(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let vals = values(file, &mut out);
    let session = std::path::Path::new(&*file.display)
        .parent()
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.stem.clone());
    let mut b = TraceBuilder::new(session, labels);
    b.run_field("arm", "kubectl-ai");
    if let Some((model, provider)) = kubectl_ai_metadata(&file.display) {
        b.run_field("model", model);
        if let Some(p) = provider {
            b.meta("provider", p);
        }
    }
    let mut calls: Vec<Call> = Vec::new();
    let mut open: std::collections::VecDeque<usize> = Default::default();
    let mut unread = Unread::default();
    let mut any = false;
    for (n, v, text) in &vals {
        let (Some(kind), Some(source)) = (s(v, "Type"), s(v, "Source")) else {
            out.push(super::reject_at(
                &file.display,
                *n,
                text,
                "",
                "not a kubectl-ai session record: expected `Source`, `Type` and `Payload`",
            ));
            continue;
        };
        any = true;
        let payload = v.get("Payload").unwrap_or(&Value::Null);
        let ts = s(v, "Timestamp").map(str::to_string);
        match kind {
            "tool-call-request" => {
                let (tool, arguments) = match payload {
                    Value::String(line) => {
                        ("bash".to_string(), serde_json::json!({"command": line}))
                    }
                    other => (
                        s(other, "name").unwrap_or("bash").to_string(),
                        other.get("arguments").cloned().unwrap_or(Value::Null),
                    ),
                };
                open.push_back(calls.len());
                calls.push(Call {
                    tool,
                    server: Some("kubectl-ai".into()),
                    call_id: s(v, "ID").map(str::to_string),
                    arguments: Some(arguments),
                    result: None,
                    ts,
                });
            }
            "tool-call-response" => {
                // The response names the command it ran (`/usr/bin/bash -c <command>`): the
                // open request with that command, else the oldest open one.
                let ran = s(payload, "command")
                    .map(|c| c.split_once(" -c ").map_or(c, |(_, line)| line).to_string());
                let by_command = ran.as_ref().and_then(|line| {
                    open.iter().position(|i| {
                        calls
                            .get(*i)
                            .and_then(|c| c.arguments.as_ref())
                            .and_then(|a| a.get("command"))
                            .and_then(Value::as_str)
                            == Some(line.as_str())
                    })
                });
                let Some(i) = by_command
                    .or((!open.is_empty()).then_some(0))
                    .and_then(|k| open.remove(k))
                else {
                    unread.add("tool-call-response without a request");
                    continue;
                };
                let stdout = s(payload, "stdout").map(str::to_string);
                let stderr = s(payload, "stderr").map(str::to_string);
                let error = s(payload, "error").filter(|e| !e.is_empty());
                let code = payload.get("exit_code").and_then(Value::as_i64);
                if let Some(c) = calls.get_mut(i) {
                    c.result = Some(CallResult {
                        text: stdout.or_else(|| payload.as_str().map(str::to_string)),
                        json: None,
                        is_error: error.is_some() || code.is_some_and(|c| c != 0),
                        exit_code: code
                            .or(error.map(|_| 1))
                            .filter(|_| code.is_some() || error.is_some()),
                        stderr: stderr.or(error.map(str::to_string)),
                    });
                }
            }
            "text" => {
                if let Some(t) = payload.as_str().filter(|t| !t.is_empty()) {
                    let role = if source == "user" {
                        "user"
                    } else {
                        "assistant"
                    };
                    b.message(role, t, ts.as_deref());
                }
            }
            "user-input-request" | "user-choice-request" | "user-choice-response" | "error" => {}
            other => unread.add(other),
        }
    }
    for c in calls {
        b.call(c);
    }
    unread.into_items(ImportFormat::KubectlAi, &mut out);
    if any {
        finish(&mut out, b, ImportFormat::KubectlAi);
    }
    out
}

/// `modelID` and `providerID` of the `metadata.yaml` beside a kubectl-ai history file.
fn kubectl_ai_metadata(history: &str) -> Option<(String, Option<String>)> {
    let path = std::path::Path::new(history)
        .parent()?
        .join("metadata.yaml");
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_saphyr::from_str(&text).ok()?;
    Some((
        s(&v, "modelID")?.to_string(),
        s(&v, "providerID").map(str::to_string),
    ))
}

/// ATIF (Harbor's Agent Trajectory Interchange Format, v1.x): `{schema_version, session_id,
/// agent: {name, version, model_name}, steps: [{step_id, source, message, timestamp,
/// tool_calls: [{tool_call_id, function_name, arguments}], observation: {results:
/// [{source_call_id, content, extra}]}}]}`. The agent's name is the calls' server (so its
/// harness's tool map reads them). Subagent trajectories are counted, not read.
pub fn atif(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let doc = match super::whole_document(file) {
        Ok(v) => v,
        Err(rejected) => return vec![rejected],
    };
    let Some(steps) = doc.get("steps").and_then(Value::as_array) else {
        return vec![super::not_this_format(
            file,
            "not an ATIF trajectory: expected `agent` and `steps`",
        )];
    };
    let id = s(&doc, "session_id")
        .or_else(|| s(&doc, "trajectory_id"))
        .map_or_else(|| file.stem.clone(), str::to_string);
    let mut b = TraceBuilder::new(id, labels);
    // SREGym's adapters name the agents `claudecode`, `gemini`, `copilot`...: the harness
    // names the native importers give them.
    let agent = s(doc.get("agent").unwrap_or(&Value::Null), "name").map(|a| {
        match a {
            "claudecode" | "claude-code" | "claude_code" => "claude-code",
            "gemini" => "gemini-cli",
            "copilot" => "copilot-cli",
            other => other,
        }
        .to_string()
    });
    b.run_field(
        "model",
        doc.pointer("/agent/model_name").and_then(Value::as_str),
    );
    if let Some(v) = s(&doc, "schema_version") {
        b.meta("atif_version", v);
    }
    if let Some(a) = &agent {
        b.meta("agent", a.as_str());
        b.run_field("arm", a.as_str());
    }
    let mut out = Vec::new();
    for step in steps {
        let ts = s(step, "timestamp").map(str::to_string);
        let results: HashMap<&str, &Value> = step
            .pointer("/observation/results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| Some((s(r, "source_call_id")?, r)))
            .collect();
        let calls = step.get("tool_calls").and_then(Value::as_array);
        if calls.is_none_or(|c| c.is_empty())
            && let Some(t) = step
                .get("message")
                .and_then(content_text)
                .filter(|t| !t.is_empty())
        {
            let role = match s(step, "source") {
                Some("agent") => "assistant",
                Some(other) => other,
                None => "assistant",
            };
            b.message(role, &t, ts.as_deref());
        }
        for tc in calls.into_iter().flatten() {
            let cid = s(tc, "tool_call_id").unwrap_or_default();
            let r = results.get(cid);
            let failed = r
                .and_then(|r| r.pointer("/extra/is_error"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            b.call(Call {
                tool: s(tc, "function_name").unwrap_or("(unnamed)").to_string(),
                server: agent.clone(),
                call_id: Some(cid.to_string()).filter(|c| !c.is_empty()),
                arguments: tc.get("arguments").cloned(),
                result: r.map(|r| shell_result(r.get("content").and_then(content_text), failed)),
                ts: ts.clone(),
            });
        }
    }
    if let Some(subs) = doc.get("subagent_trajectories").and_then(Value::as_array)
        && !subs.is_empty()
    {
        out.push(Imported::Skipped {
            what: "atif subagent trajectories (not read)".into(),
            count: subs.len() as u64,
        });
    }
    finish(&mut out, b, ImportFormat::Atif);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_from_harness_output() {
        assert_eq!(
            exit_code_in("Chunk ID: a\nProcess exited with code 1\nOutput:\n"),
            Some(1)
        );
        assert_eq!(
            exit_code_in("Output: x\nExit Code: 28\nProcess Group PGID: 3"),
            Some(28)
        );
        assert_eq!(
            exit_code_in("ok\n<shellId: 7 completed with exit code 0>"),
            Some(0)
        );
        assert_eq!(exit_code_in("Process running with session ID 65169"), None);
        // A line of the command's own output that looks like a trailer does not count.
        assert_eq!(
            exit_code_in("Output: Exit Code: 1\nExit Code: 1\nmore\nExit Code: 0\n"),
            Some(0)
        );
        assert_eq!(
            exit_code_in(
                "Chunk ID: a\nProcess exited with code 0\nOutput:\nProcess exited with code 3\n"
            ),
            Some(0)
        );
        assert_eq!(
            exit_code_in("deleted\nExit Code: 1\n<shellId: 2 completed with exit code 0>"),
            Some(0)
        );
        assert_eq!(
            running_session("Wall time: 1\nProcess running with session ID 65169\n"),
            Some(65169)
        );
    }

    #[test]
    fn argv_becomes_a_command_line() {
        let argv = |w: &[&str]| w.iter().map(|x| Value::from(*x)).collect::<Vec<_>>();
        assert_eq!(
            command_line(&argv(&["bash", "-lc", "kubectl get po | head"])).as_deref(),
            Some("kubectl get po | head")
        );
        assert_eq!(
            command_line(&argv(&["kubectl", "label", "po", "a", "x=it's"])).as_deref(),
            Some("kubectl label po a 'x=it'\\''s'")
        );
    }
}
