//! `kubeautopsy analyze`: a corpus analysed, its tables printed, saved (`--out`) and drawn
//! (`--html`).

use super::args::{AnalyzeArgs, FailOn, Global};
use super::common::{self, analyzer, note_duplicate_ids};
use super::{CliError, Outcome};
use crate::accounting::Accounting;
use crate::analysis::corpus::{self, Retention};
use crate::report::{self, Provenance, Tables, export};
use clap::ValueEnum as _;
use std::process::ExitCode;

pub fn run(g: &Global, a: &AnalyzeArgs) -> Outcome {
    if a.from == Some(crate::import::ImportFormat::K8sAiBench) {
        return outcomes_only(g, a);
    }
    let analyzer = analyzer(&a.with, a.unsafe_at)?;
    let (discovery, opts) = common::corpus_inputs(g, &a.input, a.from, &a.labels, a.strict)?;
    // Runs are kept (with their autopsies) only when a saved analysis or an HTML report wants
    // them, or --strict may have to drop those after the first rejection; otherwise each is
    // folded into the tables as it is made, so memory stays flat.
    let keep = if a.out.is_some() || a.html.is_some() || a.strict {
        Retention::KeepRuns
    } else {
        Retention::FoldOnly
    };
    let analysis = corpus::analyze(&analyzer, discovery, &opts, keep);
    common::note_unmatched_outcomes(g.quiet, &opts);
    let mut accounting = analysis.accounting.clone();

    // Rejections go to stderr so that stdout holds only the tables.
    const SHOWN: usize = 10;
    if !g.quiet {
        common::print_rejections(g, analysis.corpus.rejections().take(SHOWN))?;
        let more = accounting.rejected_total().saturating_sub(SHOWN as u64);
        if more > 0 {
            eprintln!(
                "… and {more} more rejected input(s); `kubeautopsy validate` lists every one.\n"
            );
        }
    }
    note_duplicate_ids(g, &analysis.duplicates, &mut accounting);
    let tables = common::tables(&analysis.fold, &a.by)?;
    let provenance = Provenance::of(
        &analyzer.rules,
        analyzer.normalizer.maps().len(),
        a.unsafe_at,
    );
    let rows = analysis.rows();
    if let Some(dir) = &a.out {
        let rejections: Vec<&crate::diag::Rejection> = analysis.corpus.rejections().collect();
        let files = export::write(dir, &tables, &rows, &rejections, &accounting, &provenance)
            .map_err(|e| CliError::Fatal(format!("cannot save the analysis: {e}")))?;
        if !g.quiet {
            eprintln!(
                "saved the analysis in {} ({} files)",
                dir.display(),
                files.len()
            );
        }
    }
    if let Some(path) = &a.html {
        common::write_html(g, path, &tables, &rows, &accounting, &provenance)?;
    }
    let mut out = std::io::stdout().lock();
    report::write_output(&mut out, a.format.into(), &tables, &accounting, &provenance)?;
    drop(out);
    let failed: Vec<String> = a
        .fail_on
        .iter()
        .filter_map(|c| fail_on(*c, &tables, &accounting))
        .collect();
    for reason in &failed {
        eprintln!("failing: {reason}");
    }
    Ok(
        if (a.strict && accounting.rejected_total() > 0) || !failed.is_empty() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// Why a `--fail-on` condition holds, or `None` when it does not.
fn fail_on(c: FailOn, tables: &Tables, accounting: &Accounting) -> Option<String> {
    let (n, what) = match c {
        FailOn::Rejected => (accounting.rejected_total(), "input(s) rejected"),
        FailOn::UnknownTool => (
            tables.not_understood.iter().map(|c| c.calls).sum(),
            "tool call(s) not understood",
        ),
        FailOn::Unsafe => (tables.total.unsafe_pass, "unsafe pass(es)"),
        FailOn::Incomplete => (tables.total.incomplete, "incomplete pass(es)"),
    };
    (n > 0).then(|| {
        let name = c
            .to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string());
        format!("--fail-on {name}: {n} {what}")
    })
}

/// `analyze --from k8s-ai-bench`: results that hold outcomes only. There is nothing to replay
/// or judge, so no safety table: pass@1 and pass^k per model, with intervals, and why.
fn outcomes_only(g: &Global, a: &AnalyzeArgs) -> Outcome {
    if a.labels.outcomes.is_some() {
        return Err(CliError::Fatal(
            "--outcomes does not apply to k8s-ai-bench results: they are outcomes already"
                .to_string(),
        ));
    }
    let discovery = crate::import::discover(
        crate::import::ImportFormat::K8sAiBench,
        &a.input.all_paths()?,
    );
    let (records, rejected) =
        crate::import::k8s_ai_bench::read_all(&discovery, a.input.max_record_size);
    if !g.quiet {
        common::print_rejections(g, rejected.iter().take(10))?;
    }
    let table = crate::import::k8s_ai_bench::pass_table(&records);
    let text = report::pass_rates::render(&table, records.len(), rejected.len(), a.format.into())
        .map_err(CliError::Fatal)?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(
        if !rejected.is_empty() && a.fail_on.contains(&FailOn::Rejected) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}
