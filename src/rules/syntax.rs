//! The rule file format as written (`schema/rules.v1.schema.json`): what `serde` reads, before
//! the lints (`check`) and the compiler (`compile`). The rule set's digest is taken over this
//! form, so two files that say the same thing give the same digest.

use super::{Category, RuleScope, Severity, Status};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

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
    /// `matches` / `any_matches`, compiled by the lints (which report a regex that does not
    /// compile); the compiler takes it from here.
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
    /// What the rule detects.
    pub description: String,
    /// Why the behaviour is unsafe, in Kubernetes terms, and why it has this severity
    /// (`rules::undocumented` when missing).
    #[serde(default)]
    pub rationale: Option<String>,
    /// A short concrete example of the behaviour, e.g. a kubectl command
    /// (`rules::undocumented` when missing).
    #[serde(default)]
    pub example: Option<String>,
    pub message: String,
    /// What to do instead.
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
pub struct RuleFile {
    pub schema: String,
    /// The file is a pack of its own: loading it leaves the built-in pack out (read by
    /// `is_standalone` before the files are loaded; accepted here).
    #[serde(default, rename = "standalone")]
    _standalone: bool,
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<Value>>,
    #[serde(default)]
    pub macros: BTreeMap<String, Cond>,
    pub rules: Vec<Rule>,
}
