//! The object a write returned. MCP servers answer an apply or an update with the object as
//! the API server stored it. Fields the object had before the write, that the replay kept but
//! the stored object lacks, were removed by the write in ways the model cannot see offline:
//! a server-side apply by the field manager that had set them (its ownership is not in the
//! recording: reads strip `managedFields`), a mutating webhook, a replace. And fields the replay
//! removed but the stored object still has were left by the write (a server-side apply drops a
//! field only when no other manager owns it). The replay takes the stored object's word for
//! both, so the facts about what the change dropped (`dropped_paths`) see what the server did.

use super::{Cause, Change, OpReplay, labels_of};
use crate::json::At;
use crate::model::{Diff, Model, ObjKey, leaf_paths};
use crate::ops::{Effect, Operation, Verb};
use serde_json::Value;

/// Fields the API server (not the writer) owns, and the status: a stored object may differ
/// there without the write having removed anything.
const SERVER_OWNED: [&str; 12] = [
    "/status",
    "/metadata/deletionTimestamp",
    "/metadata/deletionGracePeriodSeconds",
    // The scheduler binds a pod; a replacement pod is not bound yet.
    "/spec/nodeName",
    "/metadata/managedFields",
    "/metadata/resourceVersion",
    "/metadata/generation",
    "/metadata/uid",
    "/metadata/creationTimestamp",
    "/metadata/selfLink",
    "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
    "/metadata/annotations/deployment.kubernetes.io~1revision",
];

fn server_owned(path: &str) -> bool {
    SERVER_OWNED
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
        // The service-account token volume the admission plugin adds to every pod.
        || path.contains("/volumes/[name=kube-api-access-")
        || path.contains("/volumeMounts/[mountPath=/var/run/secrets/kubernetes.io/serviceaccount]")
}

/// Whether a result can correct this replay: an applied write that changed an object (so its
/// result is worth parsing at all).
pub fn applies(op: &Operation, replay: &OpReplay) -> bool {
    matches!(
        op.verb,
        Verb::Apply | Verb::ServerSideApply | Verb::Replace | Verb::Patch
    ) && op.effect == Effect::Applied
        && replay
            .effects
            .iter()
            .any(|e| e.change == Change::Changed && e.cause == Cause::Direct)
}

/// Correct the replay of `op` with the objects its result returned: fields the object had
/// before are removed or kept as the stored object says. Returns what changed, per object.
pub fn correct(
    model: &mut Model,
    op: &Operation,
    replay: &mut OpReplay,
    returned: &[Value],
) -> Vec<Corrected> {
    if !applies(op, replay) || returned.is_empty() {
        return Vec::new();
    }
    let mut corrected = Vec::new();
    for stored in returned {
        let Some(key) = ObjKey::of(stored, op.target.namespace.as_deref()) else {
            continue;
        };
        let Some(e) = replay
            .effects
            .iter_mut()
            .find(|e| e.key == key && e.change == Change::Changed && e.cause == Cause::Direct)
        else {
            continue;
        };
        let (Some(before), Some(kept)) = (e.before.as_ref(), model.get(&key)) else {
            continue;
        };
        // Another uid: the object the write met was a new one (the old one had gone), so the
        // stored object says nothing about what this write removed from the old. Only the API
        // server's uids are compared (the model names objects it never saw `uid-000001`).
        let uid = |o: &Value| {
            o.at("/metadata/uid")
                .and_then(Value::as_str)
                .filter(|u| is_uuid(u))
                .map(str::to_string)
        };
        if let (Some(a), Some(b)) = (uid(before), uid(stored))
            && a != b
        {
            continue;
        }
        // A summary of the object is not the object: it must hold every part the model's
        // object has (spec, data, ...), apart from the status.
        let whole = kept.as_object().is_some_and(|m| {
            m.keys()
                .filter(|k| k.as_str() != "status")
                .all(|k| stored.get(k).is_some())
        });
        if !whole {
            continue;
        }
        let had = leaf_paths(before);
        let stored_paths = leaf_paths(stored);
        let kept_paths = leaf_paths(kept);
        // Kept by the replay, gone from the stored object: the write removed them.
        let lost: Vec<String> = kept_paths
            .keys()
            .filter(|p| had.contains_key(*p) && !server_owned(p))
            .filter(|p| !stored_paths.contains_key(*p) && !has_below(&stored_paths, p))
            .cloned()
            .collect();
        // Removed by the replay, still stored: the write left them (another field manager
        // still owned them).
        let left: Vec<(String, Value)> = had
            .keys()
            .filter(|p| {
                !server_owned(p) && !kept_paths.contains_key(*p) && !has_below(&kept_paths, p)
            })
            .filter_map(|p| stored_paths.get(p).map(|v| (p.clone(), (*v).clone())))
            .collect();
        if lost.is_empty() && left.is_empty() {
            continue;
        }
        let mut new = kept.clone();
        for p in &lost {
            super::writes::delete_path(&mut new, p);
            prune_empty_parents(&mut new, p);
        }
        let mut restored = Vec::new();
        for (p, v) in left {
            // On a copy: a path that cannot be set leaves nothing behind.
            let mut trial = new.clone();
            if set_keyed(&mut trial, &p, v) {
                new = trial;
                restored.push(p);
            }
        }
        e.diff = Diff::between(before, &new);
        e.labels = labels_of(Some(&new));
        let new = std::sync::Arc::new(new);
        e.after = Some(new.clone());
        model.put_shared(key.clone(), new, "", None);
        corrected.push(Corrected {
            key,
            lost,
            restored,
        });
    }
    for c in &corrected {
        let list = |paths: &[String]| {
            let mut shown: Vec<&str> = paths.iter().map(String::as_str).take(8).collect();
            if paths.len() > shown.len() {
                shown.push("...");
            }
            shown.join(", ")
        };
        if !c.lost.is_empty() {
            replay.notes.push(format!(
                "the object the server stored for {} lacks {} field(s) it had: removed by this write ({})",
                c.key,
                c.lost.len(),
                list(&c.lost)
            ));
        }
        if !c.restored.is_empty() {
            replay.notes.push(format!(
                "the object the server stored for {} keeps {} field(s) the replay had removed: another field manager still owns them ({})",
                c.key,
                c.restored.len(),
                list(&c.restored)
            ));
        }
    }
    corrected
}

