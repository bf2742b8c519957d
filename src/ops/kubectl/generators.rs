//! kubectl's object generators: `run` builds a Pod, `create <generator>` a Deployment,
//! ConfigMap, Secret, Service, Job, Namespace... from flags, as kubectl would send them.

use super::Builder;
use super::NotUnderstood;
use crate::ops::kinds;
use crate::ops::shell::Word;
use crate::ops::{Operation, Verb};
use serde_json::{Value, json};

impl Builder<'_> {
    pub(super) fn run(&mut self, rest: &[Word]) -> Vec<Operation> {
        let mut op = self.base(Verb::Run);
        let name = rest.first().map(|w| w.text.clone()).unwrap_or_default();
        let image = self.args.get("image").unwrap_or_default().to_string();
        let mut labels = serde_json::Map::new();
        match self.args.get("labels") {
            Some(l) => {
                for kv in l.split(',') {
                    if let Some((k, v)) = kv.split_once('=') {
                        labels.insert(k.to_string(), json!(v));
                    }
                }
            }
            None => {
                labels.insert("run".into(), json!(name));
            }
        }
        let mut container = json!({"name": name, "image": image});
        let cmd: Vec<String> = self.args_after_dash();
        if !cmd.is_empty() {
            let key = if self.args.bool("command") {
                "command"
            } else {
                "args"
            };
            container[key] = json!(cmd);
        }
        if let Some(p) = self.args.int("port") {
            container["ports"] = json!([{"containerPort": p}]);
        }
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [container], "restartPolicy": self.args.get("restart").unwrap_or("Always")}
        });
        op.target.kinds = vec![kinds::by_kind("Pod", Some("v1"))];
        op.target.names = vec![name.clone()];
        op.payload.objects = vec![pod];
        let mut ops = vec![op.clone()];
        if self.args.bool("expose") {
            let mut svc = op.clone();
            svc.verb = Verb::Expose;
            svc.target.kinds = vec![kinds::by_kind("Service", Some("v1"))];
            svc.payload = Default::default();
            ops.push(svc);
        }
        if self.args.bool("rm") {
            // `--rm`: the pod is deleted when the attached session ends.
            let mut del = op;
            del.verb = Verb::Delete;
            del.payload = Default::default();
            ops.push(del);
        }
        ops
    }

    pub(super) fn create(&mut self, rest: &[Word]) -> Result<Vec<Operation>, NotUnderstood> {
        let generator = rest.first().map(|w| w.text.as_str());
        if self.args.get("filename").is_some()
            || self.args.get("kustomize").is_some()
            || generator.is_none()
        {
            return Ok(vec![self.with_objects(Verb::Create, &[])]);
        }
        let g = generator.unwrap_or_default();
        let (kind_word, name_at) = match g {
            "secret" | "service" | "svc" => (g, 2),
            _ => (g, 1),
        };
        let name = rest
            .get(name_at)
            .map(|w| w.text.clone())
            .unwrap_or_default();
        let sub_kind = rest.get(1).map(|w| w.text.as_str()).unwrap_or_default();
        let object = match kind_word {
            "deployment" | "deploy" => {
                let image = self.args.all("image");
                let containers: Vec<Value> = image
                    .iter()
                    .map(|i| json!({"name": container_name(i), "image": i}))
                    .collect();
                let replicas = self.args.int("replicas").unwrap_or(1);
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": name, "labels": {"app": name}},
                       "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                "template": {"metadata": {"labels": {"app": name}},
                                             "spec": {"containers": containers}}}})
            }
            "namespace" | "ns" => {
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            }
            "configmap" | "cm" => {
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": self.literals()})
            }
            "secret" => {
                let data = self.literals();
                let t = match sub_kind {
                    "tls" => "kubernetes.io/tls",
                    "docker-registry" => "kubernetes.io/dockerconfigjson",
                    _ => "Opaque",
                };
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": t, "stringData": data})
            }
            "service" | "svc" => {
                let t = match sub_kind {
                    "nodeport" => "NodePort",
                    "loadbalancer" => "LoadBalancer",
                    "externalname" => "ExternalName",
                    _ => "ClusterIP",
                };
                let ports: Vec<Value> = self
                    .args
                    .all("tcp")
                    .iter()
                    .flat_map(|p| p.split(','))
                    .filter_map(|p| {
                        let (port, target) = p.split_once(':').unwrap_or((p, p));
                        Some(json!({"port": port.parse::<i64>().ok()?, "targetPort": target.parse::<i64>().ok()?, "protocol": "TCP"}))
                    })
                    .collect();
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}},
                       "spec": {"type": t, "selector": {"app": name}, "ports": ports}})
            }
            "serviceaccount" | "sa" => {
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})
            }
            "job" => {
                let container = json!({"name": name, "image": self.args.get("image").unwrap_or_default(), "command": self.args_after_dash()});
                json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
                       "spec": {"template": {"spec": {"containers": [container], "restartPolicy": "Never"}}}})
            }
            "cronjob" | "cj" => {
                let container = json!({"name": name, "image": self.args.get("image").unwrap_or_default(), "command": self.args_after_dash()});
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
                       "spec": {"schedule": self.args.get("schedule").unwrap_or_default(),
                                "jobTemplate": {"spec": {"template": {"spec": {"containers": [container], "restartPolicy": "OnFailure"}}}}}})
            }
            "token" => {
                // Issues a token for a ServiceAccount; no object is stored.
                let mut op = self.base(Verb::Read);
                op.target.kinds = vec![kinds::by_kind("ServiceAccount", None)];
                op.target.names = rest.get(1).map(|w| w.text.clone()).into_iter().collect();
                return Ok(vec![op]);
            }
            other => {
                let kind_name = match other {
                    "role" => "Role",
                    "rolebinding" => "RoleBinding",
                    "clusterrole" => "ClusterRole",
                    "clusterrolebinding" => "ClusterRoleBinding",
                    "ingress" | "ing" => "Ingress",
                    "poddisruptionbudget" | "pdb" => "PodDisruptionBudget",
                    "quota" | "resourcequota" => "ResourceQuota",
                    "priorityclass" | "pc" => "PriorityClass",
                    _ => return Err(NotUnderstood(format!("kubectl create {other}"))),
                };
                let k = kinds::by_kind(kind_name, None);
                let api = if k.group.is_empty() {
                    "v1".to_string()
                } else {
                    format!("{}/v1", k.group)
                };
                let mut obj =
                    json!({"apiVersion": api, "kind": kind_name, "metadata": {"name": name}});
                if let Some(m) = obj.as_object_mut() {
                    m.extend(self.rbac_fields(kind_name));
                }
                obj
            }
        };
        let mut op = self.base(Verb::Create);
        // `-o yaml` of a generator names the namespace it was given (a later `| kubectl
        // replace -f -` relies on it).
        let mut object = object;
        if op.target.namespace_explicit
            && let Some(ns) = &op.target.namespace
            && is_namespaced(&object)
        {
            object["metadata"]["namespace"] = json!(ns);
        }
        op.payload.objects = vec![object];
        self.objects_into_target(&mut op);
        self.fix_scope(&mut op);
        Ok(vec![op])
    }

    /// `--from-literal=k=v` flags as a data map.
    fn literals(&self) -> serde_json::Map<String, Value> {
        self.args
            .all("from-literal")
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect()
    }

    /// The RBAC fields `kubectl create role|clusterrole|rolebinding|clusterrolebinding` builds
    /// from its flags: a role's rules (`--verb`, `--resource`, `--resource-name`), a binding's
    /// `roleRef` (`--clusterrole` / `--role`) and subjects (`--serviceaccount NS:NAME`,
    /// `--user`, `--group`).
    fn rbac_fields(&self, kind: &str) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        let split = |flag: &str| -> Vec<String> {
            self.args
                .all(flag)
                .iter()
                .flat_map(|v| v.split(','))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect()
        };
        match kind {
            "Role" | "ClusterRole" => {
                let verbs = split("verb");
                let mut groups: Vec<String> = Vec::new();
                let mut resources: Vec<String> = Vec::new();
                for r in split("resource") {
                    // `deployments.apps`, `pods/log`: resource[.group], subresource kept.
                    let (res, group) = match r.split_once('.') {
                        Some((res, g)) => (res.to_string(), g.to_string()),
                        None => (r.clone(), String::new()),
                    };
                    if !groups.contains(&group) {
                        groups.push(group);
                    }
                    resources.push(res);
                }
                if !verbs.is_empty() {
                    let mut rule =
                        json!({"verbs": verbs, "apiGroups": groups, "resources": resources});
                    let names = split("resource-name");
                    if !names.is_empty() {
                        rule["resourceNames"] = json!(names);
                    }
                    out.insert("rules".into(), json!([rule]));
                }
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let role_ref = match (self.args.get("clusterrole"), self.args.get("role")) {
                    (Some(c), _) => Some(("ClusterRole", c)),
                    (None, Some(r)) => Some(("Role", r)),
                    _ => None,
                };
                if let Some((k, n)) = role_ref {
                    out.insert(
                        "roleRef".into(),
                        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": k, "name": n}),
                    );
                }
                let mut subjects = Vec::new();
                for sa in self.args.all("serviceaccount") {
                    let (ns, n) = sa.split_once(':').unwrap_or(("", sa));
                    subjects.push(json!({"kind": "ServiceAccount", "namespace": ns, "name": n}));
                }
                for u in self.args.all("user") {
                    subjects.push(
                        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": u}),
                    );
                }
                for g in self.args.all("group") {
                    subjects.push(json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g}));
                }
                if !subjects.is_empty() {
                    out.insert("subjects".into(), json!(subjects));
                }
            }
            _ => {}
        }
        out
    }
}

/// Whether an object's kind lives in a namespace.
fn is_namespaced(o: &Value) -> bool {
    let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
    kinds::by_kind(kind, o.get("apiVersion").and_then(Value::as_str)).namespaced()
}

/// kubectl names a generated container after the image's base name.
fn container_name(image: &str) -> String {
    let base = image.rsplit('/').next().unwrap_or(image);
    let base = base.split(['@', ':']).next().unwrap_or(base);
    base.to_string()
}
