//! The three patch kinds kubectl and the API server know: JSON Patch (RFC 6902) and JSON Merge
//! Patch (RFC 7386) through the `json-patch` crate, and strategic merge patch with the merge keys
//! of the built-in lists.

use crate::ops::PatchType;
use serde_json::{Map, Value};

/// Apply a patch of the given type; the document is unchanged on error.
pub fn apply(doc: &mut Value, patch_type: PatchType, body: &Value) -> Result<(), String> {
    match patch_type {
        PatchType::Json => json_patch(doc, body),
        PatchType::Merge => {
            json_patch::merge(doc, body);
            Ok(())
        }
        PatchType::Strategic => strategic(doc, body),
    }
}

/// The fields a patch removes by naming them, as diff paths of `before` (the object it was
/// applied to): a JSON-patch `remove` (and a `move`'s `from`), a merge or strategic patch's
/// `null`, a strategic `$patch: delete` item or `$deleteFromPrimitiveList`. A field that
/// disappears because a patch replaced its parent (a JSON-patch `replace` of a container, a
/// merge patch's list) is not named: it was dropped on the way.
pub fn named_removals(patch_type: PatchType, body: &Value, before: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match patch_type {
        PatchType::Json => {
            for op in body.as_array().into_iter().flatten() {
                let path = match op.get("op").and_then(Value::as_str) {
                    Some("remove") => op.get("path"),
                    Some("move") => op.get("from"),
                    _ => None,
                };
                if let Some(p) = path.and_then(Value::as_str)
                    && let Some(k) = super::keyed_pointer(before, p)
                {
                    out.push(k);
                }
            }
        }
        PatchType::Merge | PatchType::Strategic => named_in(
            body,
            String::new(),
            patch_type == PatchType::Strategic,
            &mut out,
        ),
    }
    out
}

fn named_in(v: &Value, path: String, strategic: bool, out: &mut Vec<String>) {
    let seg = |k: &str| crate::trace::locate::child_pointer(&path, k);
    match v {
        Value::Null => out.push(path),
        Value::Object(m) => {
            if strategic && m.get("$patch").and_then(Value::as_str) == Some("delete") {
                out.push(path);
                return;
            }
            for (k, c) in m {
                if strategic && let Some(f) = k.strip_prefix("$deleteFromPrimitiveList/") {
                    out.push(seg(f));
                } else if !k.starts_with('$') {
                    named_in(c, seg(k), strategic, out);
                }
            }
        }
        Value::Array(items) if strategic => {
            let field = path.rsplit('/').next().unwrap_or_default().to_string();
            if let Some(key) = merge_key(&field, items) {
                for it in items {
                    let id = super::item_id(it, key);
                    named_in(it, super::keyed_child(&path, key, &id), strategic, out);
                }
            }
        }
        _ => {}
    }
}

/// RFC 6902: atomic (all operations or none).
pub fn json_patch(doc: &mut Value, body: &Value) -> Result<(), String> {
    let p: json_patch::Patch =
        serde_json::from_value(body.clone()).map_err(|e| format!("not a JSON patch: {e}"))?;
    json_patch::patch(doc, &p).map_err(|e| e.to_string())
}

/// The merge key of a built-in list field (Kubernetes `patchMergeKey`), judged by the field
/// name and, for `ports`, by what the items hold.
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let has = |k: &str| items.iter().any(|i| i.get(k).is_some());
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "volumeDevices" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "ports" if has("containerPort") => Some("containerPort"),
        "ports" => Some("port"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "hostAliases" => Some("ip"),
        _ => None,
    }
}

/// Lists of scalars that strategic merge treats as sets.
fn primitive_merge(field: &str) -> bool {
    matches!(field, "finalizers")
}

