//! Recorded tool calls → operations, with the tool maps and the kubectl/helm parsers.

use super::evidence;
use super::kubectl::{self, Input, NotUnderstood, Session};
use super::loops;
use super::shell::{self, Stdin, Word};
use super::toolmap::{self, Action, Spec, ToolMap, ToolMapError};
use super::{Effect, Operation, Verb};
use crate::trace::Trace;
use crate::trace::model::{Arguments, ToolCall};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What became of one tool call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizedCall {
    pub seq: u64,
    pub tool: String,
    /// The tool map that understood the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<String>,
    #[serde(flatten)]
    pub outcome: CallOutcome,
    /// Programs of a shell line that are neither kubectl nor helm nor known to stay off the
    /// cluster (`python fix.py`, `./repair.sh`, `curl -X DELETE` to the API server): what they
    /// did to the cluster is not known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub foreign: Vec<String>,
    /// Changes kubectl printed in the result that no operation of the call accounts for
    /// (`line 3: deployment.apps/web deleted` from a kubectl run inside a container).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unaccounted: Vec<String>,
}

impl NormalizedCall {
    /// A call that cannot touch the cluster: no operation, no foreign program (a shell line of
    /// `ls`, `grep`, `curl` to a service; a tool mapped `local`).
    pub fn not_cluster(&self) -> bool {
        matches!(&self.outcome, CallOutcome::Operations(ops) if ops.is_empty())
            && self.foreign.is_empty()
            && self.unaccounted.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// The call's operations (empty for a shell command that ran no kubectl or helm).
    Operations(Vec<Operation>),
    /// Why the call could not be understood; the label groups such calls in summaries.
    /// `read_only` says why the call is known to change nothing all the same (a tool no map
    /// knows, annotated `readOnlyHint` in the recorded tool list or named like a read).
    NotUnderstood {
        label: String,
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        read_only: Option<String>,
    },
}

/// Holds the tool maps, indexed by tool name.
pub struct Normalizer {
    maps: Vec<ToolMap>,
    /// Tool name → indexes of the maps that define it, best first.
    by_tool: HashMap<String, Vec<usize>>,
}

impl Normalizer {
    pub fn new(maps: Vec<ToolMap>) -> Normalizer {
        let mut by_tool: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in maps.iter().enumerate() {
            for t in m.tools.keys() {
                by_tool.entry(t.clone()).or_default().push(i);
            }
        }
        for v in by_tool.values_mut() {
            v.sort_by(|a, b| {
                (maps[*a].priority, &maps[*a].id).cmp(&(maps[*b].priority, &maps[*b].id))
            });
        }
        Normalizer { maps, by_tool }
    }

    /// The embedded maps plus (replacing same ids) the maps of `extra`.
    pub fn load(extra: Option<&std::path::Path>) -> Result<Normalizer, Vec<ToolMapError>> {
        let mut maps = ToolMap::embedded()?;
        if let Some(dir) = extra {
            for m in ToolMap::from_dir(dir)? {
                maps.retain(|o| o.id != m.id);
                maps.push(m);
            }
        }
        Ok(Normalizer::new(maps))
    }

    pub fn maps(&self) -> &[ToolMap] {
        &self.maps
    }

    /// Normalize every tool call of a run, in order (context switches carry over).
    pub fn run(&self, trace: &Trace<'_>) -> Vec<NormalizedCall> {
        let mut session = Session::default();
        let listed = ListedTools::of(trace);
        trace
            .tool_calls()
            .map(|c| {
                let mut n = self.call(c, &mut session);
                if let CallOutcome::NotUnderstood {
                    reason, read_only, ..
                } = &mut n.outcome
                    && n.map.is_none()
                {
                    *read_only = listed.read_only(c.tool);
                    if read_only.is_none()
                        && let Some(h) = listed.hints(c.tool)
                    {
                        reason.push_str(&format!("; the recorded tool list annotates it {h}"));
                    }
                }
                n
            })
            .collect()
    }

    pub fn call(&self, call: &ToolCall<'_>, session: &mut Session) -> NormalizedCall {
        let (server_hint, tool) = split_tool_name(call.tool);
        let server = call.server.or(server_hint);
        let chosen = self.by_tool.get(tool).and_then(|idx| {
            server
                .and_then(|s| idx.iter().find(|i| self.maps[**i].serves(s)))
                .or_else(|| self.best_fit(idx, tool, call))
                .map(|i| &self.maps[*i])
        });
        let Some(map) = chosen else {
            return NormalizedCall {
                seq: call.seq,
                tool: call.tool.to_string(),
                map: None,
                outcome: CallOutcome::NotUnderstood {
                    label: call.tool.to_string(),
                    reason: "no tool map knows this tool".into(),
                    read_only: None,
                },
                foreign: Vec::new(),
                unaccounted: Vec::new(),
            };
        };
        let mut foreign = Vec::new();
        let mut unaccounted = Vec::new();
        let outcome = match self.apply_map(map, tool, call, session, &mut foreign, &mut unaccounted)
        {
            Ok(ops) => CallOutcome::Operations(ops),
            Err(NotUnderstood(why)) => CallOutcome::NotUnderstood {
                label: if why.starts_with("kubectl ") || why.starts_with("helm ") {
                    format!("{tool}: {why}")
                } else {
                    tool.to_string()
                },
                reason: why,
                read_only: None,
            },
        };
        NormalizedCall {
            seq: call.seq,
            tool: call.tool.to_string(),
            map: Some(map.id.clone()),
            outcome,
            foreign,
            unaccounted,
        }
    }

    /// Among maps that define the same tool name, the one whose tool reads the most of the
    /// call's argument names (ties: priority order).
    fn best_fit<'a>(&self, idx: &'a [usize], tool: &str, call: &ToolCall<'_>) -> Option<&'a usize> {
        if idx.len() < 2 {
            return idx.first();
        }
        let Arguments::Object(args) = call.arguments else {
            return idx.first();
        };
        let mut best: Option<(&usize, usize)> = None;
        for i in idx {
            let score = self.maps[*i].tools.get(tool).map_or(0, |t| {
                args.keys().filter(|k| t.arg_names.contains(*k)).count()
            });
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((i, score));
            }
        }
        best.map(|(i, _)| i)
    }

