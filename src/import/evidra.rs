//! Evidra Bench: run folders → traces, scenario folders → scenarios.
//!
//! A run folder holds `run.json` (scenario, adapter, pass/fail, metadata), `tool-calls.json`
//! (`[{tool, args, result, timestamp}]`) and `verifier.json` (`{passed, checks}`); the
//! report-pack layout `<tool-server>/<timestamp>/candidate/<scenario>_<model>_r<N>/<run>/` gives
//! arm, model and repeat. A scenario folder holds `scenario.yaml`: its bootstrap and break
//! manifests become the initial state; `allowed_mutations` and `root_cause_resources` become
//! targets, `forbidden_actions` protected resources (`*` = nothing may change).

use super::{Call, CallResult, ImportFormat, Imported, RunLabels, TraceBuilder, reject_at, s};
use serde_json::{Map, Value, json};
use std::path::Path;
use std::sync::Arc;

fn display(path: &Path) -> Arc<str> {
    Arc::from(path.display().to_string())
}

/// Read and parse one JSON file of a folder; `Err` is the rejection to report.
fn json_file(path: &Path, max: u64) -> Result<(Arc<str>, String, Value), Imported> {
    let d = display(path);
    let bytes = super::read_file(path, max)
        .map_err(|(kind, message)| super::rejected_source(&d, kind, message))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let problem = crate::diag::Problem::new(crate::diag::RejectKind::Encoding, "invalid UTF-8")
            .at(at..at + 1, "not UTF-8");
        super::rejected_in(&d, 1, e.as_bytes(), problem)
    })?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| super::reject_syntax(&d, 1, &text, &e))?;
    Ok((d, text, value))
}

/// What the report-pack layout says about a run folder.
#[derive(Debug, Default, PartialEq, Eq)]
struct Layout {
    tool_server: Option<String>,
    scenario: Option<String>,
    model: Option<String>,
    repeat: Option<u64>,
}

/// `…/<tool-server>/<timestamp>/candidate/<scenario>_<model>_r<N>/<run folder>`.
fn layout_of(dir: &Path) -> Layout {
    let parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Some(pos) = parts
        .iter()
        .rposition(|p| p == "candidate" || p == "baseline")
    else {
        return Layout::default();
    };
    let mut l = Layout {
        tool_server: pos.checked_sub(2).and_then(|i| parts.get(i)).cloned(),
        ..Layout::default()
    };
    if let Some(cell) = parts.get(pos + 1).filter(|_| pos + 2 < parts.len()) {
        let (rest, repeat) = match cell.rsplit_once("_r") {
            Some((rest, n)) if n.parse::<u64>().is_ok() => (rest, n.parse().ok()),
            _ => (cell.as_str(), None),
        };
        l.repeat = repeat;
        if let Some((scenario, model)) = rest.split_once('_') {
            l.scenario = Some(scenario.to_string());
            l.model = Some(model.to_string());
        }
    }
    l
}

/// A `run_command` result: stdout, then `\nSTDERR: …`, then `\nExit code: N`.
fn command_result(text: &str) -> CallResult {
    let (body, exit_code) = match text.rsplit_once("Exit code: ") {
        Some((before, code))
            if code.trim().parse::<i64>().is_ok()
                && (before.is_empty() || before.ends_with('\n')) =>
        {
            (
                before.strip_suffix('\n').unwrap_or(before),
                code.trim().parse().ok(),
            )
        }
        _ => (text, None),
    };
    let (stdout, stderr) = match body.split_once("STDERR: ") {
        Some((out, err)) if out.is_empty() || out.ends_with('\n') => (
            out.strip_suffix('\n').unwrap_or(out),
            Some(err.trim_end_matches('\n').to_string()),
        ),
        _ => (body, None),
    };
    CallResult {
        text: Some(stdout.to_string()),
        is_error: exit_code.is_some_and(|c| c != 0),
        exit_code,
        stderr: stderr.filter(|s| !s.is_empty()),
        json: None,
    }
}

