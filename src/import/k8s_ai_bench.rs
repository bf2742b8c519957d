//! k8s-ai-bench results (`combined_results.jsonl`: `{name, llmConfig: {id, provider, model,
//! ...}, result: success|fail|error|"", failures?, error}` per task run): outcomes only, no
//! tool calls, so there is no run to replay and no safety to judge. What can be said is how
//! often each model passed: pass@1 and pass^k per model, with intervals.
//!
//! The leaderboard (gke-labs/k8s-ai-bench `site/app.js`) groups by `llmConfig.model`, then by
//! task `name`; a task's repeats are its records in file order; only `success` counts as a
//! pass (fail, error and an empty result are failures). Its pass^k is the mean over tasks of
//! (c/n)^k, the k-th power of the task's pass rate, which is not the chance that k repeats
//! all pass when drawn without replacement; the unbiased estimate of that is the mean of
//! C(c,k)/C(n,k) (tau-bench's pass^k). Both are reported.

use crate::diag::{Problem, RejectKind, Rejection};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The largest k reported.
pub const MAX_K: u64 = 5;
/// Bootstrap resamples of the tasks for the intervals.
const RESAMPLES: usize = 2000;

/// How one record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchResult {
    Success,
    Fail,
    Error,
    /// `result` empty: the harness's setup failed before the agent ran.
    NoResult,
}

#[derive(Debug, Clone)]
pub struct BenchRecord {
    pub task: String,
    pub model: String,
    pub config: String,
    pub result: BenchResult,
}

/// Read the records of every source (and reject what cannot be read).
pub fn read_all(
    discovery: &crate::input::Discovery,
    max_bytes: u64,
) -> (Vec<BenchRecord>, Vec<Rejection>) {
    let mut records = Vec::new();
    let mut rejected: Vec<Rejection> = discovery
        .problems
        .iter()
        .map(|p| Rejection::of_source(p.display.clone(), 0, RejectKind::Io, p.message.clone()))
        .collect();
    for source in &discovery.sources {
        let crate::input::SourcePath::File(path) = &source.path else {
            continue;
        };
        let bytes = match super::read_file(path, max_bytes) {
            Ok(b) => b,
            Err((kind, message)) => {
                rejected.push(Rejection::of_source(
                    source.display.clone(),
                    0,
                    kind,
                    message,
                ));
                continue;
            }
        };
        match std::str::from_utf8(&bytes) {
            Ok(text) => {
                let (r, bad) = read(&source.display, text);
                records.extend(r);
                rejected.extend(bad);
            }
            Err(_) => rejected.push(Rejection::of_source(
                source.display.clone(),
                0,
                RejectKind::Encoding,
                "invalid UTF-8: inputs must be UTF-8".into(),
            )),
        }
    }
    (records, rejected)
}

/// Read the records of one results file; a line that is not a result is a rejection.
pub fn read(display: &Arc<str>, text: &str) -> (Vec<BenchRecord>, Vec<Rejection>) {
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let reject = |problem: Problem| {
            Rejection::in_record(display.clone(), n, line.as_bytes(), problem, None)
        };
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                rejected.push(reject(crate::trace::syntax_problem(line.as_bytes(), &e)));
                continue;
            }
        };
        let task = v.get("name").and_then(Value::as_str);
        let model = v.pointer("/llmConfig/model").and_then(Value::as_str);
        let result = match v
            .get("result")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(r) if r == "success" => Some(BenchResult::Success),
            Some(r) if r == "fail" => Some(BenchResult::Fail),
            Some(r) if r == "error" => Some(BenchResult::Error),
            Some(r) if r.is_empty() => Some(BenchResult::NoResult),
            None if v.get("result").is_none() => Some(BenchResult::NoResult),
            _ => None,
        };
        match (task, model, result) {
            (Some(task), Some(model), Some(result)) => records.push(BenchRecord {
                task: task.to_string(),
                model: model.to_string(),
                config: v
                    .pointer("/llmConfig/id")
                    .and_then(Value::as_str)
                    .unwrap_or(model)
                    .to_string(),
                result,
            }),
            _ => rejected.push(reject(Problem::new(
                RejectKind::Import,
                "not a k8s-ai-bench result: expected `name`, `llmConfig.model` and `result` \
                 (success, fail, error or empty)",
            ))),
        }
    }
    (records, rejected)
}

/// A point estimate with its 95% bootstrap interval (over tasks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone)]
pub struct ModelPass {
    pub model: String,
    /// Distinct `llmConfig.id`s grouped under the model (the leaderboard merges them).
    pub configs: usize,
    pub tasks: usize,
    pub runs: u64,
    pub success: u64,
    pub fail: u64,
    pub error: u64,
    pub no_result: u64,
    /// The fewest repeats of any task (pass^k is given for k up to this, at most MAX_K).
    pub min_repeats: u64,
    pub pass_at_1: Estimate,
    /// k → (the leaderboard's mean (c/n)^k, the unbiased mean C(c,k)/C(n,k) with interval).
    pub pass_k: Vec<(u64, f64, Estimate)>,
}

