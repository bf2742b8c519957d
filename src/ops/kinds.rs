//! The one table of Kubernetes kinds: group, kind, plural, short names, scope.
//!
//! Everything that turns a resource word into a kind (`po`, `pods`, `Pod`, `deployments.apps`,
//! `deployments.v1.apps`, `deploy`) goes through [`resolve`]; nothing else keeps such a list.

use compact_str::CompactString;
use serde::Serialize;
use std::fmt;

/// A kind with its API group ("" for the core group). Serialized as `Kind` or `Kind.group`.
///
/// The strings of a kind in the table are the table's own (`CompactString::const_new`: no
/// allocation, a copy to clone), and its scope is looked up once, when the `KindRef` is made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KindRef {
    pub group: CompactString,
    pub kind: CompactString,
    /// False for a resource word that is not in the table (a CRD): `kind` then holds the word.
    pub known: bool,
    /// What [`KindRef::namespaced`] says, a function of the fields above.
    namespaced: bool,
}

impl KindRef {
    /// The kind `kind` of `group`; `known` as the field says.
    pub fn new(group: &str, kind: &str, known: bool) -> KindRef {
        match info(kind, group) {
            Some(k) if known => KindRef::of_table(k),
            _ => KindRef::outside_the_table(group, kind, known),
        }
    }

    /// A kind that is not a row of the table (a CRD, a word the table does not hold): its
    /// objects are taken to be namespaced.
    fn outside_the_table(group: &str, kind: &str, known: bool) -> KindRef {
        KindRef {
            group: group.into(),
            kind: kind.into(),
            known,
            namespaced: true,
        }
    }

    /// The table's row as a kind.
    fn of_table(k: &'static KindInfo) -> KindRef {
        KindRef {
            group: CompactString::const_new(k.group),
            kind: CompactString::const_new(k.kind),
            known: true,
            namespaced: k.namespaced,
        }
    }

    /// Whether objects of the kind live in a namespace (a kind outside the table is taken to).
    pub fn namespaced(&self) -> bool {
        self.namespaced
    }
}

impl Serialize for KindRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for KindRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() || !self.known {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}.{}", self.kind, self.group)
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: &'static str,
    pub group: &'static str,
    pub plural: &'static str,
    pub short: &'static [&'static str],
    pub namespaced: bool,
}

macro_rules! kinds {
    ($( $kind:literal, $group:literal, $plural:literal, [$($short:literal),*], $ns:literal; )*) => {
        &[ $( KindInfo { kind: $kind, group: $group, plural: $plural, short: &[$($short),*], namespaced: $ns } ),* ]
    };
}

