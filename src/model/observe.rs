//! Objects the agent observed: read results (`kubectl get -o json|yaml`, MCP `resources_get` /
//! `resources_list` JSON or YAML, and the plain `kubectl get pods|deployments` tables) become
//! known state, so that facts about objects the scenario did not list are not left unknown.

use super::Model;
use crate::json::At;
use crate::ops::kinds;
use crate::ops::{Operation, manifest};
use serde_json::{Value, json};

/// Learn from a read operation's result. Returns how many objects became known.
pub fn observe(
    model: &mut Model,
    op: &Operation,
    text: Option<&str>,
    json: Option<&Value>,
) -> usize {
    let ns = op.target.namespace.as_deref();
    let objects: Vec<Value> = match json {
        Some(j) => manifest::from_value(j).unwrap_or_default(),
        None => match text.map(strip_shell_trailer) {
            Some(t) => objects_from_text(t, op),
            None => Vec::new(),
        },
    };
    let is_list = op.target.names.is_empty();
    // A successful list of a kind tells the model every object of that kind there.
    if is_list
        && !objects.is_empty()
        && op.target.selector.is_none()
        && op.target.field_selector.is_none()
    {
        for k in &op.target.kinds {
            if objects
                .iter()
                .all(|o| o.get("kind").and_then(Value::as_str) == Some(k.kind.as_str()))
            {
                model.mark_list_complete(k, if op.target.all_namespaces { None } else { ns });
            }
        }
    }
    let mut n = 0;
    for o in objects {
        if model.insert_known(o, ns) {
            n += 1;
        }
    }
    n
}

/// Evidra's run_command appends "STDERR: ..." and "Exit code: N" to stdout.
fn strip_shell_trailer(t: &str) -> &str {
    let mut end = t.len();
    for marker in ["\nSTDERR:", "\nExit code:"] {
        if let Some(i) = t.find(marker) {
            end = end.min(i);
        }
    }
    if t.starts_with("Exit code:") || t.starts_with("STDERR:") {
        return "";
    }
    &t[..end]
}

/// Drop `managedFields:` blocks from YAML text before parsing: they are most of a `-o yaml`
/// object and the model does not read them.
fn without_managed_fields(t: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memmem::find(t.as_bytes(), b"managedFields:").is_none() {
        return std::borrow::Cow::Borrowed(t);
    }
    let mut out = String::with_capacity(t.len());
    let mut skip_deeper_than: Option<usize> = None;
    for line in t.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if let Some(level) = skip_deeper_than {
            // Block items may sit at the key's own indentation ("- " entries).
            if content.is_empty()
                || indent > level
                || (indent == level && content.starts_with("- "))
            {
                continue;
            }
            skip_deeper_than = None;
        }
        if content.starts_with("managedFields:") && content != "managedFields: []" {
            skip_deeper_than = Some(indent);
            continue;
        }
        out.push_str(line);
    }
    std::borrow::Cow::Owned(out)
}

fn objects_from_text(t: &str, op: &Operation) -> Vec<Value> {
    match documents_in_text(t) {
        Some(objects) => objects,
        None => table(t.trim_start(), op),
    }
}

/// The objects a write's result holds (the stored object an MCP server returns), if any.
pub fn documents_in_result(text: Option<&str>, json: Option<&Value>) -> Vec<Value> {
    match json {
        Some(j) => manifest::from_value(j).unwrap_or_default(),
        None => text.and_then(documents_in_text).unwrap_or_default(),
    }
}

/// The objects a JSON or YAML result holds (each with a name), `None` when the text is not
/// JSON or YAML objects (a kubectl table, a message): that is told from the text as it is,
/// before its `managedFields` blocks are dropped.
pub fn documents_in_text(t: &str) -> Option<Vec<Value>> {
    let start = t.trim_start();
    if !(start.starts_with('{')
        || start.starts_with('[')
        || start.starts_with("apiVersion:")
        || start.starts_with("- apiVersion:")
        || start.contains("\n- apiVersion:")
        || start.contains("\nkind:"))
    {
        return None;
    }
    let stripped = without_managed_fields(t);
    let trimmed = stripped.trim_start();
    // MCP servers sometimes put a sentence before the YAML.
    let body = trimmed
        .find("apiVersion:")
        .filter(|_| !trimmed.starts_with('{') && !trimmed.starts_with('['))
        .map_or(trimmed, |i| {
            let line_start = trimmed[..i].rfind('\n').map_or(0, |j| j + 1);
            &trimmed[line_start..]
        });
    Some(match manifest::parse_text(body) {
        Ok(objs) => objs
            .into_iter()
            .filter(|o| o.at("/metadata/name").is_some())
            .collect(),
        Err(_) => Vec::new(),
    })
}

