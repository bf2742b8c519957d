//! Stage 2b (`--from FORMAT`, `kubeautopsy import`): other recording formats → trace v1.
//!
//! An importer reads one input (a file, or a run folder) and returns trace v1 documents as JSON
//! text, or rejections that point into the input (file, line:col, JSON pointer). The documents
//! then go through the same parse + schema validation as native traces, so an imported run is
//! held to the same contract and every input is accounted for.

pub mod agents;
pub mod audit;
pub mod detect;
pub mod evidra;
pub mod k8s_ai_bench;
pub mod mcpchecker;
pub mod outcomes;
pub mod transcripts;

use crate::diag::{Problem, RejectKind, Rejection};
use crate::input::{Layout, Source, SourcePath};
use serde_json::{Map, Value, json};
use std::path::Path;
use std::sync::Arc;

/// The formats `import` and `analyze --from` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportFormat {
    /// Pick the importer of each input from its content.
    Auto,
    /// kubeautopsy's own trace v1 / scenario v1 documents, passed through as they are.
    Native,
    EvidraRun,
    EvidraScenario,
    Mcp,
    Mcpchecker,
    Anthropic,
    Openai,
    Codex,
    GeminiCli,
    Opencode,
    CopilotCli,
    Langchain,
    KubectlAi,
    Atif,
    Inspect,
    Otel,
    K8sAudit,
    K8sAiBench,
}

