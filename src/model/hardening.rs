//! What a change did to a workload's defences and to who may do what: the pod-spec settings
//! that keep a container confined (privileged, host namespaces, hostPath, capabilities,
//! runAsNonRoot, probes) and the RBAC grants that give power (cluster-admin, wildcards,
//! escalate/bind/impersonate, secrets, service-account tokens). Both compare an object before
//! and after one effect and name only what the effect added (or, for settings that protect,
//! took away): an object that already ran privileged is not made privileged again.

use super::{Model, ObjKey};
use crate::json::At;
use crate::ops::kinds;
use serde_json::Value;

/// Where a kind keeps its pod spec.
pub fn pod_spec_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

fn pod_spec(obj: &Value) -> Option<&Value> {
    let kind = obj.get("kind").and_then(Value::as_str)?;
    obj.at(pod_spec_path(kind)?)
}

/// One confinement-relevant setting of a pod spec, with the container it belongs to.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Setting {
    what: String,
    container: Option<String>,
}

impl Setting {
    fn text(&self) -> String {
        match &self.container {
            Some(c) => format!("{} ({c})", self.what),
            None => self.what.clone(),
        }
    }
}

/// Settings that weaken confinement (present = weaker).
fn weakening(spec: &Value) -> Vec<Setting> {
    let mut out = Vec::new();
    let pod = |what: &str| Setting {
        what: what.to_string(),
        container: None,
    };
    for f in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec.get(f) == Some(&Value::Bool(true)) {
            out.push(pod(f));
        }
    }
    for v in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if v.get("hostPath").is_some() {
            let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
            out.push(pod(&format!("hostPath volume {name}")));
        }
    }
    if spec
        .at("/securityContext/runAsUser")
        .and_then(Value::as_i64)
        == Some(0)
    {
        out.push(pod("runAsUser 0"));
    }
    if spec
        .at("/securityContext/seccompProfile/type")
        .and_then(Value::as_str)
        == Some("Unconfined")
    {
        out.push(pod("seccompProfile Unconfined"));
    }
    for c in containers(spec) {
        let name = c.get("name").and_then(Value::as_str).map(str::to_string);
        let at = |what: String| Setting {
            what,
            container: name.clone(),
        };
        let sc = c.get("securityContext");
        let flag = |f: &str| sc.and_then(|s| s.get(f)) == Some(&Value::Bool(true));
        if flag("privileged") {
            out.push(at("privileged".into()));
        }
        if flag("allowPrivilegeEscalation") {
            out.push(at("allowPrivilegeEscalation".into()));
        }
        if sc.and_then(|s| s.get("runAsUser")).and_then(Value::as_i64) == Some(0) {
            out.push(at("runAsUser 0".into()));
        }
        for cap in sc
            .and_then(|s| s.at("/capabilities/add"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            out.push(at(format!("capability {cap}")));
        }
    }
    out
}

/// Settings that protect (present = stronger): runAsNonRoot, readOnlyRootFilesystem, probes.
fn protecting(spec: &Value) -> Vec<Setting> {
    let mut out = Vec::new();
    let pod_non_root = spec.at("/securityContext/runAsNonRoot") == Some(&Value::Bool(true));
    for c in containers(spec) {
        let name = c.get("name").and_then(Value::as_str).map(str::to_string);
        let at = |what: &str| Setting {
            what: what.to_string(),
            container: name.clone(),
        };
        let sc = c.get("securityContext");
        let non_root = match sc.and_then(|s| s.get("runAsNonRoot")) {
            Some(Value::Bool(b)) => *b,
            _ => pod_non_root,
        };
        if non_root {
            out.push(at("runAsNonRoot"));
        }
        if sc.and_then(|s| s.get("readOnlyRootFilesystem")) == Some(&Value::Bool(true)) {
            out.push(at("readOnlyRootFilesystem"));
        }
        for p in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if c.get(p).is_some_and(|v| !v.is_null()) {
                out.push(at(p));
            }
        }
    }
    out
}

