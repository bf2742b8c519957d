//! kubectl and helm command lines (as words) into canonical operations: `flags` is the table
//! of flags that take a value, `args` parses words as pflag does, this module turns each verb
//! into operations, `generators` builds the objects of `run` and `create <generator>`, `helm`
//! reads helm commands.

mod args;
mod flags;
mod generators;
mod helm;

pub use helm::{chart_unresolved, helm};

use args::Args;

use crate::ops::kinds::{self, KindRef};
use crate::ops::manifest;
use crate::ops::shell::Word;
use crate::ops::{Cascade, Operation, Patch, PatchType, Verb};
use serde_json::Value;

/// Per-run state that kubectl commands change for later commands.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Namespace of the current context, when a `config set-context` changed it.
    pub namespace: Option<String>,
    pub context: Option<String>,
}

/// Where a command's `-f -` reads from.
#[derive(Debug, Clone)]
pub enum Input {
    None,
    /// Text known from a heredoc, here-string or `echo ... |`.
    Text(String),
    /// Content not recorded (a file, the output of another program).
    Unknown(String),
}

/// Why a command line was not turned into operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUnderstood(pub String);

/// What `kubectl get ...` (its words after `kubectl`) lists: kinds, namespace, selectors, names.
/// `None` for any other command.
pub fn get_target(words: &[Word], session: &Session) -> Option<crate::ops::Target> {
    let args = Args::parse(words);
    if args.positional.first().map(|w| w.text.as_str()) != Some("get") {
        return None;
    }
    let rest: Vec<Word> = args.positional[1..].to_vec();
    let mut session = session.clone();
    let mut b = Builder {
        args: &args,
        input: &Input::None,
        session: &mut session,
    };
    Some(b.targeted(Verb::Read, &rest).target)
}

/// Parse `kubectl` arguments (without the program name).
pub fn kubectl(
    words: &[Word],
    input: &Input,
    session: &mut Session,
) -> Result<Vec<Operation>, NotUnderstood> {
    let args = Args::parse(words);
    let Some(sub) = args.positional.first().map(|w| w.text.clone()) else {
        return Ok(vec![Operation::new(Verb::Read)]);
    };
    let rest: Vec<Word> = args.positional[1..].to_vec();
    let mut b = Builder {
        args: &args,
        input,
        session,
    };
    let ops = match sub.as_str() {
        // `auth reconcile` writes RBAC objects; `auth can-i` and `whoami` read.
        "auth" if rest.first().is_some_and(|w| w.text == "reconcile") => {
            vec![b.with_objects(Verb::Apply, &rest[1..])]
        }
        // `get` lists objects of a namespace: the namespace its result's rows belong to (the
        // kinds stay unset, so every mutation may read what it listed).
        "get" => {
            let t = b.targeted(Verb::Read, &rest).target;
            let mut op = Operation::new(Verb::Read);
            op.target.namespace = t.namespace;
            op.target.namespace_explicit = t.namespace_explicit;
            op.target.all_namespaces = t.all_namespaces;
            vec![op]
        }
        "describe" | "logs" | "log" | "top" | "events" | "explain" | "api-resources"
        | "api-versions" | "version" | "cluster-info" | "auth" | "diff" | "wait" | "kustomize"
        | "port-forward" | "proxy" | "attach" | "completion" | "plugin" | "options" | "help"
        | "alpha" | "krew" | "whoami" | "convert" => vec![Operation::new(Verb::Read)],
        "config" => b.config(&rest),
        "apply" => b.apply(&rest),
        "create" => b.create(&rest)?,
        "replace" => vec![b.with_objects(Verb::Replace, &rest)],
        "patch" => vec![b.patch(&rest)],
        "delete" => vec![b.delete(&rest)],
        "scale" => {
            let mut op = b.targeted(Verb::Scale, &rest);
            op.payload.replicas = args.int("replicas");
            vec![op]
        }
        "autoscale" => vec![b.targeted(Verb::Autoscale, &rest)],
        "rollout" => b.rollout(&rest)?,
        "set" => b.set(&rest)?,
        "label" | "annotate" => vec![b.label(&sub, &rest)],
        "edit" => {
            let mut op = b.targeted(Verb::Edit, &rest);
            op.target
                .unresolved
                .get_or_insert("kubectl edit: the new content is not recorded".into());
            vec![op]
        }
        "run" => b.run(&rest),
        "expose" => vec![b.expose(&rest)],
        "exec" | "cp" => vec![b.exec(&sub, &rest)],
        "debug" => vec![b.debug(&rest)],
        "cordon" | "uncordon" | "drain" => {
            let verb = match sub.as_str() {
                "cordon" => Verb::Cordon,
                "uncordon" => Verb::Uncordon,
                _ => Verb::Drain,
            };
            vec![b.nodes(verb, &rest)]
        }
        "taint" => vec![b.taint(&rest)],
        "certificate" => {
            let mut op = b.targeted(Verb::Patch, &rest[rest.len().min(1)..]);
            op.target.kinds = vec![kinds::by_kind("CertificateSigningRequest", None)];
            vec![op]
        }
        other => return Err(NotUnderstood(format!("kubectl {other}"))),
    };
    Ok(ops)
}

