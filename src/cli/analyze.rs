//! `kubeautopsy analyze`: a corpus analysed, its tables printed, saved (`--out`) and drawn
//! (`--html`).

use super::args::{AnalyzeArgs, FailOn, Global};
use super::common::{self, analyzer, note_duplicate_ids};
use super::{CliError, Outcome};
use crate::accounting::Accounting;
use crate::analysis::corpus::{self, Retention};
use crate::report::{self, Provenance, Tables, export};
use crate::run_result::Autopsy;
use clap::ValueEnum as _;
use std::process::ExitCode;

pub fn run(g: &Global, a: &AnalyzeArgs) -> Outcome {
    if a.from == Some(crate::import::ImportFormat::K8sAiBench) {
        return outcomes_only(g, a);
    }
    let analyzer = analyzer(&a.with, a.unsafe_at)?;
    let (discovery, opts) = common::corpus_inputs(g, &a.input, a.from, &a.labels, a.strict)?;
    // A saved analysis, an HTML report and --strict spool each run to disk as it is made and
    // read the runs back in corpus order (memory flat in the corpus size); otherwise each run
    // is folded into the tables as it is made.
    let fatal = |e: String| CliError::Fatal(format!("cannot save the analysis: {e}"));
    let mut run_files = None;
    let mut drill = a.html.as_deref().map(common::drill_down).transpose()?;
    let analysis = if a.html.is_some() || a.out.is_some() || a.strict {
        if let Some(dir) = &a.out {
            run_files = Some(export::RunFiles::create(dir).map_err(|e| fatal(e.to_string()))?);
        }
        let spool_dir = match &a.out {
            Some(dir) => dir.join(".kubeautopsy-spool"),
            None => std::env::temp_dir().join(format!("kubeautopsy-spool-{}", std::process::id())),
        };
        corpus::analyze_spooled(&analyzer, discovery, &opts, &spool_dir, |r| {
            if let Some(drill) = &mut drill {
                // The autopsy as the spool holds it, read once.
                let timeline = serde_json::from_str::<Autopsy>(r.autopsy_json)
                    .ok()
                    .map(|a| report::render_explain(&r.result, &a));
                drill
                    .push_run(r.source, r.line, &r.result, timeline)
                    .map_err(|e| format!("cannot write the HTML report: {e}"))?;
            }
            match &mut run_files {
                Some(files) => files
                    .push(r.source, r.line, r.result, (r.result_json, r.autopsy_json))
                    .map_err(|e| e.to_string()),
                None => Ok(()),
            }
        })
        .map_err(fatal)?
    } else {
        corpus::analyze(&analyzer, discovery, &opts, Retention::FoldOnly)
    };
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
    // A saved analysis was spooled: its run files are written, its tables follow.
    if let (Some(dir), Some(files)) = (&a.out, run_files) {
        let rejections: Vec<&crate::diag::Rejection> = analysis.corpus.rejections().collect();
        let files = export::write_tables(files, &tables, &rejections, &accounting, &provenance)
            .map_err(|e| fatal(e.to_string()))?;
        if !g.quiet {
            eprintln!(
                "saved the analysis in {} ({} files)",
                dir.display(),
                files.len()
            );
        }
    }
    if let (Some(path), Some(drill)) = (&a.html, drill) {
        common::write_html(g, path, &tables, drill, &accounting, &provenance)?;
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