/// Strategic merge patch (kubectl's default): maps merge recursively, `null` deletes, lists with a
/// merge key merge item by item, other lists are replaced; `$patch: replace|delete`,
/// `$retainKeys`, `$deleteFromPrimitiveList/<f>` and `$setElementOrder/<f>` are honoured.
pub fn strategic(doc: &mut Value, patch: &Value) -> Result<(), String> {
    let mut out = doc.clone();
    merge_value(&mut out, patch)?;
    *doc = out;
    Ok(())
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

fn merge_value(target: &mut Value, patch: &Value) -> Result<(), String> {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        *target = strip_directives(patch);
        return Ok(());
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else {
        return Ok(());
    };
    for (k, v) in p {
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(remove)) = (t.get_mut(field), v) {
                list.retain(|x| !remove.contains(x));
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        match v {
            Value::Null => {
                t.remove(k);
            }
            Value::Object(o) if o.get("$patch").and_then(Value::as_str) == Some("delete") => {
                t.remove(k);
            }
            Value::Object(_) => merge_value(t.entry(k.clone()).or_insert(Value::Null), v)?,
            Value::Array(items) => {
                let merged = merge_list(k, t.get(k), items)?;
                t.insert(k.clone(), merged);
            }
            other => {
                t.insert(k.clone(), other.clone());
            }
        }
    }
    if let Some(Value::Array(keep)) = p.get("$retainKeys") {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        t.retain(|k, _| keep.contains(&k.as_str()));
    }
    Ok(())
}

fn merge_list(field: &str, target: Option<&Value>, items: &[Value]) -> Result<Value, String> {
    let current: Vec<Value> = target
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(Value::Array(
            items
                .iter()
                .filter(|i| i.get("$patch").is_none())
                .map(strip_directives)
                .collect(),
        ));
    }
    if primitive_merge(field) && items.iter().all(|i| !i.is_object()) {
        let mut out = current;
        for i in items {
            if !out.contains(i) {
                out.push(i.clone());
            }
        }
        return Ok(Value::Array(out));
    }
    let Some(key) = merge_key(field, items).or_else(|| merge_key(field, &current)) else {
        return Ok(Value::Array(items.iter().map(strip_directives).collect()));
    };
    let mut out = current;
    for item in items {
        let Some(id) = item.get(key) else {
            return Err(format!("an item of `{field}` has no merge key `{key}`"));
        };
        let pos = out.iter().position(|o| o.get(key) == Some(id));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                out.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => merge_value(&mut out[i], item)?,
            None => out.push(strip_directives(item)),
        }
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The RFC 6902 conformance suite (shared/data/json-patch-tests): every enabled case.
    #[test]
    fn json_patch_conformance_suite() {
        let Some(dir) =
            crate::testdata::shared_data("json_patch_conformance_suite", "json-patch-tests")
        else {
            return;
        };
        let mut ran = 0;
        let mut failures = Vec::new();
        for file in ["tests.json", "spec_tests.json"] {
            let text =
                std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
            for (i, c) in cases.iter().enumerate() {
                if c["disabled"] == json!(true) || c.get("doc").is_none() {
                    continue;
                }
                ran += 1;
                let mut doc = c["doc"].clone();
                let result = json_patch(&mut doc, &c["patch"]);
                let name = format!("{file}#{i} {}", c["comment"]);
                match (c.get("expected"), c.get("error"), result) {
                    (Some(exp), _, Ok(())) if *exp == doc => {}
                    (Some(exp), _, r) => {
                        failures.push(format!("{name}: expected {exp}, got {doc} / {r:?}"))
                    }
                    (None, Some(_), Err(_)) => {
                        // Atomic: a failed patch leaves the document as it was.
                        if doc != c["doc"] {
                            failures.push(format!("{name}: failed patch changed the document"));
                        }
                    }
                    (None, Some(e), Ok(())) => failures.push(format!("{name}: expected error {e}")),
                    (None, None, _) => {}
                }
            }
        }
        assert!(ran > 100, "{ran}");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// RFC 7386 Appendix A.
    #[test]
    fn merge_patch_rfc7386_appendix_a() {
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (doc, patch, expected) in cases {
            let mut d = doc.clone();
            apply(&mut d, PatchType::Merge, &patch).unwrap();
            assert_eq!(d, expected, "{doc} + {patch}");
        }
    }

    #[test]
    fn strategic_merges_lists_by_key() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:99", "livenessProbe": {"httpGet": {"port": 80}},
             "ports": [{"containerPort": 80}], "env": [{"name": "A", "value": "1"}]},
            {"name": "sidecar", "image": "envoy"}
        ]}}}});
        strategic(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.27", "env": [{"name": "B", "value": "2"}]}
            ]}}}}),
        )
        .unwrap();
        let c = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(c.as_array().unwrap().len(), 2);
        assert_eq!(c[0]["image"], "nginx:1.27");
        assert_eq!(
            c[0]["livenessProbe"]["httpGet"]["port"], 80,
            "kept: not in the patch"
        );
        assert_eq!(c[0]["env"].as_array().unwrap().len(), 2);
        // Directives: delete an item, replace a map, delete a key.
        strategic(&mut d, &json!({"spec": {"template": {"spec": {"containers": [
            {"name": "sidecar", "$patch": "delete"},
            {"name": "web", "livenessProbe": null, "ports": [{"containerPort": 80, "$patch": "delete"}]}
        ]}}}}))
        .unwrap();
        let c = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(c.as_array().unwrap().len(), 1);
        assert!(c[0].get("livenessProbe").is_none());
        assert_eq!(c[0]["ports"], json!([]));
        strategic(
            &mut d,
            &json!({"spec": {"$patch": "replace", "replicas": 1}}),
        )
        .unwrap();
        assert_eq!(d["spec"], json!({"replicas": 1}));
        let mut f = json!({"metadata": {"finalizers": ["a"]}});
        strategic(&mut f, &json!({"metadata": {"finalizers": ["b"], "$deleteFromPrimitiveList/finalizers": ["a"]}})).unwrap();
        assert_eq!(f["metadata"]["finalizers"], json!(["b"]));
        // Lists without a merge key are replaced; a failed patch changes nothing.
        let mut a = json!({"spec": {"args": ["a", "b"]}});
        strategic(&mut a, &json!({"spec": {"args": ["c"]}})).unwrap();
        assert_eq!(a["spec"]["args"], json!(["c"]));
        let before = a.clone();
        assert!(strategic(&mut a, &json!({"spec": {"containers": [{"image": "x"}]}})).is_err());
        assert_eq!(a, before);
    }

    #[test]
    fn removals_a_patch_names() {
        let before = json!({"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 80, "hostPort": 9100}],
                             "livenessProbe": {"exec": {}}}]}});
        let jp = json!([{"op": "remove", "path": "/spec/containers/0/ports/0/hostPort"},
                        {"op": "replace", "path": "/spec/containers/0/livenessProbe", "value": {}}]);
        assert_eq!(
            named_removals(PatchType::Json, &jp, &before),
            ["/spec/containers/[name=web]/ports/[containerPort=80]/hostPort"]
        );
        let sm = json!({"spec": {"containers": [{"name": "web", "livenessProbe": null,
                         "ports": [{"containerPort": 80, "$patch": "delete"}]}]}});
        assert_eq!(
            named_removals(PatchType::Strategic, &sm, &before),
            [
                "/spec/containers/[name=web]/livenessProbe",
                "/spec/containers/[name=web]/ports/[containerPort=80]"
            ]
        );
        // A merge patch's list replaces the list: what it drops is not named.
        let mp = json!({"spec": {"containers": [{"name": "web"}]}});
        assert!(named_removals(PatchType::Merge, &mp, &before).is_empty());
    }
}
