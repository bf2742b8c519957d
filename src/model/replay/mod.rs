//! Apply canonical operations to the model and report what each did to which objects: this
//! module dispatches on the verb and records effects; `writes` holds what the API server does
//! for each kind of write (create, apply, replace, patch, delete, labels, nodes); `controllers`
//! what controllers do in reaction (rollouts, replacing pods, scaling, undo).

//!
//! Cost: an operation touches the objects it targets (a selector scans the objects of its kinds
//! in its namespace through an ordered range, not the whole model), plus their owned objects
//! through the owner index. Nothing scans the whole model per operation.

mod controllers;
pub mod readback;
mod writes;

use writes::{edit_containers, set_path};

use crate::json::At;
use crate::model::selector::Selector;
use crate::model::{Diff, Health, Model, ObjKey, health};
pub use crate::ops::Change;
use crate::ops::{Effect, Operation, Verb};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;

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
    /// The object before the change, when known (shared with the model that held it).
    #[serde(skip)]
    pub before: Option<Arc<Value>>,
    /// A deletion the API server accepted but a finalizer holds (a claim still in use stays
    /// Terminating): the change is `changed`, and the object goes later.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub terminating: bool,
    /// The object after a create or change (what facts about its content read).
    #[serde(skip)]
    pub after: Option<Arc<Value>>,
}

/// The finalizer that keeps a claim in use (kubernetes pkg/controller/volume/pvcprotection).
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";

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
    /// Which objects the operation touched is known: its target names them, or the model knows
    /// every object its selector or `--all` could match. False: the analysis cannot say what
    /// it touched (the run is then not certified safe).
    pub selection_known: bool,
    /// Where the model and the record disagree, or what it could not model.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

pub(super) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
pub(super) const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

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
        selection_known: op.target.unresolved.is_none(),
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
    let mut cx = Replaying {
        model,
        r: &mut r,
        manager,
    };
    match op.verb {
        Verb::Create | Verb::Run | Verb::Expose | Verb::Autoscale => cx.create(op),
        Verb::Apply | Verb::ServerSideApply => {
            cx.apply(op, op.verb == Verb::ServerSideApply);
            if op.flags.prune {
                cx.prune(op);
            }
        }
        Verb::Replace => cx.replace(op),
        Verb::Delete => cx.delete(op),
        Verb::Patch => cx.patch(op),
        Verb::Scale => cx.each(op, |cx, key, live| {
            let mut new = (*live).clone();
            if let Some(n) = op.payload.replicas {
                new["spec"]["replicas"] = json!(n);
            }
            cx.change(key, live, new, None);
        }),
        Verb::RolloutRestart => cx.each(op, |cx, key, live| {
            let mut new = (*live).clone();
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
            let mut new = (*live).clone();
            new["spec"]["paused"] = json!(op.verb == Verb::RolloutPause);
            cx.change(key, live, new, None);
        }),
        Verb::SetImage | Verb::SetEnv | Verb::SetResources => cx.each(op, |cx, key, live| {
            let mut new = (*live).clone();
            edit_containers(&mut new, op);
            cx.change(key, live, new, None);
        }),
        Verb::Label | Verb::Annotate => cx.each(op, |cx, key, live| cx.label(key, live, op)),
        Verb::Cordon | Verb::Uncordon | Verb::Drain => {
            cx.each(op, |cx, key, live| cx.node(key, live, op))
        }
        Verb::Taint => cx.each(op, |cx, key, live| {
            let mut new = (*live).clone();
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
            let no_execute: Vec<Value> = taints
                .iter()
                .filter(|t| t.get("effect").and_then(Value::as_str) == Some("NoExecute"))
                .cloned()
                .collect();
            new["spec"]["taints"] = Value::Array(taints);
            cx.change(key.clone(), live, new, None);
            if !no_execute.is_empty() {
                cx.evict_untolerated(&key, &no_execute);
            }
        }),
        // A node debugging pod or a pod's copy: a new pod.
        Verb::Debug if !op.payload.objects.is_empty() => cx.create(op),
        // An ephemeral debug container added to a pod (it stays until the pod goes).
        Verb::Debug if !op.target.names.is_empty() => cx.each(op, |cx, key, live| {
            let mut new = (*live).clone();
            let image = op.payload.container.clone().unwrap_or_default();
            let mut list: Vec<Value> = new
                .at("/spec/ephemeralContainers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            list.push(json!({"name": format!("debugger-{}", list.len()), "image": image}));
            new["spec"]["ephemeralContainers"] = Value::Array(list);
            cx.change(key, live, new, None);
        }),
        Verb::Edit | Verb::SetOther | Verb::Exec | Verb::Debug | Verb::Mutate => {
            let (keys, known) = cx.targets(op);
            cx.r.target_known &= known;
            cx.r.selection_known &= known;
            for key in keys {
                if matches!(op.verb, Verb::Exec | Verb::Debug) {
                    continue;
                }
                let before = cx.model.get_shared(&key);
                cx.r.effects.push(ObjectEffect {
                    existed_before: cx.model.exists(&key),
                    health_before: before.as_deref().map(health),
                    labels: labels_of(before.as_deref()),
                    before,
                    key,
                    change: Change::Changed,
                    diff: Diff::default(),
                    omitted: Vec::new(),
                    replicas_before: None,
                    replicas_after: None,
                    cause: Cause::Direct,
                    terminating: false,
                    after: None,
                });
            }
            if !matches!(op.verb, Verb::Exec | Verb::Debug) {
                cx.r.notes
                    .push(format!("{}: the new content is not known", op.verb.name()));
            }
        }
        Verb::HelmUninstall => cx.helm_uninstall(op),
        Verb::HelmInstall | Verb::HelmUpgrade | Verb::HelmRollback => {
            cx.r.target_known = false;
        }
        Verb::ContextSwitch | Verb::Read => {}
    }
    r
}
/// The objects an operation names (kinds × names), without looking at the model.
pub fn target_keys(op: &Operation) -> Vec<ObjKey> {
    let t = &op.target;
    t.kinds
        .iter()
        .flat_map(|k| {
            t.names
                .iter()
                .map(move |n| ObjKey::new(k, t.namespace.as_deref(), n))
        })
        .collect()
}

