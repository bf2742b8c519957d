//! mcpchecker (formerly gevals) evaluation results: the document its `check` command writes,
//! `{summary, results[]}` (or, in older versions, the bare `results` array). One run per task
//! result: scenario = `taskName`, outcome = `taskPassed` with the assertion results (and the
//! verify steps) as checks, calls = `callHistory.ToolCalls` (server name, arguments, result
//! content, success, timestamp). The suite's agent model and MCP servers (with the tools they
//! offered) are recorded on every run.
//!
//! Shape read from containers/kubernetes-mcp-server's committed `evals/results/*.json`
//! (mcpchecker's `pkg/eval` result types).

use super::{Call, CallResult, ImportFormat, Imported, InputFile, RunLabels, TraceBuilder, s};
use serde_json::{Value, json};

pub fn import(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let doc = match super::whole_document(file) {
        Ok(v) => v,
        Err(rejected) => return vec![rejected],
    };
    let (summary, results, base) = match &doc {
        Value::Array(list) => (None, list, ""),
        Value::Object(_) => match doc.get("results").and_then(Value::as_array) {
            Some(list) => (doc.get("summary"), list, "/results"),
            None => {
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
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
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
            .pointer("/callHistory/ToolCalls")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
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
        for c in calls {
            let name = s(c, "name")
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
                .or_else(|| s(c, "error").map(str::to_string));
            b.call(Call {
                tool: name.to_string(),
                server: s(c, "serverName").map(str::to_string),
                call_id: None,
                arguments: c.pointer("/request/Params/arguments").cloned(),
                result: Some(CallResult {
                    text,
                    json: result.and_then(|r| r.get("structuredContent")).cloned(),
                    is_error: failed,
                    ..CallResult::default()
                }),
                ts: s(c, "timestamp").map(str::to_string),
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