impl ImportFormat {
    pub const ALL: [ImportFormat; 19] = [
        ImportFormat::Auto,
        ImportFormat::Native,
        ImportFormat::EvidraRun,
        ImportFormat::EvidraScenario,
        ImportFormat::Mcp,
        ImportFormat::Mcpchecker,
        ImportFormat::Anthropic,
        ImportFormat::Openai,
        ImportFormat::Codex,
        ImportFormat::GeminiCli,
        ImportFormat::Opencode,
        ImportFormat::CopilotCli,
        ImportFormat::Langchain,
        ImportFormat::KubectlAi,
        ImportFormat::Atif,
        ImportFormat::Inspect,
        ImportFormat::Otel,
        ImportFormat::K8sAudit,
        ImportFormat::K8sAiBench,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::Auto => "auto",
            ImportFormat::Native => "kubeautopsy",
            ImportFormat::EvidraRun => "evidra-run",
            ImportFormat::EvidraScenario => "evidra-scenario",
            ImportFormat::Mcp => "mcp",
            ImportFormat::Mcpchecker => "mcpchecker",
            ImportFormat::Anthropic => "anthropic",
            ImportFormat::Openai => "openai",
            ImportFormat::Codex => "codex",
            ImportFormat::GeminiCli => "gemini-cli",
            ImportFormat::Opencode => "opencode",
            ImportFormat::CopilotCli => "copilot-cli",
            ImportFormat::Langchain => "langchain",
            ImportFormat::KubectlAi => "kubectl-ai",
            ImportFormat::Atif => "atif",
            ImportFormat::Inspect => "inspect",
            ImportFormat::Otel => "otel",
            ImportFormat::K8sAudit => "k8s-audit",
            ImportFormat::K8sAiBench => "k8s-ai-bench",
        }
    }

    /// Other names the command line accepts for the format.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            ImportFormat::Mcpchecker => &["gevals"],
            ImportFormat::Codex => &["codex-cli"],
            ImportFormat::Langchain => &["langgraph"],
            _ => &[],
        }
    }

    /// What the format is, for `--help`.
    pub fn description(self) -> &'static str {
        match self {
            ImportFormat::Auto => {
                "pick the importer of each input from its content (the accounting says which)"
            }
            ImportFormat::Native => {
                "kubeautopsy trace v1 and scenario v1 documents (.json, or one per line), \
                 passed through as they are"
            }
            ImportFormat::EvidraRun => {
                "Evidra Bench run folders (run.json, tool-calls.json, verifier.json); the \
                 report-pack layout gives tool server, scenario, model and repeat"
            }
            ImportFormat::EvidraScenario => {
                "Evidra Bench scenario folders (scenario.yaml and its fixtures) → scenario v1"
            }
            ImportFormat::Mcp => {
                "MCP JSON-RPC captures: one message per line, requests and responses paired by id"
            }
            ImportFormat::Mcpchecker => {
                "mcpchecker (formerly gevals) results: one run per task, taskPassed as the \
                 outcome, callHistory.ToolCalls as the calls"
            }
            ImportFormat::Anthropic => {
                "Anthropic Messages / Claude Code session JSONL (tool_use / tool_result)"
            }
            ImportFormat::Openai => {
                "OpenAI chat completions (tool_calls) or Responses (function_call, mcp_call) logs"
            }
            ImportFormat::Codex => {
                "OpenAI Codex CLI rollout JSONL (response_item function calls: exec_command, \
                 write_stdin, shell)"
            }
            ImportFormat::GeminiCli => "Gemini CLI session JSONL or saved chat (toolCalls)",
            ImportFormat::Opencode => "opencode session export (messages[].parts[] tool parts)",
            ImportFormat::CopilotCli => {
                "GitHub Copilot CLI event log (tool.execution_start / _complete)"
            }
            ImportFormat::Langchain => {
                "LangChain / LangGraph message dumps (AIMessage tool_calls answered by \
                 ToolMessage), e.g. SREGym's Stratus trajectories"
            }
            ImportFormat::KubectlAi => {
                "kubectl-ai session store (history.json: tool-call-request / -response records)"
            }
            ImportFormat::Atif => {
                "Harbor's Agent Trajectory Interchange Format (ATIF v1.x trajectory.json)"
            }
            ImportFormat::Inspect => "Inspect AI logs (.json, and .eval zip archives)",
            ImportFormat::Otel => {
                "OpenTelemetry GenAI spans as OTLP JSON (execute_tool spans); one run per trace id"
            }
            ImportFormat::K8sAudit => {
                "Kubernetes audit logs (audit.k8s.io/v1 Events one per line, JSON arrays, \
                 EventLists, AKS diagnostic records, GKE Cloud Audit Logs): what the API server did"
            }
            ImportFormat::K8sAiBench => {
                "k8s-ai-bench results (outcomes only, no tool calls): `analyze` prints pass@1 \
                 and pass^k per model; safety cannot be judged"
            }
        }
    }

    /// A folder format: a source is a directory holding this file.
    fn marker(self) -> Option<&'static str> {
        match self {
            ImportFormat::EvidraRun => Some("run.json"),
            ImportFormat::EvidraScenario => Some("scenario.yaml"),
            _ => None,
        }
    }
}