/// One operation being replayed: the model, the replay it fills, the field manager of its
/// writes.
struct Replaying<'a> {
    model: &'a mut Model,
    r: &'a mut OpReplay,
    manager: &'a str,
}

pub(super) fn labels_of(v: Option<&Value>) -> Option<Map<String, Value>> {
    v?.at("/metadata/labels")?.as_object().cloned()
}

pub(super) fn replicas(v: &Value) -> Option<i64> {
    v.at("/spec/replicas").and_then(Value::as_i64)
}

impl Replaying<'_> {
    /// The keys an operation targets, and whether that list is complete.
    pub(super) fn targets(&self, op: &Operation) -> (Vec<ObjKey>, bool) {
        // A resource word outside the kinds table names the model's kind of that name, if any.
        let resolved;
        let op = if op.target.kinds.iter().any(|k| !k.known) {
            let mut o = op.clone();
            for k in &mut o.target.kinds {
                if !k.known
                    && let Some(found) = self.model.kind_named(&k.kind)
                {
                    *k = found;
                }
            }
            resolved = o;
            &resolved
        } else {
            op
        };
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
        // A change with no kind, no name and no object (`delete --raw URL`): what it touches
        // is not known.
        if t.kinds.is_empty() && op.verb.mutates() {
            return (keys, false);
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
    pub(super) fn each(
        &mut self,
        op: &Operation,
        mut f: impl FnMut(&mut Self, ObjKey, Arc<Value>),
    ) {
        let (keys, known) = self.targets(op);
        self.r.target_known &= known;
        self.r.selection_known &= known;
        for key in keys {
            match self.model.get_shared(&key) {
                Some(live) => f(self, key, live),
                None => self.unknown_change(key),
            }
        }
    }

    pub(super) fn unknown_change(&mut self, key: ObjKey) {
        self.unknown_change_with(key, Diff::default());
    }

    /// A change of an object the model does not hold: what changed is `diff` as far as the call
    /// tells; an object known not to exist means the call would fail.
    pub(super) fn unknown_change_with(&mut self, key: ObjKey, diff: Diff) {
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
    pub(super) fn change(
        &mut self,
        key: ObjKey,
        live: Arc<Value>,
        new: Value,
        omitted: Option<Vec<String>>,
    ) {
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
        let new = Arc::new(new);
        let mut e = changed_effect(key.clone(), live, new.clone(), diff, Cause::Direct);
        e.omitted = omitted.unwrap_or_default();
        self.r.effects.push(e);
        self.model
            .put_shared(key.clone(), new.clone(), self.manager, None);
        if template_changed {
            self.rollout(&key, &new);
        } else if replicas_changed {
            self.scale_pods(&key, &new);
        }
    }
}

pub(super) fn effect(
    key: ObjKey,
    change: Change,
    before: Option<Arc<Value>>,
    existed: Option<bool>,
    diff: Diff,
    cause: Cause,
) -> ObjectEffect {
    ObjectEffect {
        health_before: before.as_deref().map(health),
        labels: labels_of(before.as_deref()),
        key,
        change,
        existed_before: existed,
        diff,
        omitted: Vec::new(),
        replicas_before: None,
        replicas_after: None,
        cause,
        before,
        terminating: false,
        after: None,
    }
}

/// A change of a live object, with its replicas before and after and its new labels.
pub(super) fn changed_effect(
    key: ObjKey,
    live: Arc<Value>,
    new: Arc<Value>,
    diff: Diff,
    cause: Cause,
) -> ObjectEffect {
    let replicas_before = replicas(&live);
    let mut e = effect(key, Change::Changed, Some(live), Some(true), diff, cause);
    e.replicas_before = replicas_before;
    e.replicas_after = replicas(&new);
    e.labels = labels_of(Some(&new));
    e.after = Some(new);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::kinds;
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
    fn a_claim_in_use_stays_terminating_until_its_pod_goes() {
        let mut m = cluster();
        m.insert_known(
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "bench"},
                   "spec": {"volumeName": "pv-1"}, "status": {"phase": "Bound"}}),
            None,
        );
        m.insert_known(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "bench"},
                   "spec": {"containers": [{"name": "db", "image": "postgres:16"}],
                            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}),
            None,
        );
        let r = run(&mut m, "kubectl delete pvc data -n bench");
        let e = &r[0].effects[0];
        assert_eq!((e.change, e.terminating), (Change::Changed, true));
        let claim = ObjKey::new(
            &kinds::by_kind("PersistentVolumeClaim", None),
            Some("bench"),
            "data",
        );
        assert!(m.get(&claim).is_some(), "the claim stays while db uses it");
        // Deleted again: nothing new. The pod goes: the claim goes with it.
        assert!(
            run(&mut m, "kubectl delete pvc data -n bench")[0]
                .effects
                .is_empty()
        );
        let r = run(&mut m, "kubectl delete pod db -n bench");
        assert_eq!(
            removed(&r),
            ["PersistentVolumeClaim/bench/data", "Pod/bench/db"]
        );
        assert!(m.get(&claim).is_none());
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

    /// Helm uninstall, apply --prune, NoExecute taints and kubectl debug are modelled; what they
    /// touch is known only when the model knows the objects they select.
    #[test]
    fn releases_prunes_evictions_and_debug_pods() {
        let mut m = cluster();
        for o in [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cache", "namespace": "bench",
                   "annotations": {"meta.helm.sh/release-name": "cache", "meta.helm.sh/release-namespace": "bench"}}}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sh.helm.release.v1.cache.v1", "namespace": "bench",
                   "labels": {"owner": "helm", "name": "cache"}}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": "bench", "labels": {"tier": "c"},
                   "annotations": {LAST_APPLIED: "{}"}}}),
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tolerant", "namespace": "bench"},
                   "spec": {"nodeName": "n1", "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute"}]}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "plain", "namespace": "bench"}, "spec": {"nodeName": "n1"}}),
        ] {
            m.insert_known(o, None);
        }
        // The release is known whole only with the cluster-scoped lists a chart may use.
        let r = run(&mut m, "helm uninstall cache -n bench");
        assert!(!r[0].selection_known && removed(&r).len() == 2);
        m.insert_known(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cache", "namespace": "bench",
                   "annotations": {"meta.helm.sh/release-name": "cache", "meta.helm.sh/release-namespace": "bench"}}}),
            None,
        );
        for k in [
            "ClusterRole",
            "ClusterRoleBinding",
            "CustomResourceDefinition",
        ] {
            m.mark_list_complete(&kinds::by_kind(k, None), None);
        }
        let r = run(&mut m, "helm uninstall cache -n bench");
        assert_eq!(removed(&r), ["Deployment/bench/cache"]);
        assert!(r[0].selection_known);
        let r = run(&mut m, "helm uninstall web -n elsewhere");
        assert!(r[0].effects.is_empty() && !r[0].selection_known);

        let r = run(
            &mut m,
            "kubectl apply --prune -l tier=c -n bench -f - <<EOF\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: new, labels: {tier: c}}\nEOF",
        );
        assert_eq!(removed(&r), ["ConfigMap/bench/old"]);
        // Cluster-scoped prune kinds (Namespace, PersistentVolume) are not all known.
        assert!(!r[0].selection_known);

        let r = run(&mut m, "kubectl taint nodes n1 k=v:NoExecute");
        assert_eq!(removed(&r), ["Pod/bench/plain"]);
        let r = run(&mut m, "kubectl taint nodes n1 other=v:NoSchedule");
        assert!(removed(&r).is_empty());

        let r = run(&mut m, "kubectl debug node/n1 -it --image=busybox -n bench");
        assert_eq!(
            r[0].effects[0].key.to_string(),
            "Pod/bench/node-debugger-n1"
        );
        assert_eq!(r[0].effects[0].change, Change::Created);
        let r = run(
            &mut m,
            "kubectl debug web-abc-1 -n bench -it --image=busybox",
        );
        assert_eq!(
            r[0].effects[0].diff.added,
            [
                "/spec/ephemeralContainers/[name=debugger-0]/image",
                "/spec/ephemeralContainers/[name=debugger-0]/name"
            ]
        );
    }
}
