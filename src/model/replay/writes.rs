//! What the API server does for each kind of write.

use super::controllers::pod_from;
use super::{
    Cause, Change, LAST_APPLIED, PVC_PROTECTION, Replaying, changed_effect, effect, labels_of,
    replicas,
};
use crate::json::At;
use crate::model::defaults::ApiDefaults;
use crate::model::patch;
use crate::model::selector::Selector;
use crate::model::{Diff, ObjKey, is_noise_path, leaf_paths};
use crate::ops::kinds;
use crate::ops::{Cascade, Operation, PatchType, Verb};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The kinds `kubectl apply --prune` prunes by default (kubectl pkg/cmd/apply/prune.go,
/// `defaultNamespacedPruneResources` and `defaultNonNamespacedPruneResources`).
const PRUNE_KINDS: &[&str] = &[
    "ConfigMap",
    "Endpoints",
    "PersistentVolumeClaim",
    "Pod",
    "ReplicationController",
    "Secret",
    "Service",
    "Job",
    "CronJob",
    "Ingress",
    "DaemonSet",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "Namespace",
    "PersistentVolume",
];

pub(super) fn set_path(v: &mut Value, path: &[&str], value: Value) {
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

/// One segment of a diff path (as `leaf_paths` writes them).
pub(super) enum Segment<'a> {
    /// `[key=value]`: the item of a keyed list whose `key` is `value`.
    Item { key: &'a str, id: &'a str },
    /// A map key (JSON-pointer escapes undone).
    Field(String),
}

/// The segments of a diff path; `None` for a malformed `[...]` segment.
pub(super) fn segments(path: &str) -> Option<Vec<Segment<'_>>> {
    path.trim_start_matches('/')
        .split('/')
        .map(
            |seg| match seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                Some(inner) => inner
                    .split_once('=')
                    .map(|(key, id)| Segment::Item { key, id }),
                None => Some(Segment::Field(seg.replace("~1", "/").replace("~0", "~"))),
            },
        )
        .collect()
}

/// The position of the item of `items` whose `key` is `id`.
pub(super) fn item_position(items: &[Value], key: &str, id: &str) -> Option<usize> {
    items.iter().position(|it| {
        it.get(key).is_some_and(|x| !x.is_null()) && crate::model::item_id(it, key) == id
    })
}

/// Delete a leaf path as produced by `leaf_paths` (with `[key=value]` list segments).
pub(super) fn delete_path(v: &mut Value, path: &str) {
    let Some(segs) = segments(path) else { return };
    let mut cur = v;
    for (i, seg) in segs.iter().enumerate() {
        let last = i == segs.len() - 1;
        match seg {
            Segment::Item { key, id } => {
                let Value::Array(items) = cur else { return };
                let Some(pos) = item_position(items, key, id) else {
                    return;
                };
                // An item cannot stay in a keyed list without its key: removing the key
                // removes the item (a server-side apply that no longer lists a port drops it).
                let removes_key =
                    i + 2 == segs.len() && matches!(&segs[i + 1], Segment::Field(f) if f == key);
                if last || removes_key {
                    items.remove(pos);
                    return;
                }
                cur = &mut items[pos];
            }
            Segment::Field(name) => {
                let Value::Object(m) = cur else { return };
                if last {
                    m.remove(name);
                    return;
                }
                let Some(next) = m.get_mut(name) else { return };
                cur = next;
            }
        }
    }
}

/// The part of an object whose defaulter fills in the field at `path`: a probe, else the
/// innermost list item (a container, a port, a volume); `None` for the object's own fields.
fn default_anchor(path: &str) -> Option<&str> {
    for probe in ["/livenessProbe", "/readinessProbe", "/startupProbe"] {
        if let Some(i) = path.find(&format!("{probe}/")) {
            return Some(&path[..i + probe.len()]);
        }
    }
    let i = path.rfind("/[")?;
    let end = path[i..].find(']').map(|j| i + j + 1)?;
    Some(&path[..end])
}