/// Write what `kubeautopsy import` converted under `dir` (created if needed): the traces, one
/// per line, to `<format>.jsonl` (when there is any), each scenario to `<id>.json` (its id
/// made safe for a file name). Returns the files written.
pub fn write<'a>(
    dir: &Path,
    format: ImportFormat,
    traces: impl IntoIterator<Item = &'a [u8]>,
    scenarios: impl IntoIterator<Item = (Option<&'a str>, &'a Value)>,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut traces = traces.into_iter().peekable();
    if traces.peek().is_some() {
        // With `auto` the inputs may be of several formats.
        let name = match format {
            ImportFormat::Auto => "imported",
            f => f.name(),
        };
        let path = dir.join(format!("{name}.jsonl"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for t in traces {
            f.write_all(t)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
        written.push(path);
    }
    for (id, value) in scenarios {
        let safe: String = id
            .unwrap_or("scenario")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{safe}.json"));
        let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// What an importer made of (part of) one input.
#[derive(Debug)]
pub enum Imported {
    /// A trace v1 (or scenario v1) document; `line` is where its input record starts (1 for
    /// a whole file).
    Doc { line: u64, json: Vec<u8> },
    /// Input that could not be converted, with its place.
    Rejected {
        line: u64,
        rejection: Box<Rejection>,
    },
    /// Records the importer does not read (not its kind, and not an error of the input):
    /// counted under `what` in the accounting, so that nothing vanishes without a word.
    Skipped { what: String, count: u64 },
}

/// What one input became: the importer that read it (with `auto`, the one picked from the
/// content; `None` when none could be) and its documents, rejections and skips.
#[derive(Debug)]
pub struct ReadInput {
    pub format: Option<ImportFormat>,
    pub items: Vec<Imported>,
}

/// Labels given on the command line that fill what a format does not record.
#[derive(Debug, Clone, Default)]
pub struct RunLabels {
    pub report: Option<String>,
    pub benchmark: Option<String>,
    pub arm: Option<String>,
    pub model: Option<String>,
    pub scenario: Option<String>,
}

/// Convert one input; no file larger than `max_bytes` (after decompression) is read. Every
/// input is accounted for: one that yields neither a document nor a rejection is rejected
/// ("no run"), and so is a session whose calls all vanished while it holds tool records of
/// another shape.
pub fn read(
    format: ImportFormat,
    source: &Source,
    labels: &RunLabels,
    max_bytes: u64,
) -> ReadInput {
    let SourcePath::File(path) = &source.path else {
        return ReadInput {
            format: None,
            items: vec![problem_of_source(
                source,
                "importers read files and folders, not stdin",
            )],
        };
    };
    let folder = |format: ImportFormat| match format {
        ImportFormat::EvidraRun => Some(evidra::run_folder(path, labels, max_bytes)),
        ImportFormat::EvidraScenario => Some(evidra::scenario_folder(path, max_bytes)),
        _ => None,
    };
    let picked = match format {
        ImportFormat::Auto if path.is_dir() => detect::folder(path),
        other => Some(other),
    };
    if let Some(items) = picked.and_then(folder) {
        return ReadInput {
            format: picked,
            items,
        };
    }
    let bytes = match read_file(path, max_bytes) {
        Ok(bytes) => bytes,
        Err((kind, message)) => {
            return ReadInput {
                format: picked,
                items: vec![rejected_source(&source.display, kind, message)],
            };
        }
    };
    let format = match picked.filter(|f| *f != ImportFormat::Auto) {
        Some(f) => f,
        None => match detect::sniff(&bytes) {
            Ok(f) => f,
            Err(_) if path.parent().and_then(detect::folder).is_some() => {
                let folder = path
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                return ReadInput {
                    format: None,
                    items: vec![rejected_source(
                        &source.display,
                        RejectKind::Import,
                        format!(
                            "a file of the run or scenario folder {folder}: import the folder, \
                             which is read as a whole"
                        ),
                    )],
                };
            }
            Err(why) => {
                return ReadInput {
                    format: None,
                    items: vec![rejected_source(&source.display, RejectKind::Import, why)],
                };
            }
        },
    };
    let mut items = from_bytes(format, &source.display, &stem_of(path), &bytes, labels);
    account_for_everything(format, &source.display, &bytes, &mut items);
    ReadInput {
        format: Some(format),
        items,
    }
}

/// kubeautopsy's own documents: the file as one document, or one per line, each passed on as
/// its original text, so the pipeline checks it exactly as a native trace (duplicate keys,
/// positions in the file).
fn native(file: &InputFile<'_>) -> Vec<Imported> {
    let mut out = Vec::new();
    let docs = transcripts::values(file, &mut out);
    for (line, _, text) in docs {
        out.push(Imported::Doc {
            line,
            json: text.into_bytes(),
        });
    }
    out
}

/// An input that gave no run, or a session with no call while its text holds tool records
/// of a shape the importer does not read, is a rejection that says what was found.
fn account_for_everything(
    format: ImportFormat,
    display: &Arc<str>,
    bytes: &[u8],
    items: &mut Vec<Imported>,
) {
    let docs: Vec<&[u8]> = items
        .iter()
        .filter_map(|i| match i {
            Imported::Doc { json, .. } => Some(json.as_slice()),
            _ => None,
        })
        .collect();
    let rejected = items.iter().any(|i| matches!(i, Imported::Rejected { .. }));
    let skipped: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Imported::Skipped { what, count } => Some(format!("{count} {what}")),
            _ => None,
        })
        .collect();
    if docs.is_empty() && !rejected {
        let found = if skipped.is_empty() {
            "nothing it reads".to_string()
        } else {
            format!("only records it does not read ({})", skipped.join(", "))
        };
        items.push(rejected_source(
            display,
            RejectKind::Import,
            format!(
                "no run: the {} importer found {found}; is this another format? (`--from auto` \
                 picks one from the content)",
                format.name()
            ),
        ));
        return;
    }
    let call_free = docs.len() == 1 && docs.iter().all(|d| calls_in(d) == Some(0));
    if call_free && let Some((line, shape)) = detect::foreign_tool_records(format, bytes) {
        items.retain(|i| !matches!(i, Imported::Doc { .. }));
        items.push(rejected_source(
            display,
            RejectKind::Import,
            format!(
                "no tool call read, but line {line} holds tool records of another shape \
                 ({shape}); the {} importer does not read them: is this another format? \
                 (`--from auto` picks one from the content)",
                format.name()
            ),
        ));
    }
}

/// The number of tool calls in an imported trace document (`None`: not a trace).
fn calls_in(doc: &[u8]) -> Option<usize> {
    let v: Value = serde_json::from_slice(doc).ok()?;
    if v.get("schema").and_then(Value::as_str) != Some(crate::trace::schema::TRACE_MARKER) {
        return None;
    }
    Some(
        v.get("events")?
            .as_array()?
            .iter()
            .filter(|e| s(e, "type") == Some("tool_call"))
            .count(),
    )
}

/// Convert the bytes of one input file (decompressed) of a file format; the folder formats
/// (which read several files of a folder) give nothing here.
pub fn from_bytes(
    format: ImportFormat,
    display: &Arc<str>,
    stem: &str,
    bytes: &[u8],
    labels: &RunLabels,
) -> Vec<Imported> {
    let text =
        |import: &dyn Fn(&InputFile<'_>) -> Vec<Imported>| as_text(display, stem, bytes, import);
    match format {
        ImportFormat::Auto | ImportFormat::EvidraRun | ImportFormat::EvidraScenario => Vec::new(),
        ImportFormat::K8sAudit => text(&|f| audit::import(f, labels)),
        ImportFormat::Native => text(&native),
        ImportFormat::Mcp => text(&|f| transcripts::mcp(f, labels)),
        ImportFormat::Mcpchecker => text(&|f| mcpchecker::import(f, labels)),
        ImportFormat::Anthropic => text(&|f| transcripts::anthropic(f, labels)),
        ImportFormat::Openai => text(&|f| transcripts::openai(f, labels)),
        ImportFormat::Codex => text(&|f| agents::codex(f, labels)),
        ImportFormat::GeminiCli => text(&|f| agents::gemini_cli(f, labels)),
        ImportFormat::Opencode => text(&|f| agents::opencode(f, labels)),
        ImportFormat::CopilotCli => text(&|f| agents::copilot_cli(f, labels)),
        ImportFormat::Langchain => text(&|f| agents::langchain(f, labels)),
        ImportFormat::KubectlAi => text(&|f| agents::kubectl_ai(f, labels)),
        ImportFormat::Atif => text(&|f| agents::atif(f, labels)),
        ImportFormat::K8sAiBench => vec![rejected_source(
            display,
            RejectKind::Import,
            "k8s-ai-bench results hold outcomes only, no tool calls: there is no run to \
             replay; `kubeautopsy analyze --from k8s-ai-bench` reports pass@1 and pass^k"
                .to_string(),
        )],
        // One read: a zip (.eval archive) or a JSON log.
        ImportFormat::Inspect if bytes.starts_with(b"PK\x03\x04") => {
            transcripts::inspect_eval(display, bytes, labels)
        }
        ImportFormat::Inspect => text(&|f| transcripts::inspect(f, labels)),
        ImportFormat::Otel => text(&|f| transcripts::otel(f, labels)),
    }
}

fn problem_of_source(source: &Source, message: &str) -> Imported {
    rejected_source(&source.display, RejectKind::Io, message.to_string())
}

/// The text of one input file (decompressed when .gz / .zst), for the file formats.
pub struct InputFile<'a> {
    pub display: Arc<str>,
    pub text: &'a str,
    /// The file's stem: the run id when the format records none.
    pub stem: String,
}

/// The importer applied to the text of an input's bytes (or a rejection: not UTF-8).
fn as_text(
    display: &Arc<str>,
    stem: &str,
    bytes: &[u8],
    import: &dyn Fn(&InputFile<'_>) -> Vec<Imported>,
) -> Vec<Imported> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let problem = Problem::new(RejectKind::Encoding, "invalid UTF-8: inputs must be UTF-8")
                .at(at..at + e.error_len().unwrap_or(1), "not UTF-8");
            return vec![rejected_in(display, 1, bytes, problem)];
        }
    };
    import(&InputFile {
        display: display.clone(),
        text,
        stem: stem.to_string(),
    })
}

