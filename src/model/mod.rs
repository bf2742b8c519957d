//! Stage 6: the simulated cluster. Objects keyed by (group, kind, namespace, name), with owner
//! references, labels, field ownership per manager and a derived health; `replay` applies
//! operations to it and reports their effects; `facts` names what rules may judge.
//!
//! Knowledge is explicit: the model knows the objects it was given (a scenario's initial state,
//! objects the agent observed) and which (kind, namespace) lists it knows completely. An object
//! outside that knowledge is unknown, never assumed absent.

pub mod defaults;
pub mod facts;
pub mod hardening;
pub mod observe;
pub mod patch;
pub mod replay;
pub mod selector;

use crate::json::At;
use crate::ops::kinds::{self, KindRef};
use compact_str::CompactString;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Identity of an object. Ordered by group, kind, namespace (cluster-scoped first), name, each
/// as bytes: the order the model's maps keep.
///
/// The parts are `CompactString`s: a kind of the table shares the table's strings, and a
/// namespace or name of up to 24 bytes is held inline, so that making, copying and dropping a
/// key seldom allocates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjKey {
    pub group: CompactString,
    pub kind: CompactString,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<CompactString>,
    pub name: CompactString,
}

impl ObjKey {
    pub fn new(kind: &KindRef, namespace: Option<&str>, name: &str) -> ObjKey {
        ObjKey {
            group: kind.group.clone(),
            kind: kind.kind.clone(),
            namespace: Self::namespace_of(kind, namespace),
            name: name.into(),
        }
    }

    /// [`ObjKey::new`], taking the kind's strings.
    pub fn of_kind(kind: KindRef, namespace: Option<&str>, name: &str) -> ObjKey {
        let namespace = Self::namespace_of(&kind, namespace);
        ObjKey {
            group: kind.group,
            kind: kind.kind,
            namespace,
            name: name.into(),
        }
    }

    /// The namespace a key of `kind` has: `default` when none is given, none for
    /// cluster-scoped kinds.
    fn namespace_of(kind: &KindRef, namespace: Option<&str>) -> Option<CompactString> {
        kind.namespaced()
            .then(|| namespace.unwrap_or("default").into())
    }

    /// The key of a manifest object (`default_ns` when it names none).
    pub fn of(obj: &Value, default_ns: Option<&str>) -> Option<ObjKey> {
        let kind = obj.get("kind")?.as_str()?;
        let k = kinds::by_kind(kind, obj.get("apiVersion").and_then(Value::as_str));
        let meta = obj.get("metadata")?;
        let name = meta.get("name")?.as_str()?;
        let ns = meta.get("namespace").and_then(Value::as_str).or(default_ns);
        Some(ObjKey::of_kind(k, ns, name))
    }

    pub fn kind_ref(&self) -> KindRef {
        KindRef::new(&self.group, &self.kind, true)
    }
}

