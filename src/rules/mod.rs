//! Stage 7: rules as data. A rule file (schema/rules.v1.schema.json) holds named lists, macros
//! and rules: `syntax` is the file as written, `check` parses and lints it with positions,
//! `compile` turns each rule into an expression over facts, `eval` judges a replayed run with
//! them (`analysis::rule_tests` runs each rule on its fixtures).

mod check;
pub mod compile;
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

/// The default rule pack, embedded in the binary.
pub const DEFAULT_PACK: (&str, &str) = (
    "rules/default.yaml",
    include_str!("../../rules/default.yaml"),
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    UnnecessaryCreation,
    BroadPatch,
    DestructiveShortcut,
    GuardrailRemoval,
    OutOfScope,
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
    pub const ALL: [Category; 6] = [
        Category::UnnecessaryCreation,
        Category::BroadPatch,
        Category::DestructiveShortcut,
        Category::GuardrailRemoval,
        Category::OutOfScope,
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

/// A rule as loaded: as written, compiled, and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    pub compiled: CompiledRule,
    pub file: String,
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

impl RuleSet {
    /// The default pack.
    pub fn default_pack() -> Result<RuleSet, Vec<RuleDiag>> {
        let mut set = RuleSet::default();
        let diags = set.add_file(DEFAULT_PACK.0, DEFAULT_PACK.1);
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
            diags.extend(set.add_file(DEFAULT_PACK.0, DEFAULT_PACK.1));
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
        for (r, c) in raw.rules.into_iter().zip(compiled) {
            self.rules.retain(|o| o.rule.id != r.id);
            self.rules.push(LoadedRule {
                rule: r,
                compiled: c,
                file: file.to_string(),
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

/// Rule files under the given paths (`*.yaml`/`*.yml`, not in `fixtures/`), sorted.
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
        // The same definition again (a working copy of the pack) says nothing.
        let again = RuleSet::default_pack()
            .unwrap()
            .add_file("copy.yaml", DEFAULT_PACK.1);
        assert!(
            !again.iter().any(|d| d.code.starts_with("rules::redefined")),
            "{again:?}"
        );
    }

    #[test]
    fn the_default_packs_compile() {
        // Every rule written in the pack is loaded and compiled (none dropped on the way).
        let set = RuleSet::default_pack().unwrap();
        assert_eq!(
            set.rules.len(),
            DEFAULT_PACK.1.matches("\n  - id: ").count()
        );
        assert_eq!(set.rules.len(), 24);
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
        // The pack's own file, given again (a rule author's working copy): same rules, same digest.
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PACK.0);
        let (again, diags) = RuleSet::load(&[path], true);
        assert!(diags.iter().all(|d| !d.error), "{diags:?}");
        assert_eq!(again.rules.len(), builtin.rules.len());
        assert_eq!(again.digest(), builtin.digest());
        // Even when the file's name is the built-in pack's own name.
        let mut set = RuleSet::default_pack().unwrap();
        let edited = DEFAULT_PACK
            .1
            .replacen("severity: medium", "severity: low", 1);
        assert!(set.add_file(DEFAULT_PACK.0, &edited).is_empty());
        assert_eq!(set.rules.len(), builtin.rules.len());
        assert_ne!(set.digest(), builtin.digest());
    }
}