/// `x/run-7.jsonl.gz` → `run-7`.
fn stem_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".gz", ".zst", ".jsonl", ".ndjson", ".json", ".log", ".eval"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    stem.to_string()
}

/// Read a whole input file, decompressing gzip / zstd (by magic bytes), up to `max_bytes`.
pub(crate) fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, (RejectKind, String)> {
    let limits = crate::input::Limits {
        max_record_bytes: max_bytes,
        ..Default::default()
    };
    let size = std::fs::metadata(path).ok().map(|m| m.len());
    let mut reader = crate::input::open_source(&SourcePath::File(path.to_path_buf()), &limits)
        .map_err(|e| (RejectKind::Io, e.to_string()))?;
    match crate::input::read_whole(&mut reader, Vec::new(), max_bytes, size) {
        Ok(crate::input::WholeRead::Data(bytes)) => Ok(bytes),
        Ok(crate::input::WholeRead::TooLarge) => Err((
            RejectKind::TooLarge,
            format!(
                "larger than --max-record-size ({}); not imported",
                crate::diag::human_bytes(max_bytes)
            ),
        )),
        Err(e) => Err((e.reject_kind(), e.to_string())),
    }
}

/// A rejection of input `text` (one record starting at `line`) at the value `pointer` points to.
pub(crate) fn reject_at(
    display: &Arc<str>,
    line: u64,
    text: &str,
    pointer: &str,
    message: impl Into<String>,
) -> Imported {
    let mut problem = Problem::new(RejectKind::Import, message);
    // A missing member is shown at the object that lacks it.
    let mut p = pointer;
    loop {
        if let Some(at) = crate::trace::locate::locate(text.as_bytes(), p) {
            problem = problem.at(at.key.unwrap_or(at.value), "here");
            break;
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => break,
        }
    }
    problem.pointer = (!pointer.is_empty()).then(|| pointer.to_string());
    rejected_in(display, line, text.as_bytes(), problem)
}

