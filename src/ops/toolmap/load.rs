//! Loading tool maps: YAML, the schema, the rules the schema cannot say, and the typed map.

use super::format::{ToolMapFile, ToolSpec, ValueSpec};
use super::{
    Action, Case, EMBEDDED, ErrorRules, PatchTypeSpec, Spec, TOOLMAP_SCHEMA_TEXT, Template, Tool,
    ToolMap, ToolMapError, VerbSpec,
};
use crate::ops::{PatchType, Verb};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

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
        let file_map: ToolMapFile =
            serde_json::from_value(doc).map_err(|e| vec![error(None, None, e.to_string())])?;
        let mut problems = Vec::new();
        let mut exit_code = None;
        if let Some(re) = &file_map.errors.exit_code_regex {
            match regex::RegexBuilder::new(re).size_limit(1 << 20).build() {
                Ok(r) if r.captures_len() >= 2 => exit_code = Some(r),
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
        let mut tools = BTreeMap::new();
        for (name, spec) in &file_map.tools {
            let at = format!("/tools/{}", crate::trace::locate::escape_segment(name));
            let mut report = |p, m| problems.push(error(Some(p), None, m));
            if let Some(typed) = typed_spec(spec, &at, &mut report) {
                let mut arg_names = BTreeSet::new();
                spec.arg_names(&mut arg_names);
                tools.insert(
                    name.clone(),
                    Tool {
                        spec: typed,
                        arg_names,
                    },
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let ToolMapFile {
            id,
            server,
            aliases,
            priority,
            defaults,
            errors,
            ..
        } = file_map;
        Ok(ToolMap {
            id,
            server,
            aliases,
            priority,
            default_namespace: defaults.namespace,
            errors: ErrorRules {
                text_prefixes: errors.text_prefixes,
                exit_code,
                json_fields: errors.json_fields,
            },
            tools,
        })
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

/// Check one tool (and its cases) for what the schema cannot say, and type it: a tool is
/// exactly one of read / verb / command / argv / cases / unresolved; constant verbs and patch
/// types, and the verbs of a verb map, are known names. `None` when a problem was reported.
fn typed_spec(spec: &ToolSpec, at: &str, report: &mut dyn FnMut(String, String)) -> Option<Spec> {
    let kinds = [
        spec.read.is_some(),
        spec.local.is_some(),
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
                "a tool must have exactly one of read, local, verb, command, argv, cases, unresolved (found {n})"
            ),
        );
    }
    // Everything is checked, so that one pass reports every problem.
    let template = template(spec, at, report);
    let cases: Option<Vec<Case>> = spec.cases.as_ref().map(|cases| {
        cases
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                typed_spec(c, &format!("{at}/cases/{i}"), report).map(|s| Case {
                    when: c.when.clone(),
                    spec: s,
                })
            })
            .collect()
    });
    if n != 1 || cases.as_ref().map(Vec::len) != spec.cases.as_ref().map(Vec::len) {
        return None;
    }
    let template = Box::new(template?);
    Some(match cases {
        Some(cases) => Spec::Cases(cases),
        None if spec.read == Some(true) => Spec::Action(Action::Read),
        None if spec.local == Some(true) => Spec::Action(Action::Local),
        None => Spec::Action(match (&spec.command, &spec.argv, &spec.unresolved) {
            (Some(line), _, _) => Action::Command {
                line: line.clone(),
                program: spec.program.clone(),
            },
            (_, Some(parts), _) => Action::Argv {
                parts: parts.clone(),
                program: spec.program.clone(),
            },
            (_, _, Some(why)) => Action::Unresolved {
                why: why.clone(),
                template,
            },
            _ => Action::Template(template),
        }),
    })
}

/// A tool's template, its verb and patch type typed.
fn template(spec: &ToolSpec, at: &str, report: &mut dyn FnMut(String, String)) -> Option<Template> {
    // `None` in `verb` or `patch_type` after a reported problem; both are checked first.
    let verb = match &spec.verb {
        None => Some(None),
        Some(ValueSpec::Const(v)) => {
            let name = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            match v.as_str().and_then(Verb::from_name) {
                Some(verb) => Some(Some(VerbSpec::Const(verb))),
                None => {
                    report(format!("{at}/verb"), format!("unknown verb `{name}`"));
                    None
                }
            }
        }
        Some(ValueSpec::Arg(a)) => {
            let mut map = BTreeMap::new();
            let mut ok = true;
            for (k, v) in a.map.iter().flatten() {
                match v.as_str().and_then(Verb::from_name) {
                    Some(verb) => {
                        map.insert(k.clone(), verb);
                    }
                    None => {
                        report(format!("{at}/verb/map/{k}"), format!("unknown verb {v}"));
                        ok = false;
                    }
                }
            }
            let mut arg = a.clone();
            arg.map = None;
            ok.then_some(Some(VerbSpec::Arg { arg, map }))
        }
    };
    let patch_type = match &spec.patch_type {
        None => Some(None),
        Some(ValueSpec::Const(v)) => match v.as_str().and_then(PatchType::from_name) {
            Some(t) => Some(Some(PatchTypeSpec::Const(t))),
            None => {
                let name = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                report(
                    format!("{at}/patch_type"),
                    format!("unknown patch type `{name}`"),
                );
                None
            }
        },
        Some(ValueSpec::Arg(a)) => Some(Some(PatchTypeSpec::Arg(a.clone()))),
    };
    Some(Template {
        verb: verb?,
        patch_type: patch_type?,
        fields: spec.clone(),
    })
}
