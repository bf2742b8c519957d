//! Outcomes that live beside the recordings: `--outcomes FILE` (CSV or JSONL rows naming a run
//! id or a source path, with `passed` and optional checks), and SREGym's `*_results_*.json`
//! files picked up next to the sessions they belong to.
//!
//! Both are applied to a trace document after it passed the schema and before it is typed
//! (`pipeline`), so an attached outcome is the run's outcome everywhere (tables, explain,
//! saved analyses). The run says where it came from in its labels (`outcome_from`), which
//! `explain` shows.

use crate::input::{Discovery, SkipReason, SourcePath};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The label that names where an attached outcome came from.
pub const OUTCOME_FROM: &str = "outcome_from";
/// The label that says why a run's outcome is what it is when a file beside it had something
/// to say that is not a verifier's outcome (SREGym's agent exit status).
pub const OUTCOME_NOTE: &str = "outcome_note";

/// How a row names its run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RunKey {
    /// The run id (`run.id`).
    Run(String),
    /// The input's path, or its trailing components (`codex_run/rollout.jsonl`).
    Source(String),
}

/// One outcome row.
#[derive(Debug, Clone)]
pub struct OutcomeRow {
    pub key: RunKey,
    pub passed: bool,
    /// trace v1 checks (`{name, verdict}`).
    pub checks: Vec<Value>,
    pub message: Option<String>,
    /// 1-based line of the row in its file.
    pub line: u64,
}

/// An SREGym results file: what its driver wrote after the agent process ended.
#[derive(Debug, Clone)]
pub struct SregymResult {
    pub file: PathBuf,
    /// The folder whose sessions it belongs to.
    pub dir: PathBuf,
    pub problem_id: Option<String>,
    pub return_code: Option<i64>,
    pub success: Option<bool>,
}

/// Outcomes to attach while reading, and how often each row was used.
#[derive(Debug, Default)]
pub struct Outcomes {
    pub file: Option<PathBuf>,
    pub rows: Vec<OutcomeRow>,
    pub sregym: Vec<SregymResult>,
    hits: Vec<AtomicU64>,
}

