//! Apply canonical operations to the model and report what each did to which objects.
//!
//! Cost: an operation touches the objects it targets (a selector scans the objects of its kinds
//! in its namespace through an ordered range, not the whole model), plus their owned objects
//! through the owner index. Nothing scans the whole model per operation.

use super::patch;
use super::selector::Selector;
use super::{Diff, Health, Model, ObjKey, health, is_noise_path, leaf_paths};
use crate::json::At;
pub use crate::ops::Change;
use crate::ops::kinds;
use crate::ops::{Cascade, Effect, Operation, PatchType, Verb};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Why an object changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", content = "of", rename_all = "snake_case")]
pub enum Cause {
    /// The operation targeted it.
    Direct,
    /// Garbage collection: its owner was deleted.
    Owner(ObjKey),
    /// Its namespace was deleted.
    Namespace(String),
    /// A controller acted (a replacement Pod, a new ReplicaSet after a template change).
    Controller(ObjKey),
}

/// One object's change.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectEffect {
    pub key: ObjKey,
    pub change: Change,
    /// `None` when the model cannot tell.
    pub existed_before: Option<bool>,
    pub health_before: Option<Health>,
    #[serde(skip_serializing_if = "Diff::is_empty")]
    pub diff: Diff,
    /// apply / server-side apply / replace: fields the object had that the manifest leaves out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas_before: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas_after: Option<i64>,
    pub cause: Cause,
    /// Labels of the object (after a create or change, before a removal).
    #[serde(skip)]
    pub labels: Option<Map<String, Value>>,
    /// The object before the change, when known.
    #[serde(skip)]
    pub before: Option<Value>,
}

/// The replay of one operation.
#[derive(Debug, Clone, Serialize)]
pub struct OpReplay {
    pub verb: Verb,
    /// True when the call changed the cluster, false when it failed or was a dry run, `None`
    /// when unknown.
    pub effective: Option<bool>,
    pub effects: Vec<ObjectEffect>,
    /// The target could hold objects the model does not know (an incomplete list, an unresolved
    /// target): facts about "all affected objects" are then unknown.
    pub target_known: bool,
    /// Where the model and the record disagree, or what it could not model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Apply `op` to the model. `manager` is the field manager of server-side applies (the tool
/// map id, or "kubectl").
pub fn apply(model: &mut Model, op: &Operation, manager: &str) -> OpReplay {
    let effective = match &op.effect {
        Effect::Applied => Some(true),
        Effect::Failed(_) | Effect::DryRun => Some(false),
        Effect::Unknown(_) => None,
    };
    let mut r = OpReplay {
        verb: op.verb,
        effective,
        effects: Vec::new(),
        target_known: op.target.unresolved.is_none(),
        notes: Vec::new(),
    };
    if effective == Some(false) || !op.verb.mutates() {
        return r;
    }
    if let Some(why) = &op.target.unresolved {
        r.notes.push(format!("target unresolved: {why}"));
        if op.payload.objects.is_empty() {
            return r;
        }
    }
    let mut cx = Cx {
        model,
        r: &mut r,
        manager,
    };
    match op.verb {
        Verb::Create | Verb::Run | Verb::Expose | Verb::Autoscale => cx.create(op),
        Verb::Apply => cx.apply(op, false),
        Verb::ServerSideApply => cx.apply(op, true),
        Verb::Replace => cx.replace(op),
        Verb::Delete => cx.delete(op),
        Verb::Patch => cx.patch(op),
        Verb::Scale => cx.each(op, |cx, key, live| {
            let mut new = live.clone();
            if let Some(n) = op.payload.replicas {
                new["spec"]["replicas"] = json!(n);
            }
            cx.change(key, live, new, None);
        }),
        Verb::RolloutRestart => cx.each(op, |cx, key, live| {
            let mut new = live.clone();
            let stamp = cx.model.suffix("restart", 8);
            set_path(
                &mut new,
                &["spec", "template", "metadata", "annotations", RESTARTED_AT],
                json!(format!("restart-{stamp}")),
            );
            cx.change(key, live, new, None);
        }),
        Verb::RolloutUndo => cx.each(op, |cx, key, live| cx.undo(key, live)),
        Verb::RolloutPause | Verb::RolloutResume => cx.each(op, |cx, key, live| {
            let mut new = live.clone();
            new["spec"]["paused"] = json!(op.verb == Verb::RolloutPause);
            cx.change(key, live, new, None);
        }),
        Verb::SetImage | Verb::SetEnv | Verb::SetResources => cx.each(op, |cx, key, live| {
            let mut new = live.clone();
            edit_containers(&mut new, op);
            cx.change(key, live, new, None);
        }),
        Verb::Label | Verb::Annotate => cx.each(op, |cx, key, live| cx.label(key, live, op)),
        Verb::Cordon | Verb::Uncordon | Verb::Drain => {
            cx.each(op, |cx, key, live| cx.node(key, live, op))
        }
        Verb::Taint => cx.each(op, |cx, key, live| {
            let mut new = live.clone();
            let mut taints: Vec<Value> = new
                .at("/spec/taints")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (k, v) in &op.payload.labels {
                let (key_part, effect) = k
                    .split_once(':')
                    .map_or((k.as_str(), None), |(a, b)| (a, Some(b)));
                taints.retain(|t| t.get("key").and_then(Value::as_str) != Some(key_part));
                if let Some(v) = v {
                    let (value, eff) = v
                        .split_once(':')
                        .map_or((v.as_str(), effect.unwrap_or("NoSchedule")), |(a, b)| {
                            (a, b)
                        });
                    taints.push(json!({"key": key_part, "value": value, "effect": eff}));
                }
            }
            new["spec"]["taints"] = Value::Array(taints);
            cx.change(key, live, new, None);
        }),
        Verb::Edit | Verb::SetOther | Verb::Exec | Verb::Debug | Verb::Mutate => {
            let (keys, known) = cx.targets(op);
            cx.r.target_known &= known;
            for key in keys {
                let before = cx.model.get(&key).cloned();
                if matches!(op.verb, Verb::Exec | Verb::Debug) {
                    continue;
                }
                cx.r.effects.push(ObjectEffect {
                    existed_before: cx.model.exists(&key),
                    health_before: before.as_ref().map(health),
                    labels: labels_of(before.as_ref()),
                    before,
                    key,
                    change: Change::Changed,
                    diff: Diff::default(),
                    omitted: Vec::new(),
                    replicas_before: None,
                    replicas_after: None,
                    cause: Cause::Direct,
                });
            }
            if !matches!(op.verb, Verb::Exec | Verb::Debug) {
                cx.r.notes
                    .push(format!("{}: the new content is not known", op.verb.name()));
            }
        }
        Verb::HelmInstall | Verb::HelmUpgrade | Verb::HelmUninstall | Verb::HelmRollback => {
            cx.r.target_known = false;
        }
        Verb::ContextSwitch | Verb::Read => {}
    }
    r
}

struct Cx<'a> {
    model: &'a mut Model,
    r: &'a mut OpReplay,
    manager: &'a str,
}