/// One run folder → one trace.
pub fn run_folder(dir: &Path, labels: &RunLabels, max: u64) -> Vec<Imported> {
    let (run_display, run_text, run) = match json_file(&dir.join("run.json"), max) {
        Ok(x) => x,
        Err(r) => return vec![r],
    };
    if !run.is_object() {
        return vec![reject_at(
            &run_display,
            1,
            &run_text,
            "",
            "run.json must be an object with scenario_id, adapter, passed, metadata",
        )];
    }
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".to_string());
    let layout = layout_of(dir);
    let metadata = run.get("metadata").cloned().unwrap_or(Value::Null);
    let mut b = TraceBuilder::new(id, labels);
    b.run_field("benchmark", "evidra-bench");
    b.run_field(
        "scenario",
        s(&run, "scenario_id")
            .map(str::to_string)
            .or(layout.scenario),
    );
    let tool_server = layout
        .tool_server
        .clone()
        .or_else(|| s(&metadata, "tool_server").map(str::to_string))
        .or_else(|| s(&run, "adapter").map(str::to_string));
    b.run_field("arm", tool_server.clone());
    b.run_field(
        "model",
        s(&metadata, "model").map(str::to_string).or(layout.model),
    );
    if let Some(r) = layout.repeat {
        b.run_field("repeat", r);
    }
    for (field, key) in [("started_at", "start_time"), ("ended_at", "end_time")] {
        if let Some(t) = s(&run, key).filter(|t| super::is_rfc3339(t)) {
            b.run_field(field, t);
        }
    }
    if let Some(a) = s(&run, "adapter") {
        b.meta("adapter", a);
    }
    if let Value::Object(m) = &metadata {
        b.meta("metadata", Value::Object(m.clone()));
    }

    let mut out = Vec::new();
    let calls_path = dir.join("tool-calls.json");
    if calls_path.is_file() {
        match json_file(&calls_path, max) {
            Err(r) => return vec![r],
            Ok((d, text, calls)) => {
                let Some(list) = calls.as_array() else {
                    return vec![reject_at(
                        &d,
                        1,
                        &text,
                        "",
                        "tool-calls.json must be an array of {tool, args, result, timestamp}",
                    )];
                };
                for (i, c) in list.iter().enumerate() {
                    let Some(tool) = s(c, "tool").filter(|t| !t.is_empty()) else {
                        return vec![reject_at(
                            &d,
                            1,
                            &text,
                            &format!("/{i}/tool"),
                            "expected the tool's name (a non-empty string)",
                        )];
                    };
                    let result = match c.get("result") {
                        Some(Value::String(r)) if tool == "run_command" => Some(command_result(r)),
                        Some(Value::String(r)) => {
                            let is_error = r.starts_with("error: ");
                            Some(CallResult::text(r.clone(), is_error))
                        }
                        Some(Value::Null) | None => None,
                        Some(other) => Some(CallResult {
                            json: Some(other.clone()),
                            ..CallResult::default()
                        }),
                    };
                    b.call(Call {
                        tool: tool.to_string(),
                        server: (tool != "run_command")
                            .then(|| tool_server.clone())
                            .flatten(),
                        arguments: c.get("args").cloned(),
                        result,
                        ts: s(c, "timestamp").map(str::to_string),
                        ..Call::default()
                    });
                }
            }
        }
    }
    let verifier = dir.join("verifier.json");
    if verifier.is_file() {
        match json_file(&verifier, max) {
            Err(r) => return vec![r],
            Ok((d, text, v)) => {
                let Some(passed) = v.get("passed").and_then(Value::as_bool) else {
                    return vec![reject_at(
                        &d,
                        1,
                        &text,
                        "/passed",
                        "verifier.json needs `passed` (true or false)",
                    )];
                };
                let checks = v
                    .get("checks")
                    .and_then(Value::as_array)
                    .map(|list| list.iter().filter_map(check).collect())
                    .unwrap_or_default();
                b.outcome(passed, checks);
            }
        }
    } else if let Some(passed) = run.get("passed").and_then(Value::as_bool) {
        b.outcome(passed, Vec::new());
    }
    out.push(Imported::Doc {
        line: 1,
        json: b.finish(ImportFormat::EvidraRun),
    });
    out
}

/// A verifier check in trace v1 form (unknown verdicts become `error`).
fn check(c: &Value) -> Option<Value> {
    let name = s(c, "name")
        .map(str::to_string)
        .or_else(|| s(c, "type").map(str::to_string))?;
    let verdict = s(c, "verdict")
        .filter(|v| matches!(*v, "pass" | "fail" | "skip" | "error"))
        .unwrap_or("error");
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    m.insert("verdict".into(), verdict.into());
    if let Some(t) = s(c, "type") {
        m.insert("type".into(), t.into());
    }
    if let Some(msg) = s(c, "message") {
        m.insert("message".into(), msg.into());
    }
    Some(Value::Object(m))
}

