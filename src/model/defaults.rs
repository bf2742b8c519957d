//! Fields the API server fills in or owns (`api_defaults.yaml`, each group with the Kubernetes
//! source it comes from): a manifest that leaves them out does not take them away, so they are
//! never "omitted". Loaded once from the embedded file.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

const TEXT: &str = include_str!("api_defaults.yaml");

#[derive(Debug, Deserialize)]
struct File {
    #[allow(dead_code)]
    schema: String,
    pod_spec: Group,
    #[serde(default)]
    kinds: Vec<Group>,
    server_owned: Group,
}

#[derive(Debug, Deserialize)]
struct Group {
    #[serde(default)]
    kinds: Vec<String>,
    #[allow(dead_code)]
    #[serde(default)]
    source: String,
    fields: Vec<Field>,
}

#[derive(Debug, Deserialize)]
struct Field {
    #[serde(default)]
    kinds: Vec<String>,
    path: String,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    conditional: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    unverified: bool,
}

/// One defaulted or server-owned field: the kinds it applies to (empty: every kind), its path
/// pattern and the default value (`None`: any value, for server-owned and conditional fields).
#[derive(Debug)]
struct Entry {
    kinds: Vec<String>,
    segments: Vec<String>,
    value: Option<Value>,
    /// Server-owned: the path and everything under it.
    prefix: bool,
}

#[derive(Debug, Default)]
pub struct ApiDefaults {
    entries: Vec<Entry>,
    /// For each kind some entry names, the entries that apply to it (those of every kind
    /// included), in table order.
    by_kind: HashMap<String, Vec<usize>>,
    /// The entries of every kind: what applies to a kind no entry names.
    every_kind: Vec<usize>,
}

fn segments(path: &str) -> Vec<String> {
    path.split('/').skip(1).map(str::to_string).collect()
}

impl ApiDefaults {
    /// The embedded table (empty if it did not parse: a unit test makes sure it does).
    pub fn get() -> &'static ApiDefaults {
        static D: OnceLock<ApiDefaults> = OnceLock::new();
        D.get_or_init(|| ApiDefaults::parse(TEXT).unwrap_or_default())
    }

    fn parse(text: &str) -> Result<ApiDefaults, String> {
        let f: File = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let mut entries = Vec::new();
        let value_of = |x: &Field| {
            if x.conditional.is_some() {
                None
            } else {
                x.value.clone()
            }
        };
        for x in &f.pod_spec.fields {
            for (kind, at) in POD_SPEC_KINDS {
                entries.push(Entry {
                    kinds: vec![kind.to_string()],
                    segments: segments(&format!("{at}{}", x.path)),
                    value: value_of(x),
                    prefix: false,
                });
            }
        }
        for g in &f.kinds {
            for x in &g.fields {
                entries.push(Entry {
                    kinds: if x.kinds.is_empty() {
                        g.kinds.clone()
                    } else {
                        x.kinds.clone()
                    },
                    segments: segments(&x.path),
                    value: value_of(x),
                    prefix: false,
                });
            }
        }
        for x in &f.server_owned.fields {
            entries.push(Entry {
                kinds: x.kinds.clone(),
                segments: segments(&x.path),
                value: None,
                prefix: true,
            });
        }
        let every_kind: Vec<usize> = (0..entries.len())
            .filter(|i| entries[*i].kinds.is_empty())
            .collect();
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        for e in &entries {
            for k in &e.kinds {
                by_kind.entry(k.clone()).or_insert_with(|| {
                    (0..entries.len())
                        .filter(|i| {
                            let kinds = &entries[*i].kinds;
                            kinds.is_empty() || kinds.contains(k)
                        })
                        .collect()
                });
            }
        }
        Ok(ApiDefaults {
            entries,
            by_kind,
            every_kind,
        })
    }

    /// Whether leaving out `path` (with its live `value`) of an object of `kind` takes nothing
    /// away: the server owns the field, or it holds its default (or a default that depends on
    /// other fields), or it is an empty object or list.
    pub fn defaulted(&self, kind: &str, path: &str, value: &Value) -> bool {
        if matches!(value, Value::Object(m) if m.is_empty())
            || matches!(value, Value::Array(a) if a.is_empty())
        {
            return true;
        }
        let segs: Vec<&str> = path.split('/').skip(1).collect();
        let of_kind = self.by_kind.get(kind).unwrap_or(&self.every_kind);
        of_kind.iter().map(|i| &self.entries[*i]).any(|e| {
            if e.prefix {
                segs.len() >= e.segments.len()
                    && e.segments.iter().zip(&segs).all(|(p, s)| seg_matches(p, s))
            } else {
                segs.len() == e.segments.len()
                    && e.segments.iter().zip(&segs).all(|(p, s)| seg_matches(p, s))
                    && e.value.as_ref().is_none_or(|v| same(v, value))
            }
        })
    }
}

