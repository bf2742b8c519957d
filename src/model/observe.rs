//! Objects the agent observed: read results (`kubectl get -o json|yaml`, MCP `resources_get` /
//! `resources_list` JSON or YAML, and the plain `kubectl get pods|deployments` tables) become
//! known state, so that facts about objects the scenario did not list are not left unknown.

use super::{Health, Model, ObjKey};
use crate::json::At;
use crate::ops::kinds;
use crate::ops::{Operation, manifest};
use compact_str::CompactString;
use memchr::memmem;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// Learn from a read operation's result. Returns how many objects became known.
pub fn observe(
    model: &mut Model,
    op: &Operation,
    text: Option<&str>,
    json: Option<&Value>,
) -> usize {
    let ns = op.target.namespace.as_deref();
    // A list of a kind, whole (no selector), tells the model every object of that kind there.
    let lists_whole = op.target.names.is_empty()
        && op.target.selector.is_none()
        && op.target.field_selector.is_none();
    let seen = match json {
        Some(j) => Seen::Objects(manifest::from_value(j).unwrap_or_default()),
        None => match text.map(strip_shell_trailer) {
            // One object the model already knows teaches nothing (the model's own state wins)
            // unless it may be the whole list of a kind: its YAML is not parsed.
            Some(t)
                if (!lists_whole || op.target.kinds.is_empty())
                    && [Peek::Quick, Peek::Sure].into_iter().all(|peek| {
                        yaml_object_key(t, ns, peek).is_some_and(|key| model.contains(&key))
                    }) =>
            {
                Seen::Objects(Vec::new())
            }
            Some(t) => objects_from_text(t, op),
            None => Seen::Objects(Vec::new()),
        },
    };
    if lists_whole && !seen.is_empty() {
        for k in &op.target.kinds {
            if seen.all_of_kind(&k.kind) {
                model.mark_list_complete(k, if op.target.all_namespaces { None } else { ns });
            }
        }
    }
    match seen {
        Seen::Objects(objects) => objects
            .into_iter()
            .map(|o| model.insert_known(o, ns))
            .filter(|new| *new)
            .count(),
        Seen::Rows(rows) => rows
            .into_iter()
            .map(|(key, row)| model.insert_listed(key, row))
            .filter(|new| *new)
            .count(),
    }
}

/// What a read result shows of the objects it holds.
enum Seen {
    /// Whole objects (JSON or YAML documents).
    Objects(Vec<Value>),
    /// Rows of a kubectl table: a few fields of each object, with its key.
    Rows(Vec<(ObjKey, Listed)>),
}

impl Seen {
    fn is_empty(&self) -> bool {
        match self {
            Seen::Objects(o) => o.is_empty(),
            Seen::Rows(r) => r.is_empty(),
        }
    }

    /// Whether every object is of `kind`.
    fn all_of_kind(&self, kind: &str) -> bool {
        match self {
            Seen::Objects(o) => o
                .iter()
                .all(|o| o.get("kind").and_then(Value::as_str) == Some(kind)),
            Seen::Rows(r) => r.iter().all(|(_, row)| row.kind() == kind),
        }
    }
}

/// A READY cell, `a/b`, as (a, b); what does not read as two counts is (0, 0) or has 0 for
/// the count that does not.
fn ready_cell(cell: Option<&str>) -> (i64, i64) {
    cell.and_then(|r| r.split_once('/'))
        .map_or((0, 0), |(a, b)| {
            (a.parse().unwrap_or(0), b.parse().unwrap_or(0))
        })
}

/// What a row of `kubectl get pods` or `kubectl get deployments` shows of an object (its name
/// and namespace are its key). [`Listed::to_value`] is the object the model takes it for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Pod {
        /// The phase the STATUS column implies.
        phase: &'static str,
        /// READY `n/n` with n > 0.
        ready: bool,
        /// A STATUS other than Running and Completed, taken for the container's waiting
        /// reason (`CrashLoopBackOff`, `ImagePullBackOff`, `Pending`).
        waiting: Option<CompactString>,
    },
    Deployment {
        /// READY `a/b`: `b` desired, `a` available.
        replicas: i64,
        available: i64,
    },
}

