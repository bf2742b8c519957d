//! `kubeautopsy rules check | test | schema`: for rule authors and their pre-commit hooks.

use super::Outcome;
use super::args::{DiagFormat, RulesCommand, ToolMapArgs};
use super::common::{normalizer, wants_color_default};
use crate::diag::report_handler;
use crate::rules::RuleSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub fn run(r: &RulesCommand) -> Outcome {
    match r {
        RulesCommand::Schema => {
            print!("{}", crate::rules::RULES_SCHEMA_TEXT);
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Check {
            paths,
            format,
            deny_warnings,
        } => check(paths, *format, *deny_warnings),
        RulesCommand::Test { paths, junit } => test(paths, junit.as_deref()),
    }
}

fn check(paths: &[std::path::PathBuf], format: DiagFormat, deny_warnings: bool) -> Outcome {
    let (set, diags) = RuleSet::load(paths, paths.is_empty());
    let errors = diags.iter().filter(|d| d.error).count();
    let warnings = diags.len() - errors;
    let mut out = std::io::stdout().lock();
    match format {
        DiagFormat::Human => {
            let (color, unicode) = wants_color_default(std::io::stdout().is_terminal());
            let handler = report_handler(color, unicode);
            for d in &diags {
                writeln!(out, "{}", d.render(&handler))?;
            }
            writeln!(
                out,
                "{} rule(s) checked: {errors} error(s), {warnings} warning(s)",
                set.rules.len()
            )?;
        }
        DiagFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"rules": set.rules.len(), "errors": errors, "warnings": warnings, "diagnostics": diags}),
            )
            .map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
    }
    Ok(if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn test(paths: &[std::path::PathBuf], junit: Option<&std::path::Path>) -> Outcome {
    let (set, diags) = RuleSet::load(paths, paths.is_empty());
    if diags.iter().any(|d| d.error) {
        let handler = report_handler(false, false);
        for d in &diags {
            eprintln!("{}", d.render(&handler));
        }
        return Ok(ExitCode::from(1));
    }
    let analyzer = crate::analysis::Analyzer {
        normalizer: normalizer(&ToolMapArgs { tool_maps: None })?,
        scenarios: crate::scenarios::Scenarios::default(),
        rules: set,
        unsafe_at: crate::rules::Severity::Medium,
    };
    let results = crate::analysis::rule_tests::run(&analyzer);
    let mut out = std::io::stdout().lock();
    for r in &results {
        let n = r.fixtures.len();
        if r.passed() {
            writeln!(out, "ok    {} ({n} fixture(s))", r.rule)?;
        } else {
            writeln!(out, "FAIL  {} ({n} fixture(s))", r.rule)?;
            for p in &r.problems {
                writeln!(out, "        {p}")?;
            }
            for f in r.fixtures.iter().filter(|f| f.problem.is_some()) {
                writeln!(
                    out,
                    "        {}: {}",
                    f.file,
                    f.problem.as_deref().unwrap_or_default()
                )?;
            }
        }
    }
    let failed = results.iter().filter(|r| !r.passed()).count();
    writeln!(
        out,
        "{} rule(s): {} passed, {failed} failed",
        results.len(),
        results.len() - failed
    )?;
    if let Some(path) = junit {
        std::fs::write(path, crate::analysis::rule_tests::junit(&results))?;
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
