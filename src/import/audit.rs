//! Kubernetes audit logs (audit.k8s.io/v1 and v1beta1 `Event`s, one per line) → one trace per
//! file. The API server's own record is ground truth: it says what was actually done, whatever
//! tool the agent used. Each kept event becomes a call of the `api_request` tool of the
//! `k8s-audit` tool map (rules/tools/k8s-audit.yaml), which turns it into an operation.
//!
//! Kept: stage ResponseComplete (or no stage), first event of each auditID, not dry runs, not
//! `watch`, not the control plane's own accounts (controllers, scheduler, nodes, kube-system
//! service accounts). The effective user is the impersonated one when there is one.

use super::{Call, CallResult, ImportFormat, Imported, InputFile, RunLabels, TraceBuilder, s};
use serde_json::{Value, json};
use std::collections::HashSet;

/// Accounts of the control plane, whose requests are the cluster reacting, not the agent.
fn is_control_plane(user: &str) -> bool {
    const EXACT: [&str; 5] = [
        "system:kube-controller-manager",
        "system:kube-scheduler",
        "system:apiserver",
        "system:kube-proxy",
        "system:volume-scheduler",
    ];
    EXACT.contains(&user)
        || user.starts_with("system:node:")
        || user.starts_with("system:serviceaccount:kube-system:")
        || user.starts_with("system:serviceaccount:kube-node-lease:")
}

/// A query parameter of a request URI, percent-decoded.
fn query_param(uri: &str, key: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The operation an event performed, as the tool map's `operation` argument.
fn operation(
    verb: &str,
    subresource: Option<&str>,
    uri: &str,
    body: Option<&Value>,
) -> &'static str {
    match (verb, subresource) {
        // kubectl 1.30+ runs exec and attach over websockets: a `get` of the subresource.
        ("get" | "create", Some("exec" | "attach")) => "exec",
        ("get" | "list" | "watch", _) => "read",
        ("create", Some("eviction")) => "evict",
        ("update" | "patch", Some("scale")) => "scale",
        (_, Some(_)) => "other",
        ("create", None) => "create",
        ("update", None) => "replace",
        ("patch", None) => {
            // Server-side apply sends the whole intent with a field manager and force.
            let whole_object =
                body.is_some_and(|b| b.get("apiVersion").is_some() && b.get("kind").is_some());
            if whole_object && query_param(uri, "fieldManager").is_some() {
                "apply"
            } else {
                "patch"
            }
        }
        ("delete", None) => "delete",
        ("deletecollection", None) => "delete-collection",
        _ => "other",
    }
}

/// One record of an audit file: where it is (its line, the text it was parsed from, and the
/// pointer to it in that text) and the audit event it holds.
struct Record<'t> {
    line: u64,
    text: &'t str,
    pointer: String,
    value: Value,
}