impl Listed {
    /// A Pod row from its STATUS and READY cells.
    fn pod(status: &str, ready: Option<&str>) -> Listed {
        let (ready, total) = ready_cell(ready);
        let waiting = (status != "Running" && status != "Completed").then(|| status.into());
        let phase = match status {
            "Running" | "CrashLoopBackOff" => "Running",
            "Completed" => "Succeeded",
            "Error" | "Failed" => "Failed",
            _ => "Pending",
        };
        Listed::Pod {
            phase,
            ready: ready == total && total > 0,
            waiting,
        }
    }

    /// A Deployment row from its READY cell.
    fn deployment(ready: Option<&str>) -> Listed {
        let (available, replicas) = ready_cell(ready);
        Listed::Deployment {
            replicas,
            available,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Listed::Pod { .. } => "Pod",
            Listed::Deployment { .. } => "Deployment",
        }
    }

    /// The kind, from the kinds table (looked up once).
    fn kind_ref(&self) -> kinds::KindRef {
        static POD: LazyLock<kinds::KindRef> = LazyLock::new(|| kinds::by_kind("Pod", Some("v1")));
        static DEPLOYMENT: LazyLock<kinds::KindRef> =
            LazyLock::new(|| kinds::by_kind("Deployment", Some("apps/v1")));
        match self {
            Listed::Pod { .. } => POD.clone(),
            Listed::Deployment { .. } => DEPLOYMENT.clone(),
        }
    }

    fn api_version(&self) -> &'static str {
        match self {
            Listed::Pod { .. } => "v1",
            Listed::Deployment { .. } => "apps/v1",
        }
    }

    /// The object the row stands for, with the metadata the model gives an object it holds:
    /// the key's name and namespace, and `uid`.
    pub fn to_value(&self, key: &ObjKey, uid: &str) -> Value {
        let mut obj = match self {
            Listed::Pod {
                phase,
                ready,
                waiting,
            } => {
                let mut container = json!({"ready": ready});
                if let Some(w) = waiting {
                    container["state"] = json!({"waiting": {"reason": w.as_str()}});
                }
                json!({"status": {"phase": phase, "containerStatuses": [container]}})
            }
            Listed::Deployment {
                replicas,
                available,
            } => {
                json!({"spec": {"replicas": replicas}, "status": {"availableReplicas": available}})
            }
        };
        obj["apiVersion"] = json!(self.api_version());
        obj["kind"] = json!(self.kind());
        let mut meta = json!({"name": key.name.as_str(), "uid": uid});
        if let Some(ns) = &key.namespace {
            meta["namespace"] = json!(ns.as_str());
        }
        obj["metadata"] = meta;
        obj
    }

    /// [`super::health`] of [`Listed::to_value`], from the row.
    pub fn health(&self) -> Health {
        match self {
            Listed::Pod {
                phase,
                ready,
                waiting,
            } => super::pod_health(
                phase,
                super::container_failing(phase, waiting.as_deref(), Some(*ready)),
            ),
            Listed::Deployment {
                replicas,
                available,
            } => super::replicas_health(*replicas, *available),
        }
    }
}