struct Builder<'a> {
    args: &'a Args,
    input: &'a Input,
    session: &'a mut Session,
}

impl Builder<'_> {
    fn base(&self, verb: Verb) -> Operation {
        let mut op = Operation::new(verb);
        let a = self.args;
        op.flags.force = a.bool("force");
        op.flags.grace_period = a.int("grace-period");
        op.flags.cascade = a.get("cascade").and_then(|c| match c {
            "orphan" | "false" => Some(Cascade::Orphan),
            "foreground" => Some(Cascade::Foreground),
            "background" | "true" => Some(Cascade::Background),
            _ => None,
        });
        // `--local` never contacts the server: as good as a dry run.
        op.flags.dry_run = a
            .get("dry-run")
            .is_some_and(|d| d != "none" && d != "false")
            || a.bool("local");
        op.flags.prune = a.bool("prune");
        op.flags.prune_allowlist = a.get("prune-allowlist").is_some()
            || a.get("prune-whitelist").is_some()
            || a.get("applyset").is_some();
        op.flags.overwrite = a.bool("overwrite");
        op.flags.recursive = a.bool("recursive");
        op.target.all_namespaces = a.bool("all-namespaces");
        op.target.selector = a.get("selector").map(str::to_string);
        op.target.field_selector = a.get("field-selector").map(str::to_string);
        op.target.all = a.bool("all");
        match a.get("namespace") {
            Some(ns) if !op.target.all_namespaces => {
                op.target.namespace = Some(ns.to_string());
                op.target.namespace_explicit = true;
                if a.unresolved_flag("namespace") {
                    op.target.unresolved =
                        Some("the namespace comes from a shell expansion".into());
                }
            }
            Some(_) => {}
            None if !op.target.all_namespaces => {
                op.target.namespace = Some(
                    self.session
                        .namespace
                        .clone()
                        .unwrap_or_else(|| "default".into()),
                );
            }
            None => {}
        }
        if a.unresolved_flag("selector") {
            op.target.unresolved = Some("the selector comes from a shell expansion".into());
        }
        op
    }

    /// Fill the target from `TYPE NAME...`, `TYPE/NAME...`, `a,b` kind lists, or `-f`/`-k`.
    fn targeted(&mut self, verb: Verb, rest: &[Word]) -> Operation {
        let mut op = self.base(verb);
        self.files_into(&mut op);
        self.resources_into(&mut op, rest);
        self.fix_scope(&mut op);
        op
    }

    fn resources_into(&self, op: &mut Operation, rest: &[Word]) {
        if let Some(w) = rest.iter().find(|w| w.unresolved.is_some()) {
            op.target.unresolved = w
                .unresolved
                .as_ref()
                .map(|u| format!("a resource name comes from a {u}"));
        }
        let Some(first) = rest.first() else { return };
        if first.text.contains('/') {
            for w in rest {
                if let Some((t, n)) = w.text.split_once('/') {
                    push_kinds(&mut op.target.kinds, t);
                    op.target.names.push(n.to_string());
                }
            }
        } else {
            push_kinds(&mut op.target.kinds, &first.text);
            op.target
                .names
                .extend(rest[1..].iter().map(|w| w.text.clone()));
        }
    }

    /// Objects from `-f`: a known input text, else the target is unresolved.
    fn files_into(&self, op: &mut Operation) {
        if let Some(k) = self.args.get("kustomize") {
            op.target.unresolved = Some(format!("-k {k}: the kustomization is not recorded"));
            return;
        }
        let files = self.args.all("filename");
        for f in files {
            if f == "-" {
                match self.input {
                    Input::Text(t) => match manifest::parse_text(t) {
                        Ok(objs) => op.payload.objects.extend(objs),
                        Err(e) => op.target.unresolved = Some(format!("-f -: {e}")),
                    },
                    Input::Unknown(why) => {
                        op.target.unresolved =
                            Some(format!("-f -: standard input comes from {why}"))
                    }
                    Input::None => {
                        op.target.unresolved = Some("-f -: standard input was not recorded".into())
                    }
                }
            } else if f.starts_with("http://") || f.starts_with("https://") {
                op.target.unresolved = Some(format!("-f {f}: a URL is never fetched"));
            } else {
                op.target.unresolved = Some(format!("-f {f}: the file's content was not recorded"));
            }
        }
        self.objects_into_target(op);
    }

    /// Kinds, names and namespace of the payload objects become the target.
    fn objects_into_target(&self, op: &mut Operation) {
        for o in &op.payload.objects {
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
            let k = kinds::by_kind(kind, o.get("apiVersion").and_then(Value::as_str));
            if !op.target.kinds.contains(&k) {
                op.target.kinds.push(k);
            }
            if let Some(n) = manifest::name_of(o) {
                op.target.names.push(n.to_string());
            }
            if let Some(ns) = manifest::namespace_of(o)
                && !op.target.namespace_explicit
            {
                op.target.namespace = Some(ns.to_string());
                op.target.namespace_explicit = true;
            }
        }
    }

    /// Cluster-scoped kinds have no namespace.
    fn fix_scope(&self, op: &mut Operation) {
        if !op.target.kinds.is_empty() && op.target.kinds.iter().all(|k| !k.namespaced()) {
            op.target.namespace = None;
            op.target.namespace_explicit = false;
            op.target.all_namespaces = false;
        }
    }

    fn with_objects(&mut self, verb: Verb, rest: &[Word]) -> Operation {
        let mut op = self.targeted(verb, rest);
        if op.payload.objects.is_empty() && op.target.unresolved.is_none() && rest.is_empty() {
            op.target.unresolved = Some("no objects given".into());
        }
        op
    }

    fn config(&mut self, rest: &[Word]) -> Vec<Operation> {
        let sub = rest.first().map(|w| w.text.as_str()).unwrap_or_default();
        match sub {
            "use-context" | "use" => {
                let mut op = Operation::new(Verb::ContextSwitch);
                op.payload.context = rest.get(1).map(|w| w.text.clone());
                self.session.context = op.payload.context.clone();
                self.session.namespace = None;
                vec![op]
            }
            "set-context" => {
                let mut op = Operation::new(Verb::ContextSwitch);
                let current = self.args.bool("current") || rest.get(1).is_none();
                op.payload.context = rest.get(1).map(|w| w.text.clone());
                if let Some(ns) = self.args.get("namespace") {
                    op.target.namespace = Some(ns.to_string());
                    op.target.namespace_explicit = true;
                    if current || op.payload.context == self.session.context {
                        self.session.namespace = Some(ns.to_string());
                    }
                }
                vec![op]
            }
            // view, get-contexts, current-context, set-cluster, set-credentials...: no object in
            // the cluster changes.
            _ => vec![Operation::new(Verb::Read)],
        }
    }

    fn apply(&mut self, rest: &[Word]) -> Vec<Operation> {
        let sub = rest.first().map(|w| w.text.as_str());
        match sub {
            Some("view-last-applied") => return vec![Operation::new(Verb::Read)],
            Some("set-last-applied" | "edit-last-applied") => {
                let mut op = self.targeted(Verb::Annotate, &rest[1..]);
                op.payload.labels.push((
                    "kubectl.kubernetes.io/last-applied-configuration".into(),
                    None,
                ));
                return vec![op];
            }
            _ => {}
        }
        let verb = if self.args.bool("server-side") {
            Verb::ServerSideApply
        } else {
            Verb::Apply
        };
        let mut op = self.with_objects(verb, rest);
        op.flags.force = self.args.bool("force") || self.args.bool("force-conflicts");
        vec![op]
    }

    fn patch(&mut self, rest: &[Word]) -> Operation {
        let mut op = self.targeted(Verb::Patch, rest);
        let patch_type = self
            .args
            .get("type")
            .and_then(PatchType::from_name)
            .unwrap_or(PatchType::Strategic);
        if let Some(text) = self.args.get("patch") {
            match parse_patch_text(text) {
                Some(body) => op.payload.patch = Some(Patch { patch_type, body }),
                None => {
                    op.target
                        .unresolved
                        .get_or_insert_with(|| "the patch is neither JSON nor YAML".into());
                }
            }
            if self.args.unresolved_flag("patch") {
                op.target.unresolved = Some("the patch comes from a shell expansion".into());
            }
        } else if let Some(f) = self.args.get("patch-file") {
            op.target.unresolved = Some(format!(
                "--patch-file {f}: the file's content was not recorded"
            ));
        }
        op
    }

    fn delete(&mut self, rest: &[Word]) -> Operation {
        let mut op = self.targeted(Verb::Delete, rest);
        if self.args.bool("now") {
            op.flags.grace_period = Some(1);
        }
        op
    }

    fn rollout(&mut self, rest: &[Word]) -> Result<Vec<Operation>, NotUnderstood> {
        let sub = rest.first().map(|w| w.text.as_str()).unwrap_or_default();
        let verb = match sub {
            "restart" => Verb::RolloutRestart,
            "undo" => Verb::RolloutUndo,
            "pause" => Verb::RolloutPause,
            "resume" => Verb::RolloutResume,
            "status" | "history" => Verb::Read,
            other => return Err(NotUnderstood(format!("kubectl rollout {other}"))),
        };
        let mut op = self.targeted(verb, &rest[1..]);
        op.payload.to_revision = self.args.int("to-revision");
        Ok(vec![op])
    }

    fn set(&mut self, rest: &[Word]) -> Result<Vec<Operation>, NotUnderstood> {
        let sub = rest.first().map(|w| w.text.as_str()).unwrap_or_default();
        let verb = match sub {
            "image" => Verb::SetImage,
            "env" => Verb::SetEnv,
            "resources" => Verb::SetResources,
            "selector" | "serviceaccount" | "sa" | "subject" => Verb::SetOther,
            other => return Err(NotUnderstood(format!("kubectl set {other}"))),
        };
        // Resource words come first; assignments (`c=img`, `K=V`, `K-`) follow.
        let words = &rest[1..];
        let is_assignment =
            |w: &Word| w.text.contains('=') || (verb == Verb::SetEnv && w.text.ends_with('-'));
        let split = words.iter().position(is_assignment).unwrap_or(words.len());
        let (mut resources, assignments) = words.split_at(split);
        if matches!(sub, "serviceaccount" | "sa") && !resources.is_empty() {
            // `set serviceaccount TYPE NAME SA`: the last word is the ServiceAccount to use.
            resources = &resources[..resources.len() - 1];
        }
        let verb = if verb == Verb::SetEnv && self.args.bool("list") {
            Verb::Read
        } else {
            verb
        };
        let mut op = self.targeted(verb, resources);
        op.payload.container = self
            .args
            .get("containers")
            .or(self.args.get("container"))
            .map(str::to_string);
        match verb {
            Verb::SetImage => {
                for a in assignments {
                    if let Some((c, img)) = a.text.split_once('=') {
                        op.payload.images.push((c.to_string(), img.to_string()));
                    }
                }
            }
            Verb::SetEnv => {
                op.payload.env = assignments.iter().map(|w| w.text.clone()).collect();
                op.payload
                    .env
                    .extend(self.args.all("env").iter().map(|s| s.to_string()));
                if self.args.get("from").is_some() {
                    op.payload.env.push(format!(
                        "--from={}",
                        self.args.get("from").unwrap_or_default()
                    ));
                }
            }
            Verb::SetResources => {
                for k in ["limits", "requests"] {
                    if let Some(v) = self.args.get(k) {
                        op.payload.resources.push((k.to_string(), v.to_string()));
                    }
                }
            }
            _ => {}
        }
        Ok(vec![op])
    }

    fn label(&mut self, sub: &str, rest: &[Word]) -> Operation {
        // `--list` prints the labels or annotations.
        let verb = if self.args.bool("list") {
            Verb::Read
        } else if sub == "label" {
            Verb::Label
        } else {
            Verb::Annotate
        };
        let is_change =
            |w: &Word| w.text.contains('=') || (w.text.ends_with('-') && !w.text.contains('/'));
        let split = rest
            .iter()
            .position(|w| is_change(w) && !w.text.starts_with('-'))
            .unwrap_or(rest.len());
        let (resources, changes) = rest.split_at(split);
        let mut op = self.targeted(verb, resources);
        op.payload.labels = changes
            .iter()
            .filter_map(|w| label_change(&w.text))
            .collect();
        op
    }

    fn args_after_dash(&self) -> Vec<String> {
        self.args
            .after_dash
            .iter()
            .map(|w| w.text.clone())
            .collect()
    }

    fn expose(&mut self, rest: &[Word]) -> Operation {
        let mut op = self.targeted(Verb::Expose, rest);
        let exposed = op.target.names.first().cloned().unwrap_or_default();
        op.target.kinds = vec![kinds::by_kind("Service", Some("v1"))];
        op.target.names = vec![self.args.get("name").map_or(exposed, str::to_string)];
        op
    }

    fn exec(&mut self, sub: &str, rest: &[Word]) -> Operation {
        let mut op = self.base(Verb::Exec);
        let pod = if sub == "cp" {
            // kubectl cp SRC DST: the side with `pod:` (or `ns/pod:`) is the container.
            rest.iter()
                .find_map(|w| w.text.split_once(':').map(|(p, _)| p.to_string()))
                .unwrap_or_default()
        } else {
            rest.first().map(|w| w.text.clone()).unwrap_or_default()
        };
        let pod = match pod.split_once('/') {
            Some((t, n)) if sub == "exec" => {
                push_kinds(&mut op.target.kinds, t);
                n.to_string()
            }
            Some((ns, n)) => {
                op.target.namespace = Some(ns.to_string());
                op.target.namespace_explicit = true;
                op.target.kinds = vec![kinds::by_kind("Pod", None)];
                n.to_string()
            }
            None => {
                op.target.kinds = vec![kinds::by_kind("Pod", None)];
                pod
            }
        };
        op.target.names = vec![pod];
        op.payload.container = self.args.get("container").map(str::to_string);
        op.payload.command = if sub == "cp" {
            // What kubectl cp runs in the container: `tar cf - PATH` to copy out of it (a
            // read), `tar xf - -C DIR` to copy into it (a write).
            let from_pod = rest.first().is_some_and(|w| w.text.contains(':'));
            let path = |w: Option<&Word>| {
                w.and_then(|w| w.text.split_once(':').map(|(_, p)| p.to_string()))
                    .unwrap_or_default()
            };
            if from_pod {
                vec!["tar".into(), "cf".into(), "-".into(), path(rest.first())]
            } else {
                vec![
                    "tar".into(),
                    "xf".into(),
                    "-".into(),
                    "-C".into(),
                    path(rest.get(1)),
                ]
            }
        } else {
            self.args_after_dash()
        };
        op
    }

    /// `kubectl debug`: a node debugging pod (`node/NAME`: a new privileged pod on the node,
    /// left running), a copy of a pod (`--copy-to`), or an ephemeral debug container added to a
    /// pod. Each is a creation or a change the replay models.
    fn debug(&mut self, rest: &[Word]) -> Operation {
        // The namespace the pod goes to, before a Node target clears it.
        let namespace = self.base(Verb::Debug).target.namespace;
        let mut op = self.targeted(Verb::Debug, rest);
        // `kubectl debug POD`: a bare word is a pod's name (TYPE/NAME names other kinds).
        if let Some(first) = rest.first()
            && !first.text.contains('/')
            && first.unresolved.is_none()
        {
            op.target.kinds = vec![kinds::by_kind("Pod", Some("v1"))];
            op.target.names = vec![first.text.clone()];
        }
        let image = self.args.get("image").unwrap_or("busybox").to_string();
        op.payload.command = self.args_after_dash();
        let node = op.target.kinds.first().is_some_and(|k| k.kind == "Node");
        let copy = self.args.get("copy-to").map(str::to_string);
        if !node && copy.is_none() {
            op.payload.container = Some(image);
            return op;
        }
        // kubectl adds five random characters to a node debugger's name.
        let name = match (&copy, op.target.names.first()) {
            (Some(c), _) => c.clone(),
            (None, Some(n)) => format!("node-debugger-{n}"),
            (None, None) => return op,
        };
        let mut pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "debugger", "image": image}]}
        });
        if node && let Some(n) = op.target.names.first() {
            // kubectl's node profile: the host's namespaces and filesystem.
            pod["spec"]["nodeName"] = serde_json::json!(n);
            pod["spec"]["hostPID"] = serde_json::json!(true);
            pod["spec"]["hostNetwork"] = serde_json::json!(true);
            pod["spec"]["hostIPC"] = serde_json::json!(true);
            pod["spec"]["volumes"] =
                serde_json::json!([{"name": "host-root", "hostPath": {"path": "/"}}]);
            op.target.namespace = namespace;
        }
        op.target.kinds = vec![kinds::by_kind("Pod", Some("v1"))];
        op.target.names = vec![name];
        op.payload.objects = vec![pod];
        op
    }

    fn nodes(&mut self, verb: Verb, rest: &[Word]) -> Operation {
        let mut op = self.base(verb);
        op.target.kinds = vec![kinds::by_kind("Node", None)];
        op.target.names = rest.iter().map(|w| w.text.clone()).collect();
        op.target.namespace = None;
        op.target.namespace_explicit = false;
        op
    }

    fn taint(&mut self, rest: &[Word]) -> Operation {
        let is_change =
            |w: &Word| w.text.contains(':') || w.text.contains('=') || w.text.ends_with('-');
        let split = rest
            .iter()
            .skip(1)
            .position(is_change)
            .map_or(rest.len(), |p| p + 1);
        let (resources, changes) = rest.split_at(split);
        let mut op = self.base(Verb::Taint);
        self.resources_into(&mut op, resources);
        if op.target.kinds.is_empty() {
            op.target.kinds = vec![kinds::by_kind("Node", None)];
        }
        op.target.namespace = None;
        op.target.namespace_explicit = false;
        op.payload.labels = changes
            .iter()
            .filter_map(|w| label_change(&w.text))
            .collect();
        op
    }
}