/// Where each kind with a pod template keeps its pod spec.
const POD_SPEC_KINDS: [(&str, &str); 7] = [
    ("Pod", "/spec"),
    ("Deployment", "/spec/template/spec"),
    ("StatefulSet", "/spec/template/spec"),
    ("DaemonSet", "/spec/template/spec"),
    ("ReplicaSet", "/spec/template/spec"),
    ("Job", "/spec/template/spec"),
    ("CronJob", "/spec/jobTemplate/spec/template/spec"),
];

/// A pattern segment: `*` any one segment, `[*]` any keyed or indexed list item, `[k=*]` any
/// item keyed by `k`, a glob (`kube-api-access-*`) inside an item key, else the segment itself.
fn seg_matches(pattern: &str, seg: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if pattern == "[*]" {
        return (seg.starts_with('[') && seg.ends_with(']')) || seg.parse::<usize>().is_ok();
    }
    if pattern.contains('*') {
        return crate::model::facts::glob(pattern, seg);
    }
    pattern == seg
}

/// Default and live values agree (numbers by value: `30` and `30.0`; a number and its string
/// form, as YAML and kubectl print them: `"25%"` stays a string).
fn same(default: &Value, live: &Value) -> bool {
    match (default, live) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => {
            a.to_string() == *b
        }
        _ => default == live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_embedded_table_parses_and_says_what_kubernetes_defaults() {
        let d = ApiDefaults::parse(TEXT).unwrap_or_else(|e| panic!("api_defaults.yaml: {e}"));
        assert!(d.entries.len() > 40, "{}", d.entries.len());
        let d = ApiDefaults::get();
        let p = "/spec/template/spec";
        assert!(d.defaulted("Deployment", "/spec/progressDeadlineSeconds", &json!(600)));
        assert!(!d.defaulted("Deployment", "/spec/progressDeadlineSeconds", &json!(60)));
        assert!(d.defaulted("Deployment", "/spec/revisionHistoryLimit", &json!(10)));
        assert!(d.defaulted(
            "Deployment",
            &format!("{p}/dnsPolicy"),
            &json!("ClusterFirst")
        ));
        assert!(d.defaulted(
            "Deployment",
            &format!("{p}/restartPolicy"),
            &json!("Always")
        ));
        assert!(d.defaulted("Pod", "/spec/schedulerName", &json!("default-scheduler")));
        assert!(d.defaulted(
            "Deployment",
            &format!("{p}/containers/[name=web]/terminationMessagePath"),
            &json!("/dev/termination-log")
        ));
        assert!(d.defaulted(
            "Deployment",
            &format!("{p}/containers/[name=web]/ports/[containerPort=80]/protocol"),
            &json!("TCP")
        ));
        assert!(d.defaulted("Service", "/spec/clusterIP", &json!("10.96.0.12")));
        assert!(d.defaulted("Service", "/spec/clusterIPs", &json!(["10.96.0.12"])));
        assert!(d.defaulted("Service", "/spec/ipFamilies", &json!(["IPv4"])));
        assert!(d.defaulted(
            "Deployment",
            &format!("{p}/containers/[name=web]/resources"),
            &json!({})
        ));
        // A probe or a resource limit is not a default.
        assert!(!d.defaulted(
            "Deployment",
            &format!("{p}/containers/[name=web]/livenessProbe/httpGet/path"),
            &json!("/healthz")
        ));
        assert!(!d.defaulted(
            "Deployment",
            &format!("{p}/containers/[name=web]/resources/limits/memory"),
            &json!("128Mi")
        ));
    }
}