/// The key of the one object a kubectl-style YAML text holds (`kubectl get X -o yaml`, an MCP
/// server's `resources_get`), read off its top-level `apiVersion` and `kind` and its
/// `metadata.name` and `namespace` lines without parsing the rest. `None` unless the text is
/// plainly one such object: it starts with `apiVersion:`, is one document, those four fields
/// are plain words each written once, and no line leaves a quote open (a quoted scalar spanning
/// lines could hide a key). Where it says `Some`, parsing the text gives that one object or
/// nothing (a test checks it over the real recordings).
///
/// [`Peek::Quick`] reads only as far as the key's lines and checks nothing else: a cheap guess,
/// to be confirmed by a [`Peek::Sure`] where it matters.
pub fn yaml_object_key(t: &str, default_ns: Option<&str>, peek: Peek) -> Option<super::ObjKey> {
    let t = t.trim_start();
    let sure = peek == Peek::Sure;
    if !t.starts_with("apiVersion:")
        || sure
            && (memchr::memchr2(b'\r', b'\t', t.as_bytes()).is_some()
                || !every_line_closes_what_it_opens(t))
    {
        return None;
    }
    let (mut api, mut kind, mut name, mut namespace) = (None, None, None, None);
    let mut seen_metadata = false;
    let mut in_metadata = false;
    let mut child_indent = None;
    for line in crate::ops::printed::lines(t) {
        // An indented line outside `metadata` is nothing to the key (its quotes and brackets
        // were checked above), nor is a blank or comment line.
        if !in_metadata && line.starts_with(' ') {
            continue;
        }
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        let text = body.trim_end();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if indent == 0 {
            if !sure && seen_metadata && api.is_some() && kind.is_some() {
                break;
            }
            let (key, value) = yaml_entry(text)?;
            in_metadata = false;
            match key {
                "apiVersion" => set_once(&mut api, value)?,
                "kind" => set_once(&mut kind, value)?,
                "metadata" if value.is_empty() && !seen_metadata => {
                    (seen_metadata, in_metadata) = (true, true);
                }
                // A list (`kind: List` comes after its items).
                "metadata" | "items" => return None,
                _ => {}
            }
        } else if in_metadata {
            let child = *child_indent.get_or_insert(indent);
            if indent < child {
                return None;
            }
            if indent > child || text == "-" || text.starts_with("- ") {
                continue;
            }
            match yaml_entry(text)? {
                ("name", value) => set_once(&mut name, value)?,
                ("namespace", value) => set_once(&mut namespace, value)?,
                _ => {}
            }
            if !sure && api.is_some() && kind.is_some() && name.is_some() && namespace.is_some() {
                break;
            }
        }
    }
    let (api, kind, name) = (plain_word(api?)?, plain_word(kind?)?, plain_word(name?)?);
    let namespace = match namespace {
        Some(n) => Some(plain_word(n)?),
        None => default_ns,
    };
    Some(super::ObjKey::of_kind(
        kinds::by_kind(kind, Some(api)),
        namespace,
        name,
    ))
}

/// Whether every line that is not blank or a comment closes what it opens
/// ([`closes_what_it_opens`]). Only the lines that hold a quote, a brace or a bracket are
/// looked at, found by a vectorized search.
fn every_line_closes_what_it_opens(t: &str) -> bool {
    let bytes = t.as_bytes();
    // The next of each three bytes at or after a position, searched again only once passed.
    let next = |at: &mut Option<usize>, from: usize, [a, b, c]: [u8; 3]| {
        if at.is_some_and(|i| i < from) {
            *at = memchr::memchr3(a, b, c, &bytes[from..]).map(|i| from + i);
        }
        *at
    };
    let (mut quote_or_open, mut other) = (
        memchr::memchr3(b'"', b'\'', b'{', bytes),
        memchr::memchr3(b'}', b'[', b']', bytes),
    );
    let mut from = 0;
    while let Some(i) = [
        next(&mut quote_or_open, from, [b'"', b'\'', b'{']),
        next(&mut other, from, [b'}', b'[', b']']),
    ]
    .into_iter()
    .flatten()
    .min()
    {
        let start = memchr::memrchr(b'\n', &bytes[..i]).map_or(0, |j| j + 1);
        let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |j| i + j);
        let line = &t[start..end];
        if !line.trim_start_matches(' ').starts_with('#') && !closes_what_it_opens(line) {
            return false;
        }
        from = end;
    }
    true
}

/// Whether a line closes every quote and flow collection it opens (an even count of each
/// quote, as many `{` as `}` and `[` as `]`); a line that does not may start a scalar or a
/// collection that spans lines.
fn closes_what_it_opens(text: &str) -> bool {
    let (mut double, mut single, mut braces, mut brackets) = (0usize, 0usize, 0isize, 0isize);
    for b in text.bytes() {
        match b {
            b'"' => double += 1,
            b'\'' => single += 1,
            b'{' => braces += 1,
            b'}' => braces -= 1,
            b'[' => brackets += 1,
            b']' => brackets -= 1,
            _ => {}
        }
    }
    double % 2 == 0 && single % 2 == 0 && braces == 0 && brackets == 0
}

/// How far [`yaml_object_key`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peek {
    Quick,
    Sure,
}

/// `key: value` or `key:` of a block mapping line, with a key of plain word characters.
fn yaml_entry(text: &str) -> Option<(&str, &str)> {
    let (key, value) = match crate::ops::kyaml::find2(text, b':', b' ') {
        Some(at) => (&text[..at], text[at + 2..].trim()),
        None => (text.strip_suffix(':')?, ""),
    };
    key.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .then_some((key, value))
        .filter(|(k, _)| !k.is_empty())
}

fn set_once<'a>(slot: &mut Option<&'a str>, value: &'a str) -> Option<()> {
    slot.replace(value).is_none().then_some(())
}