/// A problem inside input `text` (a record starting at `line`).
pub(crate) fn rejected_in(
    display: &Arc<str>,
    line: u64,
    text: &[u8],
    problem: Problem,
) -> Imported {
    Imported::Rejected {
        line,
        rejection: Box::new(Rejection::in_record(
            display.clone(),
            line,
            text,
            problem,
            None,
        )),
    }
}

/// A problem with a whole input (it cannot be read, decompressed or decoded).
pub(crate) fn rejected_source(display: &Arc<str>, kind: RejectKind, message: String) -> Imported {
    Imported::Rejected {
        line: 0,
        rejection: Box::new(Rejection::of_source(display.clone(), 0, kind, message)),
    }
}

/// A whole input file as one JSON document, or the rejection of its syntax error.
pub(crate) fn whole_document(file: &InputFile<'_>) -> Result<Value, Imported> {
    whole_document_as(file, std::marker::PhantomData::<Value>)
}

/// [`whole_document`] read by `seed` (which may leave out what the import does not read).
pub(crate) fn whole_document_as<'a, S: serde::de::DeserializeSeed<'a>>(
    file: &InputFile<'a>,
    seed: S,
) -> Result<S::Value, Imported> {
    let mut de = serde_json::Deserializer::from_str(file.text);
    seed.deserialize(&mut de)
        .and_then(|doc| de.end().map(|()| doc))
        .map_err(|e| reject_syntax(&file.display, 1, file.text, &e))
}