impl Outcomes {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.sregym.is_empty()
    }

    /// Read an outcomes file: CSV with a header (`run` or `source`, `passed`, optional
    /// `checks` as `name=pass;name=fail`, optional `message`) or JSONL (`{"run"|"source",
    /// "passed", "checks"?, "message"?}`, checks as trace v1 checks or the CSV string).
    pub fn load(path: &Path) -> Result<Outcomes, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "--outcomes {}: {}",
                path.display(),
                crate::input::io_message(&e)
            )
        })?;
        let at = |line: u64, col: u64, msg: String| {
            format!("--outcomes {}:{line}:{col}: {msg}", path.display())
        };
        let first = text.trim_start();
        let rows = if first.starts_with('{') {
            jsonl_rows(&text).map_err(|(l, c, m)| at(l, c, m))?
        } else {
            csv_rows(&text).map_err(|(l, c, m)| at(l, c, m))?
        };
        if rows.is_empty() {
            return Err(format!("--outcomes {}: no outcome rows", path.display()));
        }
        let mut first_of: std::collections::HashMap<&RunKey, u64> = Default::default();
        for r in &rows {
            if let Some(first) = first_of.insert(&r.key, r.line) {
                let what = match &r.key {
                    RunKey::Run(id) => format!("run {id}"),
                    RunKey::Source(p) => format!("source {p}"),
                };
                return Err(at(
                    r.line,
                    1,
                    format!("{what} has an outcome already (line {first}): one row per run"),
                ));
            }
        }
        let hits = rows.iter().map(|_| AtomicU64::new(0)).collect();
        Ok(Outcomes {
            file: Some(path.to_path_buf()),
            rows,
            sregym: Vec::new(),
            hits,
        })
    }

    /// Attach what is known about the run of `doc` (read from `source`): an outcome row that
    /// names its id or its path, else an SREGym results file in a folder above it.
    pub fn attach(&self, doc: &mut Value, source: &str) {
        let id = doc
            .pointer("/run/id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        // A row naming the run's id wins over one naming its input.
        let row = self
            .rows
            .iter()
            .position(|r| r.key == RunKey::Run(id.clone()))
            .or_else(|| {
                self.rows
                    .iter()
                    .position(|r| matches!(&r.key, RunKey::Source(p) if path_ends_with(source, p)))
            });
        if let Some(i) = row {
            let r = &self.rows[i];
            if let Some(h) = self.hits.get(i) {
                h.fetch_add(1, Ordering::Relaxed);
            }
            let mut outcome = json!({ "passed": r.passed });
            if !r.checks.is_empty() {
                outcome["checks"] = Value::Array(r.checks.clone());
            }
            if let Some(m) = &r.message {
                outcome["message"] = m.clone().into();
            }
            let replaced = doc.get("outcome").is_some();
            doc["outcome"] = outcome;
            let file = self
                .file
                .as_ref()
                .map_or_else(String::new, |f| f.display().to_string());
            let mut from = format!("{file}:{}", r.line);
            if replaced {
                from.push_str(" (replacing the trace's own outcome)");
            }
            set_label(doc, OUTCOME_FROM, from);
            return;
        }
        if let Some(r) = self.sregym_for(source) {
            // SREGym's drivers write `success: return_code == 0`: the agent process ended
            // without error. That is not a grader's verdict, so the outcome stays as it is.
            let note = format!(
                "{}: success={} is SREGym's agent exit status (return_code {}), not a \
                 verifier's outcome",
                r.file.display(),
                r.success.map_or("?".into(), |b| b.to_string()),
                r.return_code.map_or("?".into(), |c| c.to_string()),
            );
            set_label(doc, OUTCOME_NOTE, note);
            if let Some(run) = doc.get_mut("run").and_then(Value::as_object_mut)
                && let Some(p) = &r.problem_id
            {
                run.entry("scenario").or_insert_with(|| p.clone().into());
            }
        }
    }

    /// The one SREGym results file of the nearest folder above `source` that has any (none
    /// when that folder has several: which session each belongs to is not recorded).
    fn sregym_for(&self, source: &str) -> Option<&SregymResult> {
        let path = Path::new(source);
        let mut best: Option<(&Path, Vec<&SregymResult>)> = None;
        for r in &self.sregym {
            if !path.starts_with(&r.dir) {
                continue;
            }
            match &mut best {
                Some((dir, list)) if *dir == r.dir.as_path() => list.push(r),
                Some((dir, _)) if dir.starts_with(&r.dir) => {}
                _ => best = Some((r.dir.as_path(), vec![r])),
            }
        }
        match best {
            Some((_, list)) if list.len() == 1 => list.first().copied(),
            _ => None,
        }
    }

    /// Rows no run matched (to tell the user).
    pub fn unmatched(&self) -> Vec<&OutcomeRow> {
        self.rows
            .iter()
            .zip(&self.hits)
            .filter(|(_, h)| h.load(Ordering::Relaxed) == 0)
            .map(|(r, _)| r)
            .collect()
    }

    /// Take SREGym results files (`<agent>_results_<problem>_<date>_<time>.json` holding
    /// `problem_id`, `return_code`, `success`) out of the sources: they are not runs, they
    /// belong to the sessions under their folder. Only files that some session will be given
    /// are taken (counted as skipped outcome files); the others stay sources, and their
    /// importer rejects them saying why.
    pub fn pick_sregym_results(&mut self, discovery: &mut Discovery) {
        let candidates: Vec<SregymResult> = discovery
            .sources
            .iter()
            .filter_map(|s| match &s.path {
                SourcePath::File(p) if is_sregym_results_name(p) => read_sregym(p),
                _ => None,
            })
            .collect();
        let sessions: Vec<&Path> = discovery
            .sources
            .iter()
            .filter_map(|s| match &s.path {
                SourcePath::File(p) if !is_sregym_results_name(p) => Some(p.as_path()),
                _ => None,
            })
            .collect();
        let probe = Outcomes {
            sregym: candidates,
            ..Outcomes::default()
        };
        let used: Vec<&SregymResult> = probe
            .sregym
            .iter()
            .filter(|r| {
                sessions.iter().any(|s| {
                    probe
                        .sregym_for(&s.display().to_string())
                        .is_some_and(|chosen| chosen.file == r.file)
                })
            })
            .collect();
        let mut keep = Vec::with_capacity(discovery.sources.len());
        for source in std::mem::take(&mut discovery.sources) {
            let taken = match &source.path {
                SourcePath::File(p) => used.iter().find(|r| r.file == *p),
                SourcePath::Stdin => None,
            };
            match taken {
                Some(r) => {
                    discovery
                        .skipped
                        .push((r.file.clone(), SkipReason::OutcomeFile));
                    self.sregym.push((*r).clone());
                }
                None => keep.push(source),
            }
        }
        for (i, s) in keep.iter_mut().enumerate() {
            s.index = i;
        }
        discovery.sources = keep;
    }
}