/// The file's records: one JSON value per line, or one document (a JSON array of events, an
/// `EventList`, or a single record, pretty-printed or not); arrays and EventLists inside
/// lines are expanded too.
fn records<'t>(file: &'t InputFile<'_>, out: &mut Vec<Imported>) -> Vec<Record<'t>> {
    let text: &'t str = file.text;
    let mut recs = Vec::new();
    let expand = |recs: &mut Vec<Record<'t>>, line: u64, text: &'t str, v: Value| {
        let (items, base) = match v {
            Value::Array(items) => (items, String::new()),
            Value::Object(ref m) if m.get("kind").and_then(Value::as_str) == Some("EventList") => {
                match m.get("items") {
                    Some(Value::Array(items)) => (items.clone(), "/items".to_string()),
                    _ => (Vec::new(), "/items".to_string()),
                }
            }
            other => {
                recs.push(Record {
                    line,
                    text,
                    pointer: String::new(),
                    value: other,
                });
                return;
            }
        };
        for (i, value) in items.into_iter().enumerate() {
            recs.push(Record {
                line,
                text,
                pointer: format!("{base}/{i}"),
                value,
            });
        }
    };
    let trimmed = text.trim_start();
    if (trimmed.starts_with('[') || trimmed.starts_with('{'))
        && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        expand(&mut recs, 1, text, v);
        return recs;
    }
    let mut first = true;
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let is_first = std::mem::replace(&mut first, false);
        match serde_json::from_str::<Value>(line) {
            Ok(v) => expand(&mut recs, n, line, v),
            Err(err) => {
                // A pretty-printed document (its first line is not a whole value) that does
                // not parse: one error, at its place, not one per line.
                let opening = line.trim();
                if is_first
                    && (opening == "{"
                        || opening == "["
                        || (opening.starts_with('[') && !opening.ends_with(']')))
                {
                    if let Err(e) = serde_json::from_str::<Value>(text) {
                        out.push(super::reject_syntax(&file.display, 1, text, &e));
                    }
                    return Vec::new();
                }
                out.push(super::reject_syntax(&file.display, n, line, &err));
            }
        }
    }
    recs
}

/// The audit.k8s.io Event a record holds: the event itself (`kind: Event`, or a trimmed event
/// with `verb` and `objectRef` and no `kind`), an AKS diagnostic record (the event in
/// `properties.log`, as an object or as JSON text), or a GKE Cloud Audit Log entry
/// (`protoPayload`, converted). `Err` says why the record is none of these (and where).
/// `Ok(None)`: a record of the request that is not its final one (dropped, counted).
fn event_of(v: &Value) -> Result<Option<Value>, (&'static str, String)> {
    if let Some(log) = v.pointer("/properties/log") {
        let e = match log {
            Value::String(t) => serde_json::from_str::<Value>(t).map_err(|e| {
                (
                    "/properties/log",
                    format!("an AKS diagnostic record whose `properties.log` is not JSON: {e}"),
                )
            })?,
            other => other.clone(),
        };
        return if s(&e, "kind") == Some("Event") {
            Ok(Some(e))
        } else {
            Err((
                "/properties/log",
                "an AKS diagnostic record whose `properties.log` is not an audit Event".into(),
            ))
        };
    }
    if let Some(p) = v.get("protoPayload") {
        // A long-running request is logged at its start and its end (`operation.first`,
        // `.last`); the end is the record of what was done.
        if v.pointer("/operation/last").and_then(Value::as_bool) == Some(false) {
            return Ok(None);
        }
        return gke_event(v, p).map(Some);
    }
    match v.get("kind") {
        Some(k) if k == "Event" => Ok(Some(v.clone())),
        None if v.get("verb").is_some() && v.get("objectRef").is_some() => Ok(Some(v.clone())),
        Some(_) => Err((
            "/kind",
            "not an audit event: expected \"kind\": \"Event\" (audit.k8s.io/v1), an EventList, \
             an AKS diagnostic record or a GKE Cloud Audit Log entry"
                .into(),
        )),
        None => Err((
            "",
            "not an audit event: expected \"kind\": \"Event\" (audit.k8s.io/v1), an EventList, \
             an AKS diagnostic record (`properties.log`) or a GKE Cloud Audit Log entry \
             (`protoPayload`)"
                .into(),
        )),
    }
}