fn labels_of(v: Option<&Value>) -> Option<Map<String, Value>> {
    v?.at("/metadata/labels")?.as_object().cloned()
}

fn replicas(v: &Value) -> Option<i64> {
    v.at("/spec/replicas").and_then(Value::as_i64)
}

fn set_path(v: &mut Value, path: &[&str], value: Value) {
    let mut cur = v;
    for (i, seg) in path.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if i == path.len() - 1 {
            m.insert(seg.to_string(), value);
            return;
        }
        cur = m
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Delete a leaf path as produced by `leaf_paths` (with `[key=value]` list segments).
fn delete_path(v: &mut Value, path: &str) {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut cur = v;
    for (i, seg) in segs.iter().enumerate() {
        let last = i == segs.len() - 1;
        if let Some(inner) = seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let Some((k, id)) = inner.split_once('=') else {
                return;
            };
            let Value::Array(items) = cur else { return };
            let Some(pos) = items.iter().position(|it| {
                it.get(k)
                    .is_some_and(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string) == id)
            }) else {
                return;
            };
            if last {
                items.remove(pos);
                return;
            }
            cur = &mut items[pos];
        } else {
            let key = seg.replace("~1", "/").replace("~0", "~");
            let Value::Object(m) = cur else { return };
            if last {
                m.remove(&key);
                return;
            }
            let Some(next) = m.get_mut(&key) else { return };
            cur = next;
        }
    }
}

/// The pod template of a workload, or the object itself for a Pod.
fn containers_mut(obj: &mut Value) -> Vec<&mut Value> {
    let is_pod = obj.get("kind").and_then(Value::as_str) == Some("Pod");
    let spec = if is_pod {
        obj.get_mut("spec")
    } else {
        obj.pointer_mut("/spec/template/spec")
    };
    let Some(Value::Object(spec)) = spec else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in spec.iter_mut() {
        if (k == "containers" || k == "initContainers")
            && let Value::Array(items) = v
        {
            out.extend(items.iter_mut());
        }
    }
    out
}

fn edit_containers(obj: &mut Value, op: &Operation) {
    let only = op.payload.container.as_deref();
    for c in containers_mut(obj) {
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if only.is_some_and(|o| o != name && o != "*") {
            continue;
        }
        for (cname, image) in &op.payload.images {
            if cname == "*" || *cname == name {
                c["image"] = json!(image);
            }
        }
        for e in &op.payload.env {
            let mut env: Vec<Value> = c
                .get("env")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some((k, v)) = e.split_once('=') {
                env.retain(|x| x.get("name").and_then(Value::as_str) != Some(k));
                env.push(json!({"name": k, "value": v}));
            } else if let Some(k) = e.strip_suffix('-') {
                env.retain(|x| x.get("name").and_then(Value::as_str) != Some(k));
            }
            c["env"] = Value::Array(env);
        }
        for (which, spec) in &op.payload.resources {
            for kv in spec.split(',') {
                if let Some((k, v)) = kv.split_once('=') {
                    set_path(c, &["resources", which, k], json!(v));
                }
            }
        }
    }
}

