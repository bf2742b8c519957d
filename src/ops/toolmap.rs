//! Tool maps (rules/tools/*.yaml, schema/toolmap.v1.schema.json): how an MCP server's tools
//! become operations. Loading validates each file against the schema and a few rules the
//! schema cannot say; evaluation picks the tool's case and reads values out of the arguments.

use super::Verb;
use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

pub const TOOLMAP_SCHEMA_TEXT: &str = include_str!("../../schema/toolmap.v1.schema.json");

/// The maps shipped in the binary. A test checks that every file in rules/tools/ is listed.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "rules/tools/aks.yaml",
        include_str!("../../rules/tools/aks.yaml"),
    ),
    (
        "rules/tools/alexei-led.yaml",
        include_str!("../../rules/tools/alexei-led.yaml"),
    ),
    (
        "rules/tools/containers.yaml",
        include_str!("../../rules/tools/containers.yaml"),
    ),
    (
        "rules/tools/eks.yaml",
        include_str!("../../rules/tools/eks.yaml"),
    ),
    (
        "rules/tools/flux159.yaml",
        include_str!("../../rules/tools/flux159.yaml"),
    ),
    (
        "rules/tools/k8s-audit.yaml",
        include_str!("../../rules/tools/k8s-audit.yaml"),
    ),
    (
        "rules/tools/kagent.yaml",
        include_str!("../../rules/tools/kagent.yaml"),
    ),
    (
        "rules/tools/rohitg00.yaml",
        include_str!("../../rules/tools/rohitg00.yaml"),
    ),
    (
        "rules/tools/shell.yaml",
        include_str!("../../rules/tools/shell.yaml"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolMap {
    #[allow(dead_code)]
    schema: String,
    pub id: String,
    pub server: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default = "default_priority")]
    pub priority: i64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub errors: ErrorSpec,
    pub tools: BTreeMap<String, ToolSpec>,
    /// Compiled `errors.exit_code_regex`.
    #[serde(skip)]
    exit_code: Option<Regex>,
}