/// A GKE Cloud Audit Log entry (`protoPayload` of type AuditLog, serviceName k8s.io) as the
/// audit Event it records: `methodName` `io.k8s.<group>.<version>.<resource>[.<sub>].<verb>`
/// (or `io.k8s.<verb>` for non-resource URLs), `resourceName`
/// `<group>/<version>/namespaces/<ns>/<resource>/<name>[/<sub>]`, the principal as the user,
/// `status.code` (google.rpc) as the HTTP code, `request` / `response` as the objects.
fn gke_event(v: &Value, p: &Value) -> Result<Value, (&'static str, String)> {
    let Some(method) = s(p, "methodName") else {
        return Err((
            "/protoPayload",
            "a GKE audit entry needs `protoPayload.methodName`".into(),
        ));
    };
    let verb = method.rsplit('.').next().unwrap_or_default();
    const VERBS: [&str; 8] = [
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection",
    ];
    if !method.starts_with("io.k8s.") || !VERBS.contains(&verb) {
        return Err((
            "/protoPayload/methodName",
            format!(
                "a GKE audit entry of `{method}`: not a Kubernetes API request (io.k8s.*.<verb>)"
            ),
        ));
    }
    let name = s(p, "resourceName").unwrap_or_default();
    let parts: Vec<&str> = name.split('/').collect();
    let mut obj = serde_json::Map::new();
    if parts.len() >= 3 {
        let (group, version) = (parts[0], parts[1]);
        obj.insert(
            "apiGroup".into(),
            if group == "core" { "" } else { group }.into(),
        );
        obj.insert("apiVersion".into(), version.into());
        let rest = &parts[2..];
        let rest = match rest {
            // A namespace's own subresource: namespaces/<ns>/status | finalize.
            ["namespaces", _, sub] if matches!(*sub, "status" | "finalize") => rest,
            ["namespaces", ns, tail @ ..] if !tail.is_empty() => {
                obj.insert("namespace".into(), (*ns).into());
                tail
            }
            other => other,
        };
        if let Some(r) = rest.first() {
            obj.insert("resource".into(), (*r).into());
        }
        if let Some(n) = rest.get(1) {
            obj.insert("name".into(), (*n).into());
        }
        if let Some(sub) = rest.get(2) {
            obj.insert("subresource".into(), (*sub).into());
        }
    }
    let code = p
        .pointer("/status/code")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    // google.rpc.Code → HTTP status.
    let http = match code {
        0 => 200,
        3 | 9 | 11 => 400,
        16 => 401,
        7 => 403,
        5 => 404,
        6 | 10 => 409,
        8 => 429,
        4 => 504,
        14 => 503,
        _ => 500,
    };
    let mut e = serde_json::json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "auditID": s(v, "insertId"),
        "verb": verb,
        "requestURI": format!("/{name}"),
        "user": {"username": p.pointer("/authenticationInfo/principalEmail").and_then(Value::as_str)},
        "objectRef": Value::Object(obj),
        "responseStatus": {"code": http, "message": p.pointer("/status/message").and_then(Value::as_str)},
        "requestReceivedTimestamp": s(v, "timestamp"),
    });
    if let Some(r) = p.get("request").filter(|r| r.is_object()) {
        let mut r = r.clone();
        if let Some(m) = r.as_object_mut() {
            m.remove("@type");
        }
        e["requestObject"] = r;
    }
    if let Some(r) = p.get("response").filter(|r| r.is_object()) {
        let mut r = r.clone();
        if let Some(m) = r.as_object_mut() {
            m.remove("@type");
        }
        e["responseObject"] = r;
    }
    Ok(e)
}