fn push_kinds(kinds: &mut Vec<KindRef>, word: &str) {
    for w in word.split(',') {
        let new: Vec<KindRef> = match kinds::resolve(w) {
            Some(k) => vec![k],
            None => kinds::all_category(),
        };
        for k in new {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
    }
}

/// `key=value` → set, `key-` → remove (also `key:Effect-` for taints).
fn label_change(text: &str) -> Option<(String, Option<String>)> {
    if let Some((k, v)) = text.split_once('=') {
        return Some((k.to_string(), Some(v.to_string())));
    }
    if let Some(k) = text.strip_suffix('-') {
        return Some((k.to_string(), None));
    }
    text.contains(':')
        .then(|| (text.to_string(), Some(String::new())))
}

/// A patch given as text: JSON, or YAML (kubectl accepts both).
pub fn parse_patch_text(text: &str) -> Option<Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_saphyr::from_str::<Value>(text).ok())
        .filter(|v| v.is_object() || v.is_array())
}

#[cfg(test)]
mod tests {
    use super::super::shell;
    use super::*;

    fn ops(line: &str) -> Vec<Operation> {
        let script = shell::parse(line).unwrap();
        let words = &script.commands[0].words;
        assert_eq!(words[0].text, "kubectl");
        kubectl(&words[1..], &Input::None, &mut Session::default()).unwrap()
    }