impl Cx<'_> {
    /// The keys an operation targets, and whether that list is complete.
    fn targets(&self, op: &Operation) -> (Vec<ObjKey>, bool) {
        let t = &op.target;
        let ns = if t.all_namespaces {
            None
        } else {
            t.namespace.as_deref()
        };
        let mut keys = Vec::new();
        let mut known = t.unresolved.is_none();
        if !op.payload.objects.is_empty() {
            keys.extend(
                op.payload
                    .objects
                    .iter()
                    .filter_map(|o| ObjKey::of(o, t.namespace.as_deref())),
            );
            return (keys, known);
        }
        if !t.names.is_empty() {
            for k in &t.kinds {
                for n in &t.names {
                    keys.push(ObjKey::new(k, t.namespace.as_deref(), n));
                }
            }
            return (keys, known);
        }
        let selector = match t.selector.as_deref().map(Selector::parse) {
            Some(Ok(s)) => Some(s),
            // A selector the model cannot read: what it matches is unknown.
            Some(Err(_)) => return (keys, false),
            None => None,
        };
        if t.field_selector.is_some() {
            known = false;
        }
        for k in &t.kinds {
            let ns_k = if k.namespaced() { ns } else { None };
            known &=
                self.model.list_known(k, ns_k) || !k.namespaced() && self.model.list_known(k, None);
            for (key, obj) in self.model.of_kind(k, ns_k) {
                if selector.as_ref().is_none_or(|s| {
                    s.matches(obj.at("/metadata/labels").and_then(Value::as_object))
                }) {
                    keys.push(key.clone());
                }
            }
        }
        (keys, known)
    }

    /// Run `f` on each known target object; unknown targets are recorded as unknown changes.
    fn each(&mut self, op: &Operation, mut f: impl FnMut(&mut Self, ObjKey, Value)) {
        let (keys, known) = self.targets(op);
        self.r.target_known &= known;
        for key in keys {
            match self.model.get(&key).cloned() {
                Some(live) => f(self, key, live),
                None => self.unknown_change(key),
            }
        }
    }

    fn unknown_change(&mut self, key: ObjKey) {
        self.unknown_change_with(key, Diff::default());
    }

    /// A change of an object the model does not hold: what changed is `diff` as far as the call
    /// tells; an object known not to exist means the call would fail.
    fn unknown_change_with(&mut self, key: ObjKey, diff: Diff) {
        let existed = self.model.exists(&key);
        if existed == Some(false) {
            self.r.notes.push(format!(
                "{key} does not exist in the model; the call would fail"
            ));
            return;
        }
        self.r.target_known = false;
        self.r.effects.push(effect(
            key,
            Change::Changed,
            None,
            existed,
            diff,
            Cause::Direct,
        ));
    }

    /// Record and store a change of a live object; controllers follow template changes.
    fn change(&mut self, key: ObjKey, live: Value, new: Value, omitted: Option<Vec<String>>) {
        let diff = Diff::between(&live, &new);
        if diff.is_empty() {
            return;
        }
        let template_changed = diff
            .added
            .iter()
            .chain(&diff.changed)
            .chain(&diff.removed)
            .any(|p| p.starts_with("/spec/template"));
        let replicas_changed = replicas(&live) != replicas(&new);
        let mut e = changed_effect(key.clone(), &live, &new, diff, Cause::Direct);
        e.omitted = omitted.unwrap_or_default();
        self.r.effects.push(e);
        self.model.put(key.clone(), new.clone(), self.manager, None);
        if template_changed {
            self.rollout(&key, &new);
        } else if replicas_changed {
            self.scale_pods(&key, &new);
        }
    }

    fn create(&mut self, op: &Operation) {
        let mut objects = op.payload.objects.clone();
        if objects.is_empty() {
            objects = self.synthesize(op);
        }
        for obj in objects {
            let Some(key) = ObjKey::of(&obj, op.target.namespace.as_deref()) else {
                continue;
            };
            match self.model.exists(&key) {
                Some(true) => self.r.notes.push(format!(
                    "{key} already exists: a create fails with a conflict"
                )),
                existed => {
                    // A successful create proves the object was not there.
                    let existed = if self.r.effective == Some(true) {
                        Some(false)
                    } else {
                        existed.map(|_| false)
                    };
                    self.created(key, obj, existed, Cause::Direct);
                }
            }
        }
    }

    /// Objects implied by run/expose/autoscale without a payload.
    fn synthesize(&mut self, op: &Operation) -> Vec<Value> {
        let Some(name) = op.target.names.first() else {
            return Vec::new();
        };
        match op.verb {
            Verb::Expose => {
                // The Service selects what the exposed workload's pods carry, when known.
                vec![json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": {"selector": {}}})]
            }
            Verb::Autoscale => {
                vec![json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name}})]
            }
            _ => op
                .target
                .kinds
                .iter()
                .map(|k| json!({"apiVersion": if k.group.is_empty() { "v1".to_string() } else { format!("{}/v1", k.group) }, "kind": k.kind, "metadata": {"name": name}}))
                .collect(),
        }
    }

    fn created(&mut self, key: ObjKey, obj: Value, existed: Option<bool>, cause: Cause) {
        let mut e = effect(
            key.clone(),
            Change::Created,
            None,
            existed,
            Diff::between(&Value::Null, &obj),
            cause,
        );
        e.replicas_after = replicas(&obj);
        e.labels = labels_of(Some(&obj));
        self.r.effects.push(e);
        self.model.put(key.clone(), obj.clone(), self.manager, None);
        if matches!(
            key.kind.as_str(),
            "Deployment" | "ReplicaSet" | "StatefulSet"
        ) {
            self.rollout(&key, &obj);
        }
    }

    fn apply(&mut self, op: &Operation, server_side: bool) {
        for obj in &op.payload.objects {
            let Some(key) = ObjKey::of(obj, op.target.namespace.as_deref()) else {
                continue;
            };
            let mut manifest = obj.clone();
            if let Some(m) = manifest.as_object_mut() {
                m.remove("status");
            }
            let Some(live) = self.model.get(&key).cloned() else {
                let existed = self.model.exists(&key);
                let mut new = manifest.clone();
                if !server_side {
                    set_path(
                        &mut new,
                        &["metadata", "annotations", LAST_APPLIED],
                        json!(manifest.to_string()),
                    );
                }
                self.created(key, new, existed, Cause::Direct);
                continue;
            };
            let new_paths: std::collections::BTreeSet<String> = leaf_paths(&manifest)
                .into_keys()
                .filter(|p| !is_noise_path(p))
                .collect();
            let live_paths = leaf_paths(&live);
            // Fields the object has that the manifest leaves out.
            let omitted: Vec<String> = live_paths
                .keys()
                .filter(|p| {
                    !is_noise_path(p) && !new_paths.contains(*p) && !p.starts_with("/metadata/")
                })
                .filter(|p| !new_paths.iter().any(|n| p.starts_with(&format!("{n}/"))))
                .cloned()
                .collect();
            let to_remove: Vec<String> = if server_side {
                // Fields this manager set before and no longer sends are removed.
                self.model
                    .managers_of(&key)
                    .map(|m| {
                        m.iter()
                            .filter(|(p, who)| *who == self.manager && !new_paths.contains(*p))
                            .map(|(p, _)| p.clone())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                // Three-way merge: fields in the last applied configuration that the new one drops.
                let last = live
                    .at("/metadata/annotations")
                    .and_then(|a| a.get(LAST_APPLIED))
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str::<Value>(s).ok());
                last.map(|l| {
                    leaf_paths(&l)
                        .into_keys()
                        .filter(|p| !is_noise_path(p) && !new_paths.contains(p))
                        .collect()
                })
                .unwrap_or_default()
            };
            if server_side && !op.flags.force {
                // Without force, changing a value another manager owns is a conflict.
                let owners = self.model.managers_of(&key);
                let conflicts = leaf_paths(&manifest)
                    .into_iter()
                    .filter(|(p, v)| live_paths.get(p).is_some_and(|l| l != v))
                    .filter(|(p, _)| {
                        owners
                            .and_then(|m| m.get(p))
                            .map_or(super::INITIAL_MANAGER, String::as_str)
                            != self.manager
                    })
                    .count();
                if conflicts > 0 {
                    self.r.notes.push(format!(
                        "{key}: server-side apply conflicts on {conflicts} field(s) owned by other managers (no --force-conflicts)"
                    ));
                    continue;
                }
            }
            let mut new = live.clone();
            let pt = if key.kind_ref().known && kinds::resolve(&key.kind).is_some_and(|k| k.known) {
                PatchType::Strategic
            } else {
                PatchType::Merge
            };
            if let Err(e) = patch::apply(&mut new, pt, &manifest) {
                self.r.notes.push(format!("{key}: {e}"));
                continue;
            }
            for p in &to_remove {
                delete_path(&mut new, p);
            }
            if !server_side {
                set_path(
                    &mut new,
                    &["metadata", "annotations", LAST_APPLIED],
                    json!(manifest.to_string()),
                );
            }
            let diff = Diff::between(&live, &new);
            if diff.is_empty() && omitted.is_empty() {
                if server_side {
                    // Nothing changed, but the manager now owns the fields it sent.
                    self.model.put(
                        key.clone(),
                        new,
                        self.manager,
                        Some(new_paths.into_iter().collect()),
                    );
                }
                continue;
            }
            // Recorded even when nothing changed: the manifest still left fields out.
            let mut e = changed_effect(key.clone(), &live, &new, diff.clone(), Cause::Direct);
            e.omitted = omitted;
            self.r.effects.push(e);
            let owned = if server_side {
                Some(new_paths.into_iter().collect())
            } else {
                None
            };
            self.model
                .put(key.clone(), new.clone(), self.manager, owned);
            if diff
                .added
                .iter()
                .chain(&diff.changed)
                .chain(&diff.removed)
                .any(|p| p.starts_with("/spec/template"))
            {
                self.rollout(&key, &new);
            } else if replicas(&live) != replicas(&new) {
                self.scale_pods(&key, &new);
            }
        }
    }

    fn replace(&mut self, op: &Operation) {
        for obj in &op.payload.objects {
            let Some(key) = ObjKey::of(obj, op.target.namespace.as_deref()) else {
                continue;
            };
            match self.model.get(&key).cloned() {
                Some(live) if op.flags.force => {
                    self.remove(&key, Cause::Direct, op.flags.cascade);
                    self.created(key, obj.clone(), Some(true), Cause::Direct);
                    let _ = live;
                }
                Some(live) => {
                    let mut new = obj.clone();
                    if let Some(uid) = live.at("/metadata/uid") {
                        set_path(&mut new, &["metadata", "uid"], uid.clone());
                    }
                    let new_paths: std::collections::BTreeSet<String> =
                        leaf_paths(obj).into_keys().collect();
                    let omitted = leaf_paths(&live)
                        .into_keys()
                        .filter(|p| {
                            !is_noise_path(p)
                                && !p.starts_with("/metadata/")
                                && !new_paths.contains(p)
                        })
                        .collect();
                    self.change(key, live, new, Some(omitted));
                }
                None if self.model.exists(&key) == Some(false) && !op.flags.force => {
                    self.r
                        .notes
                        .push(format!("{key} does not exist: replace fails"));
                }
                None => {
                    let existed = self.model.exists(&key);
                    self.created(key, obj.clone(), existed, Cause::Direct);
                }
            }
        }
    }

    fn patch(&mut self, op: &Operation) {
        let Some(p) = &op.payload.patch else {
            self.each(op, |cx, key, live| {
                cx.change(key.clone(), live.clone(), live, None)
            });
            return;
        };
        let (keys, known) = self.targets(op);
        self.r.target_known &= known;
        for key in keys {
            match self.model.get(&key).cloned() {
                Some(live) => {
                    let mut new = live.clone();
                    let pt = if p.patch_type == PatchType::Strategic
                        && !kinds::resolve(&key.kind).is_some_and(|k| k.known)
                    {
                        self.r.notes.push(format!(
                            "{key}: strategic merge patch is not supported for custom kinds"
                        ));
                        continue;
                    } else {
                        p.patch_type
                    };
                    match patch::apply(&mut new, pt, &p.body) {
                        Ok(()) => self.change(key, live, new, None),
                        Err(e) => self
                            .r
                            .notes
                            .push(format!("{key}: the patch does not apply: {e}")),
                    }
                }
                None => {
                    // The object is unknown: what the patch sets is known, what it replaced is not.
                    let paths = if p.patch_type == PatchType::Json {
                        Vec::new()
                    } else {
                        leaf_paths(&p.body).into_keys().collect()
                    };
                    self.unknown_change_with(
                        key,
                        Diff {
                            changed: paths,
                            ..Diff::default()
                        },
                    );
                }
            }
        }
    }

    fn delete(&mut self, op: &Operation) {
        let (keys, known) = self.targets(op);
        self.r.target_known &= known;
        for key in keys {
            match self.model.exists(&key) {
                Some(true) => self.remove(&key, Cause::Direct, op.flags.cascade),
                Some(false) => self
                    .r
                    .notes
                    .push(format!("{key} does not exist: nothing to delete")),
                None => {
                    self.r.target_known = false;
                    self.r.effects.push(effect(
                        key,
                        Change::Removed,
                        None,
                        None,
                        Diff::default(),
                        Cause::Direct,
                    ));
                }
            }
        }
    }

    /// Remove an object with what goes with it: a namespace's contents, owned objects (unless
    /// orphaned), and a controller's replacement of a managed Pod.
    fn remove(&mut self, key: &ObjKey, cause: Cause, cascade: Option<Cascade>) {
        let owner = self.model.owner(key);
        let children = self.model.children(key);
        let Some(before) = self.model.remove(key) else {
            return;
        };
        let mut e = effect(
            key.clone(),
            Change::Removed,
            Some(before.clone()),
            Some(true),
            Diff::between(&before, &Value::Null),
            cause.clone(),
        );
        e.replicas_before = replicas(&before);
        e.labels = labels_of(Some(&before));
        self.r.effects.push(e);
        if key.kind == "Namespace" && key.group.is_empty() {
            for k in self.model.in_namespace(&key.name) {
                self.remove(&k, Cause::Namespace(key.name.clone()), None);
            }
        }
        for child in children {
            if cascade == Some(Cascade::Orphan) {
                if let Some(live) = self.model.get(&child).cloned() {
                    let mut new = live.clone();
                    if let Some(m) = new.pointer_mut("/metadata").and_then(Value::as_object_mut) {
                        m.remove("ownerReferences");
                    }
                    self.change(child, live, new, None);
                }
            } else {
                self.remove(&child, Cause::Owner(key.clone()), cascade);
            }
        }
        // A controller replaces a managed Pod that it still wants.
        if key.kind == "Pod"
            && cause == Cause::Direct
            && let Some(owner) = owner
            && let Some(o) = self.model.get(&owner).cloned()
        {
            match owner.kind.as_str() {
                "ReplicaSet" | "StatefulSet" => self.scale_pods(&owner, &o),
                "DaemonSet" | "ReplicationController" => {
                    let name = format!("{}-{}", owner.name, self.model.suffix(&key.name, 5));
                    let pod = pod_from(&o, &owner, &name);
                    let pkey = ObjKey::new(
                        &kinds::by_kind("Pod", None),
                        owner.namespace.as_deref(),
                        &name,
                    );
                    self.created(pkey, pod, Some(false), Cause::Controller(owner));
                }
                _ => {}
            }
        }
    }

    /// After a workload's template changed (or it was created): a Deployment gets a new
    /// ReplicaSet and the old ones scale to zero; a ReplicaSet/StatefulSet gets its pods.
    fn rollout(&mut self, key: &ObjKey, obj: &Value) {
        match key.kind.as_str() {
            "Deployment" => {
                let old: Vec<ObjKey> = self
                    .model
                    .children(key)
                    .into_iter()
                    .filter(|c| c.kind == "ReplicaSet")
                    .collect();
                let created_now = self
                    .r
                    .effects
                    .iter()
                    .any(|e| e.key == *key && e.change == Change::Created);
                if old.is_empty() && !created_now {
                    // Its ReplicaSets are not known: the controller's effects are not modelled.
                    return;
                }
                let name = format!("{}-{}", key.name, self.model.suffix(&key.name, 10));
                let mut rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": name, "labels": obj.at("/spec/template/metadata/labels").cloned().unwrap_or(json!({})),
                                 "ownerReferences": [owner_ref(key, obj)]},
                    "spec": {"replicas": replicas(obj).unwrap_or(1), "selector": obj.at("/spec/selector").cloned().unwrap_or(json!({})),
                             "template": obj.at("/spec/template").cloned().unwrap_or(json!({}))}});
                if let Some(ns) = &key.namespace {
                    rs["metadata"]["namespace"] = json!(ns);
                }
                for o in old {
                    if let Some(live) = self.model.get(&o).cloned()
                        && replicas(&live) != Some(0)
                    {
                        let mut new = live.clone();
                        new["spec"]["replicas"] = json!(0);
                        self.controller_change(o.clone(), live, new, key);
                        self.scale_pods(&o, &self.model.get(&o).cloned().unwrap_or_default());
                    }
                }
                let rkey = ObjKey::new(
                    &kinds::by_kind("ReplicaSet", None),
                    key.namespace.as_deref(),
                    &name,
                );
                self.created(rkey, rs, Some(false), Cause::Controller(key.clone()));
            }
            "ReplicaSet" | "StatefulSet"
                if self
                    .r
                    .effects
                    .iter()
                    .any(|e| e.key == *key && e.change == Change::Created)
                    || !self.model.children(key).is_empty() =>
            {
                if key.kind == "StatefulSet" {
                    for p in self.model.children(key) {
                        self.remove(&p, Cause::Controller(key.clone()), None);
                    }
                }
                self.scale_pods(key, obj);
            }
            _ => {}
        }
    }

    fn controller_change(&mut self, key: ObjKey, live: Value, new: Value, by: &ObjKey) {
        let diff = Diff::between(&live, &new);
        let e = changed_effect(
            key.clone(),
            &live,
            &new,
            diff,
            Cause::Controller(by.clone()),
        );
        self.r.effects.push(e);
        self.model.put(key, new, "controller", None);
    }

    /// Make the pods of a ReplicaSet/StatefulSet match its replicas; a Deployment scales its
    /// newest ReplicaSet.
    fn scale_pods(&mut self, key: &ObjKey, obj: &Value) {
        if key.kind == "Deployment" {
            let rss: Vec<ObjKey> = self
                .model
                .children(key)
                .into_iter()
                .filter(|c| c.kind == "ReplicaSet")
                .collect();
            if let Some(newest) = rss
                .into_iter()
                .rfind(|r| self.model.get(r).and_then(replicas).unwrap_or(0) > 0)
                && let Some(live) = self.model.get(&newest).cloned()
            {
                let mut new = live.clone();
                new["spec"]["replicas"] = json!(replicas(obj).unwrap_or(1));
                self.controller_change(newest.clone(), live, new.clone(), key);
                self.scale_pods(&newest, &new);
            }
            return;
        }
        if !matches!(key.kind.as_str(), "ReplicaSet" | "StatefulSet") {
            return;
        }
        let want = replicas(obj).unwrap_or(1).max(0) as usize;
        let pods: Vec<ObjKey> = self
            .model
            .children(key)
            .into_iter()
            .filter(|c| c.kind == "Pod")
            .collect();
        if pods.len() > want {
            for p in pods.iter().rev().take(pods.len() - want) {
                self.remove(p, Cause::Controller(key.clone()), None);
            }
        } else {
            for i in pods.len()..want {
                let name = if key.kind == "StatefulSet" {
                    format!("{}-{i}", key.name)
                } else {
                    format!("{}-{}", key.name, self.model.suffix(&key.name, 5))
                };
                let pkey = ObjKey::new(
                    &kinds::by_kind("Pod", None),
                    key.namespace.as_deref(),
                    &name,
                );
                let pod = pod_from(obj, key, &name);
                self.created(pkey, pod, Some(false), Cause::Controller(key.clone()));
            }
        }
    }

    fn undo(&mut self, key: ObjKey, live: Value) {
        // The previous template is that of the newest scaled-down ReplicaSet, when known.
        let prev = self
            .model
            .children(&key)
            .into_iter()
            .filter(|c| c.kind == "ReplicaSet")
            .filter_map(|c| self.model.get(&c).cloned())
            .rfind(|rs| replicas(rs) == Some(0));
        match prev.and_then(|rs| rs.at("/spec/template").cloned()) {
            Some(t) => {
                let mut new = live.clone();
                new["spec"]["template"] = t;
                self.change(key, live, new, None);
            }
            None => {
                self.r
                    .notes
                    .push(format!("{key}: the revision rolled back to is not known"));
                self.r.effects.push(effect(
                    key,
                    Change::Changed,
                    Some(live),
                    Some(true),
                    Diff::default(),
                    Cause::Direct,
                ));
            }
        }
    }

    fn label(&mut self, key: ObjKey, live: Value, op: &Operation) {
        let field = if op.verb == Verb::Label {
            "labels"
        } else {
            "annotations"
        };
        let mut new = live.clone();
        for (k, v) in &op.payload.labels {
            let current = live
                .at("/metadata")
                .and_then(|m| m.get(field))
                .and_then(|l| l.get(k))
                .cloned();
            match v {
                Some(v) => {
                    if current.as_ref().is_some_and(|c| c != &json!(v)) && !op.flags.overwrite {
                        self.r.notes.push(format!(
                            "{key}: `{k}` already has a value; without --overwrite the call fails"
                        ));
                        return;
                    }
                    set_path(&mut new, &["metadata", field, k], json!(v));
                }
                None => {
                    if let Some(m) = new
                        .pointer_mut(&format!("/metadata/{field}"))
                        .and_then(Value::as_object_mut)
                    {
                        m.remove(k);
                    }
                }
            }
        }
        self.change(key, live, new, None);
    }

    fn node(&mut self, key: ObjKey, live: Value, op: &Operation) {
        let mut new = live.clone();
        new["spec"]["unschedulable"] = json!(op.verb != Verb::Uncordon);
        self.change(key.clone(), live, new, None);
        if op.verb == Verb::Drain {
            // Evict every pod on the node but DaemonSet pods; the model knows pods' nodes only
            // when their spec says so.
            let pod = kinds::by_kind("Pod", None);
            let on_node: Vec<ObjKey> = self
                .model
                .of_kind(&pod, None)
                .filter(|(_, p)| {
                    p.at("/spec/nodeName").and_then(Value::as_str) == Some(key.name.as_str())
                })
                .map(|(k, _)| k.clone())
                .collect();
            self.r.target_known &= self.model.list_known(&pod, None);
            for p in on_node {
                if self.model.owner(&p).is_some_and(|o| o.kind == "DaemonSet") {
                    continue;
                }
                self.remove(&p, Cause::Direct, None);
            }
        }
    }
}