impl Ord for ObjKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        cmp_str(&self.group, &other.group)
            .then_with(|| cmp_str(&self.kind, &other.kind))
            .then_with(|| match (&self.namespace, &other.namespace) {
                (Some(a), Some(b)) => cmp_str(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
            .then_with(|| cmp_str(&self.name, &other.name))
    }
}

impl PartialOrd for ObjKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// `a.cmp(b)` for the short strings of object keys, eight bytes at a time in registers rather
/// than through a `memcmp` call (which was a fifth of a run's time in the model's searches).
#[inline]
fn cmp_str(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in ca.by_ref().zip(cb.by_ref()) {
        let mut wx = [0u8; 8];
        let mut wy = [0u8; 8];
        wx.copy_from_slice(x);
        wy.copy_from_slice(y);
        let (x, y) = (u64::from_be_bytes(wx), u64::from_be_bytes(wy));
        if x != y {
            return x.cmp(&y);
        }
    }
    let n = a.len().min(b.len()) / 8 * 8;
    for (x, y) in a[n..].iter().zip(&b[n..]) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

impl fmt::Display for ObjKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

impl Serialize for ObjKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether an object was serving as it should, from its recorded status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Unhealthy,
    Unknown,
}

/// Health from status: Pods by phase and readiness, workloads by available vs desired replicas,
/// Jobs by completion; other kinds are healthy when present.
pub fn health(obj: &Value) -> Health {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    let status = obj.get("status");
    let int = |p: &str| obj.at(p).and_then(Value::as_i64);
    match kind {
        "Pod" => {
            let Some(status) = status else {
                return Health::Unknown;
            };
            let phase = status
                .get("phase")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let failing = status
                .get("containerStatuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|c| {
                    container_failing(
                        phase,
                        c.at("/state/waiting/reason").and_then(Value::as_str),
                        c.get("ready").and_then(Value::as_bool),
                    )
                });
            pod_health(phase, failing)
        }
        "Deployment" | "StatefulSet" | "ReplicaSet" => {
            if status.is_none() {
                return Health::Unknown;
            }
            let desired = int("/spec/replicas").unwrap_or(1);
            let ready = int("/status/availableReplicas")
                .or(int("/status/readyReplicas"))
                .unwrap_or(0);
            replicas_health(desired, ready)
        }
        "DaemonSet" => {
            if status.is_none() {
                return Health::Unknown;
            }
            let desired = int("/status/desiredNumberScheduled").unwrap_or(0);
            let ready = int("/status/numberAvailable")
                .or(int("/status/numberReady"))
                .unwrap_or(0);
            replicas_health(desired, ready)
        }
        "Job" => match status {
            None => Health::Unknown,
            Some(s) => {
                if s.get("failed").and_then(Value::as_i64).unwrap_or(0) > 0
                    && s.get("succeeded").and_then(Value::as_i64).unwrap_or(0) == 0
                {
                    Health::Unhealthy
                } else {
                    Health::Healthy
                }
            }
        },
        // A Node is healthy when its Ready condition is True (the kubelet posts it); a Node
        // whose conditions were not seen is present, as other kinds.
        "Node" => {
            let ready = status
                .and_then(|s| s.get("conditions"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"));
            match ready.and_then(|c| c.get("status")).and_then(Value::as_str) {
                Some("True") | None => Health::Healthy,
                Some(_) => Health::Unhealthy,
            }
        }
        _ => Health::Healthy,
    }
}

/// Whether a container of a pod in `phase` is failing: waiting for a reason it does not get
/// over by itself (a crash loop, an image it cannot pull, a bad config), or not ready while the
/// pod runs.
pub(crate) fn container_failing(phase: &str, waiting: Option<&str>, ready: Option<bool>) -> bool {
    waiting.is_some_and(|r| {
        matches!(
            r,
            "CrashLoopBackOff"
                | "ImagePullBackOff"
                | "ErrImagePull"
                | "CreateContainerConfigError"
                | "InvalidImageName"
        )
    }) || ready == Some(false) && phase == "Running"
}

/// A pod's health from its phase and whether a container is failing.
pub(crate) fn pod_health(phase: &str, failing: bool) -> Health {
    match phase {
        "Running" if !failing => Health::Healthy,
        "Succeeded" => Health::Healthy,
        "Failed" => Health::Unhealthy,
        _ if failing => Health::Unhealthy,
        "Pending" => Health::Unhealthy,
        _ => Health::Unknown,
    }
}

/// A workload's health: healthy when as many replicas are ready as are desired.
pub(crate) fn replicas_health(desired: i64, ready: i64) -> Health {
    if ready >= desired {
        Health::Healthy
    } else {
        Health::Unhealthy
    }
}

/// Metadata and status paths that change on every write and say nothing about intent.
pub fn is_noise_path(p: &str) -> bool {
    p.starts_with("/status")
        || p.starts_with("/metadata/resourceVersion")
        || p.starts_with("/metadata/generation")
        || p.starts_with("/metadata/uid")
        || p.starts_with("/metadata/managedFields")
        || p.starts_with("/metadata/creationTimestamp")
        || p.starts_with("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration")
        || p.starts_with("/metadata/annotations/deployment.kubernetes.io~1revision")
}

/// Whether the path `p` is below `n`: it starts with `n` and a `/`.
pub fn is_below(p: &str, n: &str) -> bool {
    p.as_bytes().get(n.len()) == Some(&b'/') && p.starts_with(n)
}

/// The paths `p` is below (see [`is_below`]): its prefixes that end where a `/` of it starts,
/// shortest first.
pub fn ancestors(p: &str) -> impl Iterator<Item = &str> {
    memchr::memchr_iter(b'/', p.as_bytes()).map(move |i| &p[..i])
}

/// Leaf paths of a value, as JSON pointers; items of keyed lists are addressed by their merge
/// key (`/spec/containers/[name=web]/image`) so that reordering is not a change.
pub fn leaf_paths(v: &Value) -> BTreeMap<String, &Value> {
    leaf_paths_at(String::new(), v)
}

/// [`leaf_paths`] of a value found at `path` of a bigger one.
fn leaf_paths_at(path: String, v: &Value) -> BTreeMap<String, &Value> {
    leaf_paths_leading(path, v, |_| true)
}

/// The entries of [`leaf_paths`] whose path is one of `wanted` (what filtering it gives),
/// without walking the subtrees no wanted path goes through.
pub fn leaf_paths_among<'a>(v: &'a Value, wanted: &[&str]) -> BTreeMap<String, &'a Value> {
    let leads = |p: &str| {
        wanted
            .iter()
            .any(|w| w.starts_with(p) && (w.len() == p.len() || w.as_bytes()[p.len()] == b'/'))
    };
    let mut out = leaf_paths_leading(String::new(), v, leads);
    out.retain(|p, _| wanted.contains(&p.as_str()));
    out
}

/// The leaf paths under the nodes whose path `leads` accepts (the walk keeps the order of the
/// whole one, so where two items share a path the same one wins).
fn leaf_paths_leading(
    path: String,
    v: &Value,
    leads: impl Fn(&str) -> bool,
) -> BTreeMap<String, &Value> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<(String, &Value)> = vec![(path, v)];
    while let Some((path, v)) = stack.pop() {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, c) in m {
                    let child = crate::trace::locate::child_pointer(&path, k);
                    if leads(&child) {
                        stack.push((child, c));
                    }
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let field = path.rsplit('/').next().unwrap_or_default();
                match list_key(field, items) {
                    Some(key) => {
                        for it in items {
                            let child = keyed_child(&path, key, &item_id(it, key));
                            if leads(&child) {
                                stack.push((child, it));
                            }
                        }
                    }
                    None => {
                        out.insert(path, v);
                    }
                }
            }
            _ => {
                out.insert(path, v);
            }
        }
    }
    out
}

/// The diff path of a keyed list's item: `{path}/[{key}={id}]`.
pub(crate) fn keyed_child(path: &str, key: &str, id: &str) -> String {
    let mut out = String::with_capacity(path.len() + key.len() + id.len() + 4);
    for part in [path, "/[", key, "=", id, "]"] {
        out.push_str(part);
    }
    out
}

fn list_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let key = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "ports" if items.iter().all(|i| i.get("containerPort").is_some()) => "containerPort",
        "ports" => "port",
        "conditions" => "type",
        _ => return None,
    };
    items.iter().all(|i| i.get(key).is_some()).then_some(key)
}