/// Built-in kinds (kubectl api-resources of a current cluster, plus common add-ons).
pub const KINDS: &[KindInfo] = kinds![
    "Binding", "", "bindings", [], true;
    "ComponentStatus", "", "componentstatuses", ["cs"], false;
    "ConfigMap", "", "configmaps", ["cm"], true;
    "Endpoints", "", "endpoints", ["ep"], true;
    "Event", "", "events", ["ev"], true;
    "LimitRange", "", "limitranges", ["limits"], true;
    "Namespace", "", "namespaces", ["ns"], false;
    "Node", "", "nodes", ["no"], false;
    "PersistentVolumeClaim", "", "persistentvolumeclaims", ["pvc"], true;
    "PersistentVolume", "", "persistentvolumes", ["pv"], false;
    "Pod", "", "pods", ["po"], true;
    "PodTemplate", "", "podtemplates", [], true;
    "ReplicationController", "", "replicationcontrollers", ["rc"], true;
    "ResourceQuota", "", "resourcequotas", ["quota"], true;
    "Secret", "", "secrets", [], true;
    "ServiceAccount", "", "serviceaccounts", ["sa"], true;
    "Service", "", "services", ["svc"], true;
    "MutatingWebhookConfiguration", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", [], false;
    "ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "validatingwebhookconfigurations", [], false;
    "ValidatingAdmissionPolicy", "admissionregistration.k8s.io", "validatingadmissionpolicies", [], false;
    "CustomResourceDefinition", "apiextensions.k8s.io", "customresourcedefinitions", ["crd", "crds"], false;
    "APIService", "apiregistration.k8s.io", "apiservices", [], false;
    "ControllerRevision", "apps", "controllerrevisions", [], true;
    "DaemonSet", "apps", "daemonsets", ["ds"], true;
    "Deployment", "apps", "deployments", ["deploy"], true;
    "ReplicaSet", "apps", "replicasets", ["rs"], true;
    "StatefulSet", "apps", "statefulsets", ["sts"], true;
    "TokenReview", "authentication.k8s.io", "tokenreviews", [], false;
    "SelfSubjectAccessReview", "authorization.k8s.io", "selfsubjectaccessreviews", [], false;
    "SubjectAccessReview", "authorization.k8s.io", "subjectaccessreviews", [], false;
    "HorizontalPodAutoscaler", "autoscaling", "horizontalpodautoscalers", ["hpa"], true;
    "CronJob", "batch", "cronjobs", ["cj"], true;
    "Job", "batch", "jobs", [], true;
    "CertificateSigningRequest", "certificates.k8s.io", "certificatesigningrequests", ["csr"], false;
    "Lease", "coordination.k8s.io", "leases", [], true;
    "EndpointSlice", "discovery.k8s.io", "endpointslices", [], true;
    "FlowSchema", "flowcontrol.apiserver.k8s.io", "flowschemas", [], false;
    "PriorityLevelConfiguration", "flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", [], false;
    "IngressClass", "networking.k8s.io", "ingressclasses", [], false;
    "Ingress", "networking.k8s.io", "ingresses", ["ing"], true;
    "NetworkPolicy", "networking.k8s.io", "networkpolicies", ["netpol"], true;
    "RuntimeClass", "node.k8s.io", "runtimeclasses", [], false;
    "PodDisruptionBudget", "policy", "poddisruptionbudgets", ["pdb"], true;
    "ClusterRoleBinding", "rbac.authorization.k8s.io", "clusterrolebindings", [], false;
    "ClusterRole", "rbac.authorization.k8s.io", "clusterroles", [], false;
    "RoleBinding", "rbac.authorization.k8s.io", "rolebindings", [], true;
    "Role", "rbac.authorization.k8s.io", "roles", [], true;
    "PriorityClass", "scheduling.k8s.io", "priorityclasses", ["pc"], false;
    "CSIDriver", "storage.k8s.io", "csidrivers", [], false;
    "CSINode", "storage.k8s.io", "csinodes", [], false;
    "CSIStorageCapacity", "storage.k8s.io", "csistoragecapacities", [], true;
    "StorageClass", "storage.k8s.io", "storageclasses", ["sc"], false;
    "VolumeAttachment", "storage.k8s.io", "volumeattachments", [], false;
];

/// The members of kubectl's `all` category.
pub const ALL_CATEGORY: &[&str] = &[
    "Pod",
    "Service",
    "DaemonSet",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "CronJob",
    "Job",
    "ReplicationController",
];

fn info(kind: &str, group: &str) -> Option<&'static KindInfo> {
    with_kind(kind).find(|k| k.kind == kind && k.group == group)
}

/// The entries of [`KINDS`] whose Kind is `kind` in any ASCII case, in table order (an index,
/// not a scan of the table: every object the model takes in is looked up). The rows are sorted
/// by the length and lower-cased first letter of their Kind; the few rows that share those with
/// `kind` are compared with it.
fn with_kind(kind: &str) -> impl Iterator<Item = &'static KindInfo> {
    fn sort_key(kind: &str) -> (usize, u8) {
        let first = kind.as_bytes().first().copied().unwrap_or_default();
        (kind.len(), first.to_ascii_lowercase())
    }
    static BY_SHAPE: std::sync::LazyLock<Vec<((usize, u8), usize)>> =
        std::sync::LazyLock::new(|| {
            let mut rows: Vec<((usize, u8), usize)> = KINDS
                .iter()
                .enumerate()
                .map(|(i, k)| (sort_key(k.kind), i))
                .collect();
            // By shape, then by row: rows of one shape stay in table order.
            rows.sort_unstable();
            rows
        });
    let key = sort_key(kind);
    let from = BY_SHAPE.partition_point(|(k, _)| *k < key);
    BY_SHAPE[from..]
        .iter()
        .take_while(move |(k, _)| *k == key)
        .map(|(_, i)| &KINDS[*i])
        .filter(move |k| k.kind.eq_ignore_ascii_case(kind))
}

/// Look up a kind by its Kind name and API version/group ("apps/v1", "apps", "v1", "").
pub fn by_kind(kind: &str, api_version: Option<&str>) -> KindRef {
    let group = api_version.map(group_of);
    let found = with_kind(kind).find(|k| group.is_none_or(|g| g == k.group));
    match found {
        Some(k) => KindRef::of_table(k),
        // Kind names from manifests are kept as written (CRDs have their own kinds).
        None => KindRef::outside_the_table(group.unwrap_or_default(), kind, group.is_some()),
    }
}

