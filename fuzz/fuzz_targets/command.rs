//! Any text as the command line of a shell tool call (and as its result), replayed: the shell
//! lexer, the kubectl and helm parsers, manifests in heredocs, the replay, the rules.
#![no_main]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (command, result) = text.split_once('\u{0}').unwrap_or((text, ""));
    let trace = serde_json::json!({
        "schema": "kubeautopsy.trace/v1",
        "run": {"id": "fuzz"},
        "events": [
            {"type": "tool_call", "seq": 1, "tool": "run_command",
             "server": "evidra-bench/run_command",
             "arguments": {"command": "kubectl get pods -A"},
             "result": {"text": result}},
            {"type": "tool_call", "seq": 2, "tool": "run_command",
             "server": "evidra-bench/run_command",
             "arguments": {"command": command},
             "result": {"text": result}}
        ],
        "outcome": {"passed": true}
    });
    common::analyse(trace.to_string().as_bytes());
});