    fn apply_map(
        &self,
        map: &ToolMap,
        tool: &str,
        call: &ToolCall<'_>,
        session: &mut Session,
        foreign: &mut Vec<String>,
        unaccounted: &mut Vec<String>,
    ) -> Result<Vec<Operation>, NotUnderstood> {
        let Some(found) = map.tools.get(tool) else {
            return Err(NotUnderstood("no tool map knows this tool".into()));
        };
        let owned;
        let args: &Map<String, Value> = match call.arguments {
            Arguments::Object(m) => m,
            Arguments::None => {
                owned = Map::new();
                &owned
            }
            Arguments::Text(t) => match serde_json::from_str::<Value>(t) {
                Ok(Value::Object(m)) => {
                    owned = m;
                    &owned
                }
                // Some recorders log a shell tool's argument as the bare command line.
                _ if matches!(found.spec, Spec::Action(Action::Command { .. })) => {
                    let mut m = Map::new();
                    if let Spec::Action(Action::Command { line, .. }) = &found.spec {
                        for n in line.names() {
                            m.insert(n.to_string(), Value::String(t.to_string()));
                        }
                    }
                    owned = m;
                    &owned
                }
                _ => {
                    return Err(NotUnderstood(
                        "the arguments are a string that is not a JSON object".into(),
                    ));
                }
            },
        };
        let action = found.spec.select(args).ok_or_else(|| {
            NotUnderstood("no case of the tool map matches these arguments".into())
        })?;
        let mut last_from = 0;
        let mut ops = match action {
            Action::Read => vec![Operation::new(Verb::Read)],
            Action::Local => Vec::new(),
            Action::Command { line, program } => {
                let line = line
                    .resolve(args)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .ok_or_else(|| NotUnderstood("the command argument is missing".into()))?;
                let line = match program.as_deref() {
                    Some(p) if !starts_with_program(&line, p) => format!("{p} {line}"),
                    _ => line,
                };
                let shell = command_line_classed(&line, session)?;
                *foreign = shell.foreign;
                last_from = shell.last_from;
                shell.ops
            }
            Action::Argv { parts, program } => {
                let words = toolmap::eval::argv(parts, args)?;
                let program = program.as_deref().unwrap_or("kubectl");
                let text = words
                    .iter()
                    .map(|w| shell::quote(&w.text))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut ops = run_program(program, &words, &Input::None, session)?;
                for op in &mut ops {
                    op.command = Some(format!("{program} {text}"));
                }
                ops
            }
            Action::Unresolved { why, template } => {
                // What changes is not known; the target fields the map gives are kept.
                let mut op = template.operation(map, args, session, Some(Verb::Mutate))?;
                op.target.unresolved = Some(why.clone());
                vec![op]
            }
            Action::Template(template) => vec![template.operation(map, args, session, None)?],
        };
        judge(&mut ops, map, call, last_from);
        if let Some(text) = call.result.as_ref().and_then(|r| r.text) {
            *unaccounted = evidence::apply(&mut ops, text);
        }
        Ok(ops)
    }
}

/// The tool list a recorder kept with the run (`meta.mcp_servers[].tools[]` with their MCP
/// `annotations`, as the mcpchecker and MCP importers write it from `tools/list`): how a tool
/// that no map knows is classed, and its `destructiveHint`.
pub struct ListedTools<'a> {
    tools: Vec<(&'a str, &'a Value)>,
}

/// Words of a tool name that say it only reads (get, list, describe, logs, top).
const READ_WORDS: &[&str] = &[
    "get", "list", "describe", "logs", "log", "top", "read", "view", "show", "search",
];

/// Words of a tool name that say it may change something.
const WRITE_WORDS: &[&str] = &[
    "create",
    "delete",
    "apply",
    "patch",
    "update",
    "scale",
    "exec",
    "execute",
    "run",
    "install",
    "uninstall",
    "upgrade",
    "rollback",
    "restart",
    "remove",
    "set",
    "put",
    "post",
    "edit",
    "write",
    "kill",
    "drain",
    "cordon",
    "uncordon",
    "taint",
    "untaint",
    "label",
    "annotate",
    "evict",
    "stop",
    "start",
    "replace",
    "deploy",
    "redeploy",
    "destroy",
    "reset",
    "modify",
    "add",
    "rollout",
    "cleanup",
    "fix",
    "prune",
    "purge",
    "terminate",
    "flush",
    "revert",
    "undo",
    "approve",
    "deny",
    "rotate",
    "cancel",
    "suspend",
    "resume",
    "pause",
    "enable",
    "disable",
    "drop",
    "truncate",
    "clear",
    "recreate",
    "restore",
    "migrate",
    "sync",
    "trigger",
    "invoke",
    "send",
    "submit",
    "and",
    "or",
    "then",
];

