//! kubectl and helm command lines (as words) into canonical operations.
//!
//! Flags follow pflag: global flags anywhere, `--flag=value` and `--flag value`, glued short
//! flags (`-nprod`, `-oyaml`, `-it`), `_` read as `-` in long names, `--` ends the flags.
//! Which flags take a value is what makes positionals unambiguous, so that is one table here.

use super::kinds::{self, KindRef};
use super::manifest;
use super::shell::Word;
use super::{Cascade, Operation, Patch, PatchType, Verb};
use serde_json::{Value, json};

/// How a flag consumes words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    /// `--flag` alone (a `--flag=false` form is honoured).
    Bool,
    /// `--flag value` or `--flag=value`.
    Value,
    /// `--flag` alone means the given default; a value only with `=`.
    Optional(&'static str),
}

/// (long name, short letter, arity) for every kubectl flag that takes a value or is optional;
/// unknown flags are read as booleans (pflag would reject them anyway).
const FLAGS: &[(&str, Option<char>, Arity)] = &[
    // global
    ("namespace", Some('n'), Arity::Value),
    ("context", None, Arity::Value),
    ("cluster", None, Arity::Value),
    ("user", None, Arity::Value),
    ("kubeconfig", None, Arity::Value),
    ("server", Some('s'), Arity::Value),
    ("token", None, Arity::Value),
    ("as", None, Arity::Value),
    ("as-group", None, Arity::Value),
    ("as-uid", None, Arity::Value),
    ("request-timeout", None, Arity::Value),
    ("certificate-authority", None, Arity::Value),
    ("client-certificate", None, Arity::Value),
    ("client-key", None, Arity::Value),
    ("tls-server-name", None, Arity::Value),
    ("cache-dir", None, Arity::Value),
    ("profile", None, Arity::Value),
    ("profile-output", None, Arity::Value),
    ("v", Some('v'), Arity::Value),
    ("vmodule", None, Arity::Value),
    ("log-flush-frequency", None, Arity::Value),
    ("all-namespaces", Some('A'), Arity::Bool),
    // common
    ("output", Some('o'), Arity::Value),
    ("selector", Some('l'), Arity::Value),
    ("field-selector", None, Arity::Value),
    ("filename", Some('f'), Arity::Value),
    ("kustomize", Some('k'), Arity::Value),
    ("recursive", Some('R'), Arity::Bool),
    ("label-columns", Some('L'), Arity::Value),
    ("sort-by", None, Arity::Value),
    ("template", None, Arity::Value),
    ("chunk-size", None, Arity::Value),
    ("field-manager", None, Arity::Value),
    ("dry-run", None, Arity::Optional("client")),
    ("validate", None, Arity::Optional("strict")),
    ("wait", None, Arity::Optional("true")),
    ("timeout", None, Arity::Value),
    ("resource-version", None, Arity::Value),
    ("subresource", None, Arity::Value),
    ("raw", None, Arity::Value),
    ("prune-allowlist", None, Arity::Value),
    ("prune-whitelist", None, Arity::Value),
    ("selector-file", None, Arity::Value),
    // delete / drain
    ("grace-period", None, Arity::Value),
    ("cascade", None, Arity::Optional("background")),
    ("pod-selector", None, Arity::Value),
    ("skip-wait-for-delete-timeout", None, Arity::Value),
    ("chunk", None, Arity::Value),
    // patch / scale / rollout
    ("patch", Some('p'), Arity::Value),
    ("patch-file", None, Arity::Value),
    ("type", None, Arity::Value),
    ("replicas", None, Arity::Value),
    ("current-replicas", None, Arity::Value),
    ("to-revision", None, Arity::Value),
    ("revision", None, Arity::Value),
    // run / create / expose / set
    ("image", None, Arity::Value),
    ("port", None, Arity::Value),
    ("target-port", None, Arity::Value),
    ("name", None, Arity::Value),
    ("protocol", None, Arity::Value),
    ("external-ip", None, Arity::Value),
    ("load-balancer-ip", None, Arity::Value),
    ("session-affinity", None, Arity::Value),
    ("cluster-ip", None, Arity::Value),
    ("container", Some('c'), Arity::Value),
    ("containers", None, Arity::Value),
    ("from-literal", None, Arity::Value),
    ("from-file", None, Arity::Value),
    ("from-env-file", None, Arity::Value),
    ("from", None, Arity::Value),
    ("schedule", None, Arity::Value),
    ("restart", None, Arity::Value),
    ("labels", None, Arity::Value),
    ("annotations", None, Arity::Value),
    ("env", Some('e'), Arity::Value),
    ("limits", None, Arity::Value),
    ("requests", None, Arity::Value),
    ("overrides", None, Arity::Value),
    ("serviceaccount", None, Arity::Value),
    ("image-pull-policy", None, Arity::Value),
    ("pod-running-timeout", None, Arity::Value),
    ("cpu-percent", None, Arity::Value),
    ("min", None, Arity::Value),
    ("max", None, Arity::Value),
    ("tcp", None, Arity::Value),
    ("clusterip", None, Arity::Value),
    ("node-port", None, Arity::Value),
    ("external-name", None, Arity::Value),
    ("docker-server", None, Arity::Value),
    ("docker-username", None, Arity::Value),
    ("docker-password", None, Arity::Value),
    ("docker-email", None, Arity::Value),
    ("cert", None, Arity::Value),
    ("key", None, Arity::Value),
    ("rule", None, Arity::Value),
    ("verb", None, Arity::Value),
    ("resource", None, Arity::Value),
    ("resource-name", None, Arity::Value),
    ("non-resource-url", None, Arity::Value),
    ("aggregation-rule", None, Arity::Value),
    ("clusterrole", None, Arity::Value),
    ("role", None, Arity::Value),
    ("group", None, Arity::Value),
    ("class", None, Arity::Value),
    ("default-backend", None, Arity::Value),
    ("annotation", None, Arity::Value),
    ("min-available", None, Arity::Value),
    ("max-unavailable", None, Arity::Value),
    ("hard", None, Arity::Value),
    ("scopes", None, Arity::Value),
    ("value", None, Arity::Value),
    ("description", None, Arity::Value),
    ("preemption-policy", None, Arity::Value),
    ("duration", None, Arity::Value),
    ("audience", None, Arity::Value),
    ("bound-object-kind", None, Arity::Value),
    ("bound-object-name", None, Arity::Value),
    ("bound-object-uid", None, Arity::Value),
    ("prefix", None, Arity::Value),
    ("keys", None, Arity::Value),
    ("target", None, Arity::Value),
    ("copy-to", None, Arity::Value),
    ("profile-name", None, Arity::Value),
    ("custom", None, Arity::Value),
    ("set-image", None, Arity::Value),
    ("address", None, Arity::Value),
    ("for", None, Arity::Value),
    ("since", None, Arity::Value),
    ("since-time", None, Arity::Value),
    ("tail", None, Arity::Value),
    ("limit-bytes", None, Arity::Value),
    ("max-log-requests", None, Arity::Value),
    ("pod-timeout", None, Arity::Value),
    ("output-directory", None, Arity::Value),
    ("output-watch-events", None, Arity::Bool),
    // helm
    ("set", None, Arity::Value),
    ("set-string", None, Arity::Value),
    ("set-file", None, Arity::Value),
    ("set-json", None, Arity::Value),
    ("values", None, Arity::Value),
    ("version", None, Arity::Value),
    ("repo", None, Arity::Value),
    ("kube-context", None, Arity::Value),
    ("post-renderer", None, Arity::Value),
    ("username", None, Arity::Value),
    ("password", None, Arity::Value),
    ("ca-file", None, Arity::Value),
    ("cert-file", None, Arity::Value),
    ("key-file", None, Arity::Value),
];