/// Column names of a kubectl table header and where each starts: columns are separated by two
/// or more spaces (kubectl's tabwriter), so "NOMINATED NODE" is one column.
fn header_columns(header: &str) -> Vec<(usize, &str)> {
    let mut cols = Vec::new();
    let bytes = header.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !(bytes[i] == b' ' && bytes.get(i + 1).is_none_or(|b| *b == b' '))
        {
            i += 1;
        }
        cols.push((start, header[start..i].trim_end()));
    }
    cols
}

/// `kubectl get pods` / `kubectl get deployments` tables, with or without a NAMESPACE column
/// (`-A`), and the containers server's listings (NAMESPACE, APIVERSION, KIND, NAME, ...).
fn table(t: &str, op: &Operation) -> Vec<Value> {
    let mut lines = t.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let cols = header_columns(header);
    let col = |name: &str| cols.iter().position(|c| c.1 == name);
    let Some(name_col) = col("NAME") else {
        return Vec::new();
    };
    // Only tables: every header word is upper case.
    if cols
        .iter()
        .any(|(_, c)| c.chars().any(|ch| ch.is_ascii_lowercase()))
    {
        return Vec::new();
    }
    let default_kind = op
        .target
        .kinds
        .first()
        .map(|k| k.kind.as_str())
        .unwrap_or("Pod");
    let mut out = Vec::new();
    for line in lines {
        // Cell i spans from its column's start to the next column's start.
        let cell = |i: usize| -> Option<&str> {
            let start = cols.get(i)?.0;
            let end = cols.get(i + 1).map_or(line.len(), |c| c.0);
            let text = line.get(start.min(line.len())..end.min(line.len()))?.trim();
            (!text.is_empty()).then_some(text)
        };
        let Some(name) = cell(name_col) else { continue };
        if name.contains(char::is_whitespace) {
            continue;
        }
        let ns = match col("NAMESPACE") {
            Some(i) => cell(i),
            None => op.target.namespace.as_deref(),
        };
        let kind = col("KIND").and_then(cell).unwrap_or(default_kind);
        let get = |c: &str| col(c).and_then(cell);
        let obj = match kind {
            "Pod" if col("STATUS").is_some() => {
                let status = get("STATUS").unwrap_or_default();
                let (ready, total) = get("READY")
                    .and_then(|r| r.split_once('/'))
                    .map_or((0, 0), |(a, b)| {
                        (a.parse().unwrap_or(0), b.parse().unwrap_or(0))
                    });
                let phase = match status {
                    "Running" => "Running",
                    "Completed" => "Succeeded",
                    "Error" | "Failed" => "Failed",
                    _ => "Pending",
                };
                let waiting = (status != "Running" && status != "Completed").then_some(status);
                let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                    "status": {"phase": phase, "containerStatuses": [{"ready": ready == total && total > 0}]}});
                if let Some(w) = waiting {
                    pod["status"]["containerStatuses"][0]["state"] =
                        json!({"waiting": {"reason": w}});
                    if w == "CrashLoopBackOff" {
                        pod["status"]["phase"] = json!("Running");
                    }
                }
                pod
            }
            "Deployment" if col("READY").is_some() => {
                let (ready, total) = get("READY")
                    .and_then(|r| r.split_once('/'))
                    .map_or((0, 0), |(a, b)| {
                        (a.parse::<i64>().unwrap_or(0), b.parse::<i64>().unwrap_or(0))
                    });
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                       "spec": {"replicas": total}, "status": {"availableReplicas": ready}})
            }
            _ => continue,
        };
        let mut obj = obj;
        if let Some(ns) = ns
            && kinds::by_kind(kind, None).namespaced()
        {
            obj["metadata"]["namespace"] = json!(ns);
        }
        out.push(obj);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Health, ObjKey, health};
    use crate::ops::Verb;

    fn read_of(kind: &str, ns: &str) -> Operation {
        let mut op = Operation::new(Verb::Read);
        op.target.kinds = vec![kinds::resolve(kind).unwrap()];
        op.target.namespace = Some(ns.into());
        op
    }

    #[test]
    fn pods_table_becomes_known_state() {
        let mut m = Model::default();
        let t = "NAME                   READY   STATUS             RESTARTS   AGE\nweb-7c5b8d9f4-xk2lp    1/1     Running            0          7m\nweb-6d9f8b7c5-m4n7w    0/1     ImagePullBackOff   0          2m\n\nExit code: 0";
        assert_eq!(observe(&mut m, &read_of("pods", "bench"), Some(t), None), 2);
        let pod = kinds::by_kind("Pod", None);
        let ok = m
            .get(&ObjKey::new(&pod, Some("bench"), "web-7c5b8d9f4-xk2lp"))
            .unwrap();
        assert_eq!(health(ok), Health::Healthy);
        let bad = m
            .get(&ObjKey::new(&pod, Some("bench"), "web-6d9f8b7c5-m4n7w"))
            .unwrap();
        assert_eq!(health(bad), Health::Unhealthy);
        // The list was complete: an unseen pod is known not to exist.
        assert_eq!(
            m.exists(&ObjKey::new(&pod, Some("bench"), "other")),
            Some(false)
        );
    }

    #[test]
    fn tables_with_namespace_kind_and_two_word_columns() {
        let mut m = Model::default();
        // The containers server's pods listing: multi-word headers and cells.
        let t = "NAMESPACE   APIVERSION   KIND   NAME                   READY   STATUS             RESTARTS      AGE   IP           NODE   NOMINATED NODE   READINESS GATES   LABELS\n\
                 bench       v1           Pod    web-77b5997d98-bvghz   0/1     CrashLoopBackOff   5 (40s ago)   6m    10.244.0.7   kind   <none>           <none>            app=web\n";
        let mut op = Operation::new(Verb::Read);
        op.target.namespace = Some("other".into());
        assert_eq!(observe(&mut m, &op, Some(t), None), 1);
        let pod = kinds::by_kind("Pod", None);
        let p = m
            .get(&ObjKey::new(&pod, Some("bench"), "web-77b5997d98-bvghz"))
            .unwrap();
        assert_eq!(health(p), Health::Unhealthy);
        // kubectl get pods -A.
        let t = "NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE\nprod        api-1   1/1     Running   0          1d\n";
        assert_eq!(observe(&mut m, &read_of("pods", "bench"), Some(t), None), 1);
        assert!(m.get(&ObjKey::new(&pod, Some("prod"), "api-1")).is_some());
        // Not a table.
        assert_eq!(
            observe(
                &mut m,
                &read_of("pods", "bench"),
                Some("Name: web\nNamespace: bench"),
                None
            ),
            0
        );
    }

    #[test]
    fn managed_fields_are_skipped() {
        let y = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  managedFields:\n  - apiVersion: v1\n    fieldsV1:\n      f:data: {}\n    manager: kubectl\n  name: c\n  namespace: bench\ndata:\n  A: b\n";
        let s = without_managed_fields(y);
        assert!(!s.contains("manager"), "{s}");
        let o: Value = serde_saphyr::from_str(&s).unwrap();
        assert_eq!(o["metadata"]["name"], "c");
        assert_eq!(o["data"]["A"], "b");
    }

    #[test]
    fn yaml_and_json_results() {
        let mut m = Model::default();
        let y = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: bench\nspec:\n  replicas: 2\n";
        let mut op = read_of("deploy", "bench");
        op.target.names = vec!["web".into()];
        assert_eq!(observe(&mut m, &op, Some(y), None), 1);
        let j = serde_json::json!({"kind": "List", "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "bench"}}]});
        assert_eq!(observe(&mut m, &read_of("svc", "bench"), None, Some(&j)), 1);
        assert_eq!(m.len(), 2);
    }
}
