//! Tool maps (rules/tools/*.yaml, schema/toolmap.v1.schema.json): how an MCP server's tools
//! become operations. `format` is the file as written; `load` validates it against the schema
//! and the rules the schema cannot say and turns it into the typed map below (a tool's kind of
//! action, constant verbs and patch types, the arguments it reads, compiled regexes);
//! `eval` reads a call's arguments through a tool's template.

pub mod eval;
pub mod format;
mod load;

pub use format::{ArgNames, ArgRef, ArgvPart, Condition, JsonField, ValueSpec};

use super::{PatchType, Verb};
use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub const TOOLMAP_SCHEMA_TEXT: &str = include_str!("../../../schema/toolmap.v1.schema.json");

/// The maps shipped in the binary. A test checks that every file in rules/tools/ is listed.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "rules/tools/aks.yaml",
        include_str!("../../../rules/tools/aks.yaml"),
    ),
    (
        "rules/tools/alexei-led.yaml",
        include_str!("../../../rules/tools/alexei-led.yaml"),
    ),
    (
        "rules/tools/codex.yaml",
        include_str!("../../../rules/tools/codex.yaml"),
    ),
    (
        "rules/tools/containers.yaml",
        include_str!("../../../rules/tools/containers.yaml"),
    ),
    (
        "rules/tools/eks.yaml",
        include_str!("../../../rules/tools/eks.yaml"),
    ),
    (
        "rules/tools/flux159.yaml",
        include_str!("../../../rules/tools/flux159.yaml"),
    ),
    (
        "rules/tools/gemini-cli.yaml",
        include_str!("../../../rules/tools/gemini-cli.yaml"),
    ),
    (
        "rules/tools/k8s-audit.yaml",
        include_str!("../../../rules/tools/k8s-audit.yaml"),
    ),
    (
        "rules/tools/kagent.yaml",
        include_str!("../../../rules/tools/kagent.yaml"),
    ),
    (
        "rules/tools/kubectl-ai.yaml",
        include_str!("../../../rules/tools/kubectl-ai.yaml"),
    ),
    (
        "rules/tools/opencode.yaml",
        include_str!("../../../rules/tools/opencode.yaml"),
    ),
    (
        "rules/tools/rohitg00.yaml",
        include_str!("../../../rules/tools/rohitg00.yaml"),
    ),
    (
        "rules/tools/sregym.yaml",
        include_str!("../../../rules/tools/sregym.yaml"),
    ),
    (
        "rules/tools/shell.yaml",
        include_str!("../../../rules/tools/shell.yaml"),
    ),
];

/// One tool server's vocabulary, checked and typed.
#[derive(Debug, Clone)]
pub struct ToolMap {
    pub id: String,
    pub server: String,
    pub aliases: Vec<String>,
    /// Lower first when several maps define a tool of the same name.
    pub priority: i64,
    /// The namespace of calls that name none (else the session's, else `default`).
    pub default_namespace: Option<String>,
    pub errors: ErrorRules,
    pub tools: BTreeMap<String, Tool>,
}

/// How the server says a call failed.
#[derive(Debug, Clone, Default)]
pub struct ErrorRules {
    pub text_prefixes: Vec<String>,
    /// `errors.exit_code_regex`, compiled (its first group is the exit code).
    pub exit_code: Option<Regex>,
    pub json_fields: Vec<JsonField>,
}

/// One tool.
#[derive(Debug, Clone)]
pub struct Tool {
    pub spec: Spec,
    /// Every top-level argument name the tool (and its cases) reads: how well a call's
    /// arguments fit it, when several maps define a tool of the same name.
    pub arg_names: BTreeSet<String>,
}

/// What a tool does, or the cases that decide it.
#[derive(Debug, Clone)]
pub enum Spec {
    Action(Action),
    /// The first case whose condition holds (a case without one always does).
    Cases(Vec<Case>),
}

#[derive(Debug, Clone)]
pub struct Case {
    pub when: Option<Condition>,
    pub spec: Spec,
}