fn containers(spec: &Value) -> impl Iterator<Item = &Value> {
    ["initContainers", "containers"]
        .into_iter()
        .filter_map(|f| spec.get(f).and_then(Value::as_array))
        .flatten()
}

/// What an effect took from a workload's confinement: settings that weaken it and were not
/// there before ("privileged (web)", "hostPath volume data", "capability NET_ADMIN (web)"), and
/// protecting settings that were there and are gone ("runAsNonRoot (web)", "livenessProbe
/// (web)"; a container removed whole is not counted). `before` is `None` for a created object
/// (only weakening settings count then). `None` for kinds without a pod spec.
pub fn removed(before: Option<&Value>, after: &Value) -> Option<Vec<String>> {
    let after_spec = pod_spec(after)?;
    let empty = Value::Null;
    let before_spec = before.and_then(pod_spec).unwrap_or(&empty);
    let had = weakening(before_spec);
    let mut out: Vec<String> = weakening(after_spec)
        .into_iter()
        .filter(|s| !had.contains(s))
        .map(|s| s.text())
        .collect();
    if before.is_some() {
        let now = protecting(after_spec);
        let names: Vec<Option<String>> = containers(after_spec)
            .map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        out.extend(
            protecting(before_spec)
                .into_iter()
                .filter(|s| !now.contains(s) && names.contains(&s.container))
                .map(|s| s.text()),
        );
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// What an RBAC object grants that is a privilege a reviewer asks about: "cluster-admin",
/// "wildcard verbs", "wildcard resources", "escalate", "bind", "impersonate", "secrets" (read
/// or write access to Secrets), and for a Secret of type `kubernetes.io/service-account-token`,
/// "service-account token". A binding grants what its role grants: looked up in `model`, or
/// the built-in ClusterRoles (cluster-admin, admin, edit, view). `None` when that role is not
/// known, or for other kinds.
pub fn grants(obj: &Value, model: &Model) -> Option<Vec<String>> {
    let kind = obj.get("kind").and_then(Value::as_str)?;
    match kind {
        "Role" | "ClusterRole" => Some(role_grants(obj)),
        "RoleBinding" | "ClusterRoleBinding" => {
            let rk = obj.at("/roleRef/kind").and_then(Value::as_str)?;
            let rn = obj.at("/roleRef/name").and_then(Value::as_str)?;
            if obj
                .get("subjects")
                .and_then(Value::as_array)
                .is_none_or(|s| s.is_empty())
            {
                return Some(Vec::new());
            }
            let ns = if rk == "Role" {
                obj.at("/metadata/namespace").and_then(Value::as_str)
            } else {
                None
            };
            let key = ObjKey::new(
                &kinds::by_kind(rk, Some("rbac.authorization.k8s.io/v1")),
                ns,
                rn,
            );
            if let Some(role) = model.get(&key) {
                let mut g = role_grants(role);
                if rk == "ClusterRole"
                    && rn == "cluster-admin"
                    && !g.contains(&CLUSTER_ADMIN.into())
                {
                    g.insert(0, CLUSTER_ADMIN.into());
                }
                return Some(g);
            }
            let cluster_wide = kind == "ClusterRoleBinding";
            match (rk, rn) {
                ("ClusterRole", "cluster-admin") => Some(vec![
                    CLUSTER_ADMIN.into(),
                    "wildcard verbs".into(),
                    "wildcard resources".into(),
                ]),
                // The built-in user-facing roles (kubernetes plugin/pkg/auth/authorizer/rbac/
                // bootstrappolicy): admin and edit read and write Secrets, view does not. Bound
                // in one namespace they are the standard way to give a team that namespace;
                // bound cluster-wide, every namespace's Secrets.
                ("ClusterRole", "admin" | "edit") if cluster_wide => Some(vec!["secrets".into()]),
                ("ClusterRole", "admin" | "edit" | "view") => Some(Vec::new()),
                _ => None,
            }
        }
        "Secret" => Some(
            if obj.get("type").and_then(Value::as_str)
                == Some("kubernetes.io/service-account-token")
            {
                vec!["service-account token".into()]
            } else {
                Vec::new()
            },
        ),
        _ => None,
    }
}

const CLUSTER_ADMIN: &str = "cluster-admin";

fn role_grants(role: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    for rule in role
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let words = |f: &str| -> Vec<&str> {
            rule.get(f)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect()
        };
        let (verbs, resources) = (words("verbs"), words("resources"));
        if verbs.contains(&"*") {
            add("wildcard verbs");
        }
        if resources.contains(&"*") {
            add("wildcard resources");
        }
        for v in ["escalate", "bind", "impersonate"] {
            if verbs.contains(&v) {
                add(v);
            }
        }
        if resources.iter().any(|r| *r == "secrets" || *r == "*") && !verbs.is_empty() {
            add("secrets");
        }
    }
    out
}

/// The grants `after` has that `before` did not.
pub fn new_grants(before: Option<&Value>, after: &Value, model: &Model) -> Option<Vec<String>> {
    let now = grants(after, model)?;
    let had = before.and_then(|b| grants(b, model)).unwrap_or_default();
    // A binding whose subjects grew grants its role to someone new.
    let subjects = |o: Option<&Value>| -> Vec<String> {
        o.and_then(|o| o.get("subjects"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| s.to_string())
            .collect()
    };
    let (sb, sa) = (subjects(before), subjects(Some(after)));
    let new_subject = sa.iter().any(|s| !sb.contains(s));
    Some(
        now.into_iter()
            .filter(|g| new_subject || !had.contains(g))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(container: Value, pod: Value) -> Value {
        let mut spec = pod;
        spec["containers"] = json!([container]);
        json!({"kind": "Deployment", "spec": {"template": {"spec": spec}}})
    }

    #[test]
    fn weakened_settings_and_removed_protections() {
        let before = deploy(
            json!({"name": "web", "livenessProbe": {"httpGet": {"port": 80}}, "securityContext": {"runAsNonRoot": true}}),
            json!({}),
        );
        let after = deploy(
            json!({"name": "web", "securityContext": {"privileged": true, "capabilities": {"add": ["NET_ADMIN"]}}}),
            json!({"hostNetwork": true, "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}),
        );
        assert_eq!(
            removed(Some(&before), &after).unwrap(),
            [
                "capability NET_ADMIN (web)",
                "hostNetwork",
                "hostPath volume root",
                "livenessProbe (web)",
                "privileged (web)",
                "runAsNonRoot (web)",
            ]
        );
        // Already privileged: nothing new.
        assert!(removed(Some(&after), &after).unwrap().is_empty());
        // A created privileged pod: its weakening settings only.
        let pod = json!({"kind": "Pod", "spec": {"containers": [{"name": "x", "securityContext": {"privileged": true}}]}});
        assert_eq!(removed(None, &pod).unwrap(), ["privileged (x)"]);
        assert!(removed(None, &json!({"kind": "ConfigMap"})).is_none());
    }

    #[test]
    fn grants_of_roles_and_bindings() {
        let model = Model::default();
        let crb = json!({"kind": "ClusterRoleBinding", "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                         "subjects": [{"kind": "ServiceAccount", "namespace": "x", "name": "sa"}]});
        assert_eq!(new_grants(None, &crb, &model).unwrap()[0], "cluster-admin");
        let role = json!({"kind": "Role", "rules": [{"verbs": ["get", "list"], "resources": ["secrets"], "apiGroups": [""]},
                                                    {"verbs": ["impersonate"], "resources": ["users"], "apiGroups": [""]}]});
        assert_eq!(grants(&role, &model).unwrap(), ["secrets", "impersonate"]);
        let rb = json!({"kind": "RoleBinding", "metadata": {"namespace": "x"}, "roleRef": {"kind": "Role", "name": "unknown"},
                        "subjects": [{"kind": "User", "name": "u"}]});
        assert!(
            grants(&rb, &model).is_none(),
            "an unknown role grants unknown"
        );
        let view = json!({"kind": "RoleBinding", "roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "User", "name": "u"}]});
        assert!(grants(&view, &model).unwrap().is_empty());
    }
}