/// The group of an apiVersion: "apps/v1" → "apps", "v1" → "".
pub fn group_of(api_version: &str) -> &str {
    match api_version.split_once('/') {
        Some((g, _)) => g,
        None if api_version.starts_with('v')
            && api_version[1..].starts_with(|c: char| c.is_ascii_digit()) =>
        {
            ""
        }
        None => api_version,
    }
}

/// Resolve a resource word as kubectl does: singular, plural, short name or Kind (any case),
/// optionally qualified `RESOURCE.GROUP` or `RESOURCE.VERSION.GROUP`. `None` for `all`
/// (a category; see [`ALL_CATEGORY`]).
pub fn resolve(word: &str) -> Option<KindRef> {
    let w = word.trim().to_ascii_lowercase();
    if w.is_empty() || w == "all" {
        return None;
    }
    let (resource, group) = match w.split_once('.') {
        Some((r, rest)) => {
            // deployments.v1.apps → group "apps"; deployments.apps → "apps".
            let rest = match rest.split_once('.') {
                Some((v, g))
                    if v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    g
                }
                _ => rest,
            };
            (r, Some(rest))
        }
        None => (w.as_str(), None),
    };
    let found = KINDS.iter().find(|k| {
        let name_hit = k.plural == resource
            || k.kind.eq_ignore_ascii_case(resource)
            || k.short.contains(&resource);
        name_hit && group.is_none_or(|g| g == k.group)
    });
    Some(match found {
        Some(k) => KindRef::of_table(k),
        None => KindRef::outside_the_table(group.unwrap_or_default(), word.trim(), false),
    })
}

/// The kinds of the `all` category.
pub fn all_category() -> Vec<KindRef> {
    ALL_CATEGORY.iter().map(|k| by_kind(k, None)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_spelling() {
        for w in ["po", "pod", "pods", "Pod", "PODS"] {
            assert_eq!(resolve(w).unwrap().kind, "Pod", "{w}");
        }
        for w in [
            "deploy",
            "deployment",
            "deployments",
            "deployments.apps",
            "deployments.v1.apps",
            "Deployment.apps",
        ] {
            let k = resolve(w).unwrap();
            assert_eq!(
                (k.kind.as_str(), k.group.as_str()),
                ("Deployment", "apps"),
                "{w}"
            );
        }
        assert_eq!(resolve("netpol").unwrap().kind, "NetworkPolicy");
        assert_eq!(resolve("cj").unwrap().group, "batch");
        assert!(resolve("all").is_none());
        let crd = resolve("certificates.cert-manager.io").unwrap();
        assert!(!crd.known);
        assert_eq!(crd.group, "cert-manager.io");
        assert!(!resolve("ns").unwrap().namespaced());
        assert!(resolve("svc").unwrap().namespaced());
    }

    #[test]
    fn kinds_from_manifests() {
        let d = by_kind("Deployment", Some("apps/v1"));
        assert!(d.known && d.group == "apps");
        assert_eq!(by_kind("ConfigMap", Some("v1")).group, "");
        let cr = by_kind("Certificate", Some("cert-manager.io/v1"));
        assert_eq!(cr.to_string(), "Certificate.cert-manager.io");
    }

    #[test]
    fn the_kind_index_finds_what_a_scan_of_the_table_finds() {
        let words = KINDS
            .iter()
            .flat_map(|k| {
                [
                    k.kind.to_string(),
                    k.kind.to_ascii_lowercase(),
                    k.kind.to_ascii_uppercase(),
                    k.plural.to_string(),
                    format!("{}x", k.kind),
                ]
            })
            .chain(["", "é", "Certificate", "pod\u{0}"].map(String::from));
        for w in words {
            let scan: Vec<(&str, &str)> = KINDS
                .iter()
                .filter(|k| k.kind.eq_ignore_ascii_case(&w))
                .map(|k| (k.kind, k.group))
                .collect();
            let found: Vec<(&str, &str)> = with_kind(&w).map(|k| (k.kind, k.group)).collect();
            assert_eq!(found, scan, "{w:?}");
        }
    }

    #[test]
    fn table_has_no_ambiguous_words() {
        let mut seen = std::collections::HashMap::new();
        for k in KINDS {
            for w in k.short.iter().chain([&k.plural]) {
                if let Some(prev) = seen.insert(*w, k.kind) {
                    panic!("{w} names both {prev} and {}", k.kind);
                }
            }
        }
    }
}
