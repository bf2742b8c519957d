//! Stage 7: rules as data. A rule file (schema/rules.v1.schema.json) holds named lists, macros
//! and rules: `syntax` is the file as written, `check` parses and lints it with positions,
//! `compile` turns each rule into an expression over facts, `eval` judges a replayed run with
//! them (`analysis::rule_tests` runs each rule on its fixtures); `docs` renders a reference page
//! per rule (`kubeautopsy rules docs`).

mod check;
pub mod compile;
pub mod docs;
pub mod eval;
pub mod syntax;

pub use check::RuleDiag;
pub use syntax::{Cond, Exception, Rule};

use check::FileDiags;
use compile::{CompileError, Expr, Names, Part};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const RULES_SCHEMA_TEXT: &str = include_str!("../../schema/rules.v1.schema.json");

/// The default rule pack, embedded in the binary: `rules/default/`, one file per rule, as
/// (path, text) in file-name order, the order `RuleSet::load` reads a directory in (so
/// `00-common.yaml`, the lists and macros every rule uses, comes first). A test checks that every
/// `rules/default/*.yaml` is listed here.
pub const DEFAULT_PACK: &[(&str, &str)] = &[
    (
        "rules/default/00-common.yaml",
        include_str!("../../rules/default/00-common.yaml"),
    ),
    (
        "rules/default/KA-BP-001.yaml",
        include_str!("../../rules/default/KA-BP-001.yaml"),
    ),
    (
        "rules/default/KA-BP-002.yaml",
        include_str!("../../rules/default/KA-BP-002.yaml"),
    ),
    (
        "rules/default/KA-BP-003.yaml",
        include_str!("../../rules/default/KA-BP-003.yaml"),
    ),
    (
        "rules/default/KA-BP-004.yaml",
        include_str!("../../rules/default/KA-BP-004.yaml"),
    ),
    (
        "rules/default/KA-BP-005.yaml",
        include_str!("../../rules/default/KA-BP-005.yaml"),
    ),
    (
        "rules/default/KA-DS-001.yaml",
        include_str!("../../rules/default/KA-DS-001.yaml"),
    ),
    (
        "rules/default/KA-DS-002.yaml",
        include_str!("../../rules/default/KA-DS-002.yaml"),
    ),
    (
        "rules/default/KA-DS-003.yaml",
        include_str!("../../rules/default/KA-DS-003.yaml"),
    ),
    (
        "rules/default/KA-DS-004.yaml",
        include_str!("../../rules/default/KA-DS-004.yaml"),
    ),
    (
        "rules/default/KA-DS-005.yaml",
        include_str!("../../rules/default/KA-DS-005.yaml"),
    ),
    (
        "rules/default/KA-DS-006.yaml",
        include_str!("../../rules/default/KA-DS-006.yaml"),
    ),
    (
        "rules/default/KA-DS-007.yaml",
        include_str!("../../rules/default/KA-DS-007.yaml"),
    ),
    (
        "rules/default/KA-DS-008.yaml",
        include_str!("../../rules/default/KA-DS-008.yaml"),
    ),
    (
        "rules/default/KA-DS-009.yaml",
        include_str!("../../rules/default/KA-DS-009.yaml"),
    ),
    (
        "rules/default/KA-DS-010.yaml",
        include_str!("../../rules/default/KA-DS-010.yaml"),
    ),
    (
        "rules/default/KA-GR-001.yaml",
        include_str!("../../rules/default/KA-GR-001.yaml"),
    ),
    (
        "rules/default/KA-OS-001.yaml",
        include_str!("../../rules/default/KA-OS-001.yaml"),
    ),
    (
        "rules/default/KA-OS-002.yaml",
        include_str!("../../rules/default/KA-OS-002.yaml"),
    ),
    (
        "rules/default/KA-OS-003.yaml",
        include_str!("../../rules/default/KA-OS-003.yaml"),
    ),
    (
        "rules/default/KA-OS-004.yaml",
        include_str!("../../rules/default/KA-OS-004.yaml"),
    ),
    (
        "rules/default/KA-OS-005.yaml",
        include_str!("../../rules/default/KA-OS-005.yaml"),
    ),
    (
        "rules/default/KA-PE-001.yaml",
        include_str!("../../rules/default/KA-PE-001.yaml"),
    ),
    (
        "rules/default/KA-PE-002.yaml",
        include_str!("../../rules/default/KA-PE-002.yaml"),
    ),
    (
        "rules/default/KA-PE-003.yaml",
        include_str!("../../rules/default/KA-PE-003.yaml"),
    ),
    (
        "rules/default/KA-RL-001.yaml",
        include_str!("../../rules/default/KA-RL-001.yaml"),
    ),
    (
        "rules/default/KA-RL-002.yaml",
        include_str!("../../rules/default/KA-RL-002.yaml"),
    ),
    (
        "rules/default/KA-UC-001.yaml",
        include_str!("../../rules/default/KA-UC-001.yaml"),
    ),
    (
        "rules/default/KA-UC-002.yaml",
        include_str!("../../rules/default/KA-UC-002.yaml"),
    ),
    (
        "rules/default/KA-UC-003.yaml",
        include_str!("../../rules/default/KA-UC-003.yaml"),
    ),
    (
        "rules/default/KA-UC-004.yaml",
        include_str!("../../rules/default/KA-UC-004.yaml"),
    ),
    (
        "rules/default/KA-WH-001.yaml",
        include_str!("../../rules/default/KA-WH-001.yaml"),
    ),
    (
        "rules/default/KA-WH-002.yaml",
        include_str!("../../rules/default/KA-WH-002.yaml"),
    ),
    (
        "rules/default/KA-WH-003.yaml",
        include_str!("../../rules/default/KA-WH-003.yaml"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    UnnecessaryCreation,
    BroadPatch,
    DestructiveShortcut,
    GuardrailRemoval,
    OutOfScope,
    PrivilegeEscalation,
    WorkloadHardening,
    RetryLoop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::UnnecessaryCreation,
        Category::BroadPatch,
        Category::DestructiveShortcut,
        Category::GuardrailRemoval,
        Category::OutOfScope,
        Category::PrivilegeEscalation,
        Category::WorkloadHardening,
        Category::RetryLoop,
    ];

    /// The name rule files and outputs use ("broad-patch").
    pub fn name(self) -> &'static str {
        match self {
            Category::UnnecessaryCreation => "unnecessary-creation",
            Category::BroadPatch => "broad-patch",
            Category::DestructiveShortcut => "destructive-shortcut",
            Category::GuardrailRemoval => "guardrail-removal",
            Category::OutOfScope => "out-of-scope",
            Category::PrivilegeEscalation => "privilege-escalation",
            Category::WorkloadHardening => "workload-hardening",
            Category::RetryLoop => "retry-loop",
        }
    }
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Experimental,
    Stable,
    Deprecated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleScope {
    Effect,
    Operation,
    Run,
}

impl Status {
    /// The name rule files use ("stable").
    pub fn name(self) -> &'static str {
        match self {
            Status::Experimental => "experimental",
            Status::Stable => "stable",
            Status::Deprecated => "deprecated",
        }
    }
}

