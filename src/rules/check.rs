//! The lints of a rule file: parse errors and every check the schema cannot say, each a
//! [`RuleDiag`] with a stable code and its place in the file (line:col and a structural path
//! such as `rules[2].when.all[1]`).

use super::RuleScope;
use super::compile::{PLACEHOLDERS, placeholders};
use super::syntax::{Cond, Rule, RuleFile};
use crate::fact::{FACTS, Fact, FactScope};
use miette::{Diagnostic, GraphicalReportHandler, LabeledSpan, NamedSource, SourceSpan};
use regex::Regex;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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
    pub(super) offset: usize,
    /// The file's text, named, for the snippet.
    #[serde(skip)]
    pub(super) src: Option<std::sync::Arc<NamedSource<String>>>,
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
pub(super) struct FileDiags<'a> {
    file: &'a str,
    text: &'a str,
    src: std::sync::Arc<NamedSource<String>>,
    pub(super) diags: Vec<RuleDiag>,
}

impl<'a> FileDiags<'a> {
    pub(super) fn new(file: &'a str, text: &'a str) -> FileDiags<'a> {
        FileDiags {
            file,
            text,
            src: std::sync::Arc::new(NamedSource::new(file, text.to_string())),
            diags: Vec::new(),
        }
    }

    pub(super) fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.error)
    }

    pub(super) fn at(
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
    pub(super) fn find(&self, needle: &str, from: usize) -> usize {
        self.text
            .get(from..)
            .and_then(|t| t.find(needle))
            .map_or(from, |i| from + i)
    }
}

/// Where each rule's text starts (by its `id:` line), to position lints.
pub(super) fn rule_offsets(text: &str, rules: &[Rule]) -> Vec<usize> {
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

/// Parse a rule file; a YAML or shape error is reported at its place.
pub(super) fn parse(cx: &mut FileDiags<'_>) -> Option<RuleFile> {
    let text = cx.text;
    match serde_saphyr::from_str::<RuleFile>(text) {
        Ok(r) => Some(r),
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
            None
        }
    }
}

/// Every lint of a parsed file. `lists` and `macros` are those of the files loaded before it
/// (a file may use them); the regexes of `matches` / `any_matches` are compiled into the
/// conditions here. Returns this file's macros (checked), taken out of `raw`.
pub(super) fn lint(
    cx: &mut FileDiags<'_>,
    raw: &mut RuleFile,
    lists: &BTreeMap<String, Vec<Value>>,
    macros_before: &BTreeMap<String, Cond>,
) -> BTreeMap<String, Cond> {
    let text = cx.text;
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
    let offsets = rule_offsets(text, &raw.rules);
    let id_re = Regex::new(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$").ok();
    // Lists and macros of this file are checked as used by its rules and macros.
    let mut used_lists = BTreeSet::new();
    let mut used_macros = BTreeSet::new();
    let macro_names: BTreeSet<String> = raw
        .macros
        .keys()
        .chain(macros_before.keys())
        .cloned()
        .collect();
    let list_names: BTreeSet<String> = raw.lists.keys().chain(lists.keys()).cloned().collect();
    let mut macros = std::mem::take(&mut raw.macros);
    for (name, m) in macros.iter_mut() {
        let off = cx.find(&format!("{name}:"), 0);
        check_cond(
            cx,
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
            if !PLACEHOLDERS.contains(&ph.as_str()) && Fact::from_name(&ph).is_none() {
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
            cx,
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
                cx,
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
    // A file without rules is a library of lists and macros for the files loaded after it (the
    // default pack's 00-common.yaml): what it defines is used there, not here.
    let library = raw.rules.is_empty();
    for name in raw
        .lists
        .keys()
        .filter(|n| !library && !used_lists.contains(*n))
    {
        let o = cx.find(&format!("{name}:"), 0);
        cx.at(
            "rules::unused-list",
            false,
            o,
            format!("lists.{name}"),
            format!("list `{name}` is not used"),
        );
    }
    for name in macros
        .keys()
        .filter(|n| !library && !used_macros.contains(*n))
    {
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
    // Documentation last, so that a file's errors come first.
    for (i, r) in raw.rules.iter().enumerate() {
        let missing: Vec<&str> = [("rationale", &r.rationale), ("example", &r.example)]
            .into_iter()
            .filter(|(_, v)| v.as_deref().is_none_or(|t| t.trim().is_empty()))
            .map(|(field, _)| field)
            .collect();
        if !missing.is_empty() {
            let fields = missing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            cx.at(
                "rules::undocumented",
                false,
                offsets[i],
                format!("rules[{i}]"),
                format!(
                    "rule `{}` has no {fields}: say why the behaviour is unsafe and why this \
                     severity (`rationale`), and show it happening (`example`); \
                     `kubeautopsy rules docs` renders them",
                    r.id
                ),
            );
        }
    }
    macros
}

#[allow(clippy::too_many_arguments)]
fn check_cond(
    cx: &mut FileDiags<'_>,
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