/// The pod template of a workload, or the object itself for a Pod.
pub(super) fn containers_mut(obj: &mut Value) -> Vec<&mut Value> {
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

pub(super) fn edit_containers(obj: &mut Value, op: &Operation) {
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

impl Replaying<'_> {
    pub(super) fn create(&mut self, op: &Operation) {
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
    pub(super) fn synthesize(&mut self, op: &Operation) -> Vec<Value> {
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
            // A tool's `run` names the image (and maybe the command): the pod has one container.
            _ => op
                .target
                .kinds
                .iter()
                .map(|k| {
                    let mut obj = json!({"apiVersion": if k.group.is_empty() { "v1".to_string() } else { format!("{}/v1", k.group) }, "kind": k.kind, "metadata": {"name": name}});
                    // A tool's `run` names the image (and maybe the command): one container.
                    if op.verb == Verb::Run && k.kind == "Pod" {
                        let mut container = json!({"name": name});
                        if let Some((_, i)) = op.payload.images.first() {
                            container["image"] = json!(i);
                        }
                        if !op.payload.command.is_empty() {
                            container["command"] = json!(op.payload.command);
                        }
                        obj["spec"] = json!({"containers": [container]});
                    }
                    obj
                })
                .collect(),
        }
    }

    pub(super) fn created(&mut self, key: ObjKey, obj: Value, existed: Option<bool>, cause: Cause) {
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
        let obj = Arc::new(obj);
        e.after = Some(obj.clone());
        self.r.effects.push(e);
        self.model
            .put_shared(key.clone(), obj.clone(), self.manager, None);
        if matches!(
            key.kind.as_str(),
            "Deployment" | "ReplicaSet" | "StatefulSet"
        ) {
            self.rollout(&key, &obj);
        }
    }

    pub(super) fn apply(&mut self, op: &Operation, server_side: bool) {
        for obj in &op.payload.objects {
            let Some(key) = ObjKey::of(obj, op.target.namespace.as_deref()) else {
                continue;
            };
            let mut manifest = obj.clone();
            if let Some(m) = manifest.as_object_mut() {
                m.remove("status");
            }
            let Some(live) = self.model.get_shared(&key) else {
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
            // Fields the server defaults or owns are not left out: it fills them in again.
            let defaults = ApiDefaults::get();
            let omitted: Vec<String> = live_paths
                .iter()
                .filter(|(p, v)| {
                    !is_noise_path(p)
                        && !new_paths.contains(*p)
                        && !p.starts_with("/metadata/")
                        && !defaults.defaulted(&key.kind, p, v)
                })
                .map(|(p, _)| p)
                .filter(|p| !crate::model::ancestors(p).any(|a| new_paths.contains(a)))
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
                            .map_or(crate::model::INITIAL_MANAGER, String::as_str)
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
            let mut new = (*live).clone();
            let pt = if key.kind_ref().known && kinds::resolve(&key.kind).is_some_and(|k| k.known) {
                PatchType::Strategic
            } else {
                PatchType::Merge
            };
            if let Err(e) = patch::apply(&mut new, pt, &manifest) {
                self.r.notes.push(format!("{key}: {e}"));
                continue;
            }
            // A defaulted field removed is filled in again by the server (no change), as long as
            // what its defaulter runs on stays: a probe dropped whole goes with its defaulted
            // `httpGet.path`, a port with its protocol; the object's own defaults always return.
            let stays = |p: &str| {
                let Some(anchor) = default_anchor(p) else {
                    return true;
                };
                live_paths.iter().any(|(q, v)| {
                    crate::model::is_below(q, anchor)
                        && !to_remove.contains(q)
                        && !defaults.defaulted(&key.kind, q, v)
                })
            };
            for p in &to_remove {
                if live_paths
                    .get(p)
                    .is_some_and(|v| defaults.defaulted(&key.kind, p, v))
                    && stays(p)
                {
                    continue;
                }
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
            let new = Arc::new(new);
            let mut e = changed_effect(
                key.clone(),
                live.clone(),
                new.clone(),
                diff.clone(),
                Cause::Direct,
            );
            e.omitted = omitted;
            self.r.effects.push(e);
            let owned = if server_side {
                Some(new_paths.into_iter().collect())
            } else {
                None
            };
            self.model
                .put_shared(key.clone(), new.clone(), self.manager, owned);
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

    pub(super) fn replace(&mut self, op: &Operation) {
        for obj in &op.payload.objects {
            let Some(key) = ObjKey::of(obj, op.target.namespace.as_deref()) else {
                continue;
            };
            match self.model.get_shared(&key) {
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
                    let defaults = ApiDefaults::get();
                    let omitted = leaf_paths(&live)
                        .into_iter()
                        .filter(|(p, v)| {
                            !is_noise_path(p)
                                && !p.starts_with("/metadata/")
                                && !new_paths.contains(p)
                                && !defaults.defaulted(&key.kind, p, v)
                        })
                        .map(|(p, _)| p)
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

    pub(super) fn patch(&mut self, op: &Operation) {
        let Some(p) = &op.payload.patch else {
            self.each(op, |cx, key, live| {
                cx.change(key.clone(), live.clone(), (*live).clone(), None)
            });
            return;
        };
        let (keys, known) = self.targets(op);
        self.r.target_known &= known;
        self.r.selection_known &= known;
        for key in keys {
            match self.model.get_shared(&key) {
                Some(live) => {
                    let mut new = (*live).clone();
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

    pub(super) fn delete(&mut self, op: &Operation) {
        let (keys, known) = self.targets(op);
        self.r.target_known &= known;
        self.r.selection_known &= known;
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
    pub(super) fn remove(&mut self, key: &ObjKey, cause: Cause, cascade: Option<Cascade>) {
        // A claim a pod still uses stays, Terminating, until the pod goes: the
        // `kubernetes.io/pvc-protection` finalizer (pkg/controller/volume/pvcprotection).
        if key.kind == "PersistentVolumeClaim"
            && !matches!(cause, Cause::Namespace(_))
            && let Some(live) = self.model.get_shared(key)
            && let Some(pod) = self.claim_user(key, None)
        {
            if live.at("/metadata/deletionTimestamp").is_none() {
                let mut new = (*live).clone();
                set_path(
                    &mut new,
                    &["metadata", "deletionTimestamp"],
                    json!("deletion requested in this run"),
                );
                set_path(
                    &mut new,
                    &["metadata", "finalizers"],
                    json!([PVC_PROTECTION]),
                );
                let diff = Diff::between(&live, &new);
                let new = Arc::new(new);
                let mut e = changed_effect(key.clone(), live, new.clone(), diff, cause);
                e.terminating = true;
                self.r.effects.push(e);
                self.model.put_shared(key.clone(), new, self.manager, None);
                self.r.notes.push(format!(
                    "{key} stays Terminating while {pod} uses it ({PVC_PROTECTION})"
                ));
            }
            return;
        }
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
                self.remove(&k, Cause::Namespace(key.name.to_string()), None);
            }
        }
        for child in children {
            if cascade == Some(Cascade::Orphan) {
                if let Some(live) = self.model.get_shared(&child) {
                    let mut new = (*live).clone();
                    if let Some(m) = new.pointer_mut("/metadata").and_then(Value::as_object_mut) {
                        m.remove("ownerReferences");
                    }
                    self.change(child, live, new, None);
                }
            } else {
                self.remove(&child, Cause::Owner(key.clone()), cascade);
            }
        }
        // Claims deleted while this pod used them go with it.
        if key.kind == "Pod"
            && let Some(ns) = key.namespace.clone()
        {
            let claims: Vec<ObjKey> = self
                .model
                .of_kind(&kinds::by_kind("PersistentVolumeClaim", None), Some(&ns))
                .filter(|(_, c)| c.at("/metadata/deletionTimestamp").is_some())
                .map(|(k, _)| k.clone())
                .collect();
            for c in claims {
                if self.claim_user(&c, Some(key)).is_none() {
                    self.remove(&c, Cause::Owner(key.clone()), None);
                }
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

    /// A pod (other than `except`) in the claim's namespace whose volumes use the claim.
    fn claim_user(&self, claim: &ObjKey, except: Option<&ObjKey>) -> Option<ObjKey> {
        let ns = claim.namespace.as_deref()?;
        self.model
            .of_kind(&kinds::by_kind("Pod", None), Some(ns))
            .filter(|(k, _)| Some(*k) != except)
            .find(|(_, p)| {
                p.at("/spec/volumes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|v| {
                        v.at("/persistentVolumeClaim/claimName")
                            .and_then(Value::as_str)
                            == Some(claim.name.as_str())
                    })
            })
            .map(|(k, _)| k.clone())
    }

    pub(super) fn label(&mut self, key: ObjKey, live: Arc<Value>, op: &Operation) {
        let field = if op.verb == Verb::Label {
            "labels"
        } else {
            "annotations"
        };
        let mut new = (*live).clone();
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

    /// `apply --prune`: objects of the prune kinds, in the namespaces the manifest visited,
    /// that match the selector (or any, with `--all`), were last applied with kubectl apply
    /// (they carry its annotation) and are not in the manifest, are deleted (kubectl's
    /// pkg/cmd/apply/prune.go; the default kinds unless `--prune-allowlist` names others, which
    /// the model does not read: then what was pruned is not known).
    pub(super) fn prune(&mut self, op: &Operation) {
        let selector = match op.target.selector.as_deref().map(Selector::parse) {
            Some(Ok(s)) => Some(s),
            Some(Err(_)) => {
                self.r.selection_known = false;
                return;
            }
            None if op.target.all => None,
            // `--applyset` (or an allowlist) without a selector: not modelled below.
            None if op.flags.prune_allowlist => None,
            // kubectl refuses --prune without -l, --all or --applyset.
            None => return,
        };
        if op.flags.prune_allowlist {
            self.r.selection_known = false;
            self.r
                .notes
                .push("--prune-allowlist: the kinds pruned are not modelled".into());
            return;
        }
        let manifest: BTreeSet<ObjKey> = op
            .payload
            .objects
            .iter()
            .filter_map(|o| ObjKey::of(o, op.target.namespace.as_deref()))
            .collect();
        let mut namespaces: BTreeSet<String> = manifest
            .iter()
            .filter_map(|k| k.namespace.as_deref().map(str::to_string))
            .collect();
        if let Some(ns) = &op.target.namespace {
            namespaces.insert(ns.clone());
        }
        let mut doomed = Vec::new();
        let mut known = true;
        for kind in PRUNE_KINDS {
            let kind = kinds::by_kind(kind, None);
            let scopes: Vec<Option<&str>> = if kind.namespaced() {
                namespaces.iter().map(|n| Some(n.as_str())).collect()
            } else {
                vec![None]
            };
            for ns in scopes {
                known &= self.model.list_known(&kind, ns);
                for (key, obj) in self.model.of_kind(&kind, ns) {
                    let labels = obj.at("/metadata/labels").and_then(Value::as_object);
                    let applied = obj
                        .at("/metadata/annotations")
                        .and_then(|a| a.get(LAST_APPLIED))
                        .is_some();
                    if applied
                        && !manifest.contains(key)
                        && selector.as_ref().is_none_or(|s| s.matches(labels))
                    {
                        doomed.push(key.clone());
                    }
                }
            }
        }
        self.r.selection_known &= known;
        self.r.target_known &= known;
        for key in doomed {
            self.remove(&key, Cause::Direct, None);
        }
    }

    /// `helm uninstall RELEASE`: the objects the model knows for the release (Helm's
    /// `meta.helm.sh/release-name` and `-namespace` annotations, or the `app.kubernetes.io/
    /// instance` label with `managed-by: Helm`) and its release Secrets
    /// (`sh.helm.release.v1.RELEASE.vN`, labelled `owner: helm`, `name: RELEASE`) are deleted.
    /// What was removed is known only when the release's namespace is (a scenario's namespace);
    /// cluster-scoped objects of a release count when the model holds them.
    pub(super) fn helm_uninstall(&mut self, op: &Operation) {
        let Some(release) = op.payload.release.as_deref() else {
            self.r.selection_known = false;
            return;
        };
        let ns = op.target.namespace.as_deref().unwrap_or("default");
        let belongs = |key: &ObjKey, obj: &Value| {
            let ann = |k: &str| {
                obj.at("/metadata/annotations")
                    .and_then(|a| a.get(k))
                    .and_then(Value::as_str)
            };
            let label = |k: &str| {
                obj.at("/metadata/labels")
                    .and_then(|a| a.get(k))
                    .and_then(Value::as_str)
            };
            let by_annotation = ann("meta.helm.sh/release-name") == Some(release)
                && ann("meta.helm.sh/release-namespace").is_none_or(|n| n == ns);
            let by_label = label("app.kubernetes.io/instance") == Some(release)
                && label("app.kubernetes.io/managed-by") == Some("Helm")
                && key.namespace.as_deref().is_none_or(|n| n == ns);
            let release_secret = key.kind == "Secret"
                && key.namespace.as_deref() == Some(ns)
                && label("owner") == Some("helm")
                && label("name") == Some(release);
            by_annotation || by_label || release_secret
        };
        let keys: Vec<ObjKey> = self
            .model
            .iter()
            .filter(|(k, o)| belongs(k, o))
            .map(|(k, _)| k.clone())
            .collect();
        // A chart may also own cluster-scoped objects (RBAC, CRDs and with them every custom
        // resource): the release is known whole only when those lists are too.
        let cluster_scoped_known = [
            "ClusterRole",
            "ClusterRoleBinding",
            "CustomResourceDefinition",
        ]
        .iter()
        .all(|k| self.model.list_known(&kinds::by_kind(k, None), None));
        let known = self.model.namespace_complete(ns) && !keys.is_empty() && cluster_scoped_known;
        if !known {
            self.r.notes.push(format!(
                "the objects of release {release} are not all known to the model"
            ));
        }
        self.r.selection_known &= known;
        self.r.target_known &= known;
        for key in keys {
            // Owned objects go with their owner.
            if self.model.get(&key).is_some() {
                self.remove(&key, Cause::Direct, None);
            }
        }
    }

    pub(super) fn node(&mut self, key: ObjKey, live: Arc<Value>, op: &Operation) {
        let mut new = (*live).clone();
        new["spec"]["unschedulable"] = json!(op.verb != Verb::Uncordon);
        self.change(key.clone(), live, new, None);
        if op.verb == Verb::Drain {
            // Evict every pod on the node but DaemonSet pods.
            let on_node = self.pods_on(&key, |_, _| true);
            for p in on_node {
                if self.model.owner(&p).is_some_and(|o| o.kind == "DaemonSet") {
                    continue;
                }
                self.remove(&p, Cause::Direct, None);
            }
        }
    }
}
