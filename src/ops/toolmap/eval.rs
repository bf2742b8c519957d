//! A tool map applied to a call's arguments: looking arguments up (names, alternatives, JSON
//! pointers), conditions, the case that applies, the operation a template gives, the words an
//! argv template gives.

use super::{
    Action, ArgNames, ArgRef, ArgvPart, Condition, PatchTypeSpec, Spec, Template, ToolMap,
    ValueSpec, VerbSpec,
};
use crate::ops::kubectl::{self, NotUnderstood, Session};
use crate::ops::shell::{self, Word};
use crate::ops::{Cascade, Operation, Patch, PatchType, Verb, kinds, manifest};
use serde_json::{Map, Value};

/// Look up an argument by name, list of names, or JSON pointer.
pub fn arg<'a>(args: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let v = match name.strip_prefix('/') {
        Some(pointer) => {
            let mut segments = pointer
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"));
            let first = segments.next().unwrap_or_default();
            segments.fold(args.get(&first), |cur, seg| cur.and_then(|c| c.get(&seg)))
        }
        None => args.get(name),
    };
    v.filter(|v| !v.is_null())
}

/// The top-level argument a name or pointer refers to.
pub fn top_level(name: &str) -> String {
    match name.strip_prefix('/') {
        Some(p) => p
            .split('/')
            .next()
            .unwrap_or_default()
            .replace("~1", "/")
            .replace("~0", "~"),
        None => name.to_string(),
    }
}

/// A value is "present" when it is not absent, null, empty or false.
pub fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

