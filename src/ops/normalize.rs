//! Recorded tool calls → operations, with the tool maps and the kubectl/helm parsers.

use super::kubectl::{self, Input, NotUnderstood, Session};
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// The call's operations (empty for a shell command that ran no kubectl or helm).
    Operations(Vec<Operation>),
    /// Why the call could not be understood; the label groups such calls in summaries.
    NotUnderstood { label: String, reason: String },
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
        trace
            .tool_calls()
            .map(|c| self.call(c, &mut session))
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
                },
            };
        };
        let outcome = match self.apply_map(map, tool, call, session) {
            Ok(ops) => CallOutcome::Operations(ops),
            Err(NotUnderstood(why)) => CallOutcome::NotUnderstood {
                label: if why.starts_with("kubectl ") || why.starts_with("helm ") {
                    format!("{tool}: {why}")
                } else {
                    tool.to_string()
                },
                reason: why,
            },
        };
        NormalizedCall {
            seq: call.seq,
            tool: call.tool.to_string(),
            map: Some(map.id.clone()),
            outcome,
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
        let mut ops = match action {
            Action::Read => vec![Operation::new(Verb::Read)],
            Action::Command { line, program } => {
                let line = line
                    .resolve(args)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .ok_or_else(|| NotUnderstood("the command argument is missing".into()))?;
                let line = match program.as_deref() {
                    Some(p) if !starts_with_program(&line, p) => format!("{p} {line}"),
                    _ => line,
                };
                command_line(&line, session)?
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
        judge(&mut ops, map, call);
        Ok(ops)
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

/// Wrappers that run another program with their remaining words.
const WRAPPERS: &[&str] = &[
    "sudo", "env", "timeout", "time", "nohup", "command", "exec", "nice", "watch", "xargs",
    "stdbuf",
];

/// A shell command line → operations of its kubectl and helm commands.
pub fn command_line(line: &str, session: &mut Session) -> Result<Vec<Operation>, NotUnderstood> {
    let script = shell::parse(line).map_err(|e| NotUnderstood(format!("shell syntax: {e}")))?;
    let mut ops: Vec<Operation> = Vec::new();
    // Objects printed by each command (a kubectl dry run with -o yaml), for `| kubectl apply -f -`.
    let mut printed: Vec<Option<Vec<Value>>> = Vec::new();
    for cmd in &script.commands {
        let mut words: &[Word] = &cmd.words;
        let mut via_xargs = false;
        // Peel wrappers (`sudo -E`, `timeout 30`, `env A=B`, `xargs -r`).
        while let Some(first) = words.first() {
            let base = first.text.rsplit('/').next().unwrap_or(&first.text);
            if !WRAPPERS.contains(&base) {
                break;
            }
            via_xargs |= base == "xargs";
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
            _ => {
                printed.push(None);
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
        let mut new = run_program(program, &words[1..], &input, session)?;
        let text = words
            .iter()
            .map(|w| shell::quote(&w.text))
            .collect::<Vec<_>>()
            .join(" ");
        for op in &mut new {
            op.command = Some(text.clone());
            if via_xargs && op.verb.mutates() {
                op.target.unresolved =
                    Some("arguments come from xargs (another command's output)".into());
            }
        }
        let prints_objects =
            new.len() == 1 && new[0].flags.dry_run && !new[0].payload.objects.is_empty();
        printed.push(prints_objects.then(|| new[0].payload.objects.clone()));
        ops.extend(new);
    }
    Ok(ops)
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

/// Decide each operation's effect from the call's result.
fn judge(ops: &mut [Operation], map: &ToolMap, call: &ToolCall<'_>) {
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
    for op in ops.iter_mut() {
        op.effect = if op.flags.dry_run {
            Effect::DryRun
        } else if call.result.is_none() {
            Effect::Unknown("no result was recorded".into())
        } else {
            match &failure {
                None => Effect::Applied,
                Some(f) if mutating <= 1 || !op.verb.mutates() => Effect::Failed(f.clone()),
                Some(f) => Effect::Unknown(format!(
                    "{f}; which of the {mutating} changes of the command line failed is not known"
                )),
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
        let o = command_line("sudo -E timeout 30 kubectl delete ns x", &mut s).unwrap();
        assert_eq!(o[0].verb, Verb::Delete);
        let o = command_line("curl -s http://x | jq . && ls", &mut s).unwrap();
        assert!(o.is_empty());
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