fn flag_by_long(name: &str) -> Option<Arity> {
    FLAGS.iter().find(|f| f.0 == name).map(|f| f.2)
}

fn flag_by_short(c: char) -> Option<(&'static str, Arity)> {
    FLAGS.iter().find(|f| f.1 == Some(c)).map(|f| (f.0, f.2))
}

/// Parsed words: flags by long name (short letters mapped; unknown ones kept as given),
/// positionals, and the words after `--`.
#[derive(Debug, Default)]
struct Args {
    flags: Vec<(String, String, bool)>,
    positional: Vec<Word>,
    after_dash: Vec<Word>,
}

impl Args {
    fn parse(words: &[Word]) -> Args {
        let mut a = Args::default();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            let t = w.text.as_str();
            let unresolved = w.unresolved.is_some();
            if t == "--" {
                a.after_dash = words[i + 1..].to_vec();
                break;
            }
            if let Some(long) = t.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n.replace('_', "-"), Some(v.to_string())),
                    None => (long.replace('_', "-"), None),
                };
                let arity = flag_by_long(&name).unwrap_or(Arity::Bool);
                let value = match (value, arity) {
                    (Some(v), _) => v,
                    (None, Arity::Value) => {
                        i += 1;
                        words.get(i).map(|w| w.text.clone()).unwrap_or_default()
                    }
                    (None, Arity::Optional(d)) => d.to_string(),
                    (None, Arity::Bool) => "true".to_string(),
                };
                let unresolved = unresolved
                    || (arity == Arity::Value
                        && words.get(i).is_some_and(|w| w.unresolved.is_some()));
                a.flags.push((name, value, unresolved));
            } else if t.len() > 1
                && t.starts_with('-')
                && !t[1..].starts_with(|c: char| c.is_ascii_digit())
            {
                // Short flags, possibly glued: -it, -nprod, -oyaml, -n=prod.
                let chars: Vec<char> = t[1..].chars().collect();
                let mut j = 0;
                while j < chars.len() {
                    let c = chars[j];
                    let (name, arity) = flag_by_short(c).unwrap_or(("", Arity::Bool));
                    let name = if name.is_empty() {
                        c.to_string()
                    } else {
                        name.to_string()
                    };
                    if arity == Arity::Value {
                        let rest: String = chars[j + 1..].iter().collect();
                        let rest = rest.strip_prefix('=').map(str::to_string).unwrap_or(rest);
                        let value = if rest.is_empty() {
                            i += 1;
                            words.get(i).map(|w| w.text.clone()).unwrap_or_default()
                        } else {
                            rest
                        };
                        let unresolved =
                            unresolved || words.get(i).is_some_and(|w| w.unresolved.is_some());
                        a.flags.push((name, value, unresolved));
                        break;
                    }
                    a.flags.push((name, "true".to_string(), unresolved));
                    j += 1;
                }
            } else {
                a.positional.push(w.clone());
            }
            i += 1;
        }
        a
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|f| f.0 == name)
            .map(|f| f.1.as_str())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|f| f.0 == name)
            .map(|f| f.1.as_str())
            .collect()
    }
    fn bool(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v != "false")
    }
    fn unresolved_flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.0 == name && f.2)
    }
    fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }
}

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
        "get" | "describe" | "logs" | "log" | "top" | "events" | "explain" | "api-resources"
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
        "debug" => vec![b.targeted(Verb::Debug, &rest)],
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
        let verb = if sub == "label" {
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

    fn run(&mut self, rest: &[Word]) -> Vec<Operation> {
        let mut op = self.base(Verb::Run);
        let name = rest.first().map(|w| w.text.clone()).unwrap_or_default();
        let image = self.args.get("image").unwrap_or_default().to_string();
        let mut labels = serde_json::Map::new();
        match self.args.get("labels") {
            Some(l) => {
                for kv in l.split(',') {
                    if let Some((k, v)) = kv.split_once('=') {
                        labels.insert(k.to_string(), json!(v));
                    }
                }
            }
            None => {
                labels.insert("run".into(), json!(name));
            }
        }
        let mut container = json!({"name": name, "image": image});
        let cmd: Vec<String> = self.args_after_dash();
        if !cmd.is_empty() {
            let key = if self.args.bool("command") {
                "command"
            } else {
                "args"
            };
            container[key] = json!(cmd);
        }
        if let Some(p) = self.args.int("port") {
            container["ports"] = json!([{"containerPort": p}]);
        }
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [container], "restartPolicy": self.args.get("restart").unwrap_or("Always")}
        });
        op.target.kinds = vec![kinds::by_kind("Pod", Some("v1"))];
        op.target.names = vec![name.clone()];
        op.payload.objects = vec![pod];
        let mut ops = vec![op.clone()];
        if self.args.bool("expose") {
            let mut svc = op.clone();
            svc.verb = Verb::Expose;
            svc.target.kinds = vec![kinds::by_kind("Service", Some("v1"))];
            svc.payload = Default::default();
            ops.push(svc);
        }
        if self.args.bool("rm") {
            // `--rm`: the pod is deleted when the attached session ends.
            let mut del = op;
            del.verb = Verb::Delete;
            del.payload = Default::default();
            ops.push(del);
        }
        ops
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
            std::iter::once("cp".to_string())
                .chain(rest.iter().map(|w| w.text.clone()))
                .collect()
        } else {
            self.args_after_dash()
        };
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

    fn create(&mut self, rest: &[Word]) -> Result<Vec<Operation>, NotUnderstood> {
        let generator = rest.first().map(|w| w.text.as_str());
        if self.args.get("filename").is_some()
            || self.args.get("kustomize").is_some()
            || generator.is_none()
        {
            return Ok(vec![self.with_objects(Verb::Create, &[])]);
        }
        let g = generator.unwrap_or_default();
        let (kind_word, name_at) = match g {
            "secret" | "service" | "svc" => (g, 2),
            _ => (g, 1),
        };
        let name = rest
            .get(name_at)
            .map(|w| w.text.clone())
            .unwrap_or_default();
        let sub_kind = rest.get(1).map(|w| w.text.as_str()).unwrap_or_default();
        let object = match kind_word {
            "deployment" | "deploy" => {
                let image = self.args.all("image");
                let containers: Vec<Value> = image
                    .iter()
                    .map(|i| json!({"name": container_name(i), "image": i}))
                    .collect();
                let replicas = self.args.int("replicas").unwrap_or(1);
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": name, "labels": {"app": name}},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                "template": {"metadata": {"labels": {"app": name}},
                                             "spec": {"containers": containers}}}})
            }
            "namespace" | "ns" => {
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            }
            "configmap" | "cm" => {
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": self.literals()})
            }
            "secret" => {
                let data = self.literals();
                let t = match sub_kind {
                    "tls" => "kubernetes.io/tls",
                    "docker-registry" => "kubernetes.io/dockerconfigjson",
                    _ => "Opaque",
                };
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": t, "stringData": data})
            }
            "service" | "svc" => {
                let t = match sub_kind {
                    "nodeport" => "NodePort",
                    "loadbalancer" => "LoadBalancer",
                    "externalname" => "ExternalName",
                    _ => "ClusterIP",
                };
                let ports: Vec<Value> = self
                    .args
                    .all("tcp")
                    .iter()
                    .flat_map(|p| p.split(','))
                    .filter_map(|p| {
                        let (port, target) = p.split_once(':').unwrap_or((p, p));
                        Some(json!({"port": port.parse::<i64>().ok()?, "targetPort": target.parse::<i64>().ok()?, "protocol": "TCP"}))
                    })
                    .collect();
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}},
                       "spec": {"type": t, "selector": {"app": name}, "ports": ports}})
            }
            "serviceaccount" | "sa" => {
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})
            }
            "job" => {
                let container = json!({"name": name, "image": self.args.get("image").unwrap_or_default(), "command": self.args_after_dash()});
                json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
                       "spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}}})
            }
            "cronjob" | "cj" => {
                let container = json!({"name": name, "image": self.args.get("image").unwrap_or_default(), "command": self.args_after_dash()});
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
                       "spec": {"schedule": self.args.get("schedule").unwrap_or_default(),
                                "jobTemplate": {"spec": {"template": {"spec": {"containers": [container], "restartPolicy": "OnFailure"}}}}}})
            }
            "token" => {
                // Issues a token for a ServiceAccount; no object is stored.
                let mut op = self.base(Verb::Read);
                op.target.kinds = vec![kinds::by_kind("ServiceAccount", None)];
                op.target.names = rest.get(1).map(|w| w.text.clone()).into_iter().collect();
                return Ok(vec![op]);
            }
            other => {
                let kind_name = match other {
                    "role" => "Role",
                    "rolebinding" => "RoleBinding",
                    "clusterrole" => "ClusterRole",
                    "clusterrolebinding" => "ClusterRoleBinding",
                    "ingress" | "ing" => "Ingress",
                    "poddisruptionbudget" | "pdb" => "PodDisruptionBudget",
                    "quota" | "resourcequota" => "ResourceQuota",
                    "priorityclass" | "pc" => "PriorityClass",
                    _ => return Err(NotUnderstood(format!("kubectl create {other}"))),
                };
                let k = kinds::by_kind(kind_name, None);
                let api = if k.group.is_empty() {
                    "v1".to_string()
                } else {
                    format!("{}/v1", k.group)
                };
                json!({"apiVersion": api, "kind": kind_name, "metadata": {"name": name}})
            }
        };
        let mut op = self.base(Verb::Create);
        // `-o yaml` of a generator names the namespace it was given (a later `| kubectl
        // replace -f -` relies on it).
        let mut object = object;
        if op.target.namespace_explicit
            && let Some(ns) = &op.target.namespace
            && is_namespaced(&object)
        {
            object["metadata"]["namespace"] = json!(ns);
        }
        op.payload.objects = vec![object];
        self.objects_into_target(&mut op);
        self.fix_scope(&mut op);
        Ok(vec![op])
    }
}