    fn one(line: &str) -> Operation {
        let mut v = ops(line);
        assert_eq!(v.len(), 1, "{line}");
        v.remove(0)
    }

    #[test]
    fn delete_by_selector_and_by_names() {
        let op = one("kubectl delete po -l app=web -n bench");
        assert_eq!(op.verb, Verb::Delete);
        assert_eq!(op.target.kinds[0].kind, "Pod");
        assert_eq!(op.target.selector.as_deref(), Some("app=web"));
        assert_eq!(op.target.namespace.as_deref(), Some("bench"));
        let op = one("kubectl -nbench delete deploy/web svc/web --grace-period=0 --force");
        assert_eq!(op.target.names, ["web", "web"]);
        assert_eq!(op.target.kinds.len(), 2);
        assert!(op.flags.force);
        assert_eq!(op.flags.grace_period, Some(0));
        let op = one("kubectl delete pods,services -l name=myLabel");
        assert_eq!(
            op.target
                .kinds
                .iter()
                .map(|k| k.kind.as_str())
                .collect::<Vec<_>>(),
            ["Pod", "Service"]
        );
        let op = one("kubectl delete ns staging");
        assert_eq!(op.target.namespace, None);
        let op = one("kubectl delete all --all -A");
        assert!(op.target.all && op.target.all_namespaces);
        assert!(op.target.kinds.len() > 5);
    }