/// An API server uid: a UUID (8-4-4-4-12 hex digits).
fn is_uuid(u: &str) -> bool {
    let groups: Vec<&str> = u.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What the stored object corrected in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrected {
    pub key: ObjKey,
    /// Paths the write removed that the replay had kept.
    pub lost: Vec<String>,
    /// Paths the write left that the replay had removed.
    pub restored: Vec<String>,
}

/// Set the leaf at a diff path (`/a/b`, `/spec/containers/[name=web]/image`), creating maps on
/// the way; a keyed list item must exist. Returns whether it was set.
fn set_keyed(v: &mut Value, path: &str, value: Value) -> bool {
    use super::writes::{Segment, item_position, segments};
    let Some(segs) = segments(path) else {
        return false;
    };
    let n = segs.len();
    let mut cur = v;
    for (i, seg) in segs.into_iter().enumerate() {
        let last = i + 1 == n;
        match seg {
            Segment::Item { key, id } => {
                let Value::Array(items) = cur else {
                    return false;
                };
                let Some(pos) = item_position(items, key, id).filter(|_| !last) else {
                    return false;
                };
                cur = &mut items[pos];
            }
            Segment::Field(name) => {
                if cur.is_null() {
                    *cur = Value::Object(serde_json::Map::new());
                }
                let Value::Object(m) = cur else {
                    return false;
                };
                if last {
                    m.insert(name, value);
                    return true;
                }
                cur = m.entry(name).or_insert(Value::Null);
            }
        }
    }
    false
}

/// A leaf of the model that the stored object holds as a subtree (an empty map the server
/// filled in) is not lost.
fn has_below(paths: &std::collections::BTreeMap<String, &Value>, p: &str) -> bool {
    let prefix = format!("{p}/");
    paths
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(k, _)| k.starts_with(&prefix))
}