pub fn import(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    let mut seen: HashSet<String> = HashSet::new();
    let (mut kept, mut dropped) = (0u64, 0u64);
    for rec in records(file, &mut out) {
        let (n, line) = (rec.line, rec.text);
        let e = match event_of(&rec.value) {
            Ok(Some(e)) => e,
            Ok(None) => {
                dropped += 1;
                continue;
            }
            Err((at, message)) => {
                out.push(super::reject_at(
                    &file.display,
                    n,
                    line,
                    &format!("{}{at}", rec.pointer),
                    message,
                ));
                continue;
            }
        };
        let Some(verb) = s(&e, "verb") else {
            out.push(super::reject_at(
                &file.display,
                n,
                line,
                &rec.pointer,
                "an audit event needs `verb`",
            ));
            continue;
        };
        let stage_ok = s(&e, "stage").is_none_or(|st| st == "ResponseComplete");
        // Only a completed event claims its auditID (its earlier stages are dropped anyway).
        // The stages of one request share its auditID, verb and URI; keying on all three also
        // keeps apart requests of logs whose IDs were anonymised to one value.
        let uri = s(&e, "requestURI").unwrap_or_default();
        let fresh = !stage_ok
            || s(&e, "auditID").is_none_or(|id| seen.insert(format!("{id} {verb} {uri}")));
        let dry = query_param(uri, "dryRun").is_some();
        let user = e
            .pointer("/impersonatedUser/username")
            .or_else(|| e.pointer("/user/username"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !stage_ok || !fresh || dry || verb == "watch" || is_control_plane(user) {
            dropped += 1;
            continue;
        }
        kept += 1;
        let obj = e.get("objectRef").cloned().unwrap_or(Value::Null);
        let subresource = s(&obj, "subresource");
        let body = e.get("requestObject");
        let op = operation(verb, subresource, uri, body);
        let api_version = match (s(&obj, "apiGroup"), s(&obj, "apiVersion")) {
            (Some(g), Some(v)) if !g.is_empty() => Some(format!("{g}/{v}")),
            (_, Some(v)) => Some(v.to_string()),
            _ => None,
        };
        let kind = s(&obj, "resource")
            .and_then(crate::ops::kinds::resolve)
            .map(|k| k.kind);
        let mut args = json!({
            "operation": op,
            "verb": verb,
            "kind": kind,
            "resource": s(&obj, "resource"),
            "subresource": subresource,
            "namespace": s(&obj, "namespace"),
            "name": s(&obj, "name"),
            "api_version": api_version,
            "user": user,
            "request_uri": uri,
        });
        if let Some(body) = body {
            args["body"] = body.clone();
            if op == "scale" {
                args["replicas"] = body
                    .pointer("/spec/replicas")
                    .cloned()
                    .unwrap_or(Value::Null);
            }
        }
        if let Some(sel) = query_param(uri, "labelSelector") {
            args["selector"] = sel.into();
        }
        if op == "patch" {
            args["patch_type"] = if body.is_some_and(Value::is_array) {
                "json"
            } else {
                "strategic"
            }
            .into();
        }
        if let Value::Object(m) = &mut args {
            m.retain(|_, v| !v.is_null());
        }
        let code = e.pointer("/responseStatus/code").and_then(Value::as_i64);
        let result = match code {
            Some(c) if c >= 400 => Some(CallResult::text(
                format!(
                    "{c} {}",
                    e.pointer("/responseStatus/message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
                true,
            )),
            _ => e
                .get("responseObject")
                .cloned()
                .map(|o| CallResult {
                    json: Some(o),
                    ..CallResult::default()
                })
                .or_else(|| code.map(|c| CallResult::text(c.to_string(), false))),
        };
        b.call(Call {
            tool: "api_request".into(),
            server: Some("kubernetes-api".into()),
            call_id: s(&e, "auditID").map(str::to_string),
            arguments: Some(args),
            result,
            ts: s(&e, "requestReceivedTimestamp")
                .or_else(|| s(&e, "timestamp"))
                .map(str::to_string),
        });
    }
    if kept + dropped > 0 || out.is_empty() {
        b.meta("audit_events_kept", kept);
        b.meta("audit_events_dropped", dropped);
        out.insert(
            0,
            Imported::Doc {
                line: 1,
                json: b.finish(ImportFormat::K8sAudit),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import_text(text: &str) -> (Vec<Value>, Vec<String>) {
        let file = InputFile {
            display: std::sync::Arc::from("a.log"),
            text,
            stem: "a".into(),
        };
        let mut calls = Vec::new();
        let mut errors = Vec::new();
        for i in import(&file, &RunLabels::default()) {
            match i {
                Imported::Doc { json, .. } => {
                    let v: Value = serde_json::from_slice(&json).unwrap();
                    calls.extend(
                        v["events"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|e| e["arguments"].clone()),
                    );
                }
                Imported::Rejected { rejection, .. } => errors.push(format!("{rejection:?}")),
                Imported::Skipped { .. } => {}
            }
        }
        (calls, errors)
    }

    #[test]
    fn arrays_eventlists_aks_and_gke_records() {
        let ev = r#"{"kind":"Event","auditID":"a","stage":"ResponseComplete","verb":"delete","requestURI":"/api/v1/namespaces/n/pods/p","user":{"username":"me"},"objectRef":{"resource":"pods","namespace":"n","name":"p","apiVersion":"v1"},"responseStatus":{"code":200}}"#;
        // A pretty-printed EventList.
        let list = format!("{{\n  \"kind\": \"EventList\",\n  \"items\": [\n{ev}\n  ]\n}}\n");
        let (calls, errors) = import_text(&list);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(calls[0]["operation"], "delete");
        // A JSON array, and an AKS record with the event as a JSON string.
        let aks = serde_json::json!({"category": "kube-audit", "properties": {"log": ev}});
        // Two lines: an array of one event, then the same event in an AKS record.
        let (calls, errors) = import_text(&format!("[{ev}]\n{aks}\n"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            calls.len(),
            1,
            "the AKS copy shares the event's auditID, verb and URI"
        );
        // GKE: methodName and resourceName.
        let gke = r#"{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"dev@example.com"},"methodName":"io.k8s.apps.v1.deployments.patch","resourceName":"apps/v1/namespaces/web/deployments/api","status":{"code":7,"message":"forbidden"},"request":{"@type":"x","spec":{"replicas":0}}},"insertId":"i1","timestamp":"2026-01-02T03:04:05Z"}"#;
        let (calls, errors) = import_text(gke);
        assert!(errors.is_empty(), "{errors:?}");
        let c = &calls[0];
        assert_eq!(c["operation"], "patch");
        assert_eq!(c["kind"], "Deployment");
        assert_eq!(c["namespace"], "web");
        assert_eq!(c["name"], "api");
        assert_eq!(c["api_version"], "apps/v1");
        assert_eq!(c["user"], "dev@example.com");
        assert_eq!(c["body"]["spec"]["replicas"], 0);
        // Neither an event nor a known wrapper: rejected at its place.
        let (_, errors) = import_text("{\"kind\": \"Pod\"}\n");
        assert_eq!(errors.len(), 1);
        let (_, errors) = import_text("{\"properties\": {\"log\": \"not json\"}}\n");
        assert!(errors[0].contains("properties.log"), "{errors:?}");
    }

    #[test]
    fn query_parameters_and_operations() {
        let uri = "/api/v1/namespaces/b/pods?labelSelector=app%3Dweb%2Ctier+in+(a)&dryRun=All";
        assert_eq!(
            query_param(uri, "labelSelector").as_deref(),
            Some("app=web,tier in (a)")
        );
        assert_eq!(query_param(uri, "dryRun").as_deref(), Some("All"));
        assert_eq!(query_param("/api/v1/pods", "dryRun"), None);
        assert_eq!(operation("create", Some("exec"), "", None), "exec");
        assert_eq!(operation("patch", Some("scale"), "", None), "scale");
        let whole = json!({"apiVersion": "v1", "kind": "ConfigMap"});
        assert_eq!(
            operation(
                "patch",
                None,
                "/x?fieldManager=kubectl&force=true",
                Some(&whole)
            ),
            "apply"
        );
        assert_eq!(operation("patch", None, "/x", Some(&whole)), "patch");
        assert_eq!(
            operation("deletecollection", None, "", None),
            "delete-collection"
        );
        assert!(is_control_plane("system:node:worker-1"));
        assert!(!is_control_plane("minikube-user"));
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%é%zz"), "%é%zz");
    }
}