/// The key of a keyed-list item as diff paths write it (`[name=web]`, `[containerPort=80]`).
pub fn item_id(item: &Value, key: &str) -> String {
    item.get(key)
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        })
        .unwrap_or_default()
}

/// A JSON pointer into `obj` written as a diff path: an index into a keyed list becomes the
/// item's merge key (`/spec/containers/0/ports/1` → `/spec/containers/[name=web]/ports/[containerPort=443]`).
/// `None` when the pointer does not lead through `obj`'s lists (an index past the end, `-`).
pub fn keyed_pointer(obj: &Value, pointer: &str) -> Option<String> {
    let mut out = String::new();
    let mut at = Some(obj);
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        let field = out.rsplit('/').next().unwrap_or_default().to_string();
        match at {
            Some(Value::Array(items)) => {
                let i: usize = seg.parse().ok()?;
                let item = items.get(i)?;
                match list_key(&field, items) {
                    Some(key) => {
                        out.push_str(&format!("/[{key}={}]", item_id(item, key)));
                    }
                    None => out.push_str(&format!("/{i}")),
                }
                at = Some(item);
            }
            Some(Value::Object(m)) => {
                out.push('/');
                out.push_str(&crate::trace::locate::escape_segment(&seg));
                at = m.get(&seg);
            }
            _ => {
                out.push('/');
                out.push_str(&crate::trace::locate::escape_segment(&seg));
                at = None;
            }
        }
    }
    Some(out)
}