fn set_label(doc: &mut Value, key: &str, value: String) {
    let Some(run) = doc.get_mut("run").and_then(Value::as_object_mut) else {
        return;
    };
    let labels = run
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(m) = labels.as_object_mut() {
        m.insert(key.to_string(), value.into());
    }
}

/// `a/b/c.jsonl` ends with `b/c.jsonl` (whole components).
fn path_ends_with(path: &str, tail: &str) -> bool {
    Path::new(path).ends_with(Path::new(tail))
}

fn is_sregym_results_name(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[a-z0-9]+_results_.+_\d{8}_\d{6}\.json$").ok())
        .as_ref()
        .is_some_and(|re| re.is_match(&name))
}

fn read_sregym(p: &Path) -> Option<SregymResult> {
    let text = std::fs::read_to_string(p).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    if v.get("return_code").is_none() || v.get("success").is_none() {
        return None;
    }
    Some(SregymResult {
        file: p.to_path_buf(),
        dir: p.parent().map(Path::to_path_buf).unwrap_or_default(),
        problem_id: v
            .get("problem_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        return_code: v.get("return_code").and_then(Value::as_i64),
        success: v.get("success").and_then(Value::as_bool),
    })
}

type RowError = (u64, u64, String);

/// `true`/`false`, `1`/`0`, `pass`/`fail`, `passed`/`failed`, `success`/`failure`, `yes`/`no`.
fn passed_of(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "pass" | "passed" | "success" | "yes" => Some(true),
        "false" | "0" | "fail" | "failed" | "failure" | "no" => Some(false),
        _ => None,
    }
}

/// `name=pass;other=fail` → trace v1 checks.
fn checks_of(text: &str) -> Result<Vec<Value>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let (name, verdict) = c
                .rsplit_once('=')
                .filter(|(name, _)| !name.trim().is_empty())
                .ok_or_else(|| format!("check {c:?}: expected name=pass|fail|skip|error"))?;
            let verdict = match verdict.trim() {
                v @ ("pass" | "fail" | "skip" | "error") => v.to_string(),
                other => match passed_of(other) {
                    Some(true) => "pass".into(),
                    Some(false) => "fail".into(),
                    None => {
                        return Err(format!(
                            "check {c:?}: verdict {other:?} is not pass, fail, skip or error"
                        ));
                    }
                },
            };
            Ok(json!({"name": name.trim(), "verdict": verdict}))
        })
        .collect()
}

fn key_of(run: Option<&str>, source: Option<&str>) -> Option<RunKey> {
    match (
        run.filter(|r| !r.is_empty()),
        source.filter(|s| !s.is_empty()),
    ) {
        (Some(r), _) => Some(RunKey::Run(r.to_string())),
        (None, Some(s)) => Some(RunKey::Source(s.to_string())),
        _ => None,
    }
}