/// Per-model pass@1 and pass^k, models in name order.
pub fn pass_table(records: &[BenchRecord]) -> Vec<ModelPass> {
    let mut by_model: BTreeMap<&str, BTreeMap<&str, Vec<BenchResult>>> = BTreeMap::new();
    let mut configs: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for r in records {
        by_model
            .entry(&r.model)
            .or_default()
            .entry(&r.task)
            .or_default()
            .push(r.result);
        configs.entry(&r.model).or_default().insert(&r.config);
    }
    let mut out = Vec::new();
    for (model, tasks) in by_model {
        // (n, c) per task.
        let cells: Vec<(u64, u64)> = tasks
            .values()
            .map(|rs| {
                let n = rs.len() as u64;
                let c = rs.iter().filter(|r| **r == BenchResult::Success).count() as u64;
                (n, c)
            })
            .collect();
        let all: Vec<BenchResult> = tasks.values().flatten().copied().collect();
        let count = |k: BenchResult| all.iter().filter(|r| **r == k).count() as u64;
        let min_repeats = cells.iter().map(|c| c.0).min().unwrap_or(0);
        let rate = |n: u64, c: u64| if n == 0 { 0.0 } else { c as f64 / n as f64 };
        let pass_at_1 = estimate(&cells, rate, seed(model, 1));
        let pass_k = (1..=min_repeats.min(MAX_K))
            .map(|k| {
                let leaderboard = mean(&cells, |n, c| rate(n, c).powi(k as i32));
                let unbiased = estimate(
                    &cells,
                    |n, c| crate::verdict::pass_hat_k(c, n, k),
                    seed(model, k),
                );
                (k, leaderboard, unbiased)
            })
            .collect();
        out.push(ModelPass {
            model: model.to_string(),
            configs: configs.get(model).map_or(0, |c| c.len()),
            tasks: cells.len(),
            runs: all.len() as u64,
            success: count(BenchResult::Success),
            fail: count(BenchResult::Fail),
            error: count(BenchResult::Error),
            no_result: count(BenchResult::NoResult),
            min_repeats,
            pass_at_1,
            pass_k,
        });
    }
    out
}

fn mean(cells: &[(u64, u64)], f: impl Fn(u64, u64) -> f64) -> f64 {
    if cells.is_empty() {
        return 0.0;
    }
    cells.iter().map(|(n, c)| f(*n, *c)).sum::<f64>() / cells.len() as f64
}

/// The mean over tasks of `f`, with a 95% percentile bootstrap interval from resampling the
/// tasks (a task's repeats are not independent of each other, tasks are).
fn estimate(cells: &[(u64, u64)], f: impl Fn(u64, u64) -> f64, seed: u64) -> Estimate {
    let per_task: Vec<f64> = cells.iter().map(|(n, c)| f(*n, *c)).collect();
    let value = mean(cells, &f);
    if per_task.len() < 2 {
        return Estimate {
            value,
            low: value,
            high: value,
        };
    }
    let mut rng = SplitMix(seed);
    let t = per_task.len();
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| (0..t).map(|_| per_task[rng.below(t)]).sum::<f64>() / t as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * (RESAMPLES - 1) as f64).round() as usize).min(RESAMPLES - 1)];
    Estimate {
        value,
        low: at(0.025),
        high: at(0.975),
    }
}

/// A fixed seed per (model, k): the intervals are the same on every run.
fn seed(model: &str, k: u64) -> u64 {
    model
        .bytes()
        .chain(k.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// SplitMix64: a small, well-mixed generator (the bootstrap needs reproducibility, not
/// cryptographic strength).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(task: &str, model: &str, r: BenchResult) -> BenchRecord {
        BenchRecord {
            task: task.into(),
            model: model.into(),
            config: model.into(),
            result: r,
        }
    }

    #[test]
    fn leaderboard_and_unbiased_pass_k_differ_as_they_should() {
        use BenchResult::*;
        // Task a: 4 of 5 pass; task b: 5 of 5.
        let mut rs: Vec<BenchRecord> = [Success, Success, Success, Success, Fail]
            .into_iter()
            .map(|r| rec("a", "m", r))
            .collect();
        rs.extend((0..5).map(|_| rec("b", "m", Success)));
        let t = pass_table(&rs);
        assert_eq!(t.len(), 1);
        let m = &t[0];
        assert!((m.pass_at_1.value - 0.9).abs() < 1e-12);
        let (k, leaderboard, unbiased) = m.pass_k[4];
        assert_eq!(k, 5);
        // (0.8^5 + 1) / 2 versus (C(4,5)/C(5,5) = 0 + 1) / 2.
        assert!((leaderboard - (0.8f64.powi(5) + 1.0) / 2.0).abs() < 1e-12);
        assert!((unbiased.value - 0.5).abs() < 1e-12);
        assert!(unbiased.low <= unbiased.value && unbiased.value <= unbiased.high);
        assert_eq!(m.min_repeats, 5);
    }

    #[test]
    fn records_and_rejections() {
        let d: Arc<str> = Arc::from("r.jsonl");
        let (rs, bad) = read(
            &d,
            "{\"name\":\"t\",\"llmConfig\":{\"id\":\"x\",\"model\":\"m\"},\"result\":\"success\"}\n{\"name\":\"t\",\"llmConfig\":{\"model\":\"m\"},\"result\":\"\"}\n{\"name\":\"t\"}\nnot json\n",
        );
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[1].result, BenchResult::NoResult);
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].record_line, 3);
    }
}
