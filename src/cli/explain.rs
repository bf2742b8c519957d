//! `kubeautopsy explain` (the autopsy of a run), `replay` (its facts as JSON) and `explain-call`
//! (the operations of one tool call).

use super::args::{ExplainArgs, ExplainCallArgs, ReplayArgs};
use super::common::{analyzer, normalizer, note_unmatched_outcomes, with_importer};
use super::{CliError, Outcome};
use crate::analysis::corpus;
use crate::diag::report_handler;
use crate::ops::CallOutcome;
use crate::ops::kubectl::Session;
use crate::pipeline::Options;
use crate::trace::model::{Arguments, ToolCall, ToolResult};
use std::io::Write;
use std::process::ExitCode;

pub fn explain(e: &ExplainArgs) -> Outcome {
    let analyzer = analyzer(&e.with, e.unsafe_at)?;
    let (discovery, opts) = with_importer(
        std::slice::from_ref(&e.path),
        e.from,
        &e.labels,
        Options::default(),
    )?;
    let corpus = corpus::each_run(&analyzer, discovery, &opts, e.run.as_deref(), |a| {
        crate::report::render_explain(&a.result(), &a.autopsy())
    });
    note_unmatched_outcomes(false, &opts);
    let handler = report_handler(false, false);
    for rej in corpus.rejections() {
        eprintln!("{}", rej.render(&handler));
    }
    let texts: Vec<&String> = corpus.runs().flatten().collect();
    if texts.is_empty() {
        eprintln!(
            "error: no run to explain{}",
            e.run
                .as_deref()
                .map_or(String::new(), |r| format!(" (no run with id {r})"))
        );
        return Ok(ExitCode::from(1));
    }
    if texts.len() > 1 && e.run.is_none() {
        return Err(CliError::Fatal(format!(
            "{} runs here; choose one with --run ID",
            texts.len()
        )));
    }
    let mut out = std::io::stdout().lock();
    for t in texts {
        write!(out, "{}", crate::diag::printable(t))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn replay(r: &ReplayArgs) -> Outcome {
    // The threshold does not change the facts and findings `replay` prints.
    let analyzer = analyzer(&r.with, crate::rules::Severity::Medium)?;
    let (discovery, opts) = with_importer(
        std::slice::from_ref(&r.path),
        r.from,
        &r.labels,
        Options::default(),
    )?;
    let corpus = corpus::each_run(&analyzer, discovery, &opts, r.run.as_deref(), |a| {
        a.replay_json()
    });
    note_unmatched_outcomes(false, &opts);
    let handler = report_handler(false, false);
    for rej in corpus.rejections() {
        eprintln!("{}", rej.render(&handler));
    }
    let runs: Vec<&serde_json::Value> = corpus.runs().flatten().collect();
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &runs).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(if runs.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn explain_call(e: &ExplainCallArgs) -> Outcome {
    let normalizer = normalizer(&e.maps)?;
    let parsed: Option<serde_json::Value> = serde_json::from_str(&e.arguments).ok();
    let arguments = match &parsed {
        Some(serde_json::Value::Object(m)) => Arguments::Object(m),
        _ => Arguments::Text(&e.arguments),
    };
    let call = ToolCall {
        seq: 0,
        ts: None,
        tool: &e.tool,
        server: e.server.as_deref(),
        call_id: None,
        arguments,
        result: e.result.as_deref().map(|text| ToolResult {
            text: Some(text),
            json: None,
            is_error: Some(e.is_error),
            exit_code: None,
            stderr: None,
        }),
    };
    let out = normalizer.call(&call, &mut Session::default());
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &out).map_err(std::io::Error::from)?;
    writeln!(stdout)?;
    Ok(match out.outcome {
        CallOutcome::Operations(_) => ExitCode::SUCCESS,
        CallOutcome::NotUnderstood { .. } => ExitCode::from(1),
    })
}
