//! Pass rates of results that hold outcomes only (k8s-ai-bench): per model, pass@1 and pass^k
//! (the leaderboard's (c/n)^k and the unbiased C(c,k)/C(n,k)) with 95% bootstrap intervals
//! over tasks. No safety table: without calls there is nothing to judge.

use super::{OutputFormat, TableFormat, align_numbers, new_table};
use crate::import::k8s_ai_bench::{Estimate, ModelPass};
use std::fmt::Write as _;

fn pct(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

fn with_interval(e: &Estimate) -> String {
    format!("{} [{}, {}]", pct(e.value), pct(e.low), pct(e.high))
}

/// The tables in `format` (`Err` for a format these results have no table for).
pub fn render(
    table: &[ModelPass],
    records: usize,
    rejected: usize,
    format: OutputFormat,
) -> Result<String, String> {
    match format {
        OutputFormat::Text(f) => Ok(text(table, records, rejected, f)),
        OutputFormat::Json => {
            let models: Vec<serde_json::Value> = table.iter().map(json).collect();
            let doc = serde_json::json!({
                "kind": "outcomes-only",
                "records": records,
                "rejected": rejected,
                "interval": "95% percentile bootstrap over tasks, 2000 resamples, fixed seed",
                "models": models,
            });
            serde_json::to_string_pretty(&doc)
                .map(|s| s + "\n")
                .map_err(|e| e.to_string())
        }
        OutputFormat::Csv => {
            let mut s =
                String::from("model,k,tasks,runs,pass_k_leaderboard,pass_k_unbiased,low,high\n");
            for m in table {
                let model = format!("\"{}\"", m.model.replace('"', "\"\""));
                for (k, leaderboard, u) in &m.pass_k {
                    let _ = writeln!(
                        s,
                        "{model},{k},{},{},{leaderboard:.6},{:.6},{:.6},{:.6}",
                        m.tasks, m.runs, u.value, u.low, u.high
                    );
                }
            }
            Ok(s)
        }
        OutputFormat::Parquet => {
            Err("outcome-only results have no Parquet table; use --format csv or json".to_string())
        }
    }
}

fn json(m: &ModelPass) -> serde_json::Value {
    let est = |e: &Estimate| serde_json::json!({"value": e.value, "low": e.low, "high": e.high});
    serde_json::json!({
        "model": m.model,
        "configs": m.configs,
        "tasks": m.tasks,
        "runs": m.runs,
        "success": m.success,
        "fail": m.fail,
        "error": m.error,
        "no_result": m.no_result,
        "min_repeats": m.min_repeats,
        "pass_at_1": est(&m.pass_at_1),
        "pass_k": m.pass_k.iter().map(|(k, l, u)| serde_json::json!({
            "k": k, "leaderboard": l, "unbiased": est(u),
        })).collect::<Vec<_>>(),
    })
}

fn text(table: &[ModelPass], records: usize, rejected: usize, format: TableFormat) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Outcomes only: {records} result(s), {rejected} rejected. These results record no tool \
         calls, so no run can be replayed and safety cannot be judged: there is no safety table, \
         only how often each model passed.\n"
    );
    let mut t = new_table(format);
    t.set_header([
        "model",
        "configs",
        "tasks",
        "runs",
        "success",
        "fail",
        "error",
        "no result",
        "pass@1 % [95% CI]",
    ]);
    for m in table {
        t.add_row([
            m.model.clone(),
            m.configs.to_string(),
            m.tasks.to_string(),
            m.runs.to_string(),
            m.success.to_string(),
            m.fail.to_string(),
            m.error.to_string(),
            m.no_result.to_string(),
            with_interval(&m.pass_at_1),
        ]);
    }
    align_numbers(&mut t, 1);
    let _ = writeln!(s, "{t}\n");
    let mut t = new_table(format);
    t.set_header([
        "model",
        "k",
        "pass^k % leaderboard: mean (c/n)^k",
        "pass^k % unbiased: mean C(c,k)/C(n,k) [95% CI]",
    ]);
    for m in table {
        for (k, leaderboard, u) in m.pass_k.iter().filter(|(k, _, _)| *k >= 2) {
            t.add_row([
                m.model.clone(),
                k.to_string(),
                pct(*leaderboard),
                with_interval(u),
            ]);
        }
    }
    align_numbers(&mut t, 1);
    let _ = writeln!(s, "{t}\n");
    let _ = writeln!(
        s,
        "Per model (llmConfig.model, as the k8s-ai-bench leaderboard groups) and task, c of n \
         repeats passed (only `success` passes; fail, error and no result count as failures). \
         pass@1 is the mean over tasks of c/n. The leaderboard's pass^k is the mean of (c/n)^k; \
         the chance that k repeats drawn from the n all pass is C(c,k)/C(n,k), which is lower \
         whenever 0 < c < n. Intervals: 95% percentile bootstrap over tasks (2000 resamples, \
         fixed seed). \"configs\" counts the llmConfig ids merged under a model."
    );
    s
}