fn default_priority() -> i64 {
    100
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    #[serde(default)]
    pub text_prefixes: Vec<String>,
    #[serde(default)]
    pub exit_code_regex: Option<String>,
    #[serde(default)]
    pub json_fields: Vec<JsonField>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonField {
    pub pointer: String,
    pub equals: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub description: Option<String>,
    pub read: Option<bool>,
    pub when: Option<Condition>,
    pub cases: Option<Vec<ToolSpec>>,
    pub command: Option<ArgRef>,
    pub program: Option<String>,
    pub argv: Option<Vec<ArgvPart>>,
    pub unresolved: Option<String>,
    pub verb: Option<ValueSpec>,
    pub kind: Option<ValueSpec>,
    pub api_version: Option<ValueSpec>,
    pub name: Option<ValueSpec>,
    pub namespace: Option<ValueSpec>,
    pub all_namespaces: Option<ValueSpec>,
    pub selector: Option<ValueSpec>,
    pub field_selector: Option<ValueSpec>,
    pub all: Option<ValueSpec>,
    pub node: Option<ValueSpec>,
    pub manifest: Option<ValueSpec>,
    pub file: Option<ValueSpec>,
    pub patch: Option<ValueSpec>,
    pub patch_type: Option<ValueSpec>,
    pub replicas: Option<ValueSpec>,
    pub image: Option<ValueSpec>,
    pub container: Option<ValueSpec>,
    pub command_args: Option<ValueSpec>,
    pub release: Option<ValueSpec>,
    pub chart: Option<ValueSpec>,
    pub values: Option<ValueSpec>,
    pub to_revision: Option<ValueSpec>,
    pub context: Option<ValueSpec>,
    pub force: Option<ValueSpec>,
    pub grace_period: Option<ValueSpec>,
    pub cascade: Option<ValueSpec>,
    pub dry_run: Option<ValueSpec>,
    pub overwrite: Option<ValueSpec>,
    pub creates_service: Option<ValueSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ValueSpec {
    Arg(ArgRef),
    Const(Value),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgRef {
    pub arg: ArgNames,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub map: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ArgNames {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ArgvPart {
    Literal(String),
    Arg(ArgvArg),
    Split(ArgvSplit),
    FlagMap(ArgvFlagMap),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgvArg {
    pub arg: String,
    #[serde(default)]
    pub flag: Option<String>,
    #[serde(default)]
    pub default: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgvSplit {
    pub split: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgvFlagMap {
    pub flag_map: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub has: Option<String>,
    pub missing: Option<String>,
    pub arg: Option<String>,
    pub equals: Option<Value>,
    #[serde(rename = "in")]
    pub in_: Option<Vec<Value>>,
}

/// A problem in a tool map file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolMapError {
    pub file: String,
    /// JSON pointer into the map, when known.
    pub pointer: Option<String>,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ToolMapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((l, c)) = self.position {
            write!(f, ":{l}:{c}")?;
        }
        if let Some(p) = &self.pointer {
            write!(f, " at {}", if p.is_empty() { "(root)" } else { p })?;
        }
        write!(f, ": {}", self.message)
    }
}

fn schema_validator() -> &'static Result<jsonschema::Validator, String> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let doc: Value = serde_json::from_str(TOOLMAP_SCHEMA_TEXT).map_err(|e| e.to_string())?;
        jsonschema::validator_for(&doc).map_err(|e| e.to_string())
    })
}

impl ToolMap {
    /// Parse and check one tool map file; every problem found is returned.
    pub fn load(file: &str, text: &str) -> Result<ToolMap, Vec<ToolMapError>> {
        let error = |pointer: Option<String>, position: Option<(usize, usize)>, message: String| {
            ToolMapError {
                file: file.to_string(),
                pointer,
                position,
                message,
            }
        };
        let doc: Value = serde_saphyr::from_str(text).map_err(|e| {
            let pos = e
                .location()
                .map(|l| (l.line() as usize, l.column() as usize));
            let mut msg = e.to_string();
            if let Some(i) = msg.find('\n') {
                msg.truncate(i);
            }
            vec![error(None, pos, format!("not valid YAML: {msg}"))]
        })?;
        let validator = schema_validator().as_ref().map_err(|e| {
            vec![error(
                None,
                None,
                format!("internal: the tool map schema does not compile: {e}"),
            )]
        })?;
        let problems: Vec<ToolMapError> = validator
            .iter_errors(&doc)
            .take(20)
            .map(|e| error(Some(e.instance_path().to_string()), None, e.to_string()))
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut map: ToolMap =
            serde_json::from_value(doc).map_err(|e| vec![error(None, None, e.to_string())])?;
        let mut problems = Vec::new();
        if let Some(re) = &map.errors.exit_code_regex {
            match regex::RegexBuilder::new(re).size_limit(1 << 20).build() {
                Ok(r) if r.captures_len() >= 2 => map.exit_code = Some(r),
                Ok(_) => problems.push(error(
                    Some("/errors/exit_code_regex".into()),
                    None,
                    "the regex needs a capture group for the exit code".into(),
                )),
                Err(e) => problems.push(error(
                    Some("/errors/exit_code_regex".into()),
                    None,
                    format!("not a valid regex: {e}"),
                )),
            }
        }
        for (name, spec) in &map.tools {
            check_spec(
                spec,
                &format!("/tools/{}", crate::trace::locate::escape_segment(name)),
                &mut |p, m| problems.push(error(Some(p), None, m)),
            );
        }
        if problems.is_empty() {
            Ok(map)
        } else {
            Err(problems)
        }
    }

    /// The embedded maps, checked (a failure is a bug caught by the tests).
    pub fn embedded() -> Result<Vec<ToolMap>, Vec<ToolMapError>> {
        load_all(EMBEDDED.iter().map(|(f, t)| (f.to_string(), t.to_string())))
    }

    /// Tool maps from `*.yaml`/`*.yml` files of a directory.
    pub fn from_dir(dir: &Path) -> Result<Vec<ToolMap>, Vec<ToolMapError>> {
        let mut files = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            vec![ToolMapError {
                file: dir.display().to_string(),
                pointer: None,
                position: None,
                message: e.to_string(),
            }]
        })?;
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                files.push(p);
            }
        }
        files.sort();
        let mut texts = Vec::new();
        let mut problems = Vec::new();
        for p in files {
            match std::fs::read_to_string(&p) {
                Ok(t) => texts.push((p.display().to_string(), t)),
                Err(e) => problems.push(ToolMapError {
                    file: p.display().to_string(),
                    pointer: None,
                    position: None,
                    message: e.to_string(),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        load_all(texts.into_iter())
    }

    /// True when a call recorded with this server name belongs to this map.
    pub fn serves(&self, server: &str) -> bool {
        let s = server.to_ascii_lowercase();
        self.server.eq_ignore_ascii_case(&s)
            || self.id == s
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(&s))
    }

    /// How this server says a call failed, judged from its result text / JSON.
    pub fn failure(
        &self,
        text: Option<&str>,
        json: Option<&Value>,
        exit_code: Option<i64>,
    ) -> Option<String> {
        let code = exit_code.or_else(|| {
            let re = self.exit_code.as_ref()?;
            let caps = re.captures_iter(text?).last()?;
            caps.get(1)?.as_str().parse().ok()
        });
        if let Some(c) = code
            && c != 0
        {
            return Some(format!("exit code {c}"));
        }
        if let Some(t) = text {
            let t = t.trim_start();
            if let Some(p) = self
                .errors
                .text_prefixes
                .iter()
                .find(|p| t.starts_with(p.as_str()))
            {
                let first = t.lines().next().unwrap_or(p);
                return Some(format!(
                    "result says: {}",
                    crate::diag::ellipsis(first, 120)
                ));
            }
        }
        if !self.errors.json_fields.is_empty() {
            let parsed;
            let j = match json {
                Some(j) => Some(j),
                None => {
                    parsed = text.and_then(|t| serde_json::from_str::<Value>(t.trim()).ok());
                    parsed.as_ref()
                }
            };
            if let Some(j) = j {
                for f in &self.errors.json_fields {
                    if j.pointer(&f.pointer) == Some(&f.equals) {
                        return Some(format!("result has {} = {}", f.pointer, f.equals));
                    }
                }
            }
        }
        None
    }
}

fn load_all(
    files: impl Iterator<Item = (String, String)>,
) -> Result<Vec<ToolMap>, Vec<ToolMapError>> {
    let mut maps: Vec<ToolMap> = Vec::new();
    let mut problems = Vec::new();
    for (file, text) in files {
        match ToolMap::load(&file, &text) {
            Ok(m) => {
                if maps.iter().any(|o| o.id == m.id) {
                    problems.push(ToolMapError {
                        file,
                        pointer: Some("/id".into()),
                        position: None,
                        message: format!("map id `{}` is used twice", m.id),
                    });
                } else {
                    maps.push(m);
                }
            }
            Err(mut e) => problems.append(&mut e),
        }
    }
    if problems.is_empty() {
        Ok(maps)
    } else {
        Err(problems)
    }
}

/// Rules the schema cannot say: a tool is exactly one of read / verb / command / argv / cases /
/// unresolved; constant verbs and patch types are known names.
fn check_spec(spec: &ToolSpec, at: &str, report: &mut dyn FnMut(String, String)) {
    let kinds = [
        spec.read.is_some(),
        spec.verb.is_some(),
        spec.command.is_some(),
        spec.argv.is_some(),
        spec.cases.is_some(),
        spec.unresolved.is_some(),
    ];
    let n = kinds.iter().filter(|k| **k).count();
    if n != 1 {
        report(
            at.to_string(),
            format!(
                "a tool must have exactly one of read, verb, command, argv, cases, unresolved (found {n})"
            ),
        );
    }
    if let Some(ValueSpec::Const(Value::String(v))) = &spec.verb
        && Verb::from_name(v).is_none()
    {
        report(format!("{at}/verb"), format!("unknown verb `{v}`"));
    }
    if let Some(ValueSpec::Arg(a)) = &spec.verb
        && let Some(m) = &a.map
    {
        for (k, v) in m {
            if v.as_str().and_then(Verb::from_name).is_none() {
                report(format!("{at}/verb/map/{k}"), format!("unknown verb {v}"));
            }
        }
    }
    if let Some(ValueSpec::Const(Value::String(v))) = &spec.patch_type
        && super::PatchType::from_name(v).is_none()
    {
        report(
            format!("{at}/patch_type"),
            format!("unknown patch type `{v}`"),
        );
    }
    if let Some(cases) = &spec.cases {
        for (i, c) in cases.iter().enumerate() {
            check_spec(c, &format!("{at}/cases/{i}"), report);
        }
    }
}

/// Look up an argument by name, list of names, or JSON pointer.
pub fn arg<'a>(args: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let v = match name.strip_prefix('/') {
        Some(pointer) => {
            let mut segments = pointer
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"));
            let first = segments.next().unwrap_or_default();
            segments.fold(args.get(&first), |cur, seg| cur.and_then(|c| c.get(&seg)))
        }
        None => args.get(name),
    };
    v.filter(|v| !v.is_null())
}