/// A scalar YAML reads as this very string: a letter, then letters, digits, `.`, `_`, `-`, `/`;
/// not a word YAML reads as a boolean or null.
fn plain_word(v: &str) -> Option<&str> {
    let mut bytes = v.bytes();
    let plain = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'));
    let special = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w));
    (plain && !special).then_some(v)
}

/// A substring searcher for a literal, built once where it is used (every read result is
/// searched for these words; building a searcher per call cost as much as the search).
macro_rules! finder {
    ($needle:literal) => {{
        static FINDER: LazyLock<memmem::Finder<'static>> =
            LazyLock::new(|| memmem::Finder::new($needle));
        &*FINDER
    }};
}

/// Evidra's run_command appends "STDERR: ..." and "Exit code: N" to stdout.
fn strip_shell_trailer(t: &str) -> &str {
    let mut end = t.len();
    for marker in [finder!(b"\nSTDERR:"), finder!(b"\nExit code:")] {
        if let Some(i) = marker.find(t.as_bytes()) {
            end = end.min(i);
        }
    }
    if t.starts_with("Exit code:") || t.starts_with("STDERR:") {
        return "";
    }
    &t[..end]
}

/// Drop `managedFields:` blocks from YAML text before parsing: they are most of a `-o yaml`
/// object and the model does not read them. A block is a line whose content starts with
/// `managedFields:` (not `managedFields: []`) and the lines after it that are blank, deeper, or
/// `- ` items at its indentation. Only the lines where the word occurs are looked at; the text
/// between blocks is copied as it is (a test holds it to a line-by-line reading).
fn without_managed_fields(t: &str) -> std::borrow::Cow<'_, str> {
    let bytes = t.as_bytes();
    let finder = finder!(b"managedFields:");
    let Some(first) = finder.find(bytes) else {
        return std::borrow::Cow::Borrowed(t);
    };
    let line_end =
        |from: usize| memchr::memchr(b'\n', &bytes[from..]).map_or(t.len(), |i| from + i + 1);
    let mut out = String::with_capacity(t.len());
    // `t[..copied]` is in `out` or skipped; the next block is looked for from `at`.
    let (mut copied, mut at) = (0, Some(first));
    while let Some(found) = at {
        let start = memchr::memrchr(b'\n', &bytes[..found]).map_or(0, |i| i + 1);
        let mut end = line_end(found);
        let line = &t[start..end];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if content.starts_with("managedFields:") && content != "managedFields: []" {
            out.push_str(&t[copied..start]);
            while end < t.len() {
                let next = line_end(end);
                let line = &t[end..next];
                let ind = line.len() - line.trim_start_matches(' ').len();
                // Block items may sit at the key's own indentation ("- " entries). A deeper
                // line is in the block whatever it holds: most are, and are not trimmed.
                if !(ind > indent || {
                    let content = line.trim();
                    content.is_empty() || (ind == indent && content.starts_with("- "))
                }) {
                    break;
                }
                end = next;
            }
            copied = end;
        }
        at = finder.find(&bytes[end..]).map(|i| end + i);
    }
    out.push_str(&t[copied..]);
    std::borrow::Cow::Owned(out)
}