fn effect(
    key: ObjKey,
    change: Change,
    before: Option<Value>,
    existed: Option<bool>,
    diff: Diff,
    cause: Cause,
) -> ObjectEffect {
    ObjectEffect {
        health_before: before.as_ref().map(health),
        labels: labels_of(before.as_ref()),
        key,
        change,
        existed_before: existed,
        diff,
        omitted: Vec::new(),
        replicas_before: None,
        replicas_after: None,
        cause,
        before,
    }
}

/// A change of a live object, with its replicas before and after and its new labels.
fn changed_effect(
    key: ObjKey,
    live: &Value,
    new: &Value,
    diff: Diff,
    cause: Cause,
) -> ObjectEffect {
    let mut e = effect(
        key,
        Change::Changed,
        Some(live.clone()),
        Some(true),
        diff,
        cause,
    );
    e.replicas_before = replicas(live);
    e.replicas_after = replicas(new);
    e.labels = labels_of(Some(new));
    e
}

fn owner_ref(key: &ObjKey, obj: &Value) -> Value {
    json!({"apiVersion": obj.get("apiVersion").cloned().unwrap_or(json!("apps/v1")), "kind": key.kind, "name": key.name,
           "uid": obj.at("/metadata/uid").cloned().unwrap_or(Value::Null), "controller": true})
}