/// The top-level argument a name or pointer refers to.
fn top_level(name: &str) -> String {
    match name.strip_prefix('/') {
        Some(p) => p
            .split('/')
            .next()
            .unwrap_or_default()
            .replace("~1", "/")
            .replace("~0", "~"),
        None => name.to_string(),
    }
}

/// A value is "present" when it is not absent, null, empty or false.
pub fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

impl ArgRef {
    pub fn names(&self) -> Vec<&str> {
        match &self.arg {
            ArgNames::One(n) => vec![n.as_str()],
            ArgNames::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
    pub fn resolve(&self, args: &Map<String, Value>) -> Option<Value> {
        let found = self.names().into_iter().find_map(|n| arg(args, n)).cloned();
        let v = found.or_else(|| self.default.clone())?;
        if let (Some(map), Some(s)) = (&self.map, v.as_str())
            && let Some(m) = map.get(s)
        {
            return Some(m.clone());
        }
        Some(v)
    }
}

impl ValueSpec {
    pub fn resolve(&self, args: &Map<String, Value>) -> Option<Value> {
        match self {
            ValueSpec::Const(v) => Some(v.clone()),
            ValueSpec::Arg(a) => a.resolve(args),
        }
    }
}

impl Condition {
    pub fn holds(&self, args: &Map<String, Value>) -> bool {
        if let Some(h) = &self.has
            && !present(arg(args, h))
        {
            return false;
        }
        if let Some(m) = &self.missing
            && present(arg(args, m))
        {
            return false;
        }
        if let Some(a) = &self.arg {
            let v = arg(args, a);
            if let Some(e) = &self.equals
                && v != Some(e)
            {
                return false;
            }
            if let Some(list) = &self.in_
                && !v.is_some_and(|v| list.contains(v))
            {
                return false;
            }
        }
        true
    }
}

impl ToolSpec {
    /// Every argument name this spec (and its cases) reads: how well a call's arguments fit it.
    pub fn arg_names(&self, out: &mut std::collections::BTreeSet<String>) {
        let value = |v: &Option<ValueSpec>, out: &mut std::collections::BTreeSet<String>| {
            if let Some(ValueSpec::Arg(a)) = v {
                out.extend(a.names().iter().map(|n| top_level(n)));
            }
        };
        for v in [
            &self.verb,
            &self.kind,
            &self.api_version,
            &self.name,
            &self.namespace,
            &self.all_namespaces,
            &self.selector,
            &self.field_selector,
            &self.all,
            &self.node,
            &self.manifest,
            &self.file,
            &self.patch,
            &self.patch_type,
            &self.replicas,
            &self.image,
            &self.container,
            &self.command_args,
            &self.release,
            &self.chart,
            &self.values,
            &self.to_revision,
            &self.context,
            &self.force,
            &self.grace_period,
            &self.cascade,
            &self.dry_run,
            &self.overwrite,
            &self.creates_service,
        ] {
            value(v, out);
        }
        if let Some(c) = &self.command {
            out.extend(c.names().iter().map(|n| top_level(n)));
        }
        for p in self.argv.iter().flatten() {
            match p {
                ArgvPart::Literal(_) => {}
                ArgvPart::Arg(a) => {
                    out.insert(top_level(&a.arg));
                }
                ArgvPart::Split(a) => {
                    out.insert(top_level(&a.split));
                }
                ArgvPart::FlagMap(a) => {
                    out.insert(top_level(&a.flag_map));
                }
            }
        }
        if let Some(w) = &self.when {
            out.extend(
                [&w.has, &w.missing, &w.arg]
                    .into_iter()
                    .flatten()
                    .map(|n| top_level(n)),
            );
        }
        for c in self.cases.iter().flatten() {
            c.arg_names(out);
        }
    }

    /// The spec that applies to these arguments (following `cases`).
    pub fn select<'a>(&'a self, args: &Map<String, Value>) -> Option<&'a ToolSpec> {
        match &self.cases {
            None => Some(self),
            Some(cases) => cases
                .iter()
                .find(|c| c.when.as_ref().is_none_or(|w| w.holds(args)))
                .and_then(|c| c.select(args)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_maps_load() {
        let maps = ToolMap::embedded().unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert!(maps.iter().any(|m| m.id == "containers"));
    }

    #[test]
    fn every_file_in_rules_tools_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/tools");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                let rel = format!("rules/tools/{}", p.file_name().unwrap().to_string_lossy());
                assert!(
                    EMBEDDED.iter().any(|(f, _)| *f == rel),
                    "{rel} is not in toolmap::EMBEDDED"
                );
            }
        }
    }

