//! `kubeautopsy diff`: two saved analyses, or one corpus judged by two rule sets.

use super::args::{DiffArgs, Global, RuleArgs};
use super::common::{normalizer, options, rule_set, scenarios};
use super::{CliError, Outcome};
use crate::analysis::{Analyzer, corpus};
use crate::diff::{Diff, Side};
use crate::report::Provenance;
use crate::report::export::Saved;
use crate::run_result::RunResult;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(g: &Global, d: &DiffArgs) -> Outcome {
    let corpus_mode = !d.rules.is_empty() || !d.base_rules.is_empty();
    let (old, new) = if corpus_mode {
        judged_twice(g, d)?
    } else {
        let [a, b] = d.paths.as_slice() else {
            return Err(CliError::Fatal(format!(
                "diff takes two saved analyses (directories written by `analyze --out`), \
                 or a corpus with --rules; got {} path(s)",
                d.paths.len()
            )));
        };
        let load = |p: &PathBuf| {
            Saved::load(p)
                .and_then(|s| Side::of_saved(p.display().to_string(), s))
                .map_err(|e| CliError::Fatal(format!("cannot read a saved analysis: {e}")))
        };
        both(load(a), load(b))?
    };
    let result = Diff::of(old.matched_by(d.match_by), new.matched_by(d.match_by));
    let mut out = std::io::stdout().lock();
    write!(
        out,
        "{}",
        crate::diag::printable(&result.render(d.format, d.limit))
    )?;
    out.flush()?;
    Ok(if d.exit_code && result.any_verdict_changed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One corpus, replayed once and judged by the old rules (built-in + `--base-rules`) and the
/// new ones (built-in + `--rules`).
fn judged_twice(g: &Global, d: &DiffArgs) -> Result<(Side, Side), CliError> {
    // Each pair is loaded (and its problems printed) before either can fail.
    let (normalizer, scenarios) = both(normalizer(&d.maps), scenarios(&d.scenarios))?;
    let (old_rules, new_rules) = both(
        rule_set(&RuleArgs {
            rules: d.base_rules.clone(),
        }),
        rule_set(&RuleArgs {
            rules: d.rules.clone(),
        }),
    )?;
    let maps = normalizer.maps().len();
    let analyzer = Analyzer {
        normalizer,
        scenarios,
        rules: old_rules,
        unsafe_at: d.unsafe_at,
    };
    let input = super::args::InputArgs {
        paths: d.paths.clone(),
        files_from: None,
        shard: None,
        max_record_size: crate::input::DEFAULT_MAX_RECORD_BYTES,
        max_inflation: crate::input::DEFAULT_MAX_INFLATION,
        chunk_size: crate::pipeline::DEFAULT_CHUNK_BYTES,
    };
    let corpus = corpus::judge_twice(
        &analyzer,
        &new_rules,
        crate::input::discover(&input.paths),
        &options(g, &input, false),
    );
    let rejected = corpus.rejections().count();
    if rejected > 0 && !g.quiet {
        eprintln!(
            "note: {rejected} input(s) rejected and left out of both sides; `kubeautopsy validate` lists them"
        );
    }
    let olds: Vec<&RunResult> = corpus.runs().map(|p| &p.0).collect();
    let news: Vec<&RunResult> = corpus.runs().map(|p| &p.1).collect();
    let label = |paths: &[PathBuf]| {
        if paths.is_empty() {
            "built-in rules".to_string()
        } else {
            let p: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            format!("built-in rules + {}", p.join(", "))
        }
    };
    Ok((
        Side::of_results(
            label(&d.base_rules),
            Provenance::of(&analyzer.rules, maps, d.unsafe_at),
            &olds,
        ),
        Side::of_results(
            label(&d.rules),
            Provenance::of(&new_rules, maps, d.unsafe_at),
            &news,
        ),
    ))
}

/// Both values, or the error (when both failed, the first error is printed here and the
/// second returned).
fn both<A, B>(a: Result<A, CliError>, b: Result<B, CliError>) -> Result<(A, B), CliError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(first), Err(second)) => {
            if let CliError::Fatal(m) = first {
                eprintln!("error: {m}");
            }
            Err(second)
        }
    }
}
