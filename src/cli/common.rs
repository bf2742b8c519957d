//! What several commands share: pipeline options from the arguments, loading tool maps,
//! scenarios and rules (printing why they cannot be loaded), colours, warnings, the HTML file.

use super::CliError;
use super::args::{
    AnalysisInputs, ColorChoice, Global, InputArgs, LabelArgs, RuleArgs, ScenarioArgs, ToolMapArgs,
};
use crate::accounting::{Accounting, DuplicateId};
use crate::analysis::Analyzer;
use crate::diag::{Rejection, report_handler};
use crate::input::Limits;
use crate::ops::Normalizer;
use crate::pipeline::Options;
use crate::report::{Provenance, Tables};
use crate::rules::{RuleSet, Severity};
use crate::run_result::RunRow;
use crate::scenarios::Scenarios;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

pub fn options(g: &Global, input: &InputArgs, strict: bool) -> Options {
    Options {
        limits: Limits {
            max_record_bytes: input.max_record_size,
            max_inflation: input.max_inflation,
        },
        chunk_bytes: input.chunk_size,
        strict,
        progress: !g.quiet && std::io::stderr().is_terminal(),
        import: None,
        shard: input.shard,
        outcomes: None,
        documents: false,
    }
}

/// The inputs of a corpus and the options to read them: with an importer (`from`) or as
/// trace v1; `--outcomes` loaded; SREGym results files beside sessions taken out of the
/// sources (they are outcomes of the runs beside them, counted as skipped outcome files).
pub fn corpus_inputs(
    g: &Global,
    input: &InputArgs,
    from: Option<crate::import::ImportFormat>,
    labels: &LabelArgs,
    strict: bool,
) -> Result<(crate::input::Discovery, Options), CliError> {
    with_importer(&input.all_paths()?, from, labels, options(g, input, strict))
}

/// The sources of `paths` read with the importer `from` (or as trace v1), with the
/// outcomes of `labels` (`--outcomes`, and SREGym results files beside the sessions).
pub fn with_importer(
    paths: &[PathBuf],
    from: Option<crate::import::ImportFormat>,
    labels: &LabelArgs,
    mut opts: Options,
) -> Result<(crate::input::Discovery, Options), CliError> {
    let mut discovery = match from {
        Some(format) => crate::import::discover(format, paths),
        None => crate::input::discover(paths),
    };
    opts.import = from.map(|f| (f, labels.run_labels()));
    let mut outcomes = match &labels.outcomes {
        Some(file) => crate::import::outcomes::Outcomes::load(file).map_err(CliError::Fatal)?,
        None => crate::import::outcomes::Outcomes::default(),
    };
    outcomes.pick_sregym_results(&mut discovery);
    if !outcomes.is_empty() {
        opts.outcomes = Some(std::sync::Arc::new(outcomes));
    }
    Ok((discovery, opts))
}

/// After a corpus was read: say which `--outcomes` rows matched no run.
pub fn note_unmatched_outcomes(quiet: bool, opts: &Options) {
    let Some(outcomes) = &opts.outcomes else {
        return;
    };
    let unmatched = outcomes.unmatched();
    if quiet || unmatched.is_empty() {
        return;
    }
    let file = outcomes
        .file
        .as_ref()
        .map_or_else(String::new, |f| f.display().to_string());
    let shown: Vec<String> = unmatched
        .iter()
        .take(5)
        .map(|r| match &r.key {
            crate::import::outcomes::RunKey::Run(id) => format!("line {} (run {id})", r.line),
            crate::import::outcomes::RunKey::Source(p) => format!("line {} (source {p})", r.line),
        })
        .collect();
    eprintln!(
        "warning: {} of {} row(s) of {file} matched no run: {}{}",
        unmatched.len(),
        outcomes.rows.len(),
        shown.join(", "),
        if unmatched.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    );
}

impl InputArgs {
    /// The paths given, then those listed by `--files-from`.
    pub fn all_paths(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut paths = self.paths.clone();
        if let Some(list) = &self.files_from {
            let text = if list.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(list).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("--files-from {}: {e}", list.display()))
                })?
            };
            paths.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(PathBuf::from),
            );
        }
        Ok(paths)
    }
}

/// (colours, Unicode art) for diagnostics on a stream, from NO_COLOR alone.
pub fn wants_color_default(terminal: bool) -> (bool, bool) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    (terminal && !no_color, terminal)
}

/// (colours, Unicode art) for diagnostics on a stream, as `--color` says.
pub fn wants_color(g: &Global, terminal: bool) -> (bool, bool) {
    match g.color {
        ColorChoice::Always => (true, true),
        ColorChoice::Never => (false, false),
        ColorChoice::Auto => wants_color_default(terminal),
    }
}

