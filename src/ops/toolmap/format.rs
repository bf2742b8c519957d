//! The tool map file format (`schema/toolmap.v1.schema.json`) as `serde` reads it; `load`
//! checks it and turns it into the typed maps the normalizer uses.

use super::eval::top_level;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolMapFile {
    /// Checked by the schema.
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

/// One tool as written (or one case of it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub description: Option<String>,
    pub read: Option<bool>,
    pub local: Option<bool>,
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

impl ToolSpec {
    /// Every argument name this spec (and its cases) reads: how well a call's arguments fit it.
    pub fn arg_names(&self, out: &mut BTreeSet<String>) {
        let value = |v: &Option<ValueSpec>, out: &mut BTreeSet<String>| {
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
}