fn objects_from_text(t: &str, op: &Operation) -> Seen {
    match documents_in_text(t) {
        Some(objects) => Seen::Objects(objects),
        None => Seen::Rows(table(t.trim_start(), op)),
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
        || finder!(b"\n- apiVersion:").find(start.as_bytes()).is_some()
        || finder!(b"\nkind:").find(start.as_bytes()).is_some())
    {
        return None;
    }
    let stripped = without_managed_fields(t);
    let trimmed = stripped.trim_start();
    // MCP servers sometimes put a sentence before the YAML.
    let body = finder!(b"apiVersion:")
        .find(trimmed.as_bytes())
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
/// (`-A`), and the containers server's listings (NAMESPACE, APIVERSION, KIND, NAME, ...): the
/// rows of pods (with a STATUS column) and deployments (with a READY column), each with the
/// key of its object.
fn table(t: &str, op: &Operation) -> Vec<(ObjKey, Listed)> {
    let mut lines = crate::ops::printed::lines(t).filter(|l| !l.trim().is_empty());
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
    let (namespace_col, kind_col, status_col, ready_col) =
        (col("NAMESPACE"), col("KIND"), col("STATUS"), col("READY"));
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
        let row = match kind_col.and_then(cell).unwrap_or(default_kind) {
            "Pod" if status_col.is_some() => Listed::pod(
                status_col.and_then(cell).unwrap_or_default(),
                ready_col.and_then(cell),
            ),
            "Deployment" if ready_col.is_some() => Listed::deployment(ready_col.and_then(cell)),
            _ => continue,
        };
        let ns = namespace_col
            .and_then(cell)
            .or(op.target.namespace.as_deref());
        out.push((ObjKey::of_kind(row.kind_ref(), ns, name), row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The peeked key of a YAML read result is the key of the one object parsing it gives (or
    /// parsing gives nothing), over every YAML text in the real recordings and the fixtures,
    /// and over edited copies that must not be peeked wrong.
    #[test]
    fn the_peeked_key_is_the_parsed_key() {
        let Some(real) = crate::testdata::shared_data("the_peeked_key_is_the_parsed_key", "real")
        else {
            return;
        };
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let texts = crate::testdata::recorded_yaml_texts(&[real, fixtures]);
        // Edits a peek must see through: a second document, a duplicate or quoted name, a
        // name that YAML reads as a number, a quoted scalar spanning lines.
        let edits: Vec<String> = texts
            .iter()
            .take(200)
            .flat_map(|t| {
                [
                    format!("{t}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: other\n"),
                    t.replacen("\n  name: ", "\n  name: other\n  name: ", 1),
                    t.replacen("\n  name: ", "\n  name: \"", 1),
                    t.replacen("\n  name: ", "\n  name: 12", 1),
                    t.replacen("\nmetadata:\n", "\nnote: \"x\nmetadata:\n", 1),
                    t.replacen("\nkind: ", "\nkind: Other\nkind: ", 1),
                ]
            })
            .collect();
        let (mut peeked, mut checked) = (0, 0);
        for t in texts.iter().chain(&edits) {
            for default_ns in [None, Some("elsewhere")] {
                checked += 1;
                let Some(key) = yaml_object_key(t, default_ns, Peek::Sure) else {
                    continue;
                };
                peeked += 1;
                let parsed = documents_in_text(strip_shell_trailer(t)).unwrap_or_default();
                let keys: Vec<_> = parsed
                    .iter()
                    .filter_map(|o| crate::model::ObjKey::of(o, default_ns))
                    .collect();
                assert!(
                    keys.is_empty() || keys == [key.clone()],
                    "peeked {key} but parsing gives {keys:?} in:\n{t}"
                );
            }
        }
        assert!(
            peeked > 1000 && checked > peeked,
            "{peeked} peeked of {checked}: the test should see the real YAML"
        );
    }
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

    /// The object a table row stood for when the model made it from the cells at once (before
    /// rows were held as [`Listed`]): the reference a listed object is held to.
    fn row_object(kind: &str, name: &str, ns: Option<&str>, status: &str, ready: &str) -> Value {
        let (a, b) = ready.split_once('/').unwrap_or(("0", "0"));
        let (a, b): (i64, i64) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
        let mut obj = if kind == "Pod" {
            let phase = match status {
                "Running" | "CrashLoopBackOff" => "Running",
                "Completed" => "Succeeded",
                "Error" | "Failed" => "Failed",
                _ => "Pending",
            };
            let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "status": {"phase": phase, "containerStatuses": [{"ready": a == b && b > 0}]}});
            if status != "Running" && status != "Completed" {
                pod["status"]["containerStatuses"][0]["state"] =
                    json!({"waiting": {"reason": status}});
            }
            pod
        } else {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                   "spec": {"replicas": b}, "status": {"availableReplicas": a}})
        };
        if let Some(ns) = ns {
            obj["metadata"]["namespace"] = json!(ns);
        }
        obj
    }

    proptest! {
        /// A listed object is the object its row stands for: the same value (uid included) as
        /// the model makes of that object, and the same health, over the statuses kubectl
        /// prints, READY cells well and badly formed, with and without a namespace column.
        #[test]
        fn a_listed_object_is_the_object_of_its_row(
            rows in proptest::collection::vec((
                proptest::bool::ANY,
                prop_oneof![
                    Just("Running"), Just("Completed"), Just("CrashLoopBackOff"),
                    Just("ImagePullBackOff"), Just("ErrImagePull"), Just("Pending"),
                    Just("ContainerCreating"), Just("Error"), Just("Failed"),
                    Just("Terminating"), Just("Init:0/1"), Just("CreateContainerConfigError"),
                ],
                prop_oneof![
                    Just("1/1"), Just("0/1"), Just("2/3"), Just("3/2"), Just("0/0"),
                    Just("x/1"), Just("1"), Just("-"),
                ],
                proptest::option::of(prop_oneof![Just("prod"), Just("bench")]),
            ), 1..6),
            op_ns in proptest::option::of(Just("bench")),
        ) {
            let mut header = String::from("NAMESPACE   KIND         NAME    READY   STATUS");
            let mut text = String::new();
            for (i, (pod, status, ready, ns)) in rows.iter().enumerate() {
                let kind = if *pod { "Pod" } else { "Deployment" };
                text.push_str(&format!(
                    "{:<12}{kind:<13}o{i:<7}{ready:<8}{status}\n",
                    ns.unwrap_or("")
                ));
            }
            header.push('\n');
            header.push_str(&text);
            let mut op = Operation::new(crate::ops::Verb::Read);
            op.target.namespace = op_ns.map(str::to_string);
            op.target.names = vec!["o0".into()];
            let mut listed = Model::default();
            prop_assert_eq!(observe(&mut listed, &op, Some(&header), None), rows.len());
            let mut made = Model::default();
            for (i, (pod, status, ready, ns)) in rows.iter().enumerate() {
                let kind = if *pod { "Pod" } else { "Deployment" };
                let obj = row_object(kind, &format!("o{i}"), ns.or(op_ns), status, ready);
                prop_assert!(made.insert_known(obj, op_ns));
            }
            let healths: Vec<_> = listed.healths().map(|(k, h)| (k.clone(), h)).collect();
            let expected: Vec<_> = made.iter().map(|(k, o)| (k.clone(), health(o))).collect();
            prop_assert_eq!(healths, expected);
            let values: Vec<_> = listed.iter().map(|(k, o)| (k.clone(), o.clone())).collect();
            let expected: Vec<_> = made.iter().map(|(k, o)| (k.clone(), o.clone())).collect();
            prop_assert_eq!(values, expected);
        }
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

    /// The reading [`without_managed_fields`] is held to: every line in turn.
    fn without_managed_fields_by_lines(t: &str) -> std::borrow::Cow<'_, str> {
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

    proptest! {
        /// The search for lines that leave a quote or bracket open finds what checking every
        /// line that is not blank or a comment finds.
        #[test]
        fn open_quotes_are_found_as_line_by_line(lines in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![
                Just("\""), Just("'"), Just("{"), Just("}"), Just("["), Just("]"),
                Just("#"), Just(" "), Just("a: b"), Just("x"),
            ], 0..6).prop_map(|parts| parts.concat()),
            0..12,
        )) {
            let text = lines.join("\n");
            let by_lines = crate::ops::printed::lines(&text).all(|line| {
                let text = line.trim_start_matches(' ').trim_end();
                text.is_empty() || text.starts_with('#') || closes_what_it_opens(text)
            });
            prop_assert_eq!(every_line_closes_what_it_opens(&text), by_lines);
        }
    }

    proptest! {
        /// Dropping the blocks by finding the word is dropping them line by line, on texts
        /// made of lines that open, nest, continue and end blocks.
        #[test]
        fn managed_fields_are_dropped_as_line_by_line(lines in proptest::collection::vec(
            prop_oneof![
                Just("managedFields:".to_string()),
                Just("managedFields: []".to_string()),
                Just("x: managedFields: y".to_string()),
                Just("- manager: kubectl".to_string()),
                Just("".to_string()),
                Just("\tmanagedFields:".to_string()),
                "[a-z]{1,3}: [a-z]{0,3}",
                "- [a-z]{1,3}",
            ].prop_flat_map(|l| (0usize..5, proptest::bool::ANY).prop_map(move |(n, cr)| {
                format!("{}{l}{}", " ".repeat(n), if cr { "\r" } else { "" })
            })),
            0..24,
        ), end_newline in proptest::bool::ANY) {
            let mut text = lines.join("\n");
            if end_newline {
                text.push('\n');
            }
            prop_assert_eq!(without_managed_fields(&text), without_managed_fields_by_lines(&text));
        }
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
