//! Duplicates: a created object that does the job of an object that existed before the run.

use super::ReplayedOp;
use crate::json::At;
use crate::model::replay::{Cause, Change, ObjectEffect};
use crate::model::selector::Selector;
use crate::model::{Model, ObjKey};
use serde_json::Value;

/// An existing object of the same kind in the same namespace that a new object duplicates.
pub(super) fn duplicate_of(
    e: &ObjectEffect,
    earlier: &[ReplayedOp],
    end: &Model,
) -> Option<ObjKey> {
    if e.cause != Cause::Direct {
        return None;
    }
    // Judged on the end state: a created object removed again duplicates nothing.
    let new = end.get(&e.key)?.clone();
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
                (!a.is_empty() && a.iter().any(|i| b.contains(i)))
                    || selector(&new)
                        .zip(selector(old))
                        .is_some_and(|(x, y)| x.overlaps(&y))
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
            return Some(key.clone());
        }
    }
    None
}