fn csv_rows(text: &str) -> Result<Vec<OutcomeRow>, RowError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| (1, 1, format!("not CSV: {e}")))?
        .clone();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h));
    let run = col(&["run", "run_id", "id"]);
    let source = col(&["source", "path", "file"]);
    let Some(passed) = col(&["passed", "pass", "success"]) else {
        return Err((1, 1, "the header needs a `passed` column".into()));
    };
    if run.is_none() && source.is_none() {
        return Err((1, 1, "the header needs a `run` or a `source` column".into()));
    }
    let checks = col(&["checks"]);
    let message = col(&["message"]);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            (line, 1, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let get = |i: Option<usize>| i.and_then(|i| record.get(i));
        let Some(key) = key_of(get(run), get(source)) else {
            return Err((line, 1, "the row names no run and no source".into()));
        };
        let value = get(Some(passed)).unwrap_or_default();
        let Some(ok) = passed_of(value) else {
            return Err((
                line,
                1,
                format!("passed is {value:?}: expected true/false (or pass/fail, 1/0)"),
            ));
        };
        rows.push(OutcomeRow {
            key,
            passed: ok,
            checks: checks_of(get(checks).unwrap_or_default()).map_err(|m| (line, 1, m))?,
            message: get(message).filter(|m| !m.is_empty()).map(str::to_string),
            line,
        });
    }
    Ok(rows)
}