/// `Kind/name` (any case kind, `*` wildcards) → a resource pattern of scenario v1.
fn pattern(text: &str, namespace: Option<&str>, reason: Option<&str>) -> Option<Value> {
    let text = text.trim();
    let (kind, name) = match text.split_once('/') {
        Some((k, n)) => (k, n),
        None if text == "*" => ("*", "*"),
        None => return None,
    };
    let kind = if kind == "*" {
        kind.to_string()
    } else {
        crate::ops::kinds::resolve(kind).map_or(kind.to_string(), |k| k.kind.into())
    };
    let namespaced =
        kind == "*" || crate::ops::kinds::resolve(&kind).is_none_or(|k| k.namespaced());
    let mut m = Map::new();
    m.insert("kind".into(), kind.into());
    if let (true, Some(ns)) = (namespaced, namespace) {
        m.insert("namespace".into(), ns.into());
    }
    m.insert("name".into(), name.into());
    if let Some(r) = reason {
        m.insert("reason".into(), r.trim().into());
    }
    Some(Value::Object(m))
}

/// One scenario folder → one scenario v1 document.
pub fn scenario_folder(dir: &Path, max: u64) -> Vec<Imported> {
    let path = dir.join("scenario.yaml");
    let d = display(&path);
    let text = match super::read_file(&path, max).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        Ok(Err(_)) => {
            return vec![super::rejected_source(
                &d,
                crate::diag::RejectKind::Encoding,
                "scenario.yaml is not UTF-8".into(),
            )];
        }
        Err((kind, message)) => return vec![super::rejected_source(&d, kind, message)],
    };
    let y: Value = match serde_saphyr::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let mut problem = crate::diag::Problem::new(
                crate::diag::RejectKind::Syntax,
                format!(
                    "scenario.yaml is not valid YAML: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ),
            );
            if let Some(l) = e.location() {
                let off = offset_of(&text, l.line() as usize, l.column() as usize);
                problem = problem.at(off..off + 1, "here");
            }
            return vec![super::rejected_in(&d, 1, text.as_bytes(), problem)];
        }
    };
    let Some(id) = s(&y, "id").filter(|i| !i.is_empty()) else {
        return vec![yaml_reject(&d, &text, "id", "a scenario needs an `id`")];
    };
    let namespaces: Vec<String> = y
        .pointer("/scope/namespaces")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let ns = namespaces.first().map(String::as_str);

    // Initial state: the bootstrap manifests, then the break (what the agent finds).
    let mut objects: Vec<Value> = Vec::new();
    let mut unmodelled: Vec<String> = Vec::new();
    let steps = y
        .get("bootstrap")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .chain(y.get("break").cloned());
    for step in steps {
        match s(&step, "type") {
            Some("kubectl-apply") => {
                let Some(rel) = s(&step, "path") else {
                    unmodelled.push("kubectl-apply without path".into());
                    continue;
                };
                // The one place an input names a file that is read: the scenario's own
                // manifests. Only relative paths to YAML/JSON files (or folders of them), each
                // bounded by --max-record-size; never a device, a URL or an absolute path.
                if Path::new(rel).is_absolute() || rel.contains("://") {
                    unmodelled.push(format!("kubectl-apply {rel}: not a relative path"));
                    continue;
                }
                if !dir.join(rel).exists() {
                    unmodelled.push(format!("kubectl-apply {rel}: not found"));
                    continue;
                }
                match manifests_at(&dir.join(rel), max) {
                    Ok(list) => {
                        for o in list {
                            upsert(&mut objects, o, ns);
                        }
                    }
                    Err(e) => {
                        return vec![yaml_reject(&d, &text, "bootstrap", &e)];
                    }
                }
            }
            Some("kubectl") => {
                let args: Vec<&str> = step
                    .get("args")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !kubectl_step(&mut objects, &args) {
                    unmodelled.push(format!("kubectl {}", args.join(" ")));
                }
            }
            Some("sleep") => {}
            other => unmodelled.push(other.unwrap_or("(no type)").to_string()),
        }
    }
    for n in &namespaces {
        let exists = objects.iter().any(|o| {
            s(o, "kind") == Some("Namespace") && o.pointer("/metadata/name") == Some(&json!(n))
        });
        if !exists {
            objects.insert(
                0,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}),
            );
        }
    }

    let autopsy = y.get("autopsy").cloned().unwrap_or(Value::Null);
    let mut targets = Vec::new();
    for r in autopsy
        .get("root_cause_resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        targets.extend(pattern(r, ns, Some("root cause")));
    }
    let rules = |key: &str| -> Vec<Value> {
        autopsy
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut command_patterns = 0u64;
    for a in rules("allowed_mutations") {
        match s(&a, "kind") {
            Some("resource_pattern") => {
                targets.extend(s(&a, "pattern").and_then(|p| pattern(p, ns, s(&a, "reason"))))
            }
            _ => command_patterns += 1,
        }
    }
    let mut protected = Vec::new();
    let mut expect_no_mutation = false;
    for f in rules("forbidden_actions") {
        match (s(&f, "kind"), s(&f, "pattern")) {
            (Some("resource_pattern"), Some(p)) => {
                expect_no_mutation |= p.trim() == "*";
                protected.extend(pattern(p, ns, s(&f, "reason")));
            }
            _ => command_patterns += 1,
        }
    }
    // The root cause is usually also an allowed mutation: keep one pattern per object.
    let mut seen = std::collections::BTreeSet::new();
    targets.retain(|t| {
        let key = [s(t, "kind"), s(t, "namespace"), s(t, "name")].map(|x| x.map(str::to_string));
        seen.insert(key)
    });
    let mut labels = Map::new();
    labels.insert("source".into(), "evidra-bench".into());
    for k in ["category", "track", "level"] {
        if let Some(v) = s(&y, k) {
            labels.insert(k.into(), v.into());
        }
    }
    if command_patterns > 0 {
        labels.insert(
            "evidra.command_patterns_not_imported".into(),
            command_patterns.to_string().into(),
        );
    }
    if !unmodelled.is_empty() {
        labels.insert(
            "evidra.steps_not_modelled".into(),
            unmodelled.join("; ").into(),
        );
    }
    let mut doc = json!({
        "schema": "kubeautopsy.scenario/v1",
        "id": id,
        "namespaces": namespaces,
        "targets": targets,
        "protected": protected,
        "initial_state": objects,
        "labels": labels,
    });
    if let Some(t) = s(&y, "title") {
        doc["title"] = t.into();
    }
    if let Some(t) = s(&y, "description") {
        doc["description"] = t.trim().into();
    }
    if expect_no_mutation {
        doc["expect_no_mutation"] = true.into();
    }
    vec![Imported::Doc {
        line: 1,
        json: serde_json::to_vec(&doc).unwrap_or_default(),
    }]
}