/// After removing the last key of a map (`metadata.labels`), the map goes too, as the API
/// server stores it.
fn prune_empty_parents(v: &mut Value, path: &str) {
    let mut parent = path;
    while let Some(i) = parent.rfind('/') {
        parent = &parent[..i];
        if parent.is_empty() || parent.ends_with(']') {
            return;
        }
        let empty = v
            .at(parent)
            .is_some_and(|x| x.as_object().is_some_and(|m| m.is_empty()));
        if !empty {
            return;
        }
        super::writes::delete_path(v, parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::replay::apply;
    use crate::ops::kubectl::Session;
    use crate::ops::normalize::command_line;
    use serde_json::json;

    const UID: &str = "5e0cb09a-1111-4222-8333-944455556666";

    fn deployment(labels: Value, replicas: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "api", "namespace": "bench", "uid": UID, "labels": labels},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
                        "template": {"metadata": {"labels": {"app": "api"}},
                                     "spec": {"containers": [{"name": "api", "image": "nginx:1.27"}]}}}})
    }

    /// A server-side apply of `manifest` (a heredoc through kubectl), applied.
    fn ssa(manifest: &Value) -> Operation {
        let line =
            format!("kubectl apply --server-side --force-conflicts -f - <<'EOF'\n{manifest}\nEOF");
        let mut op = command_line(&line, &mut Session::default())
            .unwrap()
            .remove(0);
        assert_eq!(op.verb, Verb::ServerSideApply);
        op.effect = Effect::Applied;
        op
    }

    /// The Deployment (labels app and team), a server-side apply of an image change, then the
    /// correction by `stored`.
    fn apply_then(stored: Value) -> (Model, OpReplay, Vec<Corrected>) {
        let mut m = Model::default();
        m.insert_known(
            deployment(json!({"app": "api", "team": "platform"}), 2),
            None,
        );
        let mut manifest = deployment(json!({"app": "api", "team": "platform"}), 2);
        manifest["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        manifest["metadata"].as_object_mut().unwrap().remove("uid");
        let op = ssa(&manifest);
        let mut r = apply(&mut m, &op, "kubernetes-mcp-server");
        let c = correct(&mut m, &op, &mut r, &[stored]);
        (m, r, c)
    }

    fn with_image(mut d: Value) -> Value {
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        d
    }

    fn key() -> ObjKey {
        ObjKey::of(&deployment(json!({}), 1), None).unwrap()
    }

    #[test]
    fn fields_the_stored_object_lacks_were_removed_by_the_write() {
        let mut stored = with_image(deployment(json!({"app": "api"}), 2));
        stored["metadata"]["resourceVersion"] = json!("42");
        stored["status"] = json!({"replicas": 2});
        let (m, r, c) = apply_then(stored);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].lost, ["/metadata/labels/team"]);
        assert!(c[0].restored.is_empty());
        let e = &r.effects[0];
        assert!(
            e.diff
                .removed
                .contains(&"/metadata/labels/team".to_string()),
            "{:?}",
            e.diff
        );
        assert!(m.get(&key()).unwrap().at("/metadata/labels/team").is_none());
        assert!(
            r.notes[0].contains("removed by this write (/metadata/labels/team)"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn fields_the_replay_removed_but_the_server_kept_come_back() {
        // The manager applied the labels before; its next apply leaves out `team`, so the
        // replay removes it; the server kept it (another manager owns it too).
        let mut m = Model::default();
        m.insert_known(
            deployment(json!({"app": "api", "team": "platform"}), 2),
            None,
        );
        let mut first = deployment(json!({"app": "api", "team": "platform"}), 2);
        first["metadata"].as_object_mut().unwrap().remove("uid");
        apply(&mut m, &ssa(&first), "mgr");
        let mut second = with_image(deployment(json!({"app": "api"}), 2));
        second["metadata"].as_object_mut().unwrap().remove("uid");
        let op = ssa(&second);
        let mut r = apply(&mut m, &op, "mgr");
        assert!(
            r.effects[0]
                .diff
                .removed
                .contains(&"/metadata/labels/team".to_string()),
            "the replay's own view: {:?}",
            r.effects[0].diff
        );
        let stored = with_image(deployment(json!({"app": "api", "team": "platform"}), 2));
        let c = correct(&mut m, &op, &mut r, &[stored]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].restored, ["/metadata/labels/team"]);
        assert!(
            !r.effects[0]
                .diff
                .removed
                .iter()
                .any(|p| p.contains("labels")),
            "{:?}",
            r.effects[0].diff
        );
        assert_eq!(
            m.get(&key()).unwrap().at("/metadata/labels/team"),
            Some(&json!("platform"))
        );
        assert!(
            r.notes[0].contains("another field manager still owns them"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn another_object_or_a_summary_corrects_nothing() {
        // Another uid: the write met a new object.
        let mut other = with_image(deployment(json!({"app": "api"}), 2));
        other["metadata"]["uid"] = json!("0c0f5a5e-aaaa-4bbb-8ccc-ddddeeeeffff");
        let (m, r, c) = apply_then(other);
        assert!(c.is_empty());
        assert!(m.get(&key()).unwrap().at("/metadata/labels/team").is_some());
        assert!(r.notes.is_empty());
        // A summary without the spec is not the stored object.
        let (_, _, c) = apply_then(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "bench"}}));
        assert!(c.is_empty());
        // Status and server-owned metadata never count as removed.
        let mut stored = with_image(deployment(json!({"app": "api", "team": "platform"}), 2));
        stored["metadata"].as_object_mut().unwrap().remove("uid");
        stored["metadata"]["generation"] = json!(3);
        stored["status"] = json!({"replicas": 2});
        let (_, _, c) = apply_then(stored);
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn setting_a_keyed_path() {
        let mut v = deployment(json!({}), 1);
        assert!(set_keyed(
            &mut v,
            "/spec/template/spec/containers/[name=api]/image",
            json!("x")
        ));
        assert_eq!(
            v.at("/spec/template/spec/containers/0/image"),
            Some(&json!("x"))
        );
        assert!(set_keyed(&mut v, "/metadata/labels/team", json!("a")));
        assert!(!set_keyed(
            &mut v,
            "/spec/template/spec/containers/[name=nope]/image",
            json!("x")
        ));
        assert!(is_uuid(UID) && !is_uuid("uid-000001"));
    }
}
