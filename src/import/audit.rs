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
        ("get" | "list" | "watch", _) => "read",
        ("create", Some("exec" | "attach")) => "exec",
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

pub fn import(file: &InputFile<'_>, labels: &RunLabels) -> Vec<Imported> {
    let mut out = Vec::new();
    let mut b = TraceBuilder::new(file.stem.clone(), labels);
    let mut seen: HashSet<String> = HashSet::new();
    let (mut kept, mut dropped) = (0u64, 0u64);
    for (i, line) in file.text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let e: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(err) => {
                out.push(super::reject_syntax(&file.display, n, line, &err));
                continue;
            }
        };
        if s(&e, "kind") != Some("Event") {
            out.push(super::reject_at(
                &file.display,
                n,
                line,
                if e.get("kind").is_some() { "/kind" } else { "" },
                "not an audit event: expected \"kind\": \"Event\" (audit.k8s.io/v1)",
            ));
            continue;
        }
        let Some(verb) = s(&e, "verb") else {
            out.push(super::reject_at(
                &file.display,
                n,
                line,
                "",
                "an audit event needs `verb`",
            ));
            continue;
        };
        let stage_ok = s(&e, "stage").is_none_or(|st| st == "ResponseComplete");
        // Only a completed event claims its auditID (its earlier stages are dropped anyway).
        let fresh = !stage_ok || s(&e, "auditID").is_none_or(|id| seen.insert(id.to_string()));
        let uri = s(&e, "requestURI").unwrap_or_default();
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