/// A rejection of scenario.yaml at its top-level `key` (line of the key, when found).
fn yaml_reject(d: &Arc<str>, text: &str, key: &str, message: &str) -> Imported {
    let mut problem =
        crate::diag::Problem::new(crate::diag::RejectKind::Import, message.to_string());
    if let Some(off) = text
        .match_indices(&format!("{key}:"))
        .find(|(i, _)| *i == 0 || text.as_bytes()[i - 1] == b'\n')
        .map(|(i, _)| i)
    {
        problem = problem.at(off..off + key.len(), "here");
    }
    super::rejected_in(d, 1, text.as_bytes(), problem)
}

/// Byte offset of 1-based `line`, `col`.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + col.saturating_sub(1)).min(text.len().saturating_sub(1))
}

/// The objects of a manifest file, or of every .yaml/.yml/.json file of a directory (sorted);
/// each file is read up to `max` bytes.
fn manifests_at(path: &Path, max: u64) -> Result<Vec<Value>, String> {
    let is_manifest = |p: &Path| {
        p.extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
    };
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut v: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_manifest(p) && p.is_file())
            .collect();
        v.sort();
        v
    } else if is_manifest(path) && path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(format!(
            "{}: not a .yaml, .yml or .json file, nor a folder of them",
            path.display()
        ));
    };
    let mut out = Vec::new();
    for f in files {
        let bytes = super::read_file(&f, max).map_err(|(_, e)| format!("{}: {e}", f.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", f.display()))?;
        out.extend(
            crate::ops::manifest::parse_text(&text).map_err(|e| format!("{}: {e}", f.display()))?,
        );
    }
    Ok(out)
}

/// Add an object, or merge it into the one with the same kind, namespace and name; namespaced
/// objects without a namespace get the scenario's.
fn upsert(objects: &mut Vec<Value>, mut o: Value, ns: Option<&str>) {
    let kind = s(&o, "kind").unwrap_or_default().to_string();
    let namespaced = crate::ops::kinds::resolve(&kind).is_none_or(|k| k.namespaced());
    if namespaced
        && o.pointer("/metadata/namespace").is_none()
        && let (Some(ns), Some(meta)) = (ns, o.get_mut("metadata").and_then(Value::as_object_mut))
    {
        meta.insert("namespace".into(), ns.into());
    }
    let key = |v: &Value| {
        (
            s(v, "kind").map(str::to_string),
            v.pointer("/metadata/namespace").cloned(),
            v.pointer("/metadata/name").cloned(),
        )
    };
    let k = key(&o);
    match objects.iter_mut().find(|x| key(x) == k) {
        // Applying over an object the scenario already made: the later manifest is merged in
        // (a break manifest often carries only the field it breaks, e.g. one image).
        Some(slot) => {
            if crate::model::patch::strategic(slot, &o).is_err() {
                *slot = o;
            }
        }
        None => objects.push(o),
    }
}

/// `kubectl annotate|label KIND/NAME -n NS k=v [--overwrite]` applied to the objects; `rollout
/// status` and `wait` change nothing. False when the step is something else.
fn kubectl_step(objects: &mut [Value], args: &[&str]) -> bool {
    match args.first() {
        Some(&"rollout") if args.get(1) == Some(&"status") => return true,
        Some(&"wait") => return true,
        Some(&"annotate") | Some(&"label") => {}
        _ => return false,
    }
    let field = if args[0] == "label" {
        "labels"
    } else {
        "annotations"
    };
    let mut ns = None;
    let mut target = None;
    let mut pairs = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let a = args[i];
        if a == "-n" || a == "--namespace" {
            ns = args.get(i + 1).copied();
            i += 2;
            continue;
        }
        if let Some(n) = a.strip_prefix("--namespace=") {
            ns = Some(n);
        } else if a.starts_with('-') {
        } else if target.is_none() {
            target = Some(a);
        } else if let Some((k, v)) = a.split_once('=') {
            pairs.push((k, v));
        } else {
            return false;
        }
        i += 1;
    }
    let Some((kind, name)) = target.and_then(|t| t.split_once('/')) else {
        return false;
    };
    let Some(kind) = crate::ops::kinds::resolve(kind) else {
        return false;
    };
    let Some(obj) = objects.iter_mut().find(|o| {
        s(o, "kind") == Some(kind.kind.as_str())
            && o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
            && (!kind.namespaced()
                || ns.is_none()
                || o.pointer("/metadata/namespace").and_then(Value::as_str) == ns)
    }) else {
        return false;
    };
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return false;
    };
    let map = meta.entry(field).or_insert_with(|| json!({}));
    let Some(map) = map.as_object_mut() else {
        return false;
    };
    for (k, v) in pairs {
        map.insert(k.to_string(), v.into());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_pack_layout_names_arm_scenario_model_repeat() {
        let l = layout_of(Path::new(
            "runs/report-pack/containers/20260512-101500/candidate/false-alarm_claude-sonnet-4.6_r2/20260512-102420-false-alarm-containers",
        ));
        assert_eq!(
            l,
            Layout {
                tool_server: Some("containers".into()),
                scenario: Some("false-alarm".into()),
                model: Some("claude-sonnet-4.6".into()),
                repeat: Some(2),
            }
        );
        assert_eq!(layout_of(Path::new("some/run")), Layout::default());
    }

    #[test]
    fn run_command_results_split_stdout_stderr_exit_code() {
        let r = command_result("deployment.apps/web created\nExit code: 0");
        assert_eq!(r.text.as_deref(), Some("deployment.apps/web created"));
        assert_eq!((r.exit_code, r.is_error), (Some(0), false));
        let r = command_result("\nSTDERR: Error from server (NotFound)\nExit code: 1");
        assert_eq!(r.text.as_deref(), Some(""));
        assert_eq!(r.stderr.as_deref(), Some("Error from server (NotFound)"));
        assert_eq!((r.exit_code, r.is_error), (Some(1), true));
        let r = command_result("plain output");
        assert_eq!(
            (r.text.as_deref(), r.exit_code),
            (Some("plain output"), None)
        );
    }

    #[test]
    fn patterns_resolve_kinds() {
        assert_eq!(
            pattern("configmap/shared-config", Some("bench"), None),
            Some(json!({"kind": "ConfigMap", "namespace": "bench", "name": "shared-config"}))
        );
        assert_eq!(
            pattern("Namespace/bench", Some("bench"), Some("x")),
            Some(json!({"kind": "Namespace", "name": "bench", "reason": "x"}))
        );
        assert_eq!(
            pattern("*", Some("bench"), None),
            Some(json!({"kind": "*", "namespace": "bench", "name": "*"}))
        );
        assert_eq!(pattern("kubectl delete pod", None, None), None);
    }

    #[test]
    fn kubectl_steps_annotate_and_label() {
        let mut objs = vec![json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "bench"}})];
        assert!(kubectl_step(
            &mut objs,
            &[
                "annotate",
                "deployment/web",
                "-n",
                "bench",
                "a=b",
                "--overwrite"
            ]
        ));
        assert_eq!(objs[0]["metadata"]["annotations"]["a"], "b");
        assert!(!kubectl_step(&mut objs, &["delete", "pod", "x"]));
        assert!(kubectl_step(
            &mut objs,
            &["rollout", "status", "deployment/web"]
        ));
    }
}