/// What a call of the tool becomes.
#[derive(Debug, Clone)]
pub enum Action {
    /// Reads only.
    Read,
    /// Cannot touch the cluster (workspace files, a todo list, submitting an answer).
    Local,
    /// One operation from the template.
    Template(Box<Template>),
    /// A change whose target is not known offline (why, and the target fields it gives).
    Unresolved {
        why: String,
        template: Box<Template>,
    },
    /// A shell or kubectl command line taken from an argument (`program` is put in front when
    /// the line does not start with it).
    Command {
        line: ArgRef,
        program: Option<String>,
    },
    /// A command line built from the arguments (`program`: kubectl unless said).
    Argv {
        parts: Vec<ArgvPart>,
        program: Option<String>,
    },
}

/// Where each field of an operation comes from: the tool's value fields as written, with its
/// verb and patch type typed.
#[derive(Debug, Clone)]
pub struct Template {
    /// `None` for `unresolved` tools (their operations are `mutate`).
    pub verb: Option<VerbSpec>,
    pub patch_type: Option<PatchTypeSpec>,
    /// Every other field (`kind`, `name`, `namespace`, `manifest`, `patch`...); its `verb`,
    /// `patch_type` and action keys are not read.
    pub fields: format::ToolSpec,
}

/// The verb of a template: a constant, or an argument (its `map` values are verbs, checked at
/// load; a value not in the map is read as a verb name).
#[derive(Debug, Clone)]
pub enum VerbSpec {
    Const(Verb),
    Arg {
        arg: ArgRef,
        map: BTreeMap<String, Verb>,
    },
}

/// The patch type of a template: a constant, or an argument (strategic when it names none).
#[derive(Debug, Clone)]
pub enum PatchTypeSpec {
    Const(PatchType),
    Arg(ArgRef),
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

impl ToolMap {
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
            let re = self.errors.exit_code.as_ref()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
        let Some(dir) = crate::testdata::shared_data(
            "every_containers_tool_is_mapped",
            "mcp-tool-schemas/containers",
        ) else {
            return;
        };
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
                    Some(tool) if !read_only => {
                        mutating += 1;
                        if matches!(tool.spec, Spec::Action(Action::Read)) {
                            problems
                                .push(format!("{name} changes objects but is mapped as read-only"));
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        assert!(mutating > 10);
        // The tools the server offered (summary.mcpServers[].tools) and the tools called
        // (callHistory) in every mcpchecker result its CI committed.
        let results = dir.join("../../real/kubernetes-mcp-server-mcpchecker");
        let mut result_files = Vec::new();
        for sub in [results.clone(), results.join("history")] {
            if let Ok(entries) = std::fs::read_dir(&sub) {
                for e in entries.flatten() {
                    if e.path().extension().is_some_and(|x| x == "json") {
                        result_files.push(e.path());
                    }
                }
            }
        }
        let mut recorded = std::collections::BTreeSet::new();
        for f in &result_files {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            let servers = doc["summary"]["mcpServers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for t in servers
                .iter()
                .flat_map(|s| s["tools"].as_array().cloned().unwrap_or_default())
            {
                recorded.insert(t["name"].as_str().unwrap().to_string());
            }
            let tasks = doc
                .as_array()
                .or(doc["results"].as_array())
                .cloned()
                .unwrap_or_default();
            for c in tasks.iter().flat_map(|r| {
                r["callHistory"]["ToolCalls"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            }) {
                recorded.insert(c["name"].as_str().unwrap().to_string());
            }
        }
        if !result_files.is_empty() {
            assert!(recorded.len() > 30, "{recorded:?}");
        }
        for name in &recorded {
            if !map.tools.contains_key(name) {
                problems.push(format!("{name}, recorded in the mcpchecker results, is not in rules/tools/containers.yaml"));
            }
        }
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
        // Every problem of a tool is reported in one pass.
        let e = ToolMap::load(
            "x.yaml",
            "schema: kubeautopsy.toolmap/v1\nid: x\nserver: s\ntools:\n  t: {verb: explode, patch_type: bogus}\n",
        )
        .unwrap_err();
        let at: Vec<&str> = e.iter().filter_map(|e| e.pointer.as_deref()).collect();
        assert_eq!(at, ["/tools/t/verb", "/tools/t/patch_type"], "{e:?}");
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