/// A whole input file that is not of the format: the rejection, at its start.
pub(crate) fn not_this_format(file: &InputFile<'_>, message: &str) -> Imported {
    reject_at(&file.display, 1, file.text, "", message)
}

/// A JSON syntax error in input `text` (a record starting at `line`).
pub(crate) fn reject_syntax(
    display: &Arc<str>,
    line: u64,
    text: &str,
    e: &serde_json::Error,
) -> Imported {
    let problem = crate::trace::syntax_problem(text.as_bytes(), e);
    rejected_in(display, line, text.as_bytes(), problem)
}

/// Builds one trace v1 document.
#[derive(Debug, Default)]
pub struct TraceBuilder {
    run: Map<String, Value>,
    events: Vec<Value>,
    outcome: Option<Value>,
    meta: Map<String, Value>,
}

/// A tool call's result as recorded.
#[derive(Debug, Default, Clone)]
pub struct CallResult {
    pub text: Option<String>,
    pub json: Option<Value>,
    pub is_error: bool,
    pub exit_code: Option<i64>,
    pub stderr: Option<String>,
}

impl CallResult {
    pub fn text(text: impl Into<String>, is_error: bool) -> CallResult {
        CallResult {
            text: Some(text.into()),
            is_error,
            ..CallResult::default()
        }
    }
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(t) = &self.text {
            m.insert("text".into(), t.clone().into());
        }
        if let Some(j) = &self.json {
            m.insert("json".into(), j.clone());
        }
        if self.is_error {
            m.insert("is_error".into(), true.into());
        }
        if let Some(c) = self.exit_code {
            m.insert("exit_code".into(), c.into());
        }
        if let Some(s) = &self.stderr {
            m.insert("stderr".into(), s.clone().into());
        }
        Value::Object(m)
    }
}

/// One tool call to add to a trace.
#[derive(Debug, Default, Clone)]
pub struct Call {
    pub tool: String,
    pub server: Option<String>,
    pub call_id: Option<String>,
    pub arguments: Option<Value>,
    pub result: Option<CallResult>,
    pub ts: Option<String>,
}

impl TraceBuilder {
    pub fn new(id: impl Into<String>, labels: &RunLabels) -> TraceBuilder {
        let mut b = TraceBuilder::default();
        b.run.insert("id".into(), Value::String(id.into()));
        for (k, v) in [
            ("report", &labels.report),
            ("benchmark", &labels.benchmark),
            ("arm", &labels.arm),
            ("model", &labels.model),
            ("scenario", &labels.scenario),
        ] {
            if let Some(v) = v {
                b.run.insert(k.into(), v.clone().into());
            }
        }
        b
    }

    /// Set a run field unless the command line already did.
    pub fn run_field(&mut self, key: &str, value: impl Into<Value>) {
        let v: Value = value.into();
        if v.is_null() || v.as_str() == Some("") {
            return;
        }
        self.run.entry(key.to_string()).or_insert(v);
    }

    pub fn meta(&mut self, key: &str, value: impl Into<Value>) {
        self.meta.insert(key.to_string(), value.into());
    }

