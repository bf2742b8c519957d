//! `kubeautopsy rules check | test | docs | schema`: for rule authors and their pre-commit hooks.

use super::CliError;
use super::Outcome;
use super::args::{DiagFormat, EvalArgs, EvalFormat, Global, RulesCommand, ToolMapArgs};
use super::common::{normalizer, wants_color_default};
use crate::analysis::corpus::{self, Retention};
use crate::analysis::rule_eval::{self, Counts, Evaluation, Labels};
use crate::diag::report_handler;
use crate::report::{TableFormat, new_table};
use crate::rules::RuleSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub fn run(g: &Global, r: &RulesCommand) -> Outcome {
    match r {
        RulesCommand::Eval(a) => eval(g, a),
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
        RulesCommand::Docs { paths, out, check } => docs(paths, out, *check),
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
    let set = match load_or_report(paths) {
        Ok(set) => set,
        Err(code) => return Ok(code),
    };
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

/// `rules docs`: write the pages of the rule set to `dir`, or with `check` compare them.
fn docs(paths: &[std::path::PathBuf], dir: &std::path::Path, check: bool) -> Outcome {
    use crate::rules::docs;
    let set = match load_or_report(paths) {
        Ok(set) => set,
        Err(code) => return Ok(code),
    };
    let pages = docs::pages(&set, &docs::read_fixtures(&set));
    // The Markdown files in the directory now (None: unreadable).
    let mut present: std::collections::BTreeMap<String, Option<String>> =
        std::collections::BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_file() && path.extension().is_some_and(|x| x == "md") {
                let name = e.file_name().to_string_lossy().into_owned();
                present.insert(name, std::fs::read_to_string(&path).ok());
            }
        }
    }
    let extra: Vec<&String> = present
        .keys()
        .filter(|name| !pages.iter().any(|(page, _)| page == *name))
        .collect();
    let mut out = std::io::stdout().lock();
    if check {
        let mut problems = Vec::new();
        for (name, text) in &pages {
            let path = dir.join(name);
            match present.get(name) {
                None => problems.push(format!(
                    "{} is missing: run `kubeautopsy rules docs`",
                    path.display()
                )),
                Some(old) if old.as_deref() != Some(text.as_str()) => problems.push(format!(
                    "{} is out of date: run `kubeautopsy rules docs`",
                    path.display()
                )),
                Some(_) => {}
            }
        }
        for name in &extra {
            problems.push(format!(
                "{} is not the page of any rule: delete it (`kubeautopsy rules docs` removes the \
                 pages it wrote)",
                dir.join(name).display()
            ));
        }
        for p in &problems {
            writeln!(out, "{p}")?;
        }
        if problems.is_empty() {
            writeln!(
                out,
                "{} page(s) in {} are up to date",
                pages.len(),
                dir.display()
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        writeln!(
            out,
            "{} of {} page(s) in {} are missing, out of date or extra",
            problems.len(),
            pages.len(),
            dir.display()
        )?;
        return Ok(ExitCode::from(1));
    }
    std::fs::create_dir_all(dir)?;
    let mut written: usize = 0;
    for (name, text) in &pages {
        if present.get(name).and_then(|t| t.as_deref()) != Some(text.as_str()) {
            std::fs::write(dir.join(name), text)?;
            written += 1;
        }
    }
    let mut removed: usize = 0;
    for name in &extra {
        let path = dir.join(name);
        let generated = present
            .get(*name)
            .and_then(|t| t.as_deref())
            .is_some_and(|t| t.starts_with(docs::GENERATED));
        if generated {
            std::fs::remove_file(&path)?;
            removed += 1;
        } else {
            writeln!(
                out,
                "{} is not a page `kubeautopsy rules docs` wrote: left alone",
                path.display()
            )?;
        }
    }
    writeln!(
        out,
        "{} page(s) in {}: {written} written, {removed} removed, {} unchanged",
        pages.len(),
        dir.display(),
        pages.len() - written
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `rules eval CORPUS --labels FILE`: the rules measured against labelled runs.
fn eval(g: &Global, a: &EvalArgs) -> Outcome {
    let name = a.labels.display().to_string();
    let text = std::fs::read_to_string(&a.labels)
        .map_err(|e| CliError::Fatal(format!("cannot read the labels file {name}: {e}")))?;
    let labels = Labels::parse(&name, &text).map_err(CliError::Fatal)?;
    let analyzer = super::common::analyzer(&a.with, a.unsafe_at)?;
    let (discovery, opts) =
        super::common::corpus_inputs(g, &a.input, a.from, &a.run_labels, false)?;
    let analysis = corpus::analyze(&analyzer, discovery, &opts, Retention::KeepRuns);
    let rows = analysis.rows();
    let results: Vec<&crate::run_result::RunResult> = rows.iter().map(|r| r.run).collect();
    let ids: Vec<String> = analyzer
        .rules
        .rules
        .iter()
        .map(|r| r.rule.id.clone())
        .collect();
    let ev = rule_eval::evaluate(&results, &labels, a.unsafe_at, &ids);
    let mut out = std::io::stdout().lock();
    match a.format {
        EvalFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &ev).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        EvalFormat::Table => write!(out, "{}", render_eval(&ev, TableFormat::Table))?,
        EvalFormat::Markdown => write!(out, "{}", render_eval(&ev, TableFormat::Markdown))?,
    }
    if let Some(path) = &a.junit {
        std::fs::write(path, rule_eval::junit(&ev))
            .map_err(|e| CliError::Fatal(format!("cannot write {}: {e}", path.display())))?;
    }
    let disagreeing = ev.labelled - ev.agreeing;
    Ok(
        if a.check && (disagreeing > 0 || !ev.unmatched_labels.is_empty()) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

fn share_text(s: &crate::verdict::Share) -> String {
    if s.n == 0 {
        "-".to_string()
    } else {
        s.render()
    }
}

fn counts_row(name: &str, c: &Counts) -> Vec<String> {
    vec![
        name.to_string(),
        c.tp.to_string(),
        c.fp.to_string(),
        if c.recall_known {
            c.fn_.to_string()
        } else {
            "-".to_string()
        },
        c.tn.to_string(),
        share_text(&c.precision()),
        c.recall()
            .map_or_else(|| "-".to_string(), |r| share_text(&r)),
    ]
}

/// The evaluation as text: the overall and per-rule table, the verdict matrix, and every
/// labelled run the analysis disagrees with.
fn render_eval(ev: &Evaluation, format: TableFormat) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "Rules against labels: {} labelled run(s) analysed, {} agree with their label",
        ev.labelled, ev.agreeing
    ));
    if ev.unlabelled > 0 {
        s.push_str(&format!(
            ", {} analysed run(s) without a label",
            ev.unlabelled
        ));
    }
    s.push_str("\n\n");
    let header = ["detector", "TP", "FP", "FN", "TN", "precision", "recall"];
    let mut t = new_table(format);
    t.set_header(header);
    t.add_row(counts_row("verdict: unsafe pass", &ev.overall));
    let mut quiet = 0;
    for (rule, c) in &ev.rules {
        if c.tp + c.fp + c.fn_ > 0 {
            t.add_row(counts_row(rule, c));
        } else {
            quiet += 1;
        }
    }
    s.push_str(&t.to_string());
    if quiet > 0 {
        s.push_str(&format!(
            "\n{quiet} rule(s) made no error and found nothing on the labelled runs (not listed)."
        ));
    }
    s.push_str(
        "\n\nA positive is an unsafe pass, over runs both the label and the analysis call passed; a \
         rule is judged on runs labelled safe (any finding at or above --unsafe-at is a false \
         positive) and, where a label names the rules that must fire, on those (FN: named, did not \
         fire). Recall needs such names: `-` where no label gives them. Wilson 95% intervals.\n",
    );
    let mut m = new_table(format);
    let verdicts = ["safe_pass", "unsafe_pass", "incomplete", "fail", "unknown"];
    let mut h = vec!["label \\ analysis"];
    h.extend(verdicts);
    m.set_header(h);
    for (label, row) in &ev.confusion {
        let mut r = vec![label.clone()];
        r.extend(
            verdicts
                .iter()
                .map(|v| row.get(*v).copied().unwrap_or(0).to_string()),
        );
        m.add_row(r);
    }
    s.push_str("\nVerdicts: label by analysis\n\n");
    s.push_str(&m.to_string());
    s.push('\n');
    let wrong: Vec<&rule_eval::Compared> = ev.runs.iter().filter(|c| !c.agrees()).collect();
    if !wrong.is_empty() {
        s.push_str(&format!("\n{} labelled run(s) disagree:\n", wrong.len()));
        for c in wrong {
            s.push_str(&format!(
                "  {}: labelled {}, analysed {}",
                c.run, c.label, c.verdict
            ));
            if !c.fired.is_empty() {
                s.push_str(&format!(" (fired: {})", c.fired.join(", ")));
            }
            if !c.missing_rules.is_empty() {
                s.push_str(&format!("; did not fire: {}", c.missing_rules.join(", ")));
            }
            if !c.unexpected_rules.is_empty() {
                s.push_str(&format!("; unexpected: {}", c.unexpected_rules.join(", ")));
            }
            if let Some(r) = &c.reason {
                s.push_str(&format!("\n      label's reason: {r}"));
            }
            s.push('\n');
        }
    }
    if !ev.unmatched_labels.is_empty() {
        s.push_str(&format!(
            "\n{} label(s) matched no analysed run: {}\n",
            ev.unmatched_labels.len(),
            ev.unmatched_labels.join(", ")
        ));
    }
    s
}

/// The rule set of `paths` (the built-in pack when none), or exit 1 after printing its errors.
fn load_or_report(paths: &[std::path::PathBuf]) -> Result<RuleSet, ExitCode> {
    let (set, diags) = RuleSet::load(paths, paths.is_empty());
    if diags.iter().any(|d| d.error) {
        let handler = report_handler(false, false);
        for d in &diags {
            eprintln!("{}", d.render(&handler));
        }
        return Err(ExitCode::from(1));
    }
    Ok(set)
}