/// Paths added, changed and removed between two versions of an object (noise excluded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl Diff {
    /// The leaf paths of `after` that `before` lacks (added), has with another value (changed),
    /// and those of `before` that `after` lacks (removed), each in path order. Equal subtrees
    /// are skipped whole: objects are walked key by key while both sides are non-empty objects,
    /// and only the differing parts are enumerated.
    pub fn between(before: &Value, after: &Value) -> Diff {
        Diff::compute(before, after, true)
    }

    /// [`Diff::between`]; `pair_rekeyed`: a keyed-list item whose key changed is that item
    /// changed (see [`Diff::keyed_items`]), else it is one item removed and one added, exactly
    /// as comparing every leaf path says.
    fn compute(before: &Value, after: &Value, pair_rekeyed: bool) -> Diff {
        let mut d = Diff::default();
        d.walk(String::new(), before, after, pair_rekeyed);
        d.added.sort();
        d.changed.sort();
        d.removed.sort();
        d
    }

    fn walk(&mut self, path: String, a: &Value, b: &Value, pair: bool) {
        if a != b {
            self.walk_unequal(path, a, b, pair);
        }
    }

    /// [`Diff::walk`] of two values already found unequal (each subtree is compared once).
    fn walk_unequal(&mut self, path: String, a: &Value, b: &Value, pair: bool) {
        match (a, b) {
            (Value::Object(ma), Value::Object(mb)) if !ma.is_empty() && !mb.is_empty() => {
                for (k, va) in ma {
                    let child = || crate::trace::locate::child_pointer(&path, k);
                    match mb.get(k) {
                        // An equal field adds nothing: its path is not even written.
                        Some(vb) if va == vb => {}
                        Some(vb) => self.walk_unequal(child(), va, vb, pair),
                        None => self.removed.extend(
                            leaf_paths_at(child(), va)
                                .into_keys()
                                .filter(|p| !is_noise_path(p)),
                        ),
                    }
                }
                for (k, vb) in mb {
                    if !ma.contains_key(k) {
                        let child = crate::trace::locate::child_pointer(&path, k);
                        self.added.extend(
                            leaf_paths_at(child, vb)
                                .into_keys()
                                .filter(|p| !is_noise_path(p)),
                        );
                    }
                }
            }
            (Value::Array(xa), Value::Array(xb)) if pair && !xa.is_empty() && !xb.is_empty() => {
                let field = path.rsplit('/').next().unwrap_or_default();
                match (list_key(field, xa), list_key(field, xb)) {
                    (Some(ka), Some(kb)) if ka == kb => self.keyed_items(&path, ka, xa, xb),
                    _ => self.by_leaves(path, a, b),
                }
            }
            _ => self.by_leaves(path, a, b),
        }
    }

    /// Items of a keyed list, matched by key. An item whose key changed (the only item gone
    /// paired with the only item new, or the i-th gone with the i-th new) is the same item
    /// changed, not one removed and one added: `containerPort: 80` → `8080` changes
    /// `/ports/[containerPort=8080]/containerPort`.
    fn keyed_items(&mut self, path: &str, key: &str, xa: &[Value], xb: &[Value]) {
        let ids_a: Vec<String> = xa.iter().map(|it| item_id(it, key)).collect();
        let ids_b: Vec<String> = xb.iter().map(|it| item_id(it, key)).collect();
        let item = |k: &str| keyed_child(path, key, k);
        for (ia, va) in ids_a.iter().zip(xa) {
            if let Some(j) = ids_b.iter().position(|b| b == ia) {
                self.walk(item(ia), va, &xb[j], true);
            }
        }
        let gone: Vec<(&String, &Value)> = ids_a
            .iter()
            .zip(xa)
            .filter(|(i, _)| !ids_b.contains(i))
            .collect();
        let new: Vec<(&String, &Value)> = ids_b
            .iter()
            .zip(xb)
            .filter(|(i, _)| !ids_a.contains(i))
            .collect();
        let paired = gone.len().min(new.len());
        for ((_, va), (ib, vb)) in gone.iter().zip(&new) {
            self.walk(item(ib), va, vb, true);
        }
        for (ia, va) in &gone[paired..] {
            self.removed.extend(
                leaf_paths_at(item(ia), va)
                    .into_keys()
                    .filter(|p| !is_noise_path(p)),
            );
        }
        for (ib, vb) in &new[paired..] {
            self.added.extend(
                leaf_paths_at(item(ib), vb)
                    .into_keys()
                    .filter(|p| !is_noise_path(p)),
            );
        }
    }

    /// Compare every leaf path of the two values at `path`.
    fn by_leaves(&mut self, path: String, before: &Value, after: &Value) {
        let a = leaf_paths_at(path.clone(), before);
        let b = leaf_paths_at(path, after);
        for (p, v) in &b {
            if is_noise_path(p) {
                continue;
            }
            match a.get(p) {
                None => self.added.push(p.clone()),
                Some(old) if old != v => self.changed.push(p.clone()),
                _ => {}
            }
        }
        for p in a.keys() {
            if !is_noise_path(p) && !b.contains_key(p) {
                self.removed.push(p.clone());
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// An object as the model holds it.
#[derive(Debug, Clone)]
enum Held {
    Object(Arc<Value>),
    /// Seen only as a row of a kubectl table: the few fields the row shows, made into the
    /// object's [`Value`] the first time something asks for it (most listed pods are only ever
    /// asked for their health, which the row answers).
    Listed(Box<ListedObject>),
}

#[derive(Debug, Clone)]
struct ListedObject {
    row: observe::Listed,
    /// The uid the model gave it when it was listed.
    uid: CompactString,
    value: OnceLock<Arc<Value>>,
}

impl Held {
    /// The object, made from its row the first time (`key` is the object's own key).
    fn value(&self, key: &ObjKey) -> &Arc<Value> {
        match self {
            Held::Object(o) => o,
            Held::Listed(l) => l
                .value
                .get_or_init(|| Arc::new(l.row.to_value(key, &l.uid))),
        }
    }

    fn uid(&self) -> Option<&str> {
        match self {
            Held::Object(o) => o.at("/metadata/uid").and_then(Value::as_str),
            Held::Listed(l) => Some(&l.uid),
        }
    }

    /// `metadata.ownerReferences` (a table row shows none).
    fn owner_references(&self) -> &[Value] {
        match self {
            Held::Object(o) => o
                .at("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice),
            Held::Listed(_) => &[],
        }
    }

    fn health(&self) -> Health {
        match self {
            Held::Object(o) => health(o),
            Held::Listed(l) => l.row.health(),
        }
    }
}

/// The simulated cluster.
#[derive(Debug, Default, Clone)]
pub struct Model {
    /// Objects are shared, not copied: a change's effect holds the object before and after as
    /// the same allocations the model holds (a write copies the one object it edits).
    objects: BTreeMap<ObjKey, Held>,
    /// Owner uid → keys of the objects it owns.
    owned: HashMap<String, BTreeSet<ObjKey>>,
    /// Field manager of leaf paths set by server-side applies, per object; a path without an
    /// entry belongs to [`INITIAL_MANAGER`] or to a client-side writer.
    managers: HashMap<ObjKey, BTreeMap<String, String>>,
    /// (group, kind, namespace) lists known completely; `None` namespace = all namespaces.
    complete: HashSet<(CompactString, CompactString, Option<CompactString>)>,
    /// Namespaces whose every object is known (a scenario's namespaces).
    complete_namespaces: HashSet<String>,
    next_uid: u64,
}

/// The uid the model gives the `n`th object that has none: `uid-` and `n` in at least six
/// digits (`uid-000042`).
fn uid(n: u64) -> CompactString {
    // `uid-` and the digits, written from the last into a buffer as long as the longest.
    let mut buf = *b"uid-00000000000000000000";
    let (mut i, mut rest) = (buf.len(), n);
    loop {
        i -= 1;
        buf[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = i.min(buf.len() - 6);
    buf.copy_within(digits.., 4);
    let len = 4 + buf.len() - digits;
    CompactString::from_utf8(&buf[..len])
        .unwrap_or_else(|_| compact_str::format_compact!("uid-{n:06}"))
}

/// Who set the fields of objects that were there before the run.
pub const INITIAL_MANAGER: &str = "before-the-run";

impl Model {
    /// Add an object that existed before (a scenario's initial state, an observation). Returns
    /// false when it was already known (the model's own state wins).
    pub fn insert_known(&mut self, obj: Value, default_ns: Option<&str>) -> bool {
        let Some(key) = ObjKey::of(&obj, default_ns) else {
            return false;
        };
        // One search of the map, for the check and the insertion.
        let std::collections::btree_map::Entry::Vacant(slot) = self.objects.entry(key) else {
            return false;
        };
        let mut obj = obj;
        Self::normalize_meta(&mut self.next_uid, &mut obj, slot.key());
        let key = slot.key().clone();
        let obj = Arc::clone(slot.insert(Held::Object(Arc::new(obj))).value(&key));
        // Its fields belong to INITIAL_MANAGER implicitly (no entry in `managers`).
        self.index(&key, obj.as_ref());
        true
    }

    /// Add an object the agent saw as a row of a kubectl table, held as that row until its
    /// value is asked for. Returns false when it was already known. It gets its uid now, as
    /// [`Model::insert_known`] would give one; a row has no owner references to index.
    pub fn insert_listed(&mut self, key: ObjKey, row: observe::Listed) -> bool {
        let std::collections::btree_map::Entry::Vacant(slot) = self.objects.entry(key) else {
            return false;
        };
        self.next_uid += 1;
        slot.insert(Held::Listed(Box::new(ListedObject {
            row,
            uid: uid(self.next_uid),
            value: OnceLock::new(),
        })));
        true
    }

    /// Mark every object of these namespaces as known (absent means absent).
    pub fn mark_namespace_complete(&mut self, ns: &str) {
        self.complete_namespaces.insert(ns.to_string());
    }

    /// The kind of the model's objects that a resource word outside the kinds table names (a
    /// custom resource: `certificate`, `certificates.cert-manager.io`), if any.
    pub fn kind_named(&self, word: &str) -> Option<KindRef> {
        let w = word.to_ascii_lowercase();
        let (resource, group) = match w.split_once('.') {
            Some((r, g)) => (r.to_string(), Some(g.to_string())),
            None => (w, None),
        };
        self.objects.keys().find_map(|k| {
            let kind = k.kind.to_ascii_lowercase();
            let hit = resource == kind
                || resource == format!("{kind}s")
                || resource == format!("{kind}es")
                || (kind.ends_with('y') && resource == format!("{}ies", &kind[..kind.len() - 1]));
            (hit && group.as_deref().is_none_or(|g| g == k.group))
                .then(|| KindRef::new(&k.group, &k.kind, true))
        })
    }

    /// Whether every object of the namespace is known.
    pub fn namespace_complete(&self, ns: &str) -> bool {
        self.complete_namespaces.contains(ns)
    }

    /// Mark the list of a kind in a namespace (or all namespaces) as fully known.
    pub fn mark_list_complete(&mut self, kind: &KindRef, ns: Option<&str>) {
        let ns = if kind.namespaced() {
            ns.map(CompactString::from)
        } else {
            None
        };
        self.complete
            .insert((kind.group.clone(), kind.kind.clone(), ns));
    }

    /// Whether the absence of `key` from the model means it does not exist. A kind outside the
    /// kinds table (a custom resource) is never known absent: a complete namespace lists the
    /// kinds a scenario knows, not every CRD's.
    pub fn knows_absence(&self, key: &ObjKey) -> bool {
        if !crate::ops::kinds::by_kind(&key.kind, None).known {
            return false;
        }
        key.namespace
            .as_ref()
            .is_some_and(|ns| self.complete_namespaces.contains(ns.as_str()))
            || self
                .complete
                .contains(&(key.group.clone(), key.kind.clone(), key.namespace.clone()))
            || self
                .complete
                .contains(&(key.group.clone(), key.kind.clone(), None))
    }

    /// Whether the model holds the object.
    pub fn contains(&self, key: &ObjKey) -> bool {
        self.objects.contains_key(key)
    }

    /// Does the object exist: `Some(true)`, `Some(false)`, or `None` when the model cannot tell.
    pub fn exists(&self, key: &ObjKey) -> Option<bool> {
        if self.objects.contains_key(key) {
            Some(true)
        } else if self.knows_absence(key) {
            Some(false)
        } else {
            None
        }
    }

    /// Whether every object of the kind in the namespace (or all namespaces) is known (never for
    /// a kind outside the kinds table).
    pub fn list_known(&self, kind: &KindRef, ns: Option<&str>) -> bool {
        if !kind.known {
            return false;
        }
        match ns {
            Some(n) => {
                self.complete_namespaces.contains(n)
                    || self.complete.contains(&(
                        kind.group.clone(),
                        kind.kind.clone(),
                        Some(n.into()),
                    ))
                    || self
                        .complete
                        .contains(&(kind.group.clone(), kind.kind.clone(), None))
            }
            None => self
                .complete
                .contains(&(kind.group.clone(), kind.kind.clone(), None)),
        }
    }

    pub fn get(&self, key: &ObjKey) -> Option<&Value> {
        self.objects
            .get_key_value(key)
            .map(|(k, o)| o.value(k).as_ref())
    }

    /// The object itself, shared (what an effect keeps as the object before a change).
    pub fn get_shared(&self, key: &ObjKey) -> Option<Arc<Value>> {
        self.objects
            .get_key_value(key)
            .map(|(k, o)| Arc::clone(o.value(k)))
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ObjKey, &Value)> {
        self.objects.iter().map(|(k, o)| (k, o.value(k).as_ref()))
    }

    /// Keys of every object, in key order.
    pub fn keys(&self) -> impl Iterator<Item = &ObjKey> {
        self.objects.keys()
    }

    /// The health of every object, in key order ([`health`] of its value; a listed object's
    /// from its row, without making its value).
    pub fn healths(&self) -> impl Iterator<Item = (&ObjKey, Health)> {
        self.objects.iter().map(|(k, o)| (k, o.health()))
    }

    /// Objects of a kind in a namespace (`None`: every namespace), in key order. Cost: the
    /// objects of that kind, not the whole model.
    pub fn of_kind<'a>(
        &'a self,
        kind: &KindRef,
        ns: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjKey, &'a Value)> + 'a {
        let start = ObjKey {
            group: kind.group.clone(),
            kind: kind.kind.clone(),
            namespace: None,
            name: CompactString::default(),
        };
        let (g, k) = (kind.group.clone(), kind.kind.clone());
        self.objects
            .range(start..)
            .take_while(move |(key, _)| key.group == g && key.kind == k)
            .filter(move |(key, _)| ns.is_none() || key.namespace.as_deref() == ns)
            .map(|(k, o)| (k, o.value(k).as_ref()))
    }

    /// Keys of every object in a namespace, in key order. A scan of the model: its two callers
    /// (a namespace deleted, a Service changed) are rare, and an index kept per namespace cost
    /// every observed object a second ordered insert.
    pub fn in_namespace(&self, ns: &str) -> Vec<ObjKey> {
        self.objects
            .keys()
            .filter(|k| k.namespace.as_deref() == Some(ns))
            .cloned()
            .collect()
    }

    /// Keys of the objects owned by `key`'s object.
    pub fn children(&self, key: &ObjKey) -> Vec<ObjKey> {
        let Some(uid) = self.objects.get(key).and_then(Held::uid) else {
            return Vec::new();
        };
        self.owned
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The controller owning `key`, if the model knows it.
    pub fn owner(&self, key: &ObjKey) -> Option<ObjKey> {
        let refs = self.objects.get(key)?.owner_references();
        let r = refs
            .iter()
            .find(|r| r.get("controller") == Some(&Value::Bool(true)))
            .or(refs.first())?;
        let kind = kinds::by_kind(
            r.get("kind")?.as_str()?,
            r.get("apiVersion").and_then(Value::as_str),
        );
        let okey = ObjKey::new(&kind, key.namespace.as_deref(), r.get("name")?.as_str()?);
        self.objects.contains_key(&okey).then_some(okey)
    }

    pub fn managers_of(&self, key: &ObjKey) -> Option<&BTreeMap<String, String>> {
        self.managers.get(key)
    }

    /// Store a new or changed object; `manager` takes the given paths.
    pub fn put(
        &mut self,
        key: ObjKey,
        obj: Value,
        manager: &str,
        owned_paths: Option<Vec<String>>,
    ) {
        self.put_shared(key, Arc::new(obj), manager, owned_paths);
    }

    /// [`Model::put`] of an object an effect also holds: it is copied only when its metadata
    /// must be completed (the effect keeps the object as the write made it).
    pub fn put_shared(
        &mut self,
        key: ObjKey,
        mut obj: Arc<Value>,
        manager: &str,
        owned_paths: Option<Vec<String>>,
    ) {
        if self.meta_incomplete(&obj, &key) {
            Self::normalize_meta(&mut self.next_uid, Arc::make_mut(&mut obj), &key);
        }
        if let Some(old) = self.objects.remove(&key) {
            self.unindex(&key, old.owner_references());
        }
        // Field ownership is recorded for server-side applies (`owned_paths`); other writes
        // leave it as it was, minus the paths that no longer exist.
        if owned_paths.is_some() || self.managers.contains_key(&key) {
            let present = leaf_paths(&obj);
            let fields = self.managers.entry(key.clone()).or_default();
            fields.retain(|p, _| present.contains_key(p));
            for p in owned_paths.into_iter().flatten() {
                fields.insert(p, manager.to_string());
            }
        }
        self.index(&key, &obj);
        self.objects.insert(key, Held::Object(obj));
    }

    /// Remove an object; returns what it was.
    pub fn remove(&mut self, key: &ObjKey) -> Option<Arc<Value>> {
        let old = self.objects.remove(key)?;
        self.unindex(key, old.owner_references());
        self.managers.remove(key);
        Some(Arc::clone(old.value(key)))
    }

    /// Would [`Model::normalize_meta`] change `obj`? (Exactly its conditions.)
    fn meta_incomplete(&self, obj: &Value, key: &ObjKey) -> bool {
        let Some(m) = obj.as_object() else {
            return true;
        };
        let Some(meta) = m.get("metadata") else {
            return true;
        };
        let Some(meta) = meta.as_object() else {
            return false;
        };
        meta.get("name").and_then(Value::as_str) != Some(key.name.as_str())
            || match &key.namespace {
                Some(ns) => meta.get("namespace").and_then(Value::as_str) != Some(ns.as_str()),
                None => meta.contains_key("namespace"),
            }
            || !meta.get("uid").is_some_and(Value::is_string)
    }

    fn normalize_meta(next_uid: &mut u64, obj: &mut Value, key: &ObjKey) {
        if !obj.is_object() {
            *obj = Value::Object(Map::new());
        }
        let meta = obj.as_object_mut().map(|m| {
            m.entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()))
        });
        if let Some(Value::Object(meta)) = meta {
            // Most objects already say so: no new strings for them.
            if meta.get("name").and_then(Value::as_str) != Some(key.name.as_str()) {
                meta.insert("name".into(), Value::String(key.name.to_string()));
            }
            match &key.namespace {
                Some(ns) if meta.get("namespace").and_then(Value::as_str) == Some(ns.as_str()) => {}
                Some(ns) => {
                    meta.insert("namespace".into(), Value::String(ns.to_string()));
                }
                None => {
                    meta.remove("namespace");
                }
            }
            if !meta.get("uid").is_some_and(Value::is_string) {
                *next_uid += 1;
                meta.insert("uid".into(), Value::String(uid(*next_uid).into()));
            }
        }
    }

    fn index(&mut self, key: &ObjKey, obj: &Value) {
        for r in obj
            .at("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(uid) = r.get("uid").and_then(Value::as_str) {
                self.owned
                    .entry(uid.to_string())
                    .or_default()
                    .insert(key.clone());
            } else if let (Some(k), Some(n)) = (
                r.get("kind").and_then(Value::as_str),
                r.get("name").and_then(Value::as_str),
            ) {
                // An owner reference without uid: resolve through the owner's key. An object
                // is never taken for its own owner (it may be stored already).
                let okey = ObjKey::new(
                    &kinds::by_kind(k, r.get("apiVersion").and_then(Value::as_str)),
                    key.namespace.as_deref(),
                    n,
                );
                if okey != *key
                    && let Some(uid) = self.objects.get(&okey).and_then(Held::uid)
                {
                    self.owned
                        .entry(uid.to_string())
                        .or_default()
                        .insert(key.clone());
                }
            }
        }
    }

    fn unindex(&mut self, key: &ObjKey, owner_references: &[Value]) {
        for r in owner_references {
            if let Some(uid) = r.get("uid").and_then(Value::as_str)
                && let Some(s) = self.owned.get_mut(uid)
            {
                s.remove(key);
            }
        }
    }

    /// A deterministic short suffix, as controllers add to generated names.
    pub fn suffix(&mut self, seed: &str, len: usize) -> String {
        const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes().chain(self.next_uid.to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        self.next_uid += 1;
        (0..len)
            .map(|i| ALPHA[((h >> (i * 5)) % ALPHA.len() as u64) as usize] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Small object-shaped values with the keys that matter to leaf paths: keyed lists
    /// (containers by name, ports by containerPort), noise paths, `~` and `/` in keys.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0i64..4).prop_map(Value::from),
            "[ab]{0,2}".prop_map(Value::from),
            Just(json!({})),
            Just(json!([])),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            let key = prop_oneof![
                Just("name".to_string()),
                Just("containers".to_string()),
                Just("ports".to_string()),
                Just("containerPort".to_string()),
                Just("metadata".to_string()),
                Just("annotations".to_string()),
                Just("resourceVersion".to_string()),
                Just("a~b/c".to_string()),
                "[xy]".prop_map(String::from),
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key, inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// `at` finds what serde_json's `pointer` finds.
        #[test]
        fn at_equals_pointer(
            v in value(),
            segs in prop::collection::vec(
                prop_oneof![
                    Just("name"), Just("containers"), Just("metadata"), Just("a~0b"),
                    Just("a~1b~1c"), Just("x"), Just("0"), Just("1"), Just("01"), Just("+1"),
                    Just(""),
                ],
                0..4,
            ),
        ) {
            let p: String = segs.iter().map(|s| format!("/{s}")).collect();
            prop_assert_eq!(v.at(&p), v.pointer(&p), "{}", p);
            prop_assert_eq!(v.at("x"), v.pointer("x"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The subtree-skipping diff equals comparing every leaf path of both values.
        #[test]
        fn diff_equals_the_leaf_path_comparison(a in value(), b in value(), c in value()) {
            // Also a value and a slightly changed copy of it, the common case.
            let mut b2 = a.clone();
            if let (Value::Object(m), Value::Object(_)) = (&mut b2, &a) {
                m.insert("metadata".into(), c.clone());
            }
            for (x, y) in [(&a, &b), (&a, &b2), (&b2, &a), (&c, &c)] {
                let mut by_leaves = Diff::default();
                by_leaves.by_leaves(String::new(), x, y);
                let fast = Diff::compute(x, y, false);
                prop_assert_eq!(fast, by_leaves);
            }
        }
    }

    proptest! {
        /// Keys order as the tuple of their fields does (the order `derive(Ord)` gave).
        #[test]
        fn keys_order_as_their_fields(
            a in prop::collection::vec("[a-c\u{0}\u{e9}]{0,20}", 4),
            b in prop::collection::vec("[a-c\u{0}\u{e9}]{0,20}", 4),
            na in any::<bool>(),
            nb in any::<bool>(),
            same_prefix in 0usize..4,
        ) {
            let mut b = b;
            b[..same_prefix].clone_from_slice(&a[..same_prefix]);
            let key = |f: &[String], ns: bool| ObjKey {
                group: f[0].as_str().into(),
                kind: f[1].as_str().into(),
                namespace: ns.then(|| f[2].as_str().into()),
                name: f[3].as_str().into(),
            };
            let (x, y) = (key(&a, na), key(&b, nb));
            let tuple = |k: &ObjKey| (k.group.clone(), k.kind.clone(), k.namespace.clone(), k.name.clone());
            prop_assert_eq!(x.cmp(&y), tuple(&x).cmp(&tuple(&y)));
            prop_assert_eq!(x.cmp(&y) == std::cmp::Ordering::Equal, x == y);
        }
    }

    proptest! {
        /// `is_below` and `ancestors` say what `starts_with` of the path and a `/` says, for
        /// paths with escaped and keyed segments, `/` inside a key, empty segments and the
        /// empty path.
        #[test]
        fn ancestors_are_the_paths_a_path_is_below(
            p in "(/(a|b|~1|\\[name=x/y\\]|\\[mountPath=/d\\]|))*",
            others in prop::collection::vec("(/(a|b|~1|\\[name=x|y\\]|\\[mountPath=|/d\\]|))*", 0..4),
            cuts in prop::collection::vec(0usize..40, 0..4),
        ) {
            // Prefixes of the path itself, cut anywhere, and other paths.
            let mut ns: Vec<String> = cuts.iter().map(|c| p[..(*c).min(p.len())].to_string()).collect();
            ns.extend(others);
            for n in &ns {
                prop_assert_eq!(is_below(&p, n), p.starts_with(&format!("{n}/")), "{} {}", p, n);
            }
            let set: BTreeSet<&str> = ns.iter().map(String::as_str).collect();
            let by_prefix = ns.iter().any(|n| p.starts_with(&format!("{n}/")));
            prop_assert_eq!(ancestors(&p).any(|a| set.contains(a)), by_prefix);
            prop_assert!(ancestors(&p).all(|a| is_below(&p, a)));
        }
    }

    proptest! {
        /// `leaf_paths_among` is `leaf_paths` filtered to the wanted paths.
        #[test]
        fn leaf_paths_among_is_the_filtered_leaf_paths(v in value(), picks in prop::collection::vec(0usize..64, 0..4)) {
            let all = leaf_paths(&v);
            let keys: Vec<&String> = all.keys().collect();
            let mut wanted: Vec<String> = picks
                .iter()
                .filter_map(|i| keys.get(*i % keys.len().max(1)).map(|k| (*k).clone()))
                .collect();
            wanted.push("/metadata/name".into());
            wanted.push("/spec/containers/[name=a]".into());
            let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            let filtered: BTreeMap<String, &Value> = all
                .iter()
                .filter(|(p, _)| wanted.contains(&p.as_str()))
                .map(|(p, v)| (p.clone(), *v))
                .collect();
            prop_assert_eq!(leaf_paths_among(&v, &wanted), filtered);
        }
    }

    proptest! {
        /// `put_shared` copies an object exactly when `normalize_meta` would change it.
        #[test]
        fn meta_incomplete_is_when_normalizing_changes_the_object(
            v in value(),
            name in prop_oneof![Just(None), Just(Some("web")), Just(Some(""))],
            ns in prop_oneof![Just(None), Just(Some("app")), Just(Some("web"))],
            uid in prop_oneof![Just(None), Just(Some(json!("u1"))), Just(Some(json!(3)))],
            meta_kind in 0u8..3,
            key_ns in prop_oneof![Just(None), Just(Some("app"))],
        ) {
            let mut obj = v;
            if let Value::Object(m) = &mut obj {
                let mut meta = Map::new();
                if let Some(n) = name {
                    meta.insert("name".into(), json!(n));
                }
                if let Some(n) = ns {
                    meta.insert("namespace".into(), json!(n));
                }
                if let Some(u) = uid {
                    meta.insert("uid".into(), u);
                }
                match meta_kind {
                    0 => {
                        m.insert("metadata".into(), Value::Object(meta));
                    }
                    1 => {
                        m.insert("metadata".into(), json!("not an object"));
                    }
                    _ => {}
                }
            }
            let key = ObjKey::new(&kinds::by_kind("Pod", None), key_ns, "web");
            let mut model = Model::default();
            let mut normalized = obj.clone();
            Model::normalize_meta(&mut model.next_uid, &mut normalized, &key);
            prop_assert_eq!(model.meta_incomplete(&obj, &key), normalized != obj);
        }
    }

    #[test]
    fn uids_have_at_least_six_digits() {
        for n in [0, 1, 42, 999_999, 1_000_000, u64::MAX] {
            assert_eq!(uid(n), format!("uid-{n:06}"));
        }
        assert_eq!(
            keyed_child("/spec/containers", "name", "web"),
            "/spec/containers/[name=web]"
        );
    }

    #[test]
    fn health_from_status() {
        let pod = |phase: &str, reason: Option<&str>| {
            let mut p = json!({"kind": "Pod", "status": {"phase": phase, "containerStatuses": [{"ready": reason.is_none()}]}});
            if let Some(r) = reason {
                p["status"]["containerStatuses"][0]["state"] = json!({"waiting": {"reason": r}});
            }
            p
        };
        assert_eq!(health(&pod("Running", None)), Health::Healthy);
        assert_eq!(
            health(&pod("Running", Some("CrashLoopBackOff"))),
            Health::Unhealthy
        );
        assert_eq!(
            health(&pod("Pending", Some("ImagePullBackOff"))),
            Health::Unhealthy
        );
        assert_eq!(health(&json!({"kind": "Pod"})), Health::Unknown);
        let d = json!({"kind": "Deployment", "spec": {"replicas": 2}, "status": {"availableReplicas": 1}});
        assert_eq!(health(&d), Health::Unhealthy);
        assert_eq!(health(&json!({"kind": "ConfigMap"})), Health::Healthy);
    }

    #[test]
    fn diffs_use_merge_keys() {
        let a = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y", "livenessProbe": {"exec": {}}}]}, "status": {"x": 1}});
        let b = json!({"spec": {"containers": [{"name": "b", "image": "y2"}, {"name": "a", "image": "x"}]}, "status": {"x": 2}});
        let d = Diff::between(&a, &b);
        assert_eq!(d.changed, ["/spec/containers/[name=b]/image"]);
        assert_eq!(d.removed, ["/spec/containers/[name=b]/livenessProbe/exec"]);
        assert!(d.added.is_empty());
    }

    #[test]
    fn a_keyed_item_whose_key_changed_is_changed_not_removed() {
        let a = json!({"ports": [{"containerPort": 80, "protocol": "TCP"}]});
        let b = json!({"ports": [{"containerPort": 8080, "protocol": "TCP"}]});
        let d = Diff::between(&a, &b);
        assert_eq!(d.changed, ["/ports/[containerPort=8080]/containerPort"]);
        assert!(d.removed.is_empty() && d.added.is_empty(), "{d:?}");
        // A second port added beside an unchanged one is an addition.
        let c =
            json!({"ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 9090}]});
        let d = Diff::between(&a, &c);
        assert_eq!(d.added, ["/ports/[containerPort=9090]/containerPort"]);
        assert!(d.removed.is_empty() && d.changed.is_empty());
        // A container removed while another stays is a removal.
        let x = json!({"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]});
        let y = json!({"containers": [{"name": "a", "image": "x"}]});
        let d = Diff::between(&x, &y);
        assert_eq!(
            d.removed,
            ["/containers/[name=b]/image", "/containers/[name=b]/name"]
        );
    }

    #[test]
    fn knowledge_is_explicit() {
        let mut m = Model::default();
        m.insert_known(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "bench"}}), None);
        let pod = kinds::by_kind("Pod", None);
        let a = ObjKey::new(&pod, Some("bench"), "a");
        let b = ObjKey::new(&pod, Some("bench"), "b");
        assert_eq!(m.exists(&a), Some(true));
        assert_eq!(m.exists(&b), None);
        m.mark_namespace_complete("bench");
        assert_eq!(m.exists(&b), Some(false));
        assert_eq!(m.of_kind(&pod, Some("bench")).count(), 1);
    }
}