    fn next_seq(&self) -> u64 {
        self.events.len() as u64 + 1
    }

    pub fn call(&mut self, call: Call) {
        let mut m = Map::new();
        m.insert("type".into(), "tool_call".into());
        m.insert("seq".into(), self.next_seq().into());
        if let Some(ts) = call.ts.filter(|t| is_rfc3339(t)) {
            m.insert("ts".into(), ts.into());
        }
        m.insert("tool".into(), call.tool.into());
        if let Some(s) = call.server {
            m.insert("server".into(), s.into());
        }
        if let Some(id) = call.call_id {
            m.insert("call_id".into(), id.into());
        }
        match call.arguments {
            Some(a @ (Value::Object(_) | Value::String(_))) => {
                m.insert("arguments".into(), a);
            }
            Some(Value::Null) | None => {}
            // Arrays and scalars are not trace arguments: keep them as JSON text.
            Some(other) => {
                m.insert("arguments".into(), other.to_string().into());
            }
        }
        if let Some(r) = call.result {
            m.insert("result".into(), r.to_json());
        }
        self.events.push(Value::Object(m));
    }

    pub fn message(&mut self, role: &str, text: &str, ts: Option<&str>) {
        let mut m = Map::new();
        m.insert("type".into(), "message".into());
        m.insert("seq".into(), self.next_seq().into());
        if let Some(ts) = ts.filter(|t| is_rfc3339(t)) {
            m.insert("ts".into(), ts.into());
        }
        m.insert("role".into(), role.into());
        m.insert("text".into(), text.into());
        self.events.push(Value::Object(m));
    }

    pub fn outcome(&mut self, passed: bool, checks: Vec<Value>) {
        let mut o = json!({ "passed": passed });
        if !checks.is_empty() {
            o["checks"] = Value::Array(checks);
        }
        self.outcome = Some(o);
    }

    pub fn has_calls(&self) -> bool {
        !self.events.is_empty()
    }

    /// The document as JSON text (one line).
    pub fn finish(self, source_format: ImportFormat) -> Vec<u8> {
        let mut meta = self.meta;
        meta.insert("imported_from".into(), source_format.name().into());
        let mut doc = json!({
            "schema": "kubeautopsy.trace/v1",
            "run": Value::Object(self.run),
            "events": Value::Array(self.events),
            "meta": Value::Object(meta),
        });
        if let Some(o) = self.outcome {
            doc["outcome"] = o;
        }
        serde_json::to_vec(&doc).unwrap_or_default()
    }
}

/// RFC 3339 date-time as the schema's `format: date-time` checks it (and not Go's zero time,
/// which recorders write when they had no timestamp).
pub(super) fn is_rfc3339(t: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
            .ok()
    });
    !t.starts_with("0001-01-01") && re.as_ref().is_some_and(|r| r.is_match(t))
}