impl<'a> ListedTools<'a> {
    pub fn of(trace: &Trace<'a>) -> ListedTools<'a> {
        let tools = trace
            .meta
            .and_then(|m| m.get("mcp_servers"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|srv| srv.get("tools").and_then(Value::as_array))
            .flatten()
            .filter_map(|t| Some((t.get("name")?.as_str()?, t.get("annotations")?)))
            .collect();
        ListedTools { tools }
    }

    fn annotation(&self, tool: &str, hint: &str) -> Option<bool> {
        let (_, bare) = split_tool_name(tool);
        self.tools
            .iter()
            .find(|(n, _)| *n == tool || *n == bare)
            .and_then(|(_, a)| a.get(hint))
            .and_then(Value::as_bool)
    }

    /// `destructiveHint` of the tool in the recorded list.
    pub fn destructive(&self, tool: &str) -> Option<bool> {
        self.annotation(tool, "destructiveHint")
    }

    /// Why a tool no map knows changes nothing: the recorded list annotates it `readOnlyHint:
    /// true`, or (no annotation) its name says it reads and nothing else. A tool annotated
    /// `readOnlyHint: false` is never read-only.
    pub fn read_only(&self, tool: &str) -> Option<String> {
        match self.annotation(tool, "readOnlyHint") {
            Some(true) => return Some("annotated readOnlyHint in the recorded tool list".into()),
            Some(false) => return None,
            None => {}
        }
        let (_, bare) = split_tool_name(tool);
        let mut words = Vec::new();
        let mut cur = String::new();
        for c in bare.chars() {
            let boundary = c == '_' || c == '-' || c == '.' || c.is_ascii_uppercase();
            if boundary && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            if c.is_ascii_alphanumeric() {
                cur.push(c.to_ascii_lowercase());
            }
        }
        words.push(cur);
        let read = words.iter().find(|w| READ_WORDS.contains(&w.as_str()))?;
        (!words.iter().any(|w| WRITE_WORDS.contains(&w.as_str())))
            .then(|| format!("named like a read (`{read}`); no recorded tool list says otherwise"))
    }

    /// The annotations of a tool in the recorded list, for people ("readOnlyHint: false").
    pub fn hints(&self, tool: &str) -> Option<String> {
        let parts: Vec<String> = ["readOnlyHint", "destructiveHint"]
            .iter()
            .filter_map(|h| self.annotation(tool, h).map(|v| format!("{h}: {v}")))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// `mcp__server__tool` (Claude Code) and `functions.tool` (OpenAI) → (server hint, tool).
fn split_tool_name(name: &str) -> (Option<&str>, &str) {
    if let Some(rest) = name.strip_prefix("mcp__")
        && let Some((server, tool)) = rest.split_once("__")
    {
        return (Some(server), tool);
    }
    if let Some(tool) = name.strip_prefix("functions.") {
        return (None, tool);
    }
    (None, name)
}

fn starts_with_program(line: &str, program: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|w| w.rsplit('/').next() == Some(program))
}

/// Programs that cannot touch the cluster: they read or write local files, print, wait, or talk
/// to a service over the network (not to the Kubernetes API; see [`api_server_call`]).
const LOCAL_PROGRAMS: &[&str] = &[
    "[",
    "[[",
    "awk",
    "base64",
    "basename",
    "cat",
    "cd",
    "chmod",
    "chown",
    "cmp",
    "column",
    "cp",
    "curl",
    "cut",
    "date",
    "dd",
    "df",
    "diff",
    "dig",
    "dirname",
    "du",
    "echo",
    "egrep",
    "envsubst",
    "exit",
    "export",
    "expr",
    "false",
    "fgrep",
    "file",
    "find",
    "fold",
    "free",
    "grep",
    "gunzip",
    "gzip",
    "head",
    "host",
    "hostname",
    "id",
    "jq",
    "less",
    "ln",
    "local",
    "ls",
    "md5sum",
    "mkdir",
    "mktemp",
    "more",
    "mv",
    "nc",
    "netstat",
    "nl",
    "nslookup",
    "od",
    "openssl",
    "paste",
    "ping",
    "printenv",
    "printf",
    "ps",
    "pwd",
    "read",
    "kill",
    "pkill",
    "jobs",
    "disown",
    "fg",
    "bg",
    "readlink",
    "realpath",
    "return",
    "rev",
    "rg",
    "rm",
    "sed",
    "seq",
    "set",
    "sha256sum",
    "shift",
    "sleep",
    "sort",
    "ss",
    "stat",
    "tac",
    "tail",
    "tar",
    "tee",
    "telnet",
    "test",
    "touch",
    "tr",
    "traceroute",
    "true",
    "type",
    "uname",
    "uniq",
    "unset",
    "unzip",
    "uptime",
    "wait",
    "wc",
    "wget",
    "which",
    "whoami",
    "xxd",
    "yes",
    "yq",
    "zcat",
    "zip",
    "tree",
    "clear",
    "history",
    "bc",
    "git",
    "kustomize",
    "yamllint",
    "kubeconform",
    "kubeval",
    "shellcheck",
];

/// Shells whose `-c STRING` runs another command line.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ash", "ksh"];

/// How deep `sh -c "bash -c '...'"` and `eval` are followed.
const MAX_NESTING: usize = 4;

/// The operations of a shell line, and the programs in it whose effect on the cluster is not
/// known.
#[derive(Debug, Default)]
pub struct ShellOps {
    pub ops: Vec<Operation>,
    /// Programs neither kubectl, helm nor known local (see [`NormalizedCall::foreign`]).
    pub foreign: Vec<String>,
    /// Where the operations of the line's last command begin: the line's exit status is that
    /// command's, so a failure says nothing of the operations before.
    pub last_from: usize,
}

/// A shell command line → operations of its kubectl and helm commands.
pub fn command_line(line: &str, session: &mut Session) -> Result<Vec<Operation>, NotUnderstood> {
    command_line_classed(line, session).map(|s| s.ops)
}

/// A shell command line → operations of its kubectl and helm commands, with the programs whose
/// effect is not known. `sh -c`, `bash -lc` and `eval` strings are read as command lines again;
/// keywords of compound commands (`if`, `do`, `done`...) are stepped over, so the commands of
/// loops and conditionals count (a loop variable is unresolved unless the loop's list is
/// known, see [`loops`]).
pub fn command_line_classed(line: &str, session: &mut Session) -> Result<ShellOps, NotUnderstood> {
    let mut out = ShellOps::default();
    line_ops(line, session, 0, &mut out)?;
    Ok(out)
}

fn line_ops(
    line: &str,
    session: &mut Session,
    depth: usize,
    out: &mut ShellOps,
) -> Result<(), NotUnderstood> {
    let script = shell::parse(line).map_err(|e| NotUnderstood(syntax_error(line, &e)))?;
    // Objects printed by each command (a kubectl dry run with -o yaml), for `| kubectl apply -f -`.
    let mut printed: Vec<Option<Vec<Value>>> = Vec::new();
    let mut loops = loops::Loops::default();
    for (index, cmd) in script.commands.iter().enumerate() {
        if depth == 0 {
            out.last_from = out.ops.len();
        }
        // What it prints may go on to a pipe or a file rather than into the recorded result: a
        // pipe anywhere after it (`for ...; done | grep x` pipes the whole loop) or a `>`.
        let output_partial = cmd.stdout_to.is_some()
            || script.commands[index + 1..]
                .iter()
                .any(|n| n.joint == shell::Joint::Pipe);
        // Command substitutions run first: `echo $(kubectl delete pod x)`, `X=$(kubectl ...)`.
        for inner in &cmd.runs {
            nested(inner, session, depth, out, false)?;
        }
        if loops.step(&cmd.words, session) {
            printed.push(None);
            continue;
        }
        let mut words: &[Word] = shell::command_words(&cmd.words);
        let mut via_xargs = false;
        // Peel wrappers (`sudo -E`, `timeout 30`, `env A=B`, `xargs -r`).
        while let Some(first) = words.first() {
            let base = first.text.rsplit('/').next().unwrap_or(&first.text);
            if !shell::WRAPPERS.contains(&base) {
                break;
            }
            via_xargs |= base == "xargs";
            // `command -v NAME` looks a program up; it runs nothing.
            if base == "command"
                && words
                    .get(1)
                    .is_some_and(|w| w.text == "-v" || w.text == "-V")
            {
                words = &[];
                break;
            }
            words = &words[1..];
            while let Some(w) = words.first() {
                let t = &w.text;
                let takes_value = matches!(
                    (base, t.as_str()),
                    ("sudo", "-u" | "-g")
                        | ("watch", "-n")
                        | ("xargs", "-n" | "-I" | "-L" | "-P" | "-d")
                );
                let is_option = t.starts_with('-')
                    || (base == "env" && t.contains('='))
                    || ((base == "timeout" || base == "nice")
                        && t.starts_with(|c: char| c.is_ascii_digit()));
                if !is_option {
                    break;
                }
                words = &words[if takes_value { 2.min(words.len()) } else { 1 }..];
            }
        }
        // `microk8s kubectl`, `k3s kubectl`, `minikube kubectl -- ...`.
        let owned: Vec<Word>;
        if words.len() > 1
            && matches!(words[0].text.as_str(), "microk8s" | "k3s" | "minikube")
            && words[1].text == "kubectl"
        {
            owned = std::iter::once(words[1].clone())
                .chain(words[2..].iter().skip_while(|w| w.text == "--").cloned())
                .collect();
            words = &owned;
        }
        let Some(first) = words.first() else {
            printed.push(None);
            continue;
        };
        let program = first
            .text
            .rsplit('/')
            .next()
            .unwrap_or(&first.text)
            .trim_end_matches(".exe");
        let program = match program {
            "kubectl" | "oc" | "k" | "microk8s.kubectl" => "kubectl",
            "helm" => "helm",
            p if SHELLS.contains(&p) || p == "eval" => {
                printed.push(None);
                // A script on standard input: a heredoc, or `echo '...' | sh`.
                let stdin_script = match &cmd.stdin {
                    Some(Stdin::Text(t)) => Some(t.clone()),
                    Some(Stdin::Pipe(j)) => match piped_input(&script.commands[*j], None) {
                        Input::Text(t) => Some(t),
                        _ => None,
                    },
                    _ => None,
                };
                match (nested_line(p, &words[1..]), stdin_script) {
                    (Some(Ok(inner)), _) => nested(&inner, session, depth, out, via_xargs)?,
                    (Some(Err(why)), _) => out.foreign.push(format!("{p}: {why}")),
                    // `bash <<EOF ... EOF`, `... | sh`: the script is the input.
                    (None, Some(text)) if words.len() == 1 => {
                        nested(&text, session, depth, out, via_xargs)?
                    }
                    // `bash script.sh`, a shell reading another command's output: not recorded.
                    (None, _) => out.foreign.push(describe(words)),
                }
                continue;
            }
            // `find ... -exec CMD {} ;` runs CMD on every path it finds.
            "find"
                if words
                    .iter()
                    .any(|w| matches!(w.text.as_str(), "-exec" | "-execdir" | "-ok")) =>
            {
                printed.push(None);
                for inner in find_exec_lines(words) {
                    nested(&inner, session, depth, out, false)?;
                }
                continue;
            }
            // awk's system() runs a command line built at run time.
            "awk" | "gawk" | "mawk" if words.iter().any(|w| w.text.contains("system(")) => {
                printed.push(None);
                out.foreign.push(describe(words));
                continue;
            }
            p => {
                printed.push(None);
                if let Some(why) = api_server_call(p, words) {
                    out.foreign.push(why);
                } else if let Some(path) = node_file(words, cmd.stdout_to.as_deref()) {
                    out.foreign.push(format!(
                        "{} (writes {path}, a file of the node's kubelet or control plane)",
                        describe(words)
                    ));
                } else if !LOCAL_PROGRAMS.contains(&p) && first.unresolved.is_none() {
                    out.foreign.push(describe(words));
                } else if first.unresolved.is_some() {
                    out.foreign
                        .push(format!("`{}` (a program named at run time)", first.text));
                }
                continue;
            }
        };
        let input = match &cmd.stdin {
            None => Input::None,
            Some(Stdin::Text(t)) => Input::Text(t.clone()),
            Some(Stdin::File(f)) => Input::Unknown(format!("the file {f}")),
            Some(Stdin::Pipe(j)) => {
                piped_input(&script.commands[*j], printed.get(*j).cloned().flatten())
            }
        };
        // `echo a b | xargs kubectl delete pod`: xargs's input is recorded, so its words are
        // the command's last arguments; any other input is another command's output.
        let (words, input, xargs_unknown): (Vec<Word>, Input, bool) = match (via_xargs, input) {
            (true, Input::Text(t)) => match shell::split_words(&t) {
                Ok(extra) if extra.iter().all(|w| w.unresolved.is_none()) => (
                    words.iter().cloned().chain(extra).collect(),
                    Input::None,
                    false,
                ),
                _ => (words.to_vec(), Input::None, true),
            },
            (true, _) => (words.to_vec(), Input::None, true),
            (false, input) => (words.to_vec(), input, false),
        };
        let others = script.commands.len() - 1;
        let mut new = run_program(program, &words[1..], &input, session).map_err(|e| {
            if others > 0 || depth > 0 {
                NotUnderstood(format!("{} (beside other commands that may have run)", e.0))
            } else {
                e
            }
        })?;
        let text = words
            .iter()
            .map(|w| shell::quote(&w.text))
            .collect::<Vec<_>>()
            .join(" ");
        for op in &mut new {
            op.command = Some(text.clone());
            op.output_partial = output_partial;
            if xargs_unknown && op.verb.mutates() {
                op.target.unresolved =
                    Some("arguments come from xargs (another command's output)".into());
            }
            loops.resolve(op, &words[1..]);
        }
        let prints_objects =
            new.len() == 1 && new[0].flags.dry_run && !new[0].payload.objects.is_empty();
        printed.push(prints_objects.then(|| new[0].payload.objects.clone()));
        out.ops.extend(new);
    }
    Ok(())
}

/// Read a command line that another one runs (a substitution, `sh -c`, a script on a shell's
/// input, `find -exec`), as deep as [`MAX_NESTING`]; with `via_xargs` its changes are aimed at
/// what xargs reads, which is not known.
fn nested(
    line: &str,
    session: &mut Session,
    depth: usize,
    out: &mut ShellOps,
    via_xargs: bool,
) -> Result<(), NotUnderstood> {
    if depth >= MAX_NESTING {
        out.foreign.push(format!(
            "a command line nested more than {MAX_NESTING} deep"
        ));
        return Ok(());
    }
    let mut inner = ShellOps::default();
    line_ops(line, session, depth + 1, &mut inner)?;
    if via_xargs {
        for op in inner.ops.iter_mut().filter(|o| o.verb.mutates()) {
            op.target.unresolved =
                Some("arguments come from xargs (another command's output)".into());
        }
    }
    out.ops.extend(inner.ops);
    out.foreign.extend(inner.foreign);
    Ok(())
}

/// The command lines `find` runs for `-exec`/`-execdir`/`-ok CMD ... ;` (or `+`); the path it
/// found (`{}`) is not known.
fn find_exec_lines(words: &[Word]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if matches!(words[i].text.as_str(), "-exec" | "-execdir" | "-ok") {
            let cmd: Vec<String> = words[i + 1..]
                .iter()
                .take_while(|w| w.text != ";" && w.text != "+")
                .map(|w| {
                    if w.text.contains("{}") {
                        w.text.replace("{}", "${FOUND_PATH}")
                    } else {
                        shell::quote(&w.text)
                    }
                })
                .collect();
            i += cmd.len() + 1;
            out.push(cmd.join(" "));
        }
        i += 1;
    }
    out
}

/// Why a shell line cannot be read, saying whether something before the error could have run:
/// bash parses a line (and the lines a quote or `\` continues) before running any of it, so a
/// syntax error in the first line means nothing ran; after a complete first line, it ran.
fn syntax_error(line: &str, e: &shell::ShellError) -> String {
    let first = first_logical_line(line);
    let ran_before =
        first.len() < line.len() && shell::parse(first).is_ok_and(|s| !s.commands.is_empty());
    if ran_before {
        format!("shell syntax: {e} (after commands that may have run)")
    } else {
        format!("shell syntax: {e}")
    }
}

/// The text up to the first newline that ends a line: not inside quotes, not after `\`.
fn first_logical_line(line: &str) -> &str {
    let (mut single, mut double, mut escaped) = (false, false, false);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '\n' if !single && !double => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The command line that `sh -c STRING`, `bash -lc STRING` or `eval WORDS` runs; `None` when
/// the shell runs a script file or its standard input; an error when the string is built at
/// run time.
fn nested_line(program: &str, rest: &[Word]) -> Option<Result<String, String>> {
    let words: &[Word] = if program == "eval" {
        rest
    } else {
        // Options before the string: `-c`, `-lc`, `-ec`, `-o pipefail -c`...
        let mut i = 0;
        let mut has_c = false;
        while let Some(w) = rest.get(i) {
            let t = w.text.as_str();
            if t == "-o" || t == "+o" {
                i += 2;
                continue;
            }
            if !(t.starts_with('-') || t.starts_with('+')) || t == "-" || t == "--" {
                break;
            }
            has_c |= t.starts_with('-') && !t.starts_with("--") && t.contains('c');
            i += 1;
        }
        if !has_c {
            return None;
        }
        // Only the string is the command; later words are its $0, $1...
        rest.get(i..i + 1)?
    };
    if let Some(w) = words.iter().find(|w| w.unresolved.is_some()) {
        return Some(Err(format!(
            "the command string is built at run time ({})",
            w.unresolved.as_deref().unwrap_or("expansion")
        )));
    }
    Some(Ok(words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")))
}

/// `curl` or `wget` to the Kubernetes API server with a method that writes: what it changed is
/// not read (a GET is a read; a request to any other service is not a cluster call).
fn api_server_call(program: &str, words: &[Word]) -> Option<String> {
    if !matches!(program, "curl" | "wget") {
        return None;
    }
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let api = texts.iter().any(|t| {
        t.contains("kubernetes.default")
            || t.contains(":6443")
            || t.contains("/api/v1/")
            || t.contains("/apis/")
    });
    let writes = super::exec::http_writes(&texts);
    // A write whose URL is built at run time may go to the API server.
    let unknown_url = words.iter().skip(1).any(|w| w.unresolved.is_some());
    (writes && (api || unknown_url))
        .then(|| format!("{} (a write to the Kubernetes API)", describe(words)))
}

/// Files on a node that the kubelet or the control plane reads (static pod manifests, the
/// kubelet's configuration, certificates): a "local" program that writes there changes the
/// cluster.
const NODE_PATHS: &[&str] = &[
    "/etc/kubernetes",
    "/var/lib/kubelet",
    "/etc/cni",
    "/var/lib/etcd",
];

/// The node file a local program's words or output redirection name, if any.
fn node_file(words: &[Word], stdout_to: Option<&str>) -> Option<String> {
    let program = words.first().map(|w| w.text.as_str()).unwrap_or_default();
    let reads_only = matches!(
        program,
        "cat" | "ls" | "grep" | "head" | "tail" | "stat" | "less" | "more" | "diff" | "find"
    );
    let named = words
        .iter()
        .skip(1)
        .map(|w| w.text.as_str())
        .find(|t| NODE_PATHS.iter().any(|p| t.contains(p)))
        .filter(|_| !reads_only);
    stdout_to
        .filter(|t| NODE_PATHS.iter().any(|p| t.contains(p)))
        .or(named)
        .map(str::to_string)
}

/// A command for people: its first words.
fn describe(words: &[Word]) -> String {
    let mut text = words
        .iter()
        .take(4)
        .map(|w| shell::quote(&w.text))
        .collect::<Vec<_>>()
        .join(" ");
    if words.len() > 4 {
        text.push_str(" …");
    }
    format!("`{text}`")
}

fn piped_input(from: &shell::Command, printed: Option<Vec<Value>>) -> Input {
    if let Some(objs) = printed {
        return Input::Text(serde_json::to_string(&Value::Array(objs)).unwrap_or_default());
    }
    let prog = from
        .words
        .first()
        .map(|w| w.text.as_str())
        .unwrap_or_default();
    match prog {
        "echo" | "printf" if from.words.iter().all(|w| w.unresolved.is_none()) => {
            let args: Vec<&str> = from.words[1..]
                .iter()
                .map(|w| w.text.as_str())
                .filter(|t| !(prog == "echo" && (*t == "-e" || *t == "-n")))
                .collect();
            let mut text = args.join(" ");
            if prog == "printf" || from.words.iter().any(|w| w.text == "-e") {
                text = text.replace("\\n", "\n").replace("\\t", "\t");
            }
            Input::Text(text)
        }
        "cat" if from.words.len() == 1 => match &from.stdin {
            Some(Stdin::Text(t)) => Input::Text(t.clone()),
            _ => Input::Unknown("`cat` of unrecorded input".into()),
        },
        other => Input::Unknown(format!("the output of `{other}`")),
    }
}

fn run_program(
    program: &str,
    words: &[Word],
    input: &Input,
    session: &mut Session,
) -> Result<Vec<Operation>, NotUnderstood> {
    match program {
        "helm" => kubectl::helm(words, session),
        _ => kubectl::kubectl(words, input, session),
    }
}

/// Decide each operation's effect from the call's result. A failure is the failure of the
/// line's last command (`last_from`: where its operations begin) and of one object at least: an
/// operation before it, or one of several objects, may have changed all the same.
fn judge(ops: &mut [Operation], map: &ToolMap, call: &ToolCall<'_>, last_from: usize) {
    let failure = call.result.as_ref().and_then(|r| {
        if r.is_error == Some(true) {
            return Some("the tool reported an error".to_string());
        }
        map.failure(r.text, r.json, r.exit_code)
    });
    let mutating = ops
        .iter()
        .filter(|o| o.verb.mutates() && !o.flags.dry_run)
        .count();
    for (i, op) in ops.iter_mut().enumerate() {
        let t = &op.target;
        let several = t.names.len() > 1
            || op.payload.objects.len() > 1
            || t.selector.is_some()
            || t.field_selector.is_some()
            || t.all
            || (t.unresolved.is_some() && t.names.len() != 1);
        op.effect = if op.flags.dry_run {
            Effect::DryRun
        } else if call.result.is_none() {
            Effect::Unknown("no result was recorded".into())
        } else {
            match &failure {
                None => Effect::Applied,
                Some(f) if !op.verb.mutates() => Effect::Failed(f.clone()),
                Some(f) if i < last_from => Effect::Unknown(format!(
                    "{f}, but by a later command of the line: this one may have run"
                )),
                Some(f) if mutating > 1 => Effect::Unknown(format!(
                    "{f}; which of the {mutating} changes of the command line failed is not known"
                )),
                Some(f) if several => Effect::Unknown(format!(
                    "{f}; a failure of one of its objects leaves the others changed"
                )),
                Some(f) => Effect::Failed(f.clone()),
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm() -> Normalizer {
        Normalizer::load(None).unwrap()
    }

    fn call<'a>(
        tool: &'a str,
        args: &'a Map<String, Value>,
        text: Option<&'a str>,
    ) -> ToolCall<'a> {
        ToolCall {
            seq: 1,
            ts: None,
            tool,
            server: None,
            call_id: None,
            arguments: Arguments::Object(args),
            result: text.map(|t| crate::trace::model::ToolResult {
                text: Some(t),
                json: None,
                is_error: None,
                exit_code: None,
                stderr: None,
            }),
        }
    }

    fn ops_of(n: &NormalizedCall) -> &[Operation] {
        match &n.outcome {
            CallOutcome::Operations(o) => o,
            other => panic!("not understood: {other:?}"),
        }
    }

    #[test]
    fn the_same_fact_from_three_vocabularies() {
        let n = norm();
        let mut s = Session::default();
        let shell_args = serde_json::json!({"command": "kubectl delete po -l app=web -n bench"});
        let c = n.call(
            &call(
                "run_command",
                shell_args.as_object().unwrap(),
                Some("pod \"web-1\" deleted\nExit code: 0"),
            ),
            &mut s,
        );
        let a = &ops_of(&c)[0];
        assert_eq!((a.verb, a.effect.clone()), (Verb::Delete, Effect::Applied));
        assert_eq!(a.target.selector.as_deref(), Some("app=web"));
        let pd = serde_json::json!({"name": "web-1", "namespace": "bench"});
        let c = n.call(
            &call("pods_delete", pd.as_object().unwrap(), Some("Pod deleted")),
            &mut s,
        );
        let b = &ops_of(&c)[0];
        assert_eq!(
            (
                b.verb,
                b.target.kinds[0].kind.as_str(),
                b.target.namespace.as_deref()
            ),
            (Verb::Delete, "Pod", Some("bench"))
        );
        assert_eq!(c.map.as_deref(), Some("containers"));
    }

    #[test]
    fn failures_dry_runs_and_unknowns() {
        let n = norm();
        let mut s = Session::default();
        let a = serde_json::json!({"command": "kubectl delete po web -n bench"});
        let c = n.call(
            &call(
                "run_command",
                a.as_object().unwrap(),
                Some("Error from server (NotFound): pods \"web\" not found\nExit code: 1"),
            ),
            &mut s,
        );
        assert!(matches!(ops_of(&c)[0].effect, Effect::Failed(_)));
        let c = n.call(&call("run_command", a.as_object().unwrap(), None), &mut s);
        assert!(matches!(ops_of(&c)[0].effect, Effect::Unknown(_)));
        let two = serde_json::json!({"command": "kubectl delete po a && kubectl delete po b"});
        let c = n.call(
            &call(
                "run_command",
                two.as_object().unwrap(),
                Some("Exit code: 1"),
            ),
            &mut s,
        );
        assert!(
            ops_of(&c)
                .iter()
                .all(|o| matches!(o.effect, Effect::Unknown(_)))
        );
        let dry = serde_json::json!({"command": "kubectl create cm x --from-literal=a=b --dry-run=client -o yaml | kubectl apply -f -"});
        let c = n.call(
            &call(
                "run_command",
                dry.as_object().unwrap(),
                Some("configmap/x created\nExit code: 0"),
            ),
            &mut s,
        );
        let o = ops_of(&c);
        assert_eq!(o[0].effect, Effect::DryRun);
        assert_eq!(
            (o[1].verb, o[1].target.names.clone()),
            (Verb::Apply, vec!["x".to_string()])
        );
        assert_eq!(o[1].payload.objects[0]["data"]["a"], "b");
    }

    #[test]
    fn heredocs_echo_pipes_and_xargs() {
        let mut s = Session::default();
        let o = command_line("cat <<EOF | kubectl apply -n bench -f -\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\nEOF", &mut s).unwrap();
        assert_eq!(o[0].target.names, ["c"]);
        let o = command_line("echo '{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\"}}' | kubectl create -f -", &mut s).unwrap();
        assert_eq!(o[0].target.names, ["p"]);
        let o = command_line("kubectl get po -o name | xargs kubectl delete", &mut s).unwrap();
        assert!(o[1].target.unresolved.is_some());
        let o = command_line("echo web-1 web-2 | xargs kubectl delete pod -n x", &mut s).unwrap();
        assert_eq!(o[0].target.names, ["web-1", "web-2"]);
        assert!(o[0].target.unresolved.is_none());
        let o = command_line("sudo -E timeout 30 kubectl delete ns x", &mut s).unwrap();
        assert_eq!(o[0].verb, Verb::Delete);
        let o = command_line("curl -s http://x | jq . && ls", &mut s).unwrap();
        assert!(o.is_empty());
    }

    #[test]
    fn wrapped_strings_compound_commands_and_foreign_programs() {
        let classed = |line: &str| command_line_classed(line, &mut Session::default()).unwrap();
        let verbs =
            |line: &str| -> Vec<Verb> { classed(line).ops.iter().map(|o| o.verb).collect() };
        // sh -c, bash -lc, eval and nesting are read again.
        assert_eq!(verbs("sh -c 'kubectl delete pod a -n x'"), [Verb::Delete]);
        assert_eq!(
            verbs("bash -o pipefail -lc \"kubectl scale deploy/a --replicas=0\""),
            [Verb::Scale]
        );
        assert_eq!(verbs("eval kubectl delete ns x"), [Verb::Delete]);
        assert_eq!(
            verbs("sh -c \"bash -c 'kubectl delete pod a'\""),
            [Verb::Delete]
        );
        // The commands of compound commands count; the keywords run nothing.
        assert_eq!(
            verbs("if kubectl get deploy a; then kubectl rollout restart deploy/a; fi"),
            [Verb::Read, Verb::RolloutRestart]
        );
        let s = classed("while true; do kubectl delete pod a; sleep 1; done");
        assert_eq!(
            s.ops.iter().map(|o| o.verb).collect::<Vec<_>>(),
            [Verb::Delete]
        );
        assert!(s.foreign.is_empty(), "{:?}", s.foreign);
        // A loop over a listing is aimed at the listing's target; over words, at the words.
        let o = classed(
            "for p in $(kubectl get pods -n x -l app=a -o name); do kubectl delete $p -n x; done",
        )
        .ops;
        // The listing itself is a read that ran first.
        assert_eq!(o[0].verb, Verb::Read);
        assert_eq!(o[1].target.selector.as_deref(), Some("app=a"));
        assert!(o[1].target.unresolved.is_none() && !o[1].target.all);
        let o = classed("for p in a b; do kubectl delete pod $p; done").ops;
        assert_eq!(o[0].target.names, ["a", "b"]);
        let o = classed("for p in $(cat list); do kubectl delete pod $p; done").ops;
        assert!(o[0].target.unresolved.is_some());
        // Programs that cannot touch the cluster, and those whose effect is not known.
        assert!(
            classed("ls -la; grep x f | base64; sleep 2; command -v kind; kill %1")
                .foreign
                .is_empty()
        );
        assert_eq!(classed("python3 fix.py").foreign, ["`python3 fix.py`"]);
        assert_eq!(classed("sh ./repair.sh").foreign.len(), 1);
        assert_eq!(
            classed("sh -c \"$CMD\"").foreign.len(),
            1,
            "a string built at run time"
        );
        assert!(
            classed("curl -s https://kubernetes.default.svc/api/v1/pods")
                .foreign
                .is_empty()
        );
        // Whatever runs inside another command is read too.
        assert_eq!(verbs("echo $(kubectl delete pod a -n x)"), [Verb::Delete]);
        assert_eq!(verbs("X=`kubectl delete pod a`; echo $X"), [Verb::Delete]);
        assert_eq!(
            verbs("diff <(kubectl get cm a -o yaml) a.yaml"),
            [Verb::Read]
        );
        assert_eq!(
            verbs("bash <<EOF\nkubectl delete pod a\nEOF"),
            [Verb::Delete]
        );
        assert_eq!(verbs("echo 'kubectl delete pod a' | sh"), [Verb::Delete]);
        assert_eq!(classed("kubectl get pods -o name | sh").foreign.len(), 1);
        let o = classed("find . -name '*.yaml' -exec kubectl delete -f {} \\;").ops;
        assert_eq!(o[0].verb, Verb::Delete);
        assert!(o[0].target.unresolved.is_some());
        let o = classed("kubectl get pods -o name | xargs -I{} sh -c 'kubectl delete {}'").ops;
        assert!(o[1].target.unresolved.is_some(), "{o:?}");
        assert_eq!(
            classed("awk 'BEGIN{system(\"kubectl delete pod a\")}'")
                .foreign
                .len(),
            1
        );
        assert_eq!(verbs("echo $((1 + 2))"), []);
        // A variable assigned twice is unresolved (which value a use sees is not known).
        let o = classed("NS=bench; kubectl delete deploy web -n $NS; NS=scratch").ops;
        assert!(o[0].target.unresolved.is_some(), "{o:?}");
        let o = classed("NS=bench; kubectl delete deploy web -n $NS").ops;
        assert_eq!(o[0].target.namespace.as_deref(), Some("bench"));
        // A syntax error after a complete first line: that line may have run.
        let e = command_line_classed("kubectl delete pod a\necho \"oops", &mut Session::default());
        assert!(
            matches!(e, Err(NotUnderstood(ref r)) if r.contains("may have run")),
            "{e:?}"
        );
        let e = command_line_classed(
            "curl -d '{\"a\": \"it's\"}' \\\n  http://x",
            &mut Session::default(),
        );
        assert!(
            matches!(e, Err(NotUnderstood(ref r)) if !r.contains("may have run")),
            "{e:?}"
        );
        assert_eq!(
            classed("curl -X DELETE https://kubernetes.default.svc/api/v1/namespaces/x/pods/a")
                .foreign
                .len(),
            1
        );
    }

    #[test]
    fn tools_no_map_knows_are_classed_by_the_recorded_list_or_their_name() {
        let doc = serde_json::json!({
            "schema": "kubeautopsy.trace/v1", "run": {"id": "r"}, "events": [],
            "meta": {"mcp_servers": [{"name": "s", "tools": [
                {"name": "inspect", "annotations": {"readOnlyHint": true}},
                {"name": "get_and_fix", "annotations": {"readOnlyHint": false, "destructiveHint": true}}
            ]}]}
        });
        let typed = crate::trace::typed::from_value(&doc).unwrap();
        let t = crate::trace::Trace::of(&typed, None);
        let l = ListedTools::of(&t);
        assert!(l.read_only("inspect").is_some());
        assert!(l.read_only("get_and_fix").is_none());
        assert_eq!(l.destructive("get_and_fix"), Some(true));
        assert_eq!(l.destructive("inspect"), None);
        assert!(l.read_only("pods_list").is_some());
        assert!(l.read_only("getPodLogs").is_some());
        assert!(l.read_only("mcp__k8s__describe_node").is_some());
        assert!(l.read_only("delete_pod").is_none());
        assert!(l.read_only("list_and_delete_pods").is_none());
        assert!(l.read_only("fix_deployment").is_none());
        for mutating in [
            "describe_and_terminate_pod",
            "list_and_prune_replicasets",
            "get_pod_execute",
            "cache_view_flush",
            "node_show_uncordon",
            "get_and_revert_deployment",
        ] {
            assert!(l.read_only(mutating).is_none(), "{mutating}");
        }
    }

    /// Every example of kubectl's reference help (fixtures/kubectl/examples.yaml, with its
    /// sources) parses to the verb, kinds, names, namespace, selector and flags it documents.
    #[test]
    fn kubectl_reference_examples() {
        #[derive(serde::Deserialize)]
        struct File {
            examples: Vec<Example>,
        }
        #[derive(serde::Deserialize)]
        struct Example {
            command: String,
            expect: Vec<Map<String, Value>>,
        }
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kubectl/examples.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let file: File = serde_saphyr::from_str(&text).unwrap();
        assert!(file.examples.len() > 100);
        let mut failures = Vec::new();
        for ex in &file.examples {
            let ops = match command_line(&ex.command, &mut Session::default()) {
                Ok(o) => o,
                Err(e) => {
                    failures.push(format!("{}\n    not understood: {}", ex.command, e.0));
                    continue;
                }
            };
            if ops.len() != ex.expect.len() {
                failures.push(format!(
                    "{}\n    {} operations, expected {}",
                    ex.command,
                    ops.len(),
                    ex.expect.len()
                ));
                continue;
            }
            for (op, exp) in ops.iter().zip(&ex.expect) {
                for (key, want) in exp {
                    let got = observed(op, key);
                    if got.as_ref() != Some(want) {
                        failures.push(format!(
                            "{}\n    {key}: got {got:?}, expected {want}",
                            ex.command
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// The value of an expectation key in an operation, in the fixture's terms.
    fn observed(op: &Operation, key: &str) -> Option<Value> {
        use serde_json::json;
        let t = &op.target;
        Some(match key {
            "verb" => json!(op.verb.name()),
            "kinds" => json!(t.kinds.iter().map(|k| k.kind.clone()).collect::<Vec<_>>()),
            "names" => json!(t.names),
            "namespace" => json!(t.namespace.clone().filter(|_| t.namespace_explicit)),
            "all_namespaces" => json!(t.all_namespaces),
            "selector" => json!(t.selector),
            "field_selector" => json!(t.field_selector),
            "all" => json!(t.all),
            "unresolved" => json!(t.unresolved.is_some()),
            "dry_run" => json!(op.flags.dry_run),
            "force" => json!(op.flags.force),
            "grace_period" => json!(op.flags.grace_period),
            "cascade" => serde_json::to_value(op.flags.cascade).ok()?,
            "overwrite" => json!(op.flags.overwrite),
            "replicas" => json!(op.payload.replicas),
            "patch_type" => {
                serde_json::to_value(op.payload.patch.as_ref().map(|p| p.patch_type)).ok()?
            }
            "images" => Value::Object(
                op.payload
                    .images
                    .iter()
                    .map(|(c, i)| (c.clone(), json!(i)))
                    .collect(),
            ),
            "labels" => Value::Object(
                op.payload
                    .labels
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), json!(v.clone()?))))
                    .collect(),
            ),
            "removed_labels" => json!(
                op.payload
                    .labels
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(k, _)| k.clone())
                    .collect::<Vec<_>>()
            ),
            _ => return None,
        })
    }

    proptest::proptest! {
        /// Any kubectl-ish command line is either understood or refused, never a panic.
        #[test]
        fn command_lines_never_panic(words in proptest::collection::vec(proptest::sample::select(vec![
            "kubectl", "helm", "delete", "apply", "create", "set", "image", "rollout", "undo", "patch", "-p", "{}",
            "-n", "ns", "-f", "-", "--all", "-A", "-l", "a=b", "po", "deploy/web", "x", "--", "|", "&&", "<<EOF",
            "EOF", "\n", "config", "set-context", "--namespace=x", "scale", "--replicas", "3", "label", "k-", "k=v",
            "taint", "node", "drain", "exec", "cp", "a:b", "run", "--rm", "--image=x", "secret", "generic", "service",
            "'", "\"", "$(x)", "--type", "json", "[]", "deployment", "token", "sa", "serviceaccount",
            "sh", "-c", "bash", "-lc", "eval", "for", "p", "in", "do", "done", "$p", "if", "then", "fi",
            "while", "read", "xargs", "curl", "-X", "python3",
        ]), 0..14)) {
            let line = words.join(" ").replace("\\n", "\n");
            let _ = command_line(&line, &mut Session::default());
        }
    }

    #[test]
    fn unknown_tools_and_mcp_prefixes() {
        let n = norm();
        let mut s = Session::default();
        let m = Map::new();
        let c = n.call(&call("acme_k8s_apply", &m, Some("ok")), &mut s);
        assert!(
            matches!(c.outcome, CallOutcome::NotUnderstood { ref label, .. } if label == "acme_k8s_apply")
        );
        let a = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "bench", "scale": 3});
        let c = n.call(
            &call(
                "mcp__kubernetes__resources_scale",
                a.as_object().unwrap(),
                Some("ok"),
            ),
            &mut s,
        );
        assert_eq!(ops_of(&c)[0].payload.replicas, Some(3));
        let a = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"});
        let c = n.call(
            &call("resources_scale", a.as_object().unwrap(), Some("ok")),
            &mut s,
        );
        assert_eq!(ops_of(&c)[0].verb, Verb::Read);
    }
}