impl ArgRef {
    pub fn names(&self) -> Vec<&str> {
        match &self.arg {
            ArgNames::One(n) => vec![n.as_str()],
            ArgNames::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
    pub fn resolve(&self, args: &Map<String, Value>) -> Option<Value> {
        let found = self.names().into_iter().find_map(|n| arg(args, n)).cloned();
        let v = found.or_else(|| self.default.clone())?;
        if let (Some(map), Some(s)) = (&self.map, v.as_str())
            && let Some(m) = map.get(s)
        {
            return Some(m.clone());
        }
        Some(v)
    }
}

impl ValueSpec {
    pub fn resolve(&self, args: &Map<String, Value>) -> Option<Value> {
        match self {
            ValueSpec::Const(v) => Some(v.clone()),
            ValueSpec::Arg(a) => a.resolve(args),
        }
    }
}

impl Condition {
    pub fn holds(&self, args: &Map<String, Value>) -> bool {
        if let Some(h) = &self.has
            && !present(arg(args, h))
        {
            return false;
        }
        if let Some(m) = &self.missing
            && present(arg(args, m))
        {
            return false;
        }
        if let Some(a) = &self.arg {
            let v = arg(args, a);
            if let Some(e) = &self.equals
                && v != Some(e)
            {
                return false;
            }
            if let Some(list) = &self.in_
                && !v.is_some_and(|v| list.contains(v))
            {
                return false;
            }
        }
        true
    }
}

impl Spec {
    /// The action that applies to these arguments (following `cases`).
    pub fn select(&self, args: &Map<String, Value>) -> Option<&Action> {
        match self {
            Spec::Action(a) => Some(a),
            Spec::Cases(cases) => cases
                .iter()
                .find(|c| c.when.as_ref().is_none_or(|w| w.holds(args)))
                .and_then(|c| c.spec.select(args)),
        }
    }
}

impl Template {
    /// The operation of a call with these arguments; `verb` overrides the template's.
    pub fn operation(
        &self,
        map: &ToolMap,
        args: &Map<String, Value>,
        session: &Session,
        verb: Option<Verb>,
    ) -> Result<Operation, NotUnderstood> {
        let spec = &self.fields;
        let get = |v: &Option<ValueSpec>| v.as_ref().and_then(|s| s.resolve(args));
        let text = |v: &Option<ValueSpec>| get(v).and_then(|v| scalar_text(&v));
        let truthy = |v: &Option<ValueSpec>| {
            present(get(v).as_ref()) && get(v) != Some(Value::String("false".into()))
        };
        let verb = match verb {
            Some(v) => v,
            None => self.verb(args)?,
        };
        let mut op = Operation::new(verb);
        if let Some(k) = text(&spec.kind) {
            let api = text(&spec.api_version);
            let kind = match api {
                Some(a) => kinds::by_kind(&k, Some(&a)),
                None => kinds::resolve(&k).unwrap_or_else(|| kinds::by_kind(&k, None)),
            };
            op.target.kinds.push(kind);
        }
        if let Some(n) = get(&spec.name) {
            match n {
                Value::Array(a) => op.target.names.extend(a.iter().filter_map(scalar_text)),
                v => op.target.names.extend(scalar_text(&v)),
            }
        }
        if let Some(node) = text(&spec.node) {
            op.target.kinds = vec![kinds::by_kind("Node", None)];
            op.target.names.push(node);
        }
        op.target.selector = text(&spec.selector).filter(|s| !s.is_empty());
        op.target.field_selector = text(&spec.field_selector).filter(|s| !s.is_empty());
        op.target.all = truthy(&spec.all);
        op.target.all_namespaces = truthy(&spec.all_namespaces);
        if let Some(m) = get(&spec.manifest).filter(|m| present(Some(m))) {
            match manifest::from_value(&m) {
                Ok(objs) => op.payload.objects = objs,
                Err(e) => op.target.unresolved = Some(e),
            }
        }
        if let Some(f) = text(&spec.file).filter(|f| !f.is_empty()) {
            op.target.unresolved = Some(format!("{f}: the file's content was not recorded"));
        }
        for o in &op.payload.objects {
            let kind = kinds::by_kind(
                o.get("kind").and_then(Value::as_str).unwrap_or_default(),
                o.get("apiVersion").and_then(Value::as_str),
            );
            if !op.target.kinds.contains(&kind) {
                op.target.kinds.push(kind);
            }
            if let Some(n) = manifest::name_of(o) {
                op.target.names.push(n.to_string());
            }
        }
        // Namespace: the argument, else an object's own, else the map's default, else the session's.
        let object_ns = op
            .payload
            .objects
            .iter()
            .find_map(manifest::namespace_of)
            .map(str::to_string);
        match text(&spec.namespace).filter(|s| !s.is_empty()) {
            Some(ns) => {
                op.target.namespace = Some(ns);
                op.target.namespace_explicit = true;
            }
            None => match object_ns {
                Some(ns) => {
                    op.target.namespace = Some(ns);
                    op.target.namespace_explicit = true;
                }
                None => {
                    op.target.namespace = map
                        .default_namespace
                        .clone()
                        .or_else(|| session.namespace.clone())
                        .or(Some("default".into()));
                }
            },
        }
        if op.target.all_namespaces
            || (!op.target.kinds.is_empty() && op.target.kinds.iter().all(|k| !k.namespaced()))
        {
            op.target.namespace = None;
            op.target.namespace_explicit = false;
        }
        if let Some(p) = get(&spec.patch) {
            let patch_type = match &self.patch_type {
                Some(PatchTypeSpec::Const(t)) => *t,
                Some(PatchTypeSpec::Arg(a)) => a
                    .resolve(args)
                    .and_then(|v| scalar_text(&v))
                    .and_then(|t| PatchType::from_name(&t))
                    .unwrap_or(PatchType::Strategic),
                None => PatchType::Strategic,
            };
            let body = match p {
                Value::String(s) => kubectl::parse_patch_text(&s),
                v => Some(v),
            };
            match body {
                Some(body) => op.payload.patch = Some(Patch { patch_type, body }),
                None => op.target.unresolved = Some("the patch is neither JSON nor YAML".into()),
            }
        }
        op.payload.replicas = get(&spec.replicas).and_then(|v| int(&v));
        if let Some(img) = text(&spec.image) {
            let c = text(&spec.container).unwrap_or_else(|| "*".into());
            op.payload.images.push((c, img));
        }
        op.payload.container = text(&spec.container);
        if let Some(c) = get(&spec.command_args) {
            op.payload.command = match c {
                Value::Array(a) => a.iter().filter_map(scalar_text).collect(),
                Value::String(s) => shell::split_words(&s)
                    .map(|w| w.into_iter().map(|w| w.text).collect())
                    .unwrap_or_else(|_| vec![s]),
                _ => Vec::new(),
            };
        }
        op.payload.release = text(&spec.release);
        op.payload.chart = text(&spec.chart);
        op.payload.values = get(&spec.values).filter(|v| present(Some(v)));
        op.payload.to_revision = get(&spec.to_revision).and_then(|v| int(&v));
        op.payload.context = text(&spec.context);
        op.flags.force = truthy(&spec.force);
        op.flags.grace_period = get(&spec.grace_period).and_then(|v| int(&v));
        op.flags.cascade = text(&spec.cascade).and_then(|c| match c.as_str() {
            "orphan" => Some(Cascade::Orphan),
            "foreground" => Some(Cascade::Foreground),
            "background" => Some(Cascade::Background),
            _ => None,
        });
        op.flags.dry_run = get(&spec.dry_run).is_some_and(|v| match v {
            Value::String(s) => !matches!(s.as_str(), "" | "none" | "false"),
            v => present(Some(&v)),
        });
        op.flags.overwrite = truthy(&spec.overwrite);
        kubectl::chart_unresolved(&mut op);
        if verb == Verb::Run && truthy(&spec.creates_service) {
            // Recorded as part of the run: the Service has the pod's name.
            op.target.kinds.push(kinds::by_kind("Service", Some("v1")));
        }
        Ok(op)
    }

    /// The template's verb for these arguments.
    fn verb(&self, args: &Map<String, Value>) -> Result<Verb, NotUnderstood> {
        let name = match &self.verb {
            Some(VerbSpec::Const(v)) => return Ok(*v),
            Some(VerbSpec::Arg { arg, map }) => {
                let v = arg.resolve(args);
                if let Some(verb) = v.as_ref().and_then(Value::as_str).and_then(|s| map.get(s)) {
                    return Ok(*verb);
                }
                v.and_then(|v| scalar_text(&v)).unwrap_or_default()
            }
            None => String::new(),
        };
        Verb::from_name(&name)
            .ok_or_else(|| NotUnderstood(format!("the tool map gives the unknown verb `{name}`")))
    }
}

pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Words from an argv template.
pub fn argv(parts: &[ArgvPart], args: &Map<String, Value>) -> Result<Vec<Word>, NotUnderstood> {
    let mut out = Vec::new();
    let word = |t: String| Word {
        text: t,
        unresolved: None,
        substitution: None,
        runs: Vec::new(),
    };
    for p in parts {
        match p {
            ArgvPart::Literal(s) => out.push(word(s.clone())),
            ArgvPart::Arg(a) => {
                let v = arg(args, &a.arg).cloned().or_else(|| a.default.clone());
                let items: Vec<Value> = match v {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(items)) => items,
                    Some(v) => vec![v],
                };
                for item in items {
                    match (&a.flag, item) {
                        (Some(f), Value::Bool(true)) => out.push(word(f.clone())),
                        (Some(_), Value::Bool(false)) => {}
                        (Some(f), v) => {
                            out.extend(scalar_text(&v).map(|t| word(format!("{f}={t}"))))
                        }
                        (None, v) => {
                            out.extend(scalar_text(&v).filter(|t| !t.is_empty()).map(word))
                        }
                    }
                }
            }
            ArgvPart::Split(s) => {
                if let Some(Value::String(t)) = arg(args, &s.split) {
                    out.extend(
                        shell::split_words(t).map_err(|e| {
                            NotUnderstood(format!("cannot split `{}`: {e}", s.split))
                        })?,
                    );
                }
            }
            ArgvPart::FlagMap(f) => {
                if let Some(Value::Object(m)) = arg(args, &f.flag_map) {
                    for (k, v) in m {
                        let flag = if k.starts_with('-') {
                            k.clone()
                        } else {
                            format!("--{k}")
                        };
                        match v {
                            Value::Bool(true) => out.push(word(flag)),
                            Value::Bool(false) | Value::Null => {}
                            v => out.extend(scalar_text(v).map(|t| word(format!("{flag}={t}")))),
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}