fn jsonl_rows(text: &str) -> Result<Vec<OutcomeRow>, RowError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| (n, e.column() as u64, format!("not JSON: {e}")))?;
        let str_of = |k: &str| v.get(k).and_then(Value::as_str);
        let Some(key) = key_of(str_of("run").or_else(|| str_of("run_id")), str_of("source")) else {
            return Err((
                n,
                1,
                "the row names no run and no source (`run` or `source`)".into(),
            ));
        };
        let passed = match v.get("passed") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(t)) => passed_of(t)
                .ok_or_else(|| (n, 1, format!("passed is {t:?}: expected true or false")))?,
            _ => return Err((n, 1, "`passed` (true or false) is missing".into())),
        };
        let checks = match v.get("checks") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(t)) => checks_of(t).map_err(|m| (n, 1, m))?,
            Some(Value::Array(list)) => {
                // Only the fields of a trace v1 check, each of its type.
                let mut checks = Vec::new();
                for (j, c) in list.iter().enumerate() {
                    let name = c
                        .get("name")
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty());
                    let verdict = c.get("verdict").and_then(Value::as_str);
                    let (Some(name), Some(verdict @ ("pass" | "fail" | "skip" | "error"))) =
                        (name, verdict)
                    else {
                        return Err((
                            n,
                            1,
                            format!("checks/{j}: expected {{name, verdict: pass|fail|skip|error}}"),
                        ));
                    };
                    let mut check = json!({"name": name, "verdict": verdict});
                    for k in ["type", "message"] {
                        if let Some(t) = c.get(k).and_then(Value::as_str) {
                            check[k] = t.into();
                        }
                    }
                    checks.push(check);
                }
                checks
            }
            Some(_) => return Err((n, 1, "checks: expected an array or a string".into())),
        };
        rows.push(OutcomeRow {
            key,
            passed,
            checks,
            message: str_of("message").map(str::to_string),
            line: n,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: Vec<OutcomeRow>) -> Outcomes {
        let hits = rows.iter().map(|_| AtomicU64::new(0)).collect();
        Outcomes {
            file: Some(PathBuf::from("o.csv")),
            rows,
            sregym: Vec::new(),
            hits,
        }
    }

    #[test]
    fn csv_rows_with_checks_and_errors_that_point_at_the_row() {
        let rows = csv_rows(
            "run,passed,checks,message\nr1,true,ready=pass;no-dup=fail,ok\nr2,0,,\n\"r,3\",pass,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].passed && !rows[1].passed);
        assert_eq!(rows[0].checks[1]["verdict"], "fail");
        assert_eq!(rows[2].key, RunKey::Run("r,3".into()));
        assert_eq!(rows[1].line, 3);
        let e = csv_rows("run,passed\nr1,maybe\n").unwrap_err();
        assert_eq!(e.0, 2);
        assert!(e.2.contains("maybe"), "{e:?}");
        assert!(
            csv_rows("run,ok\nr1,true\n")
                .unwrap_err()
                .2
                .contains("passed")
        );
    }

    #[test]
    fn jsonl_rows_and_attachment_by_id_or_path() {
        let rows = jsonl_rows(
            "{\"run\": \"a\", \"passed\": true}\n\n{\"source\": \"codex_run/x.jsonl\", \"passed\": false, \"checks\": [{\"name\": \"c\", \"verdict\": \"fail\"}]}\n",
        )
        .unwrap();
        let t = table(rows);
        let mut doc = json!({"run": {"id": "a"}, "events": []});
        t.attach(&mut doc, "/x/y.jsonl");
        assert_eq!(doc["outcome"]["passed"], true);
        assert_eq!(doc["run"]["labels"][OUTCOME_FROM], "o.csv:1");
        let mut doc = json!({"run": {"id": "b"}, "events": [], "outcome": {"passed": true}});
        t.attach(&mut doc, "/d/codex_run/x.jsonl");
        assert_eq!(doc["outcome"]["passed"], false);
        assert!(
            doc["run"]["labels"][OUTCOME_FROM]
                .as_str()
                .unwrap()
                .contains("replacing")
        );
        let mut doc = json!({"run": {"id": "c"}, "events": []});
        t.attach(&mut doc, "/d/other_run/x.jsonl");
        assert!(
            doc.get("outcome").is_none(),
            "a partial component is no match"
        );
        assert!(t.unmatched().is_empty());
        assert!(
            jsonl_rows("{\"run\": \"a\"}\n")
                .unwrap_err()
                .2
                .contains("passed")
        );
        assert!(checks_of("=pass").is_err());
        // A row naming the run's id wins over an earlier one naming its input.
        let t = table(
            jsonl_rows("{\"source\": \"x.jsonl\", \"passed\": false}\n{\"run\": \"a\", \"passed\": true}\n")
                .unwrap(),
        );
        let mut doc = json!({"run": {"id": "a"}, "events": []});
        t.attach(&mut doc, "/d/x.jsonl");
        assert_eq!(doc["outcome"]["passed"], true);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("o.csv");
        std::fs::write(&f, "run,passed\na,true\nb,false\na,false\n").unwrap();
        let e = Outcomes::load(&f).unwrap_err();
        assert!(e.contains(":4:1:") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn sregym_results_are_a_note_not_an_outcome() {
        let mut t = table(Vec::new());
        t.sregym.push(SregymResult {
            file: PathBuf::from("/r/codex_run/codex_results_p_20260629_170110.json"),
            dir: PathBuf::from("/r/codex_run"),
            problem_id: Some("p".into()),
            return_code: Some(0),
            success: Some(true),
        });
        let mut doc = json!({"run": {"id": "s"}, "events": []});
        t.attach(&mut doc, "/r/codex_run/sessions/2026/rollout.jsonl");
        assert!(doc.get("outcome").is_none());
        assert_eq!(doc["run"]["scenario"], "p");
        assert!(
            doc["run"]["labels"][OUTCOME_NOTE]
                .as_str()
                .unwrap()
                .contains("exit status")
        );
        assert!(is_sregym_results_name(Path::new(
            "a/opencode_results_service_port_conflict_hotel_reservation_20260630_053808.json"
        )));
        assert!(!is_sregym_results_name(Path::new("a/results.json")));
    }
}
