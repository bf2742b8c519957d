//! `kubeautopsy validate`: every input checked against the schemas; each rejection printed.

use super::Outcome;
use super::args::{DiagFormat, Global, ValidateArgs};
use super::common::{options, wants_color};
use crate::accounting::Accounting;
use crate::diag::report_handler;
use crate::pipeline;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub fn run(g: &Global, v: &ValidateArgs) -> Outcome {
    let discovery = crate::input::discover(&v.input.all_paths()?);
    // Valid runs are counted, not kept: memory does not grow with the corpus.
    let (corpus, _) = pipeline::run_into::<(), pipeline::CountRuns, _>(
        discovery,
        &options(g, &v.input, false),
        &(),
        |_| (),
    );
    let accounting = Accounting::of(&corpus);
    let stdout = std::io::stdout();
    let (color, unicode) = wants_color(g, stdout.is_terminal());
    let mut out = stdout.lock();
    match v.format {
        DiagFormat::Human => {
            let handler = report_handler(color, unicode);
            for r in corpus.rejections() {
                writeln!(out, "{}", r.render(&handler))?;
            }
            writeln!(
                out,
                "{} valid ({} run(s), {} scenario(s)), {} rejected{} in {} file(s)",
                accounting.runs + accounting.scenarios,
                accounting.runs,
                accounting.scenarios,
                accounting.rejected_total(),
                if accounting.rejected_total() > 0 {
                    format!(" ({})", accounting.rejected_by_kind())
                } else {
                    String::new()
                },
                accounting.sources,
            )?;
        }
        DiagFormat::Json => {
            let doc = serde_json::json!({
                "valid_runs": accounting.runs,
                "valid_scenarios": accounting.scenarios,
                "rejected": corpus.rejections().map(|r| r.to_json()).collect::<Vec<_>>(),
                "files": accounting.sources,
                "skipped": corpus.skipped.iter().map(|(p, why)| serde_json::json!({
                    "path": p.display().to_string(), "reason": why.as_str()
                })).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if accounting.rejected_total() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