    #[test]
    fn flags_anywhere_give_the_same_operation() {
        let a = one("kubectl delete pod web -n bench --force");
        for line in [
            "kubectl -n bench delete pod web --force",
            "kubectl --namespace=bench delete --force pod web",
            "kubectl delete --force -nbench pod web",
            "kubectl delete pod --namespace bench web --force=true",
        ] {
            assert_eq!(one(line).target, a.target, "{line}");
            assert_eq!(one(line).flags, a.flags, "{line}");
        }
    }

    #[test]
    fn patches_sets_and_labels() {
        let op = one(
            r#"kubectl patch cm shared-config -n bench --type merge -p '{"data":{"PORT":"8080"}}'"#,
        );
        let p = op.payload.patch.unwrap();
        assert_eq!(p.patch_type, PatchType::Merge);
        assert_eq!(p.body["data"]["PORT"], "8080");
        let op = one("kubectl set image deployment/web web=nginx:1.27 sidecar=envoy -n bench");
        assert_eq!(
            op.payload.images,
            [
                ("web".into(), "nginx:1.27".into()),
                ("sidecar".into(), "envoy".into())
            ]
        );
        assert_eq!(op.target.names, ["web"]);
        let op = one("kubectl label pods foo unhealthy=true bar- --overwrite");
        assert_eq!(op.target.names, ["foo"]);
        assert_eq!(
            op.payload.labels,
            [
                ("unhealthy".into(), Some("true".into())),
                ("bar".into(), None)
            ]
        );
        assert!(op.flags.overwrite);
        let op = one("kubectl scale --replicas=3 deployment/web");
        assert_eq!(op.payload.replicas, Some(3));
        let op = one("kubectl rollout undo deploy/api --to-revision=2 -n bench");
        assert_eq!(
            (op.verb, op.payload.to_revision),
            (Verb::RolloutUndo, Some(2))
        );
        assert_eq!(one("kubectl rollout status deploy/api").verb, Verb::Read);
    }