    /// Every tool in the real containers/kubernetes-mcp-server schemas (shared/data) is mapped,
    /// and none that the server does not mark read-only is mapped as a plain read.
    #[test]
    fn every_containers_tool_is_mapped() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/mcp-tool-schemas/containers");
        let maps = ToolMap::embedded().unwrap();
        let map = maps.iter().find(|m| m.id == "containers").unwrap();
        let mut files = Vec::new();
        for sub in [dir.clone(), dir.join("at-v0.0.62")] {
            for e in std::fs::read_dir(&sub).unwrap_or_else(|e| panic!("{}: {e}", sub.display())) {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                if name.contains("-tools") && name.ends_with(".json") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() >= 8, "{files:?}");
        let mut problems = Vec::new();
        let mut mutating = 0;
        for f in files {
            let tools: Vec<Value> =
                serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            for t in tools {
                let name = t["name"].as_str().unwrap();
                let read_only = t["annotations"]["readOnlyHint"] == Value::Bool(true);
                match map.tools.get(name) {
                    None => problems.push(format!(
                        "{name} ({}) is not in rules/tools/containers.yaml",
                        f.display()
                    )),
                    Some(spec) if !read_only => {
                        mutating += 1;
                        if spec.read == Some(true) {
                            problems
                                .push(format!("{name} changes objects but is mapped as read-only"));
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        assert!(mutating > 10);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn bad_maps_get_precise_errors() {
        let e = ToolMap::load(
            "x.yaml",
            "schema: kubeautopsy.toolmap/v1\nid: x\nserver: s\ntools:\n  t: {verb: explode}\n",
        )
        .unwrap_err();
        assert_eq!(e[0].pointer.as_deref(), Some("/tools/t/verb"), "{e:?}");
        let e = ToolMap::load("x.yaml", "schema: kubeautopsy.toolmap/v1\nid: x\nserver: s\ntools:\n  t: {read: true, verb: delete}\n").unwrap_err();
        assert!(e[0].message.contains("exactly one"), "{e:?}");
        let e = ToolMap::load(
            "x.yaml",
            "schema: kubeautopsy.toolmap/v1\nid: x\nserver: s\ntools: {t: {reed: true}}\n",
        )
        .unwrap_err();
        assert!(e[0].pointer.as_deref() == Some("/tools/t"), "{e:?}");
        let e = ToolMap::load("x.yaml", "schema: [\n").unwrap_err();
        assert!(e[0].position.is_some(), "{e:?}");
    }

    #[test]
    fn failure_detection() {
        let maps = ToolMap::embedded().unwrap();
        let shell = maps.iter().find(|m| m.id == "shell").unwrap();
        assert_eq!(
            shell
                .failure(Some("pod deleted\nExit code: 1"), None, None)
                .as_deref(),
            Some("exit code 1")
        );
        assert_eq!(
            shell.failure(Some("pod deleted\nExit code: 0"), None, None),
            None
        );
        assert!(
            shell
                .failure(Some("Error from server (NotFound): x"), None, None)
                .is_some()
        );
        assert_eq!(
            shell.failure(Some("ok"), None, Some(2)).as_deref(),
            Some("exit code 2")
        );
    }
}