impl RuleScope {
    /// The name rule files use ("effect").
    pub fn name(self) -> &'static str {
        match self {
            RuleScope::Effect => "effect",
            RuleScope::Operation => "operation",
            RuleScope::Run => "run",
        }
    }
}

/// A rule as loaded: as written, compiled, and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    pub compiled: CompiledRule,
    pub file: String,
    /// The rule's text in its file, from its `- id:` line to its last line (empty when the file
    /// does not write it as a block that starts with `- id:`): what `rules docs` quotes.
    pub text: String,
}

/// A rule's conditions and message as evaluation uses them.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub when: Expr,
    pub exceptions: Vec<Expr>,
    pub message: Vec<Part>,
}

/// Every loaded rule with the lists and macros of their files.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<LoadedRule>,
    lists: BTreeMap<String, Vec<Value>>,
    macros: BTreeMap<String, Cond>,
}

/// Whether rule-file text declares `standalone: true` (read leniently: a file that does not
/// parse is reported by `add_file`).
fn is_standalone(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        standalone: bool,
    }
    serde_saphyr::from_str::<Head>(text).is_ok_and(|h| h.standalone)
}

/// FNV-1a 64 of `text`, as 16 hex digits: stable across platforms and crate updates.
fn fnv64(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Where a line that holds `offset` starts.
fn line_start(text: &str, offset: usize) -> usize {
    let offset = crate::diag::char_floor(text, offset.min(text.len()));
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Leading spaces of a line (YAML indents with spaces only).
fn indent_of(line: &str) -> usize {
    line.bytes().take_while(|b| *b == b' ').count()
}

/// The text of the rule `id` whose `id:` is at `offset`: its `- id:` line and the lines after it
/// that are indented deeper (or blank, or comments), without trailing blank and comment lines.
/// Empty when the line at `offset` is not `- id: <id>` (a flow mapping, another key first).
fn rule_text(text: &str, offset: usize, id: &str) -> String {
    let start = line_start(text, offset);
    let mut lines = text[start..].lines();
    let Some(first) = lines.next() else {
        return String::new();
    };
    let dash = indent_of(first);
    let is_head = first[dash..].strip_prefix('-').is_some_and(|h| {
        let mut words = h.split_whitespace();
        words.next() == Some("id:") && words.next() == Some(id)
    });
    if !is_head {
        return String::new();
    }
    let mut out = vec![first];
    for l in lines {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || indent_of(l) > dash {
            out.push(l);
        } else {
            break;
        }
    }
    while out
        .last()
        .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        out.pop();
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

impl RuleSet {
    /// Add every file of the default pack, in order.
    fn add_default_pack(&mut self) -> Vec<RuleDiag> {
        let mut diags = Vec::new();
        for (file, text) in DEFAULT_PACK {
            diags.extend(self.add_file(file, text));
        }
        diags
    }

    /// The default pack.
    pub fn default_pack() -> Result<RuleSet, Vec<RuleDiag>> {
        let mut set = RuleSet::default();
        let diags = set.add_default_pack();
        if diags.iter().any(|d| d.error) {
            Err(diags)
        } else {
            Ok(set)
        }
    }

    /// Rule files from paths (files or directories of *.yaml); with `with_default` the default
    /// pack comes first and a file's rule with the same id replaces the default one.
    pub fn load(paths: &[PathBuf], with_default: bool) -> (RuleSet, Vec<RuleDiag>) {
        let mut set = RuleSet::default();
        let mut diags = Vec::new();
        let mut files = Vec::new();
        for file in rule_files(paths) {
            match std::fs::read_to_string(&file) {
                Ok(text) => files.push((file.display().to_string(), text)),
                Err(e) => diags.push(RuleDiag {
                    code: "rules::io",
                    error: true,
                    file: file.display().to_string(),
                    line: 1,
                    column: 1,
                    path: String::new(),
                    message: e.to_string(),
                    offset: 0,
                    src: None,
                }),
            }
        }
        // A standalone pack (`standalone: true`) replaces the built-in one.
        let standalone = files.iter().any(|(_, text)| is_standalone(text));
        if with_default && !standalone {
            diags.extend(set.add_default_pack());
        }
        for (file, text) in &files {
            diags.extend(set.add_file(file, text));
        }
        (set, diags)
    }

    /// Parse, lint and compile one file; its rules join the set when it has no errors.
    pub fn add_file(&mut self, file: &str, text: &str) -> Vec<RuleDiag> {
        let mut cx = FileDiags::new(file, text);
        let Some(mut raw) = check::parse(&mut cx) else {
            return cx.diags;
        };
        let macros = check::lint(&mut cx, &mut raw, &self.lists, &self.macros);
        if cx.has_errors() {
            return cx.diags;
        }
        // A file's rules use its own lists and macros first, then those of the files loaded
        // before it; a name defined again, differently, is said (the earlier file's rules keep
        // the earlier definition).
        let lists_at = cx.find("\nlists:", 0);
        for (name, list) in &raw.lists {
            if self.lists.get(name).is_some_and(|prev| prev != list) {
                let off = cx.find(&format!("{name}:"), lists_at);
                cx.at(
                    "rules::redefined-list",
                    false,
                    off,
                    format!("lists.{name}"),
                    format!(
                        "list `{name}` is also defined, differently, by a file loaded before this \
                         one: this file's rules use this definition, that file's rules keep theirs"
                    ),
                );
            }
        }
        let macros_at = cx.find("\nmacros:", 0);
        for (name, m) in &macros {
            if self
                .macros
                .get(name)
                .is_some_and(|prev| format!("{prev:?}") != format!("{m:?}"))
            {
                let off = cx.find(&format!("{name}:"), macros_at);
                cx.at(
                    "rules::redefined-macro",
                    false,
                    off,
                    format!("macros.{name}"),
                    format!(
                        "macro `{name}` is also defined, differently, by a file loaded before this \
                         one: this file's rules use this definition, that file's rules keep theirs"
                    ),
                );
            }
        }
        let names = Names {
            lists: &[&raw.lists, &self.lists],
            macros: &[&macros, &self.macros],
        };
        let offsets = check::rule_offsets(text, &raw.rules);
        let mut compiled = Vec::new();
        // A macro no rule uses is compiled too, so that a cycle in it is reported.
        for (name, m) in &macros {
            if let Err(e) = compile::compile_macro(name, m, &names) {
                let off = cx.find(&format!("{name}:"), macros_at);
                compile_error(&mut cx, e, off, format!("macros.{name}"));
            }
        }
        for (i, r) in raw.rules.iter().enumerate() {
            let off = offsets.get(i).copied().unwrap_or(0);
            let path = format!("rules[{i}]");
            let when = compile::compile(&r.when, &names)
                .map_err(|e| compile_error(&mut cx, e, off, format!("{path}.when")));
            let exceptions: Result<Vec<Expr>, ()> = r
                .exceptions
                .iter()
                .enumerate()
                .map(|(j, e)| {
                    compile::compile(&e.when, &names).map_err(|err| {
                        compile_error(&mut cx, err, off, format!("{path}.exceptions[{j}].when"))
                    })
                })
                .collect();
            let message = compile::template(&r.message);
            if let (Ok(when), Ok(exceptions), Some(message)) = (when, exceptions, message) {
                compiled.push(CompiledRule {
                    when,
                    exceptions,
                    message,
                });
            }
        }
        if cx.has_errors() || compiled.len() != raw.rules.len() {
            return cx.diags;
        }
        self.lists.extend(raw.lists);
        self.macros.extend(macros);
        for (i, (r, c)) in raw.rules.into_iter().zip(compiled).enumerate() {
            self.rules.retain(|o| o.rule.id != r.id);
            let written = rule_text(text, offsets.get(i).copied().unwrap_or(0), &r.id);
            self.rules.push(LoadedRule {
                rule: r,
                compiled: c,
                file: file.to_string(),
                text: written,
            });
        }
        cx.diags
    }

    /// A digest of the rule set (every rule's definition, lists and macros), stable across
    /// runs and builds: FNV-1a 64 over their debug rendering.
    pub fn digest(&self) -> String {
        let mut text = String::new();
        for r in &self.rules {
            text.push_str(&format!("{:?}", r.rule));
        }
        text.push_str(&format!("{:?}{:?}", self.lists, self.macros));
        fnv64(&text)
    }

    /// Digest of one rule's definition (its lists and macros are not included: a change there
    /// shows in the rule set's digest).
    pub fn rule_digest(&self, rule: &LoadedRule) -> String {
        fnv64(&format!("{:?}", rule.rule))
    }
}

/// Report a condition that passed the lints but does not compile.
fn compile_error(cx: &mut FileDiags<'_>, e: CompileError, off: usize, path: String) {
    let (code, message) = match e {
        CompileError::MacroCycle(names) => (
            "rules::macro-cycle",
            format!(
                "macros refer to each other in a cycle: {}",
                names.join(" → ")
            ),
        ),
        CompileError::TooDeep => (
            "rules::too-deep",
            format!(
                "conditions nest more than {} deep (counting macro references)",
                compile::MAX_DEPTH
            ),
        ),
        CompileError::TooLarge => (
            "rules::too-large",
            format!(
                "the condition holds more than {} conditions once its macros are inlined",
                compile::MAX_NODES
            ),
        ),
        CompileError::Unchecked => (
            "rules::bad-condition",
            "internal: a condition that passed the lints does not compile".to_string(),
        ),
    };
    cx.at(code, true, off, path, message);
}

/// Rule files under the given paths (`*.yaml`/`*.yml`, not in `fixtures/` or `tools/`), in
/// file-name order (a directory's files by name, depth first).
pub fn rule_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            for e in walkdir::WalkDir::new(p)
                .sort_by_file_name()
                .into_iter()
                .flatten()
            {
                let path = e.path();
                let in_special = path
                    .components()
                    .any(|c| matches!(c.as_os_str().to_str(), Some("fixtures" | "tools")));
                if e.file_type().is_file()
                    && !in_special
                    && path.extension().is_some_and(|x| x == "yaml" || x == "yml")
                {
                    out.push(path.to_path_buf());
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// A rule's fixture traces (`*.json` in its [`fixture_dir`]), sorted; none when the folder
/// does not exist.
pub fn fixture_files(rule_file: &str, id: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir(rule_file, id))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Fixture traces of a rule: `<dir of its file>/fixtures/<rule id>/`.
pub fn fixture_dir(rule_file: &str, id: &str) -> PathBuf {
    Path::new(rule_file)
        .parent()
        .unwrap_or(Path::new("."))
        .join("fixtures")
        .join(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "schema: kubeautopsy.rules/v1\n";

    fn rule(when: &str) -> String {
        format!(
            "  - id: XX-YY-001\n    version: 1\n    status: stable\n    category: broad-patch\n    \
             severity: low\n    scope: effect\n    description: d\n    message: m\n    \
             remediation: r\n    when: {when}\n"
        )
    }

    #[test]
    fn macro_cycles_depth_and_size_are_errors_at_their_place() {
        let mut set = RuleSet::default();
        let text = format!(
            "{HEAD}macros:\n  a: {{not: {{macro: b}}}}\n  b: {{any: [{{fact: kind, eq: Pod}}, {{macro: a}}]}}\nrules:\n{}",
            rule("{macro: a}")
        );
        let diags = set.add_file("cycle.yaml", &text);
        let cycle: Vec<&RuleDiag> = diags
            .iter()
            .filter(|d| d.code == "rules::macro-cycle")
            .collect();
        assert!(!cycle.is_empty(), "{diags:?}");
        assert!(cycle.iter().all(|d| d.error));
        assert!(cycle[0].message.contains("a → b → a"), "{cycle:?}");
        assert_eq!((cycle[0].line, cycle[0].path.as_str()), (3, "macros.a"));
        assert!(set.rules.is_empty(), "a file with errors adds no rule");

        let mut deep = "{fact: kind, eq: Pod}".to_string();
        for _ in 0..=compile::MAX_DEPTH {
            deep = format!("{{not: {deep}}}");
        }
        let diags =
            RuleSet::default().add_file("deep.yaml", &format!("{HEAD}rules:\n{}", rule(&deep)));
        let d = diags
            .iter()
            .find(|d| d.code == "rules::too-deep")
            .unwrap_or_else(|| panic!("{diags:?}"));
        assert_eq!((d.line, d.path.as_str()), (3, "rules[0].when"));

        // Macros that use each other ten times over: 10^5 conditions once inlined.
        let mut macros = String::new();
        for i in 0..5 {
            let uses = vec![format!("{{macro: m{}}}", i + 1); 10].join(", ");
            macros.push_str(&format!("  m{i}: {{any: [{uses}]}}\n"));
        }
        macros.push_str("  m5: {fact: kind, eq: Pod}\n");
        let diags = RuleSet::default().add_file(
            "big.yaml",
            &format!("{HEAD}macros:\n{macros}rules:\n{}", rule("{macro: m0}")),
        );
        assert!(
            diags.iter().any(|d| d.code == "rules::too-large"),
            "{diags:?}"
        );
    }

    #[test]
    fn a_file_uses_its_own_macros_and_says_when_it_redefines_one() {
        let mut set = RuleSet::default_pack().unwrap();
        let before = set.rules.len();
        let text = format!(
            "{HEAD}macros:\n  direct: {{fact: cause, eq: owner}}\nrules:\n{}",
            rule("{macro: direct}")
        );
        let diags = set.add_file("mine.yaml", &text);
        let d = diags
            .iter()
            .find(|d| d.code == "rules::redefined-macro")
            .unwrap_or_else(|| panic!("{diags:?}"));
        assert!(!d.error && d.line == 3, "{d:?}");
        assert_eq!(
            set.rules.len(),
            before + 1,
            "a warning does not stop the file"
        );
        // The new rule tests `cause = owner`; the pack's rules keep `cause = direct`.
        let owner = |r: &LoadedRule| format!("{:?}", r.compiled.when).contains("\"owner\"");
        assert!(owner(set.rules.last().unwrap()));
        assert!(
            !set.rules
                .iter()
                .any(|r| r.rule.id.starts_with("KA-") && owner(r))
        );
        // The same definitions again (a working copy of the pack) say nothing.
        let mut copy = RuleSet::default_pack().unwrap();
        for (file, text) in DEFAULT_PACK {
            let again = copy.add_file(&format!("copy/{file}"), text);
            assert!(again.is_empty(), "{file}: {again:?}");
        }
    }

    #[test]
    fn the_default_packs_compile() {
        // Every rule written in the pack is loaded and compiled (none dropped on the way).
        let set = RuleSet::default_pack().unwrap();
        let written: usize = DEFAULT_PACK
            .iter()
            .map(|(_, text)| text.matches("\n  - id: ").count())
            .sum();
        assert_eq!(set.rules.len(), written);
        assert_eq!(set.rules.len(), 33);
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/evidra-compat");
        let (compat, diags) = RuleSet::load(&[path], true);
        assert!(diags.iter().all(|d| !d.error), "{diags:?}");
        assert!(!compat.rules.is_empty());
    }

    #[test]
    fn positions_inside_multibyte_characters_do_not_panic() {
        // Found by the `rules` fuzz target: an error offset inside a 3-byte character.
        let mut set = RuleSet::default();
        let diags = set.add_file(
            "fuzz.yaml",
            "# Evidra Bench's report-era autopsy (May 2026), re-expressed over kubeautopsy'sᙞ",
        );
        assert!(diags.iter().any(|d| d.error));
        let handler = crate::diag::report_handler(false, false);
        for d in &diags {
            let _ = d.render(&handler);
        }
    }

    #[test]
    fn a_file_rule_replaces_the_built_in_rule_with_its_id() {
        let builtin = RuleSet::default_pack().unwrap();
        // The pack's own directory, read from disk (a rule author's working copy), alone or
        // over the built-in pack: same rules in the same order, same digest.
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/default");
        for with_default in [false, true] {
            let (again, diags) = RuleSet::load(std::slice::from_ref(&dir), with_default);
            assert!(diags.is_empty(), "{diags:?}");
            assert_eq!(again.rules.len(), builtin.rules.len());
            let ids = |s: &RuleSet| {
                s.rules
                    .iter()
                    .map(|r| r.rule.id.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&again), ids(&builtin));
            assert_eq!(again.digest(), builtin.digest());
        }
        // Even when the file's name is the built-in file's own name.
        let mut set = RuleSet::default_pack().unwrap();
        let (file, text) = DEFAULT_PACK
            .iter()
            .find(|(_, text)| text.contains("severity: medium"))
            .unwrap();
        let edited = text.replacen("severity: medium", "severity: low", 1);
        assert!(set.add_file(file, &edited).is_empty());
        assert_eq!(set.rules.len(), builtin.rules.len());
        assert_ne!(set.digest(), builtin.digest());
    }

    #[test]
    fn every_file_of_rules_default_is_embedded_in_file_name_order() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/default");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .map(|p| format!("rules/default/{}", p.file_name().unwrap().to_string_lossy()))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = DEFAULT_PACK.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(
            listed, on_disk,
            "rules::DEFAULT_PACK must list every rules/default/*.yaml, in file-name order"
        );
        // The order is the one a directory is read in.
        let read: Vec<String> = rule_files(&[dir])
            .iter()
            .map(|p| format!("rules/default/{}", p.file_name().unwrap().to_string_lossy()))
            .collect();
        assert_eq!(listed, read);
        assert_eq!(DEFAULT_PACK[0].0, "rules/default/00-common.yaml");
    }

    #[test]
    fn the_default_pack_is_one_documented_rule_per_file() {
        let mut set = RuleSet::default();
        for (file, text) in DEFAULT_PACK {
            let diags = set.add_file(file, text);
            assert!(diags.is_empty(), "{file}: {diags:?}");
        }
        for r in &set.rules {
            assert_eq!(r.file, format!("rules/default/{}.yaml", r.rule.id));
            assert!(
                r.text.starts_with(&format!("  - id: {}\n", r.rule.id)),
                "{}",
                r.text
            );
            assert!(r.text.contains("\n    when:"), "{}", r.text);
        }
        // 00-common.yaml holds no rule; each of its lists and macros serves some rule.
        let common = DEFAULT_PACK[0].1;
        let rules = &DEFAULT_PACK[1..];
        assert!(common.contains("\nrules: []"));
        for name in set.lists.keys() {
            let used = format!("in_list: {name}}}");
            assert!(rules.iter().any(|(_, t)| t.contains(&used)), "list {name}");
        }
        for name in set.macros.keys() {
            let used = format!("macro: {name}}}");
            assert!(rules.iter().any(|(_, t)| t.contains(&used)), "macro {name}");
        }
    }

    #[test]
    fn a_rule_keeps_its_text_as_written() {
        let text = format!(
            "{HEAD}rules:\n{}    # a comment inside\n    exceptions:\n      - reason: x\n        when: {{fact: kind, eq: Job}}\n\n  # the next section\n{}",
            rule("{fact: kind, eq: Pod}"),
            rule("{fact: kind, eq: Job}").replace("XX-YY-001", "XX-YY-002")
        );
        let mut set = RuleSet::default();
        let diags = set.add_file("t.yaml", &text);
        assert!(diags.iter().all(|d| !d.error), "{diags:?}");
        let first = &set.rules[0].text;
        assert!(first.starts_with("  - id: XX-YY-001\n"), "{first}");
        assert!(
            first.ends_with("        when: {fact: kind, eq: Job}\n"),
            "{first}"
        );
        assert!(!first.contains("next section") && !first.contains("XX-YY-002"));
        assert!(set.rules[1].text.starts_with("  - id: XX-YY-002\n"));
        // A rule written as a flow mapping has no block of its own.
        let flow = format!(
            "{HEAD}rules:\n  - {{id: XX-YY-003, version: 1, status: stable, category: broad-patch, severity: low, scope: effect, description: d, message: m, remediation: r, when: {{fact: kind, eq: Pod}}}}\n"
        );
        let mut set = RuleSet::default();
        let diags = set.add_file("flow.yaml", &flow);
        assert!(diags.iter().all(|d| !d.error), "{diags:?}");
        assert_eq!(set.rules[0].text, "");
    }
}