/// A Pod as the controller `owner` would create it.
fn pod_from(owner_obj: &Value, owner: &ObjKey, name: &str) -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": owner_obj.at("/spec/template/metadata/labels").cloned().unwrap_or(json!({})),
                     "ownerReferences": [owner_ref(owner, owner_obj)]},
        "spec": owner_obj.at("/spec/template/spec").cloned().unwrap_or(json!({}))});
    if let Some(ns) = &owner.namespace {
        pod["metadata"]["namespace"] = json!(ns);
    }
    pod
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::kubectl::Session;
    use crate::ops::normalize::command_line;

    /// bench: Deployment web → ReplicaSet web-abc → 2 Pods; Service web; ConfigMap shared.
    fn cluster() -> Model {
        let mut m = Model::default();
        let objs = [
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "bench", "uid": "d1", "labels": {"app": "web"}},
                   "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                              "livenessProbe": {"httpGet": {"path": "/", "port": 80}}, "resources": {"limits": {"cpu": "250m"}}}]}}},
                   "status": {"availableReplicas": 2}}),
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-abc", "namespace": "bench", "uid": "r1",
                   "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d1", "controller": true}]},
                   "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-abc-1", "namespace": "bench", "labels": {"app": "web"},
                   "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "r1", "controller": true}]},
                   "status": {"phase": "Running", "containerStatuses": [{"ready": true}]}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-abc-2", "namespace": "bench", "labels": {"app": "web"},
                   "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "r1", "controller": true}]},
                   "status": {"phase": "Running", "containerStatuses": [{"ready": true}]}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "bench"}, "spec": {"selector": {"app": "web"}}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared", "namespace": "bench"}, "data": {"PORT": "80"}}),
        ];
        for o in objs {
            m.insert_known(o, None);
        }
        m.mark_namespace_complete("bench");
        m
    }

    fn run(m: &mut Model, line: &str) -> Vec<OpReplay> {
        command_line(line, &mut Session::default())
            .unwrap()
            .into_iter()
            .map(|mut op| {
                op.effect = Effect::Applied;
                apply(m, &op, "kubectl")
            })
            .collect()
    }

    fn removed(r: &[OpReplay]) -> Vec<String> {
        let mut v: Vec<String> = r
            .iter()
            .flat_map(|o| &o.effects)
            .filter(|e| e.change == Change::Removed)
            .map(|e| e.key.to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn deleting_a_deployment_cascades() {
        let mut m = cluster();
        let r = run(&mut m, "kubectl delete deploy web -n bench");
        assert_eq!(
            removed(&r),
            [
                "Deployment/bench/web",
                "Pod/bench/web-abc-1",
                "Pod/bench/web-abc-2",
                "ReplicaSet/bench/web-abc"
            ]
        );
        assert!(
            r[0].effects
                .iter()
                .any(|e| matches!(&e.cause, Cause::Owner(k) if k.kind == "ReplicaSet"))
        );
        // Orphaning keeps the ReplicaSet and its pods, without owner.
        let mut m = cluster();
        let r = run(
            &mut m,
            "kubectl delete deploy web -n bench --cascade=orphan",
        );
        assert_eq!(removed(&r), ["Deployment/bench/web"]);
        assert_eq!(m.len(), 6);
    }

    #[test]
    fn deleting_a_namespace_removes_everything_in_it() {
        let mut m = cluster();
        let r = run(&mut m, "kubectl delete ns bench");
        assert_eq!(removed(&r).len(), 7);
        assert!(m.is_empty());
    }

    #[test]
    fn a_deleted_managed_pod_is_replaced() {
        let mut m = cluster();
        let r = run(&mut m, "kubectl delete pod web-abc-1 -n bench");
        let created: Vec<&ObjectEffect> = r[0]
            .effects
            .iter()
            .filter(|e| e.change == Change::Created)
            .collect();
        assert_eq!(created.len(), 1);
        assert!(matches!(&created[0].cause, Cause::Controller(k) if k.name == "web-abc"));
        assert_eq!(r[0].effects[0].health_before, Some(Health::Healthy));
        assert_eq!(
            m.of_kind(&kinds::by_kind("Pod", None), Some("bench"))
                .count(),
            2
        );
    }

    #[test]
    fn selector_delete_equals_per_pod_deletes() {
        let mut a = cluster();
        let ra = run(&mut a, "kubectl delete po -l app=web -n bench");
        // The same pods deleted one by one with containers' pods_delete.
        let maps = crate::ops::Normalizer::load(None).unwrap();
        let mut b = cluster();
        let mut rb = Vec::new();
        for pod in ["web-abc-1", "web-abc-2"] {
            let args = json!({"name": pod, "namespace": "bench"});
            let call = crate::trace::model::ToolCall {
                seq: 1,
                ts: None,
                tool: "pods_delete",
                server: None,
                call_id: None,
                arguments: crate::trace::model::Arguments::Object(args.as_object().unwrap()),
                result: Some(crate::trace::model::ToolResult {
                    text: Some("Pod deleted successfully"),
                    json: None,
                    is_error: None,
                    exit_code: None,
                    stderr: None,
                }),
            };
            let n = maps.call(&call, &mut Session::default());
            let crate::ops::CallOutcome::Operations(ops) = n.outcome else {
                panic!("not understood")
            };
            rb.extend(ops.iter().map(|op| apply(&mut b, op, "containers")));
        }
        assert_eq!(removed(&ra), removed(&rb));
        assert_eq!(removed(&ra), ["Pod/bench/web-abc-1", "Pod/bench/web-abc-2"]);
        assert!(ra[0].target_known && rb.iter().all(|r| r.target_known));
    }

    #[test]
    fn forced_server_side_apply_of_a_partial_manifest() {
        let full = r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "bench"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "livenessProbe": {"httpGet": {"path": "/", "port": 80}},
            "resources": {"limits": {"cpu": "250m"}}}]}}}}"#;
        let partial: Value = serde_json::from_str(r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "bench"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}"#).unwrap();
        let ssa = |obj: &Value| {
            let mut op = Operation::new(Verb::ServerSideApply);
            op.payload.objects = vec![obj.clone()];
            op.flags.force = true;
            op.effect = Effect::Applied;
            op
        };
        // The same manager applied the full manifest before: its partial apply drops the fields.
        let mut m = cluster();
        apply(
            &mut m,
            &ssa(&serde_json::from_str(full).unwrap()),
            "containers",
        );
        let r = apply(&mut m, &ssa(&partial), "containers");
        let e = &r.effects[0];
        assert!(
            e.diff
                .removed
                .iter()
                .any(|p| p.ends_with("/livenessProbe/httpGet/path")),
            "{:?}",
            e.diff
        );
        assert!(
            e.diff
                .removed
                .iter()
                .any(|p| p.contains("/resources/limits/cpu")),
            "{:?}",
            e.diff
        );
        // Fields owned by another manager are kept, but reported as omitted by the manifest.
        let mut m = cluster();
        let r = apply(&mut m, &ssa(&partial), "containers");
        let e = &r.effects[0];
        assert!(e.diff.removed.is_empty(), "{:?}", e.diff);
        assert!(
            e.omitted.iter().any(|p| p.contains("livenessProbe")),
            "{:?}",
            e.omitted
        );
    }

    #[test]
    fn template_changes_roll_out_and_scaling_changes_pods() {
        let mut m = cluster();
        let r = run(
            &mut m,
            "kubectl set image deploy/web web=nginx:1.28 -n bench",
        );
        let e = &r[0].effects;
        assert_eq!(
            e[0].diff.changed,
            ["/spec/template/spec/containers/[name=web]/image"]
        );
        assert!(
            e.iter()
                .any(|x| x.key.kind == "ReplicaSet" && x.change == Change::Created)
        );
        assert_eq!(
            e.iter()
                .filter(|x| x.key.kind == "Pod" && x.change == Change::Removed)
                .count(),
            2
        );
        assert_eq!(
            e.iter()
                .filter(|x| x.key.kind == "Pod" && x.change == Change::Created)
                .count(),
            2
        );
        let r = run(&mut m, "kubectl scale deploy/web --replicas=3 -n bench");
        assert_eq!(r[0].effects[0].replicas_before, Some(2));
        assert_eq!(r[0].effects[0].replicas_after, Some(3));
        assert_eq!(
            r[0].effects
                .iter()
                .filter(|x| x.key.kind == "Pod" && x.change == Change::Created)
                .count(),
            1
        );
    }

    #[test]
    fn create_apply_patch_label_and_unknowns() {
        let mut m = cluster();
        let r = run(
            &mut m,
            "kubectl create deployment web-fixed --image=nginx:1.27 -n bench",
        );
        assert_eq!(r[0].effects[0].existed_before, Some(false));
        assert!(
            r[0].effects.iter().any(|e| e.key.kind == "Pod"),
            "the new Deployment gets pods"
        );
        let r = run(
            &mut m,
            "kubectl create deployment web-fixed --image=nginx:1.27 -n bench",
        );
        assert!(
            r[0].effects.is_empty() && !r[0].notes.is_empty(),
            "conflict"
        );
        let r = run(
            &mut m,
            r#"kubectl patch cm shared -n bench --type merge -p '{"data":{"PORT":"8080"}}'"#,
        );
        assert_eq!(r[0].effects[0].diff.changed, ["/data/PORT"]);
        let r = run(&mut m, "kubectl label svc web -n bench team=a");
        assert_eq!(r[0].effects[0].diff.added, ["/metadata/labels/team"]);
        let r = run(&mut m, "kubectl label svc web -n bench team=b");
        assert!(r[0].effects.is_empty(), "no --overwrite");
        // Outside the known namespace nothing is assumed.
        let r = run(&mut m, "kubectl delete deploy api -n prod");
        assert_eq!(r[0].effects[0].existed_before, None);
        assert!(!r[0].target_known);
        let r = run(&mut m, "kubectl delete po -l app=api -n prod");
        assert!(!r[0].target_known);
    }
}