    #[test]
    fn files_heredocs_and_dry_runs() {
        let op = one("kubectl apply -f deploy.yaml");
        assert!(op.target.unresolved.unwrap().contains("deploy.yaml"));
        let op = one("kubectl apply -k overlays/prod");
        assert!(op.target.unresolved.is_some());
        let text =
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: bench\n";
        let script = shell::parse("kubectl apply -f -").unwrap();
        let op = kubectl(
            &script.commands[0].words[1..],
            &Input::Text(text.into()),
            &mut Session::default(),
        )
        .unwrap()
        .remove(0);
        assert_eq!(op.target.kinds[0].kind, "Deployment");
        assert_eq!(op.target.names, ["web"]);
        assert_eq!(op.target.namespace.as_deref(), Some("bench"));
        assert!(
            one("kubectl apply -f x.yaml --dry-run=client")
                .flags
                .dry_run
        );
        assert!(one("kubectl delete po x --dry-run").flags.dry_run);
        assert!(!one("kubectl delete po x --dry-run=none").flags.dry_run);
        assert_eq!(
            one("kubectl apply --server-side --force-conflicts -f x").verb,
            Verb::ServerSideApply
        );
    }

    #[test]
    fn generators_build_objects() {
        let op =
            one("kubectl create deployment web-fixed --image=nginx:1.27 -n bench --replicas=2");
        assert_eq!(op.verb, Verb::Create);
        assert_eq!(op.target.names, ["web-fixed"]);
        let d = &op.payload.objects[0];
        assert_eq!(d["spec"]["replicas"], 2);
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["name"],
            "nginx"
        );
        let op = one("kubectl create configmap web-config --from-literal=PORT=80 -n bench");
        assert_eq!(op.payload.objects[0]["data"]["PORT"], "80");
        let op = one("kubectl create secret generic db --from-literal=password=x");
        assert_eq!(op.payload.objects[0]["kind"], "Secret");
        assert_eq!(one("kubectl create ns prod").target.namespace, None);
        let v = ops(
            "kubectl run debug --rm -it --image=busybox --restart=Never -- sh -c 'wget -qO- web'",
        );
        assert_eq!(
            v.iter().map(|o| o.verb).collect::<Vec<_>>(),
            [Verb::Run, Verb::Delete]
        );
    }

    #[test]
    fn nodes_exec_and_context() {
        let op = one("kubectl drain node-1 --ignore-daemonsets --delete-emptydir-data --force");
        assert_eq!(
            (op.verb, op.target.names.clone()),
            (Verb::Drain, vec!["node-1".to_string()])
        );
        let op = one("kubectl taint nodes foo dedicated=special-user:NoSchedule");
        assert_eq!(op.payload.labels[0].0, "dedicated");
        let op = one("kubectl exec -it web-abc -c nginx -n bench -- nginx -s reload");
        assert_eq!(op.payload.command, ["nginx", "-s", "reload"]);
        assert_eq!(op.payload.container.as_deref(), Some("nginx"));
        let mut s = Session::default();
        let w = shell::parse("kubectl config set-context --current --namespace=prod").unwrap();
        kubectl(&w.commands[0].words[1..], &Input::None, &mut s).unwrap();
        assert_eq!(s.namespace.as_deref(), Some("prod"));
        let w = shell::parse("kubectl delete po x").unwrap();
        let op = kubectl(&w.commands[0].words[1..], &Input::None, &mut s)
            .unwrap()
            .remove(0);
        assert_eq!(op.target.namespace.as_deref(), Some("prod"));
        assert!(!op.target.namespace_explicit);
    }

    #[test]
    fn unknown_subcommands_are_not_understood() {
        let w = shell::parse("kubectl frobnicate x").unwrap();
        let e = kubectl(
            &w.commands[0].words[1..],
            &Input::None,
            &mut Session::default(),
        )
        .unwrap_err();
        assert_eq!(e.0, "kubectl frobnicate");
    }

    #[test]
    fn helm_commands() {
        let w =
            shell::parse("helm upgrade --install web bitnami/nginx -n bench --set replicaCount=2")
                .unwrap();
        let op = helm(&w.commands[0].words[1..], &mut Session::default())
            .unwrap()
            .remove(0);
        assert_eq!(op.verb, Verb::HelmUpgrade);
        assert_eq!(op.payload.release.as_deref(), Some("web"));
        assert_eq!(op.payload.chart.as_deref(), Some("bitnami/nginx"));
        assert_eq!(op.target.namespace.as_deref(), Some("bench"));
    }
}
