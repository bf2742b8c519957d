//! Stage 7: rules as data. A rule file (schema/rules.v1.schema.json) holds named lists, macros
//! and rules; `load` parses and lints it with positions; `eval` judges a replayed run.

pub mod eval;
pub mod test;

use crate::model::facts::{FACTS, FactScope};
use miette::{Diagnostic, GraphicalReportHandler, LabeledSpan, NamedSource, SourceSpan};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
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

impl Severity {
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

/// A condition (see the schema): exactly one form is set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cond {
    pub all: Option<Vec<Cond>>,
    pub any: Option<Vec<Cond>>,
    pub not: Option<Box<Cond>>,
    #[serde(rename = "macro")]
    pub macro_: Option<String>,
    pub fact: Option<String>,
    pub eq: Option<Value>,
    pub ne: Option<Value>,
    #[serde(rename = "in")]
    pub in_: Option<Vec<Value>>,
    pub in_list: Option<String>,
    pub gt: Option<f64>,
    pub ge: Option<f64>,
    pub lt: Option<f64>,
    pub le: Option<f64>,
    pub matches: Option<String>,
    pub any_matches: Option<String>,
    pub contains: Option<Value>,
    pub unknown: Option<bool>,
    /// Compiled `matches` / `any_matches`.
    #[serde(skip)]
    pub regex: Option<Regex>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub reason: String,
    pub when: Cond,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub version: u32,
    pub status: Status,
    pub category: Category,
    pub severity: Severity,
    pub scope: RuleScope,
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    pub message: String,
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub false_positives: Option<String>,
    pub when: Cond,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFileRaw {
    schema: String,
    /// The file is a pack of its own: loading it leaves the built-in pack out (read by
    /// `is_standalone` before the files are loaded; accepted here).
    #[serde(default, rename = "standalone")]
    _standalone: bool,
    #[serde(default)]
    lists: BTreeMap<String, Vec<Value>>,
    #[serde(default)]
    macros: BTreeMap<String, Cond>,
    rules: Vec<Rule>,
}

/// A rule as loaded, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    pub file: String,
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

/// A problem in a rule file.
#[derive(Debug, Clone, Serialize)]
pub struct RuleDiag {
    /// Stable code, e.g. `rules::unknown-fact`.
    pub code: &'static str,
    pub error: bool,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Where in the file's structure (e.g. `rules[2].when.all[1]`).
    pub path: String,
    pub message: String,
    #[serde(skip)]
    offset: usize,
    /// The file's text, named, for the snippet.
    #[serde(skip)]
    src: Option<std::sync::Arc<NamedSource<String>>>,
}

impl RuleDiag {
    pub fn render(&self, handler: &GraphicalReportHandler) -> String {
        let mut out = String::new();
        if handler.render_report(&mut out, self).is_err() {
            out = format!(
                "{}:{}:{}: {}\n",
                self.file, self.line, self.column, self.message
            );
        }
        out
    }
}

impl fmt::Display for RuleDiag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.error { "error" } else { "warning" };
        write!(
            f,
            "{}:{}:{}: {kind}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if !self.path.is_empty() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleDiag {}

impl Diagnostic for RuleDiag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.error {
            miette::Severity::Error
        } else {
            miette::Severity::Warning
        })
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_deref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let text = self.src.as_ref()?.inner();
        let start = crate::diag::char_floor(text, self.offset);
        let len = text[start..]
            .find('\n')
            .unwrap_or(text.len() - start)
            .clamp(0, 60);
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(
                Some(self.code.to_string()),
                SourceSpan::from(start..start + len),
            ),
        )))
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = crate::diag::char_floor(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = offset - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (off + col.saturating_sub(1)).min(text.len());
        }
        off += l.len();
    }
    text.len()
}

/// Collects diagnostics for one file, positioning them by searching its text.
struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    src: std::sync::Arc<NamedSource<String>>,
    diags: Vec<RuleDiag>,
}