/// Sources of an import: files for the file formats, folders holding the marker file for
/// the folder formats. Same accounting as native discovery (missing paths are problems, other
/// files are skipped).
pub fn discover(format: ImportFormat, paths: &[std::path::PathBuf]) -> crate::input::Discovery {
    let mut out = crate::input::Discovery::default();
    let push = |out: &mut crate::input::Discovery, p: &Path| {
        let display: Arc<str> = Arc::from(p.display().to_string());
        out.sources.push(Source {
            index: out.sources.len(),
            path: SourcePath::File(p.to_path_buf()),
            display,
            layout: Layout::Document,
            size: std::fs::metadata(p).ok().map(|m| m.len()),
        });
    };
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                out.problems.push(crate::input::InputProblem {
                    display: Arc::from(path.display().to_string()),
                    message: crate::input::io_message(&e),
                });
                continue;
            }
        };
        // Folders holding a marker file are one source each (the folder formats, and `auto`,
        // which tells them apart by the marker); the file formats (and `auto`) read files.
        let markers: Vec<&str> = match format {
            ImportFormat::Auto => ImportFormat::ALL
                .iter()
                .filter_map(|f| f.marker())
                .collect(),
            f => f.marker().into_iter().collect(),
        };
        let reads_files = format.marker().is_none();
        if !meta.is_dir() {
            if reads_files {
                push(&mut out, path);
            } else {
                out.problems.push(crate::input::InputProblem {
                    display: Arc::from(path.display().to_string()),
                    message: format!(
                        "{} reads folders holding {}",
                        format.name(),
                        markers.join(", ")
                    ),
                });
            }
            continue;
        }
        let mut walk = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walk.next() {
            match entry {
                Err(e) => out.problems.push(crate::input::InputProblem {
                    display: Arc::from(e.path().unwrap_or(path).display().to_string()),
                    message: e.to_string(),
                }),
                Ok(e) if e.file_type().is_dir() => {
                    if markers.iter().any(|m| e.path().join(m).is_file()) {
                        push(&mut out, e.path());
                        walk.skip_current_dir();
                    }
                }
                Ok(_) if !reads_files => {}
                Ok(e) if is_input_file(e.path()) && !e.file_type().is_file() => {
                    out.problems.push(crate::input::InputProblem {
                        display: Arc::from(e.path().display().to_string()),
                        message: crate::input::NOT_REGULAR_FILE.to_string(),
                    })
                }
                Ok(e) if is_input_file(e.path()) => push(&mut out, e.path()),
                Ok(e) => out.skipped.push((
                    e.path().to_path_buf(),
                    crate::input::SkipReason::NotATraceFile,
                )),
            }
        }
    }
    crate::input::canonical_order(&mut out);
    out
}

/// Files the file formats read inside directories.
fn is_input_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(&name);
    [".json", ".jsonl", ".ndjson", ".log", ".eval"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// `value` at `key` as a string, if it is one.
pub(crate) fn s<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_seeds_name_formats_by_their_index() {
        // fuzz/run.sh seeds the import target with a format's index in ALL.
        let run = include_str!("../../fuzz/run.sh");
        for (name, i) in [
            ("k8s-audit", 17),
            ("mcp", 4),
            ("anthropic", 6),
            ("openai", 7),
            ("inspect", 15),
            ("otel", 16),
            ("atif", 14),
        ] {
            assert_eq!(ImportFormat::ALL[i].name(), name);
            assert!(run.contains(&format!("\"{name}\": {i}")), "{name}");
        }
        assert_eq!(ImportFormat::ALL[0], ImportFormat::Auto);
    }

    #[test]
    fn stems_and_timestamps() {
        assert_eq!(stem_of(Path::new("a/run-7.jsonl.gz")), "run-7");
        assert!(is_rfc3339("2026-05-12T10:24:20Z"));
        assert!(is_rfc3339("2026-05-12T10:24:20.123+02:00"));
        assert!(!is_rfc3339("0001-01-01T00:00:00Z"));
        assert!(!is_rfc3339("yesterday"));
    }

    #[test]
    fn builder_writes_a_valid_trace() {
        let mut b = TraceBuilder::new(
            "r1",
            &RunLabels {
                arm: Some("x".into()),
                ..RunLabels::default()
            },
        );
        b.run_field("arm", "ignored: the command line wins");
        b.run_field("model", "m");
        b.call(Call {
            tool: "kubectl_get".into(),
            arguments: Some(json!({"resourceType": "pods"})),
            result: Some(CallResult::text("No resources found", false)),
            ts: Some("0001-01-01T00:00:00Z".into()),
            ..Call::default()
        });
        b.message("assistant", "done", None);
        b.outcome(true, vec![]);
        let json = b.finish(ImportFormat::Mcp);
        let doc = crate::trace::parse_record(&json).expect("valid trace v1");
        assert_eq!(doc.value["run"]["arm"], "x");
        assert_eq!(doc.value["run"]["model"], "m");
        assert!(doc.value["events"][0].get("ts").is_none());
        assert_eq!(doc.value["events"][1]["seq"], 2);
    }
}
