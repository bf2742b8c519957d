//! Duplicates: a created object that does the job of an object that existed before the run.

use super::ReplayedOp;
use crate::json::At;
use crate::model::replay::{Cause, Change, ObjectEffect};
use crate::model::selector::Selector;
use crate::model::{Health, Model, ObjKey};
use serde_json::Value;

/// What a created object duplicates.
#[derive(Debug, PartialEq)]
pub(super) enum Duplicate {
    Of(ObjKey),
    None,
    /// It may do an existing object's job, but whether that object still does it is not known.
    Unknown,
}

/// Labels that tell versions or tracks of one application apart (a canary, a blue/green pair).
const VERSION_LABELS: &[&str] = &[
    "version",
    "app.kubernetes.io/version",
    "track",
    "canary",
    "release",
    "tier",
];

/// An existing object of the same kind in the same namespace that a new object duplicates.
///
/// Workloads do the same job when they manage the same pods (their selectors can match the
/// same pod: two controllers fight over them), or when they run the same image family while
/// the existing one is left broken (a parallel Deployment beside the one the agent should have
/// fixed). A sibling that differs in a version label (a canary `version: v2.1` beside a healthy
/// `v2.0`) is a new version, not a duplicate.
pub(super) fn duplicate_of(
    e: &ObjectEffect,
    ops: &[ReplayedOp],
    at: usize,
    end: &Model,
) -> Duplicate {
    let earlier = &ops[..at.min(ops.len())];
    if e.cause != Cause::Direct {
        return Duplicate::None;
    }
    // Judged on the end state: a created object removed again duplicates nothing.
    let Some(new) = end.get(&e.key).cloned() else {
        return Duplicate::None;
    };
    let kind = e.key.kind_ref();
    let images = |o: &Value| -> Vec<String> {
        let spec = if o.get("kind").and_then(Value::as_str) == Some("Pod") {
            o.get("spec")
        } else {
            o.at("/spec/template/spec")
        };
        spec.and_then(|s| s.get("containers"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("image").and_then(Value::as_str))
            .map(|i| {
                i.rsplit('/')
                    .next()
                    .unwrap_or(i)
                    .split([':', '@'])
                    .next()
                    .unwrap_or(i)
                    .to_string()
            })
            .collect()
    };
    let selector = |o: &Value| o.at("/spec/selector").and_then(Selector::from_object);
    let data_keys = |o: &Value| -> Vec<String> {
        ["data", "stringData", "binaryData"]
            .iter()
            .filter_map(|f| o.get(*f).and_then(Value::as_object))
            .flat_map(|m| m.keys().cloned())
            .collect()
    };
    let mut unknown = false;
    for (key, old) in end.of_kind(&kind, e.key.namespace.as_deref()) {
        if *key == e.key {
            continue;
        }
        // Only objects that were not created in this run count as "existing".
        if earlier.iter().any(|o| {
            o.replay
                .effects
                .iter()
                .any(|x| x.key == *key && x.change == Change::Created)
        }) {
            continue;
        }
        let same = match e.key.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod" | "Job" => {
                let (a, b) = (images(&new), images(old));
                let same_pods = selector(&new)
                    .zip(selector(old))
                    .is_some_and(|(x, y)| x.overlaps(&y));
                let same_image = !a.is_empty() && a.iter().any(|i| b.contains(i));
                if same_pods {
                    true
                } else if same_image
                    && !versioned_siblings(&new, old)
                    && kin(&e.key, key, &new, old)
                {
                    // Broken when the copy was made (the agent may fix the original later and
                    // still leave the copy beside it).
                    let then = state_at(key, ops, at).unwrap_or(old);
                    match crate::model::health(then) {
                        Health::Unhealthy => true,
                        // Available, but its latest rollout is stuck (pods of the new template
                        // not available): broken all the same.
                        Health::Healthy => rollout_stuck(then),
                        Health::Unknown => {
                            unknown = true;
                            false
                        }
                    }
                } else {
                    false
                }
            }
            "Service" => selector(&new)
                .zip(selector(old))
                .is_some_and(|(x, y)| x.overlaps(&y)),
            "ConfigMap" | "Secret" => {
                let (a, b) = (data_keys(&new), data_keys(old));
                !a.is_empty() && a.iter().filter(|k| b.contains(k)).count() * 2 >= a.len()
            }
            _ => false,
        };
        if same {
            return Duplicate::Of(key.clone());
        }
    }
    if unknown {
        Duplicate::Unknown
    } else {
        Duplicate::None
    }
}

/// Two workloads look like one application: one name extends the other (`api`, `api-v2`,
/// `api-fixed`), or their pods share a label (`app: api`). Two unrelated applications that
/// happen to run the same base image (nginx) are not a duplicate of each other.
fn kin(a: &ObjKey, b: &ObjKey, new: &Value, old: &Value) -> bool {
    let prefix = |x: &str, y: &str| {
        x.len() < y.len() && y.starts_with(x) && y[x.len()..].starts_with(['-', '.'])
    };
    if prefix(&a.name, &b.name) || prefix(&b.name, &a.name) {
        return true;
    }
    let (la, lb) = (pod_labels(new), pod_labels(old));
    la.iter().any(|(k, v)| lb.get(k) == Some(v))
}

fn pod_labels(o: &Value) -> serde_json::Map<String, Value> {
    let at = if o.get("kind").and_then(Value::as_str) == Some("Pod") {
        "/metadata/labels"
    } else {
        "/spec/template/metadata/labels"
    };
    o.at(at)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// A workload whose status shows its latest rollout not done: pods unavailable, or fewer
/// updated replicas than it wants.
fn rollout_stuck(o: &Value) -> bool {
    let int = |p: &str| o.at(p).and_then(Value::as_i64);
    let want = int("/spec/replicas")
        .or(int("/status/replicas"))
        .unwrap_or(1);
    int("/status/unavailableReplicas").is_some_and(|n| n > 0)
        || int("/status/updatedReplicas").is_some_and(|n| n < want)
}

/// Both objects' pod labels carry a version label, with different values.
fn versioned_siblings(a: &Value, b: &Value) -> bool {
    let (la, lb) = (pod_labels(a), pod_labels(b));
    VERSION_LABELS
        .iter()
        .any(|k| matches!((la.get(*k), lb.get(*k)), (Some(x), Some(y)) if x != y))
}

/// An object's state when operation `at` ran: after its last effect before `at`, else before
/// its first effect from `at` on; `None` when neither is known (then the end state says).
fn state_at<'a>(key: &ObjKey, ops: &'a [ReplayedOp], at: usize) -> Option<&'a Value> {
    let effects = |range: &'a [ReplayedOp]| {
        range
            .iter()
            .flat_map(|o| o.replay.effects.iter())
            .filter(move |x| x.key == *key)
    };
    let (before, after) = ops.split_at(at.min(ops.len()));
    match effects(before).next_back() {
        Some(last) => last.after.as_deref(),
        None => effects(after)
            .next()
            .and_then(|first| first.before.as_deref()),
    }
}