impl Ctx<'_> {
    fn at(
        &mut self,
        code: &'static str,
        error: bool,
        offset: usize,
        path: String,
        message: String,
    ) {
        let (line, column) = line_col(self.text, offset);
        self.diags.push(RuleDiag {
            code,
            error,
            file: self.file.to_string(),
            line,
            column,
            path,
            message,
            offset,
            src: Some(self.src.clone()),
        });
    }

    /// Offset of `needle` in the text at or after `from`, else `from`.
    fn find(&self, needle: &str, from: usize) -> usize {
        self.text
            .get(from..)
            .and_then(|t| t.find(needle))
            .map_or(from, |i| from + i)
    }
}

/// Where each rule's text starts (by its `id:` line), to position lints.
fn rule_offsets(text: &str, rules: &[Rule]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    for r in rules {
        let needle = format!("id: {}", r.id);
        let off = text[from..].find(&needle).map_or(from, |i| from + i);
        out.push(off);
        from = off + 1;
    }
    out
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

    /// Parse and lint one file; its rules join the set when it has no errors.
    pub fn add_file(&mut self, file: &str, text: &str) -> Vec<RuleDiag> {
        let mut cx = Ctx {
            file,
            text,
            src: std::sync::Arc::new(NamedSource::new(file, text.to_string())),
            diags: Vec::new(),
        };
        let raw: RuleFileRaw = match serde_saphyr::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let (line, col) = e
                    .location()
                    .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
                let mut msg = e.to_string();
                if let Some(i) = msg.find('\n') {
                    msg.truncate(i);
                }
                // "error: line 4 column 5: unknown field ..." → "unknown field ..."
                if let Some(i) = msg.find(": ").filter(|_| msg.starts_with("error: line ")) {
                    let rest = &msg[i + 2..];
                    msg = rest.split_once(": ").map_or(rest, |(_, m)| m).to_string();
                }
                let code = if msg.contains("unknown field") {
                    "rules::unknown-field"
                } else if msg.contains("unknown variant")
                    || msg.contains("invalid type")
                    || msg.contains("missing field")
                {
                    "rules::schema"
                } else {
                    "rules::yaml"
                };
                let off = offset_of(text, line, col);
                cx.at(code, true, off, String::new(), msg);
                return cx.diags;
            }
        };
        if raw.schema != "kubeautopsy.rules/v1" {
            let off = cx.find("schema:", 0);
            cx.at(
                "rules::schema",
                true,
                off,
                "schema".into(),
                format!("expected \"kubeautopsy.rules/v1\", found {:?}", raw.schema),
            );
        }
        let mut raw = raw;
        let offsets = rule_offsets(text, &raw.rules);
        let id_re = Regex::new(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$").ok();
        // Lists and macros of this file are checked as used by its rules and macros.
        let mut used_lists = BTreeSet::new();
        let mut used_macros = BTreeSet::new();
        let macro_names: BTreeSet<String> = raw
            .macros
            .keys()
            .chain(self.macros.keys())
            .cloned()
            .collect();
        let list_names: BTreeSet<String> =
            raw.lists.keys().chain(self.lists.keys()).cloned().collect();
        let mut macros = std::mem::take(&mut raw.macros);
        for (name, m) in macros.iter_mut() {
            let off = cx.find(&format!("{name}:"), 0);
            check_cond(
                &mut cx,
                m,
                off,
                &format!("macros.{name}"),
                None,
                &list_names,
                &macro_names,
                &mut used_lists,
                &mut used_macros,
            );
        }
        for (i, r) in raw.rules.iter_mut().enumerate() {
            let off = offsets[i];
            let path = format!("rules[{i}]");
            if id_re.as_ref().is_some_and(|re| !re.is_match(&r.id)) {
                cx.at(
                    "rules::bad-id",
                    true,
                    off,
                    format!("{path}.id"),
                    format!("rule id `{}` is not of the form ABC-XY-001", r.id),
                );
            }
            for (field, value) in [
                ("message", &r.message),
                ("description", &r.description),
                ("remediation", &r.remediation),
            ] {
                if value.trim().is_empty() {
                    let o = cx.find(&format!("{field}:"), off);
                    cx.at(
                        "rules::empty-text",
                        true,
                        o,
                        format!("{path}.{field}"),
                        format!("`{field}` is empty"),
                    );
                }
            }
            for ph in placeholders(&r.message) {
                if !matches!(ph.as_str(), "target" | "tool" | "seq")
                    && !FACTS.iter().any(|f| f.name == ph)
                {
                    let o = cx.find(&format!("{{{ph}}}"), off);
                    cx.at(
                        "rules::unknown-placeholder",
                        true,
                        o,
                        format!("{path}.message"),
                        format!("`{{{ph}}}` is neither a fact nor target/tool/seq"),
                    );
                }
            }
            let scope = r.scope;
            check_cond(
                &mut cx,
                &mut r.when,
                off,
                &format!("{path}.when"),
                Some(scope),
                &list_names,
                &macro_names,
                &mut used_lists,
                &mut used_macros,
            );
            for (j, e) in r.exceptions.iter_mut().enumerate() {
                check_cond(
                    &mut cx,
                    &mut e.when,
                    off,
                    &format!("{path}.exceptions[{j}].when"),
                    Some(scope),
                    &list_names,
                    &macro_names,
                    &mut used_lists,
                    &mut used_macros,
                );
            }
        }
        for name in raw.lists.keys().filter(|n| !used_lists.contains(*n)) {
            let o = cx.find(&format!("{name}:"), 0);
            cx.at(
                "rules::unused-list",
                false,
                o,
                format!("lists.{name}"),
                format!("list `{name}` is not used"),
            );
        }
        for name in macros.keys().filter(|n| !used_macros.contains(*n)) {
            let o = cx.find(&format!("{name}:"), 0);
            cx.at(
                "rules::unused-macro",
                false,
                o,
                format!("macros.{name}"),
                format!("macro `{name}` is not used"),
            );
        }
        // Duplicate ids inside one file: reported at the second definition.
        let mut seen = BTreeSet::new();
        for (i, r) in raw.rules.iter().enumerate() {
            if !seen.insert(r.id.clone()) {
                cx.at(
                    "rules::duplicate-id",
                    true,
                    offsets[i],
                    format!("rules[{i}].id"),
                    format!("rule id `{}` is defined twice", r.id),
                );
            }
        }
        if !cx.diags.iter().any(|d| d.error) {
            self.lists.extend(raw.lists);
            self.macros.extend(macros);
            for r in raw.rules {
                self.rules.retain(|o| o.rule.id != r.id);
                self.rules.push(LoadedRule {
                    rule: r,
                    file: file.to_string(),
                });
            }
        }
        cx.diags
    }

    pub fn list(&self, name: &str) -> Option<&[Value]> {
        self.lists.get(name).map(Vec::as_slice)
    }

    pub fn macro_(&self, name: &str) -> Option<&Cond> {
        self.macros.get(name)
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

/// `{name}` placeholders of a message template.
pub fn placeholders(msg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = msg;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        out.push(rest[i + 1..i + j].to_string());
        rest = &rest[i + j + 1..];
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn check_cond(
    cx: &mut Ctx<'_>,
    c: &mut Cond,
    rule_off: usize,
    path: &str,
    scope: Option<RuleScope>,
    lists: &BTreeSet<String>,
    macros: &BTreeSet<String>,
    used_lists: &mut BTreeSet<String>,
    used_macros: &mut BTreeSet<String>,
) {
    let forms = [
        c.all.is_some(),
        c.any.is_some(),
        c.not.is_some(),
        c.macro_.is_some(),
        c.fact.is_some(),
    ];
    let n = forms.iter().filter(|f| **f).count();
    if n != 1 {
        cx.at(
            "rules::bad-condition",
            true,
            rule_off,
            path.to_string(),
            format!("a condition needs exactly one of all, any, not, macro, fact (found {n})"),
        );
        return;
    }
    for (key, list) in [("all", &mut c.all), ("any", &mut c.any)] {
        if let Some(items) = list {
            for (i, item) in items.iter_mut().enumerate() {
                check_cond(
                    cx,
                    item,
                    rule_off,
                    &format!("{path}.{key}[{i}]"),
                    scope,
                    lists,
                    macros,
                    used_lists,
                    used_macros,
                );
            }
        }
    }
    if let Some(not) = &mut c.not {
        check_cond(
            cx,
            not,
            rule_off,
            &format!("{path}.not"),
            scope,
            lists,
            macros,
            used_lists,
            used_macros,
        );
    }
    if let Some(m) = &c.macro_ {
        used_macros.insert(m.clone());
        if !macros.contains(m) {
            let o = cx.find(&format!("macro: {m}"), rule_off);
            cx.at(
                "rules::unknown-macro",
                true,
                o,
                path.to_string(),
                format!("macro `{m}` is not defined"),
            );
        }
    }
    if let Some(fact) = &c.fact {
        let o = cx.find(&format!("fact: {fact}"), rule_off);
        match FACTS.iter().find(|f| f.name == fact) {
            None => {
                let near = FACTS
                    .iter()
                    .map(|f| f.name)
                    .min_by_key(|f| strsim(f, fact))
                    .unwrap_or_default();
                cx.at("rules::unknown-fact", true, o, path.to_string(), format!("unknown fact `{fact}` (did you mean `{near}`? `kubeautopsy facts` lists them)"));
            }
            Some(info) => {
                // An effect fact never exists in an operation or run rule: the condition could never hold.
                let visible = match scope {
                    None | Some(RuleScope::Effect) => true,
                    Some(RuleScope::Operation) => info.scope != FactScope::Effect,
                    Some(RuleScope::Run) => info.scope == FactScope::Run,
                };
                if !visible {
                    cx.at("rules::never-holds", true, o, path.to_string(), format!("fact `{fact}` is not available in a rule of this scope, so the condition can never hold"));
                }
            }
        }
        let preds = [
            c.eq.is_some(),
            c.ne.is_some(),
            c.in_.is_some(),
            c.in_list.is_some(),
            c.gt.is_some(),
            c.ge.is_some(),
            c.lt.is_some(),
            c.le.is_some(),
            c.matches.is_some(),
            c.any_matches.is_some(),
            c.contains.is_some(),
            c.unknown.is_some(),
        ];
        let k = preds.iter().filter(|p| **p).count();
        if k != 1 {
            cx.at("rules::bad-condition", true, o, path.to_string(), format!("a fact test needs exactly one of eq, ne, in, in_list, gt, ge, lt, le, matches, any_matches, contains, unknown (found {k})"));
        }
        if let Some(l) = &c.in_list {
            used_lists.insert(l.clone());
            if !lists.contains(l) {
                let o = cx.find(&format!("in_list: {l}"), rule_off);
                cx.at(
                    "rules::unknown-list",
                    true,
                    o,
                    path.to_string(),
                    format!("list `{l}` is not defined"),
                );
            }
        }
        if let Some(re) = c.matches.as_ref().or(c.any_matches.as_ref()) {
            // The regex crate runs in linear time: an untrusted rule cannot make matching explode.
            match regex::RegexBuilder::new(re).size_limit(1 << 20).build() {
                Ok(r) => c.regex = Some(r),
                Err(e) => {
                    let first = re.chars().take(20).collect::<String>();
                    let o = cx.find(&first, rule_off);
                    let mut msg = e.to_string();
                    if let Some(i) = msg.rfind('\n') {
                        msg = msg[i + 1..].to_string();
                    }
                    cx.at(
                        "rules::bad-regex",
                        true,
                        o,
                        path.to_string(),
                        format!("regular expression does not compile: {msg}"),
                    );
                }
            }
        }
    }
    // Contradictions inside `all`: the same fact equal to two different values.
    if let Some(items) = &c.all {
        let mut eqs: BTreeMap<&str, &Value> = BTreeMap::new();
        for it in items {
            if let (Some(f), Some(v)) = (&it.fact, &it.eq)
                && let Some(prev) = eqs.insert(f, v)
                && prev != v
            {
                {
                    let o = cx.find(&format!("fact: {f}"), rule_off);
                    cx.at(
                        "rules::never-holds",
                        true,
                        o,
                        path.to_string(),
                        format!("`{f}` cannot equal both {prev} and {v}"),
                    );
                }
            }
        }
    }
}

fn strsim(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            cur[j] = (prev[j] + 1)
                .min(cur[j - 1] + 1)
                .min(prev[j - 1] + usize::from(a[i - 1] != b[j - 1]));
        }
        prev = cur;
    }
    prev[b.len()]
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
