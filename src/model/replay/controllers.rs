//! What controllers do in reaction to a change: a Deployment rolls out a new ReplicaSet, a
//! ReplicaSet replaces and scales its Pods, an undo restores an earlier template.

use super::{Cause, Change, Replaying, changed_effect, effect, replicas};
use crate::json::At;
use crate::model::{Diff, ObjKey};
use crate::ops::kinds;
use serde_json::{Value, json};
use std::sync::Arc;

/// Whether a pod's tolerations tolerate a taint (the scheduler's rule: an empty key with
/// `Exists` tolerates everything; otherwise the keys match and, for `Equal`, the values; an
/// empty effect matches every effect).
fn tolerates(pod: &Value, taint: &Value) -> bool {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (tk, tv, te) = (s(taint, "key"), s(taint, "value"), s(taint, "effect"));
    pod.at("/spec/tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|t| {
            let (k, v, e) = (s(t, "key"), s(t, "value"), s(t, "effect"));
            let exists = s(t, "operator") == "Exists";
            let effect_ok = e.is_empty() || e == te;
            let key_ok = (k.is_empty() && exists) || k == tk;
            let value_ok = exists || v == tv;
            effect_ok && key_ok && value_ok
        })
}

impl Replaying<'_> {
    /// A `NoExecute` taint on a node: the taint manager evicts every pod on it that does not
    /// tolerate the taints (their controllers replace them). What it evicted is known only when
    /// every pod's node is.
    pub(super) fn evict_untolerated(&mut self, node: &ObjKey, taints: &[Value]) {
        let evicted = self.pods_on(node, |_, p| !taints.iter().all(|t| tolerates(p, t)));
        for p in evicted {
            self.remove(&p, Cause::Controller(node.clone()), None);
        }
    }

    /// The pods the model places on `node` (their `spec.nodeName`) that `pick` selects. The
    /// model knows pods' nodes only when their spec says so, and every pod only when it knows
    /// the pods of all namespaces: otherwise the operation's selection is not known.
    pub(super) fn pods_on(
        &mut self,
        node: &ObjKey,
        pick: impl Fn(&ObjKey, &Value) -> bool,
    ) -> Vec<ObjKey> {
        let pod = kinds::by_kind("Pod", None);
        let on_node: Vec<ObjKey> = self
            .model
            .of_kind(&pod, None)
            .filter(|(k, p)| {
                p.at("/spec/nodeName").and_then(Value::as_str) == Some(node.name.as_str())
                    && pick(k, p)
            })
            .map(|(k, _)| k.clone())
            .collect();
        let listed = self.model.list_known(&pod, None);
        self.r.target_known &= listed;
        self.r.selection_known &= listed;
        on_node
    }

    /// After a workload's template changed (or it was created): a Deployment gets a new
    /// ReplicaSet and the old ones scale to zero; a ReplicaSet/StatefulSet gets its pods.
    pub(super) fn rollout(&mut self, key: &ObjKey, obj: &Value) {
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
                    if let Some(live) = self.model.get_shared(&o)
                        && replicas(&live) != Some(0)
                    {
                        let mut new = (*live).clone();
                        new["spec"]["replicas"] = json!(0);
                        self.controller_change(o.clone(), live, new, key);
                        let now = self.model.get_shared(&o).unwrap_or_default();
                        self.scale_pods(&o, &now);
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

    pub(super) fn controller_change(
        &mut self,
        key: ObjKey,
        live: Arc<Value>,
        new: Value,
        by: &ObjKey,
    ) {
        let diff = Diff::between(&live, &new);
        let new = Arc::new(new);
        let e = changed_effect(
            key.clone(),
            live,
            new.clone(),
            diff,
            Cause::Controller(by.clone()),
        );
        self.r.effects.push(e);
        self.model.put_shared(key, new, "controller", None);
    }

    /// Make the pods of a ReplicaSet/StatefulSet match its replicas; a Deployment scales its
    /// newest ReplicaSet.
    pub(super) fn scale_pods(&mut self, key: &ObjKey, obj: &Value) {
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
                && let Some(live) = self.model.get_shared(&newest)
            {
                let mut new = (*live).clone();
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

    pub(super) fn undo(&mut self, key: ObjKey, live: Arc<Value>) {
        // The previous template is that of the newest scaled-down ReplicaSet, when known.
        let prev = self
            .model
            .children(&key)
            .into_iter()
            .filter(|c| c.kind == "ReplicaSet")
            .filter_map(|c| self.model.get_shared(&c))
            .rfind(|rs| replicas(rs) == Some(0));
        match prev.and_then(|rs| rs.at("/spec/template").cloned()) {
            Some(t) => {
                let mut new = (*live).clone();
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
}

pub(super) fn owner_ref(key: &ObjKey, obj: &Value) -> Value {
    json!({"apiVersion": obj.get("apiVersion").cloned().unwrap_or(json!("apps/v1")), "kind": key.kind, "name": key.name,
           "uid": obj.at("/metadata/uid").cloned().unwrap_or(Value::Null), "controller": true})
}

/// A Pod as the controller `owner` would create it.
pub(super) fn pod_from(owner_obj: &Value, owner: &ObjKey, name: &str) -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": owner_obj.at("/spec/template/metadata/labels").cloned().unwrap_or(json!({})),
                     "ownerReferences": [owner_ref(owner, owner_obj)]},
        "spec": owner_obj.at("/spec/template/spec").cloned().unwrap_or(json!({}))});
    if let Some(ns) = &owner.namespace {
        pod["metadata"]["namespace"] = json!(ns);
    }
    pod
}