/// Print rejections on stderr, with colours as `--color` says.
pub fn print_rejections<'a>(
    g: &Global,
    rejections: impl Iterator<Item = &'a Rejection>,
) -> std::io::Result<()> {
    let stderr = std::io::stderr();
    let (color, unicode) = wants_color(g, stderr.is_terminal());
    let handler = report_handler(color, unicode);
    let mut err = stderr.lock();
    for r in rejections {
        writeln!(err, "{}", r.render(&handler))?;
    }
    Ok(())
}

/// The tool maps (built-in plus `--tool-maps`).
pub fn normalizer(maps: &ToolMapArgs) -> Result<Normalizer, CliError> {
    Normalizer::load(maps.tool_maps.as_deref()).map_err(|problems| {
        for p in problems {
            eprintln!("error: tool map {p}");
        }
        CliError::Reported
    })
}

/// The scenario files of `--scenarios`.
pub fn scenarios(args: &ScenarioArgs) -> Result<Scenarios, CliError> {
    Scenarios::load(&args.scenarios).map_err(|problems| {
        let handler = report_handler(false, false);
        for p in problems {
            eprintln!("{}", p.render(&handler));
        }
        eprintln!("error: the scenario files above are invalid");
        CliError::Reported
    })
}

/// The built-in rule pack plus `--rules`; warnings are printed, errors make it fail.
pub fn rule_set(args: &RuleArgs) -> Result<RuleSet, CliError> {
    let (set, diags) = RuleSet::load(&args.rules, true);
    let handler = report_handler(false, false);
    for d in &diags {
        eprintln!("{}", d.render(&handler));
    }
    if diags.iter().any(|d| d.error) {
        Err(CliError::Reported)
    } else {
        Ok(set)
    }
}

/// Everything judging runs needs.
pub fn analyzer(with: &AnalysisInputs, unsafe_at: Severity) -> Result<Analyzer, CliError> {
    Ok(Analyzer {
        normalizer: normalizer(&with.maps)?,
        scenarios: scenarios(&with.scenarios)?,
        rules: rule_set(&with.rules)?,
        unsafe_at,
    })
}

/// Count the runs that repeat an earlier run's id and warn about the first few on stderr.
pub fn note_duplicate_ids(g: &Global, dups: &[DuplicateId], accounting: &mut Accounting) {
    const SHOWN: usize = 5;
    accounting.duplicate_run_ids = dups.len() as u64;
    if g.quiet {
        return;
    }
    for d in dups.iter().take(SHOWN) {
        eprintln!(
            "warning: run id {:?} at {} was already seen at {}; both are analysed and counted \
             (drop the copy, or give different runs different ids)",
            d.id, d.at, d.first
        );
    }
    if dups.len() > SHOWN {
        eprintln!(
            "warning: … and {} more run(s) with the id of an earlier run",
            dups.len() - SHOWN
        );
    }
}

/// Aggregate the tables (a polars failure is fatal).
pub fn tables(
    fold: &crate::fold::RunFold,
    by: &[crate::fold::GroupField],
) -> Result<Tables, CliError> {
    Tables::from_fold(fold, by).map_err(|e| CliError::Fatal(format!("aggregation failed: {e}")))
}

/// Write the HTML report.
pub fn write_html(
    g: &Global,
    path: &Path,
    tables: &Tables,
    runs: crate::report::html::DrillDown,
    accounting: &Accounting,
    provenance: &Provenance,
) -> Result<(), CliError> {
    let cannot = &cannot_write(path);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(cannot)?);
    crate::report::html::write_html(&mut file, tables, runs, accounting, provenance)
        .and_then(|()| std::io::Write::flush(&mut file))
        .map_err(cannot)?;
    if !g.quiet {
        eprintln!("wrote the HTML report to {}", path.display());
    }
    Ok(())
}

/// The error of a report at `path` that could not be written.
fn cannot_write(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::Fatal(format!("cannot write {}: {e}", path.display()))
}

/// The drill-down of an HTML report at `path`, spooled beside it.
pub fn drill_down(path: &Path) -> Result<crate::report::html::DrillDown, CliError> {
    crate::report::html::DrillDown::beside(path).map_err(cannot_write(path))
}

/// The drill-down of an HTML report at `path` holding `rows`.
pub fn drill_down_of<'a>(
    path: &Path,
    rows: impl IntoIterator<Item = RunRow<'a>>,
) -> Result<crate::report::html::DrillDown, CliError> {
    let mut drill = drill_down(path)?;
    for row in rows {
        drill.push(row).map_err(cannot_write(path))?;
    }
    Ok(drill)
}