impl Builder<'_> {
    /// `--from-literal=k=v` flags as a data map.
    fn literals(&self) -> serde_json::Map<String, Value> {
        self.args
            .all("from-literal")
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect()
    }
}

/// Whether an object's kind lives in a namespace.
fn is_namespaced(o: &Value) -> bool {
    let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
    kinds::by_kind(kind, o.get("apiVersion").and_then(Value::as_str)).namespaced()
}

/// kubectl names a generated container after the image's base name.
fn container_name(image: &str) -> String {
    let base = image.rsplit('/').next().unwrap_or(image);
    let base = base.split(['@', ':']).next().unwrap_or(base);
    base.to_string()
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

/// Parse `helm` arguments (without the program name).
pub fn helm(words: &[Word], _session: &mut Session) -> Result<Vec<Operation>, NotUnderstood> {
    let args = Args::parse(words);
    let pos: Vec<&str> = args.positional.iter().map(|w| w.text.as_str()).collect();
    let Some(sub) = pos.first() else {
        return Ok(vec![Operation::new(Verb::Read)]);
    };
    let verb = match *sub {
        "install" => Verb::HelmInstall,
        "upgrade" => Verb::HelmUpgrade,
        "uninstall" | "delete" | "del" | "un" => Verb::HelmUninstall,
        "rollback" => Verb::HelmRollback,
        "list" | "ls" | "status" | "get" | "history" | "hist" | "show" | "inspect" | "search"
        | "repo" | "template" | "lint" | "version" | "env" | "dependency" | "dep" | "pull"
        | "fetch" | "verify" | "package" | "plugin" | "registry" | "completion" | "help"
        | "test" => Verb::Read,
        other => return Err(NotUnderstood(format!("helm {other}"))),
    };
    let mut op = Operation::new(verb);
    op.target.namespace = args
        .get("namespace")
        .map(str::to_string)
        .or(Some("default".into()));
    op.target.namespace_explicit = args.get("namespace").is_some();
    op.flags.dry_run = args
        .get("dry-run")
        .is_some_and(|d| d != "false" && d != "none");
    op.payload.release = pos.get(1).map(|s| s.to_string());
    if matches!(verb, Verb::HelmInstall | Verb::HelmUpgrade) {
        op.payload.chart = pos.get(2).map(|s| s.to_string());
        if args.bool("generate-name") {
            op.payload.chart = op.payload.release.take();
        }
    }
    if verb == Verb::HelmRollback {
        op.payload.to_revision = pos.get(2).and_then(|r| r.parse().ok());
    }
    if verb.mutates() {
        op.target.unresolved = Some(
            "the objects of a Helm chart are rendered at install time and not recorded".into(),
        );
    }
    Ok(vec![op])
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
