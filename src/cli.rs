//! The command line: argument definitions and the commands that wire the stages together.

use crate::diag::{parse_size, report_handler};
use crate::input::{self, Limits};
use crate::model::facts::replay_run;
use crate::ops::kubectl::Session;
use crate::ops::{CallOutcome, Normalizer};
use crate::pipeline::{self, Corpus, Options};
use crate::report::export::{self, RunRow};
use crate::report::{self, Accounting, Provenance, TableFormat, Tables};
use crate::rules::{RuleSet, Severity};
use crate::run_result::RunResult;
use crate::scenarios::Scenarios;
use crate::synth;
use crate::trace::model::{Arguments, ToolCall, ToolResult};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_HELP: &str = "\
Exit status:
  0  success (validate: every input is valid)
  1  inputs were rejected (validate, import), --strict met a rejected input or a --fail-on
     condition holds (analyze: rejected, unknown-tool, unsafe), explain-call did not
     understand the call, or diff --exit-code found a changed verdict
  2  bad usage, or a fatal error (an output could not be written)

Inputs: files and directories (searched recursively) of .json (one run), .jsonl/.ndjson
(one run per line), each optionally .gz or .zst; `-` reads stdin. The recording format is
schema/trace.v1.schema.json (print it with `kubeautopsy schema trace`).";

#[derive(Debug, Parser)]
#[command(
    name = "kubeautopsy",
    version,
    about = "Tell whether an AI agent fixed a Kubernetes cluster safely, not just whether it fixed it.",
    long_about = "kubeautopsy reads recorded agent runs (traces), replays every cluster mutation on a \
simulated resource model, finds the unsafe paths to a green check (unnecessary creations, broad \
patches, destructive shortcuts) and prints aggregate safety tables.",
    after_help = EXIT_HELP
)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Global {
    /// Worker threads (default: RAYON_NUM_THREADS, else one per core).
    #[arg(short = 'j', long, global = true, value_name = "N")]
    threads: Option<usize>,
    /// No progress bar, no per-input diagnostics from `analyze` (counts are still printed).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// When to use colours and Unicode art in diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colours on a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse a corpus of traces and print the tables.
    #[command(after_help = EXIT_HELP)]
    Analyze(AnalyzeArgs),
    /// Check traces and scenario files against the schema; print every rejection.
    #[command(after_help = EXIT_HELP)]
    Validate(ValidateArgs),
    /// Convert recordings of other formats (benchmark dumps, MCP captures, agent transcripts,
    /// audit logs) to trace v1; scenario folders to scenario v1.
    #[command(after_help = EXIT_HELP)]
    Import(ImportArgs),
    /// Write a synthetic corpus of realistic traces (for benchmarks).
    Gen(synth::GenArgs),
    /// Benchmark floor: read and deserialize every record into typed structs, nothing else.
    #[command(name = "bench-parse", hide = true)]
    BenchParse {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Show the canonical operations of one tool call (for rule and tool-map authors).
    #[command(name = "explain-call")]
    ExplainCall(ExplainCallArgs),
    /// Replay runs on the simulated cluster and print every operation's effects and facts (JSON).
    Replay(ReplayArgs),
    /// The autopsy of runs: every call, its operations and effects, the findings, the verdict.
    Explain(ExplainArgs),
    /// The tables (and an HTML report) of an analysis saved with `analyze --out DIR`.
    Report(ReportArgs),
    /// Combine the saved analyses of shards (`analyze --shard K/N --out DIR`) into the tables of
    /// the whole corpus, byte for byte what one `analyze` prints.
    Merge(MergeArgs),
    /// Which runs changed verdict between two analyses, and why (rule added, removed, changed).
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Check, test and print rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// List the facts rules can use, with their meaning.
    Facts {
        /// Output format.
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// Print a JSON Schema of kubeautopsy's formats.
    Schema {
        /// Which format.
        #[arg(value_enum, default_value_t = SchemaName::Trace)]
        which: SchemaName,
    },
}

#[derive(Debug, Args)]
struct ExplainCallArgs {
    /// The tool's name as recorded (e.g. `kubectl_delete`, `mcp__kubernetes__pods_delete`).
    tool: String,
    /// The call's arguments: a JSON object, or for shell tools the command line itself.
    #[arg(default_value = "{}")]
    arguments: String,
    /// The tool server, when the trace records it.
    #[arg(long)]
    server: Option<String>,
    /// The result text, to judge whether the call took effect.
    #[arg(long)]
    result: Option<String>,
    /// The result was an error (MCP isError).
    #[arg(long)]
    is_error: bool,
    #[command(flatten)]
    maps: ToolMapArgs,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// A trace file (or a .jsonl of traces; `-` for stdin).
    path: PathBuf,
    /// Only the run with this id.
    #[arg(long)]
    run: Option<String>,
    #[command(flatten)]
    with: AnalysisInputs,
}

/// What an analysis needs besides the traces: scenarios, tool maps, rules.
#[derive(Debug, Args)]
struct AnalysisInputs {
    #[command(flatten)]
    scenarios: ScenarioArgs,
    #[command(flatten)]
    maps: ToolMapArgs,
    #[command(flatten)]
    rules: RuleArgs,
}

impl AnalysisInputs {
    /// Load all three, or print why one cannot be loaded.
    fn load(&self) -> Option<(Normalizer, Scenarios, RuleSet)> {
        Some((
            normalizer(&self.maps)?,
            scenarios(&self.scenarios)?,
            rule_set(&self.rules)?,
        ))
    }
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// A trace file, or a corpus (file or directory) together with --run.
    path: PathBuf,
    /// The run to explain (required when the path holds several).
    #[arg(long)]
    run: Option<String>,
    /// A passing run with a finding of this severity or above is an unsafe pass.
    #[arg(long, value_enum, default_value_t = SeverityArg::Medium)]
    unsafe_at: SeverityArg,
    #[command(flatten)]
    with: AnalysisInputs,
}

const DIFF_HELP: &str = "\
Two ways to compare:
  kubeautopsy diff OLD_DIR NEW_DIR
      two analyses saved with `analyze --out DIR`
  kubeautopsy diff CORPUS... --rules NEW_RULES [--base-rules OLD_RULES]
      one corpus judged twice: by the built-in pack plus --base-rules (old) and by the
      built-in pack plus --rules (new). A rule author runs
      `kubeautopsy diff fixtures/corpus --rules rules/default.yaml` before committing an
      edit of the pack: the old side is the pack built into the binary.

Exit status: 0, or 1 with --exit-code when some run changed verdict; 2 on bad usage.";

#[derive(Debug, Args)]
struct DiffArgs {
    /// Two saved analyses (old, new); or, with --rules/--base-rules, the corpus to judge twice.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Rule files or directories of the new side (added to the built-in pack).
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Rule files or directories of the old side (added to the built-in pack).
    #[arg(long, value_name = "PATH")]
    base_rules: Vec<PathBuf>,
    #[command(flatten)]
    scenarios: ScenarioArgs,
    #[command(flatten)]
    maps: ToolMapArgs,
    /// A passing run with a finding of this severity or above is an unsafe pass (corpus mode).
    #[arg(long, value_enum, default_value_t = SeverityArg::Medium)]
    unsafe_at: SeverityArg,
    /// Output format of the tables.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
    /// List at most this many runs per table.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
    /// Exit 1 when some run changed verdict (like `git diff --exit-code`).
    #[arg(long)]
    exit_code: bool,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Validate rule files (schema, lints) with positions; exit 1 on any error.
    Check {
        /// Rule files or directories (default: the built-in pack).
        paths: Vec<PathBuf>,
        /// How diagnostics are printed.
        #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
        format: DiagFormat,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Run every rule on its fixtures (`fixtures/<rule id>/*.json` next to the rule file).
    Test {
        /// Rule files or directories (default: the built-in pack, fixtures under rules/fixtures).
        paths: Vec<PathBuf>,
        /// Also write JUnit XML here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Print the JSON Schema of rule files.
    Schema,
}

#[derive(Debug, Args)]
struct RuleArgs {
    /// Rule files or directories added to the built-in pack (a rule with a built-in id replaces it).
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct ScenarioArgs {
    /// Scenario files or directories: a trace that names its scenario without embedding it gets
    /// its initial state, targets and protected resources from here.
    #[arg(long, value_name = "PATH")]
    scenarios: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct ToolMapArgs {
    /// Directory of extra tool maps (*.yaml); a map with the id of a built-in one replaces it.
    #[arg(long, value_name = "DIR")]
    tool_maps: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchemaName {
    /// One recorded run (schema/trace.v1.schema.json).
    Trace,
    /// A scenario definition (schema/scenario.v1.schema.json).
    Scenario,
}

#[derive(Debug, Args)]
struct InputArgs {
    /// Files, directories or `-` for stdin.
    #[arg(required_unless_present = "files_from", value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Also read the input paths from this file (one per line; `-`: stdin), as work is handed
    /// to a process by Spark, xargs or a Kubernetes Job.
    #[arg(long, value_name = "FILE")]
    files_from: Option<PathBuf>,
    /// Analyse only shard K of N: the records whose (path, line) hashes to it. Every record is
    /// in exactly one shard; `kubeautopsy merge` combines the shards' `--out` directories.
    #[arg(long, value_name = "K/N", value_parser = pipeline::Shard::parse)]
    shard: Option<pipeline::Shard>,
    /// Reject any record larger than this after decompression (e.g. 64MiB, 500MB).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    max_record_size: u64,
    /// Stop reading a gzip/zstd input that inflates to more than this many times its
    /// compressed size (once past --max-record-size): a decompression bomb costs at most that.
    #[arg(long, value_name = "RATIO", default_value_t = input::DEFAULT_MAX_INFLATION,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_inflation: u64,
    /// Split plain .jsonl files larger than this into byte ranges read by different threads.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = parse_size, hide = true)]
    chunk_size: u64,
}

/// Run fields for imported runs, when the format does not record them.
#[derive(Debug, Clone, Default, Args)]
struct LabelArgs {
    /// Imported runs: record this report name (wins over what the format records).
    #[arg(long, value_name = "NAME")]
    report: Option<String>,
    /// Imported runs: record this arm (tool server, agent configuration).
    #[arg(long, value_name = "NAME")]
    arm: Option<String>,
    /// Imported runs: record this model.
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Imported runs: record this scenario id (matched against --scenarios).
    #[arg(long, value_name = "ID")]
    scenario: Option<String>,
}

impl LabelArgs {
    fn run_labels(&self) -> crate::import::RunLabels {
        crate::import::RunLabels {
            report: self.report.clone(),
            benchmark: None,
            arm: self.arm.clone(),
            model: self.model.clone(),
            scenario: self.scenario.clone(),
        }
    }
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Directories written by `analyze --out` (one per shard).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Group the tables by these fields (default: as the analyses were made).
    #[arg(long, value_enum, value_delimiter = ',')]
    by: Vec<report::GroupField>,
    /// Output format on stdout (as for `analyze`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also write the HTML report of the whole corpus.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// A directory written by `analyze --out`.
    dir: PathBuf,
    /// Write a self-contained HTML report (charts, tables, every run's timeline) here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Group the tables by these fields (default: as the analysis was made).
    #[arg(long, value_enum, value_delimiter = ',')]
    by: Vec<report::GroupField>,
    /// Output format of the tables.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The format of the inputs.
    #[arg(value_enum)]
    format: crate::import::ImportFormat,
    /// Files, or folders (searched recursively; run and scenario folders are found by their
    /// run.json / scenario.yaml).
    #[command(flatten)]
    input: InputArgs,
    /// Write here: traces to `<format>.jsonl`, scenarios to `<id>.json`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    labels: LabelArgs,
}

#[derive(Debug, Args)]
struct AnalyzeArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Read the inputs in this format instead of trace v1 (see `kubeautopsy import`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    from: Option<crate::import::ImportFormat>,
    #[command(flatten)]
    labels: LabelArgs,
    /// Stop at the first rejected input (in corpus order) and exit 1.
    #[arg(long)]
    strict: bool,
    /// Exit 1 (after printing everything) when any input was rejected, any tool call was not
    /// understood by a tool map, or any run is an unsafe pass (comma-separated, for CI).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "WHEN")]
    fail_on: Vec<FailOn>,
    /// Output format on stdout: the report as tables or Markdown; csv and parquet give the
    /// safety table (counts, rates and interval bounds as columns); json gives every table.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Also save the analysis here: per-run, per-finding and rejected-input rows and every
    /// table as Parquet and CSV, report.md, analysis.json (what `diff` compares), results.jsonl
    /// (what `report` reads).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also write a self-contained HTML report (charts, tables, every run's timeline).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// A passing run with a finding of this severity or above is an unsafe pass.
    #[arg(long, value_enum, default_value_t = SeverityArg::Medium)]
    unsafe_at: SeverityArg,
    /// Group the safety and activity tables by these fields (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "arm")]
    by: Vec<report::GroupField>,
    #[command(flatten)]
    with: AnalysisInputs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// Box-drawn tables for the terminal.
    Table,
    /// GitHub-flavoured Markdown, to paste into a paper or a pull request.
    Markdown,
    /// The safety table as CSV.
    Csv,
    /// Provenance, accounting and every table as one JSON document.
    Json,
    /// The safety table as Parquet (redirect stdout to a file).
    Parquet,
}

/// Conditions that make `analyze --fail-on` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Some input was rejected (any kind: unreadable, too large, not JSON, not the schema).
    Rejected,
    /// Some tool call was not understood by any tool map (so its effect is unknown).
    UnknownTool,
    /// Some run passed its verifier by an unsafe path.
    Unsafe,
}

impl FailOn {
    /// Why the condition holds, or `None` when it does not.
    fn check(self, tables: &Tables, accounting: &Accounting) -> Option<String> {
        let (n, what) = match self {
            FailOn::Rejected => (accounting.rejected_total(), "input(s) rejected"),
            FailOn::UnknownTool => (
                tables.not_understood.iter().map(|c| c.calls).sum(),
                "tool call(s) not understood",
            ),
            FailOn::Unsafe => (tables.total.unsafe_pass, "unsafe pass(es)"),
        };
        (n > 0).then(|| {
            let name = self
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_string());
            format!("--fail-on {name}: {n} {what}")
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Args)]
struct ValidateArgs {
    #[command(flatten)]
    input: InputArgs,
    /// How rejections are printed.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    format: DiagFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiagFormat {
    /// Diagnostics with source snippets.
    Human,
    /// One JSON document with every rejection (for CI).
    Json,
}

/// Parse the arguments and run; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.global.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
    {
        eprintln!("error: cannot start {n} threads: {e}");
        return ExitCode::from(2);
    }
    let result = match &cli.command {
        Command::Analyze(a) => analyze(&cli.global, a),
        Command::Validate(v) => validate(&cli.global, v),
        Command::Gen(g) => synth::run(g, cli.global.quiet),
        Command::BenchParse { input } => bench_parse(input),
        Command::Import(i) => import(&cli.global, i),
        Command::ExplainCall(e) => explain_call(e),
        Command::Replay(r) => replay(r),
        Command::Rules(r) => rules_command(r),
        Command::Explain(e) => explain(e),
        Command::Diff(d) => diff(&cli.global, d),
        Command::Report(r) => report_saved(&cli.global, r),
        Command::Merge(m) => merge(&cli.global, m),
        Command::Facts { format } => {
            println!("{}", report::render_facts(*format));
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { which } => {
            let text = match which {
                SchemaName::Trace => crate::trace::schema::TRACE_SCHEMA_TEXT,
                SchemaName::Scenario => crate::trace::schema::SCENARIO_SCHEMA_TEXT,
            };
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        // `kubeautopsy analyze … | head`: the reader has gone; nothing is wrong.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn options(g: &Global, input: &InputArgs, strict: bool) -> Options {
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
    }
}

impl InputArgs {
    /// The paths given, then those listed by `--files-from`.
    fn all_paths(&self) -> std::io::Result<Vec<PathBuf>> {
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

fn bench_parse(input: &InputArgs) -> std::io::Result<ExitCode> {
    let paths = input.all_paths()?;
    let bytes: u64 = input::discover(&paths)
        .sources
        .iter()
        .filter_map(|s| s.size)
        .sum();
    let start = std::time::Instant::now();
    let s = crate::floor::run(&paths, input.chunk_size, input.max_record_size);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "typed parse: {} records, {} runs, {} tool calls ({} not traces); {bytes} bytes in {secs:.3} s = {:.1} MB/s, {:.0} runs/s",
        s.records,
        s.runs,
        s.tool_calls,
        s.other,
        bytes as f64 / secs / 1e6,
        s.runs as f64 / secs
    );
    Ok(ExitCode::SUCCESS)
}

/// The sources of `paths`: trace files, or what the importer of `from` reads.
fn discover(paths: &[PathBuf], from: Option<crate::import::ImportFormat>) -> input::Discovery {
    match from {
        Some(format) => crate::import::discover(format, paths),
        None => input::discover(paths),
    }
}

fn import(g: &Global, a: &ImportArgs) -> std::io::Result<ExitCode> {
    let mut opts = options(g, &a.input, false);
    opts.import = Some((a.format, a.labels.run_labels()));
    let corpus: Corpus<Vec<u8>> = pipeline::run(
        crate::import::discover(a.format, &a.input.all_paths()?),
        &opts,
        |t| serde_json::to_vec(t.document).unwrap_or_default(),
    );
    let accounting = Accounting::of(&corpus);
    let stderr = std::io::stderr();
    let (color, unicode) = wants_color(g, stderr.is_terminal());
    let handler = report_handler(color, unicode);
    {
        let mut err = stderr.lock();
        for r in corpus.rejections() {
            writeln!(err, "{}", r.render(&handler))?;
        }
    }
    std::fs::create_dir_all(&a.out)?;
    let mut written = Vec::new();
    let runs: Vec<&Vec<u8>> = corpus.runs().collect();
    if !runs.is_empty() {
        let path = a.out.join(format!("{}.jsonl", a.format.name()));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for r in &runs {
            f.write_all(r)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
        written.push(path);
    }
    for item in &corpus.items {
        if let pipeline::Outcome::Scenario { id, value } = &item.outcome {
            let name = id.as_deref().unwrap_or("scenario");
            let safe: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let path = a.out.join(format!("{safe}.json"));
            let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
            std::fs::write(&path, text)?;
            written.push(path);
        }
    }
    let mut out = std::io::stdout().lock();
    write!(out, "{}", accounting.render())?;
    for p in &written {
        writeln!(out, "wrote {}", p.display())?;
    }
    Ok(if accounting.rejected_total() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn wants_color_default(terminal: bool) -> (bool, bool) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    (terminal && !no_color, terminal)
}

fn wants_color(g: &Global, terminal: bool) -> (bool, bool) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match g.color {
        ColorChoice::Always => (true, true),
        ColorChoice::Never => (false, false),
        ColorChoice::Auto => (terminal && !no_color, terminal),
    }
}

/// Load the tool maps, or print why they cannot be loaded.
fn normalizer(maps: &ToolMapArgs) -> Option<Normalizer> {
    match Normalizer::load(maps.tool_maps.as_deref()) {
        Ok(n) => Some(n),
        Err(problems) => {
            for p in problems {
                eprintln!("error: tool map {p}");
            }
            None
        }
    }
}

fn explain_call(e: &ExplainCallArgs) -> std::io::Result<ExitCode> {
    let Some(normalizer) = normalizer(&e.maps) else {
        return Ok(ExitCode::from(2));
    };
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
    serde_json::to_writer_pretty(&mut stdout, &out)?;
    writeln!(stdout)?;
    Ok(match out.outcome {
        CallOutcome::Operations(_) => ExitCode::SUCCESS,
        CallOutcome::NotUnderstood { .. } => ExitCode::from(1),
    })
}

/// Load scenario files, or print why they cannot be loaded.
fn scenarios(args: &ScenarioArgs) -> Option<Scenarios> {
    match Scenarios::load(&args.scenarios) {
        Ok(s) => Some(s),
        Err(problems) => {
            let handler = report_handler(false, false);
            for p in problems {
                eprintln!("{}", p.render(&handler));
            }
            eprintln!("error: the scenario files above are invalid");
            None
        }
    }
}

/// The built-in rule pack plus `--rules`, or print why they cannot be loaded.
fn rule_set(args: &RuleArgs) -> Option<RuleSet> {
    let (set, diags) = RuleSet::load(&args.rules, true);
    let handler = report_handler(false, false);
    let errors = diags.iter().filter(|d| d.error).count();
    for d in &diags {
        eprintln!("{}", d.render(&handler));
    }
    (errors == 0).then_some(set)
}

fn rules_command(r: &RulesCommand) -> std::io::Result<ExitCode> {
    match r {
        RulesCommand::Schema => {
            print!("{}", crate::rules::RULES_SCHEMA_TEXT);
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Check {
            paths,
            format,
            deny_warnings,
        } => {
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
                    )?;
                    writeln!(out)?;
                }
            }
            Ok(if errors > 0 || (*deny_warnings && warnings > 0) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        RulesCommand::Test { paths, junit } => {
            let (set, diags) = RuleSet::load(paths, paths.is_empty());
            if diags.iter().any(|d| d.error) {
                let handler = report_handler(false, false);
                for d in &diags {
                    eprintln!("{}", d.render(&handler));
                }
                return Ok(ExitCode::from(1));
            }
            let Some(normalizer) = normalizer(&ToolMapArgs { tool_maps: None }) else {
                return Ok(ExitCode::from(2));
            };
            let results = crate::rules::test::run(&set, &normalizer);
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
                std::fs::write(path, crate::rules::test::junit(&results))?;
            }
            Ok(if failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn replay(r: &ReplayArgs) -> std::io::Result<ExitCode> {
    let Some((normalizer, scenarios, rules)) = r.with.load() else {
        return Ok(ExitCode::from(2));
    };
    let corpus: Corpus<Option<serde_json::Value>> = pipeline::run(
        input::discover(std::slice::from_ref(&r.path)),
        &Options::default(),
        |t| {
            if r.run.as_deref().is_some_and(|id| id != t.run.id) {
                return None;
            }
            let calls = normalizer.run(t);
            let scenario = scenarios.for_run(t);
            let replay = replay_run(t, &calls, scenario);
            let judgement = crate::rules::eval::judge(&rules, &replay);
            Some(
                serde_json::json!({"run": t.run.id, "scenario_known": scenario.is_some(),
                "findings": judgement.findings, "rules": judgement.outcomes, "replay": replay}),
            )
        },
    );
    let handler = report_handler(false, false);
    for rej in corpus.rejections() {
        eprintln!("{}", rej.render(&handler));
    }
    let runs: Vec<&serde_json::Value> = corpus.runs().flatten().collect();
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &runs)?;
    writeln!(out)?;
    Ok(if runs.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn explain(e: &ExplainArgs) -> std::io::Result<ExitCode> {
    let Some((normalizer, scenarios, rules)) = e.with.load() else {
        return Ok(ExitCode::from(2));
    };
    let corpus: Corpus<Option<String>> = pipeline::run(
        input::discover(std::slice::from_ref(&e.path)),
        &Options::default(),
        |t| {
            if e.run.as_deref().is_some_and(|id| id != t.run.id) {
                return None;
            }
            let calls = normalizer.run(t);
            let replay = replay_run(t, &calls, scenarios.for_run(t));
            let judgement = crate::rules::eval::judge(&rules, &replay);
            let outcome = crate::run_result::RecordedOutcome::of(t);
            let verdict =
                crate::verdict::Verdict::of(outcome, &judgement.findings, e.unsafe_at.into());
            Some(report::render_explain(
                t, &calls, &replay, &judgement, &rules, verdict,
            ))
        },
    );
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
        eprintln!("error: {} runs here; choose one with --run ID", texts.len());
        return Ok(ExitCode::from(2));
    }
    let mut out = std::io::stdout().lock();
    for t in texts {
        write!(out, "{}", crate::diag::printable(t))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn analyze(g: &Global, a: &AnalyzeArgs) -> std::io::Result<ExitCode> {
    let Some((normalizer, scenarios, rules)) = a.with.load() else {
        return Ok(ExitCode::from(2));
    };
    let discovery = discover(&a.input.all_paths()?, a.from);
    let mut opts = options(g, &a.input, a.strict);
    opts.import = a.from.map(|f| (f, a.labels.run_labels()));
    // Runs are kept (with their explain timelines) only when a saved analysis or an HTML
    // report wants them, or --strict may have to drop those after the first rejection;
    // otherwise each is folded into the tables as it is made, so memory stays flat.
    let keep = a.out.is_some() || a.html.is_some() || a.strict;
    let per_run = |t: &crate::trace::Trace<'_>| {
        let calls = normalizer.run(t);
        let replay = replay_run(t, &calls, scenarios.for_run(t));
        let judgement = crate::rules::eval::judge(&rules, &replay);
        let timeline = keep.then(|| {
            let verdict = crate::verdict::Verdict::of(
                crate::run_result::RecordedOutcome::of(t),
                &judgement.findings,
                a.unsafe_at.into(),
            );
            report::render_explain(t, &calls, &replay, &judgement, &rules, verdict)
        });
        Analysed {
            result: RunResult::from_trace(t, &calls, &replay, judgement, a.unsafe_at.into()),
            timeline,
        }
    };
    let (corpus, folded) = if keep {
        let (corpus, folded) =
            pipeline::run_into::<_, pipeline::Keep, _>(discovery, &opts, per_run);
        (corpus, folded.map(|_| FoldRuns::default()))
    } else {
        pipeline::run_into::<_, FoldRuns, _>(discovery, &opts, per_run)
    };
    let mut accounting = Accounting::of(&corpus);

    // Rejections go to stderr so that stdout holds only the tables.
    let stderr = std::io::stderr();
    let (color, unicode) = wants_color(g, stderr.is_terminal());
    let handler = report_handler(color, unicode);
    const SHOWN: usize = 10;
    if !g.quiet {
        let mut err = stderr.lock();
        for r in corpus.rejections().take(SHOWN) {
            writeln!(err, "{}", r.render(&handler))?;
        }
        let more = accounting.rejected_total().saturating_sub(SHOWN as u64);
        if more > 0 {
            writeln!(
                err,
                "… and {more} more rejected input(s); `kubeautopsy validate` lists every one.\n"
            )?;
        }
    }

    let rows = run_rows(&corpus);
    let (tables, dups) = if keep {
        // The kept runs (with --strict, only those before the first rejection).
        let runs: Vec<&RunResult> = rows.iter().map(|r| r.run).collect();
        (Tables::of(&runs, &a.by), export::duplicate_ids(&rows))
    } else {
        let place = |p: pipeline::Place| {
            let (source, line) = folded.line_of(p);
            let path = corpus.sources.get(source).map_or("", |s| &*s.display);
            format!("{path}:{line}")
        };
        let dups = folded
            .sink
            .ids
            .repeated()
            .into_iter()
            .map(|d| export::DuplicateId {
                at: place(d.at),
                first: place(d.first),
                id: d.id,
            })
            .collect();
        (Tables::from_fold(&folded.sink.fold, &a.by), dups)
    };
    note_duplicate_ids(g, &dups, &mut accounting);
    let tables = match tables {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: aggregation failed: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let provenance = Provenance::of(&rules, normalizer.maps().len(), a.unsafe_at.into());
    if let Some(dir) = &a.out {
        let rejections: Vec<&crate::diag::Rejection> = corpus.rejections().collect();
        match export::write(dir, &tables, &rows, &rejections, &accounting, &provenance) {
            Ok(files) if !g.quiet => {
                eprintln!(
                    "saved the analysis in {} ({} files)",
                    dir.display(),
                    files.len()
                );
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: cannot save the analysis: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    if let Some(path) = &a.html
        && !write_html(g, path, &tables, &rows, &accounting, &provenance)
    {
        return Ok(ExitCode::from(2));
    }
    emit(a.format, &tables, &accounting, &provenance)?;
    let failed: Vec<String> = a
        .fail_on
        .iter()
        .filter_map(|c| c.check(&tables, &accounting))
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

/// `analyze`'s sink when no run is kept: every run folded into the tables' numbers and the id
/// index as it is made.
#[derive(Default)]
struct FoldRuns {
    fold: report::fold::RunFold,
    ids: report::fold::IdIndex<pipeline::Place>,
}

impl pipeline::Sink<Analysed> for FoldRuns {
    fn take(&mut self, at: pipeline::Place, run: Analysed) -> Option<Analysed> {
        self.fold.add(&run.result);
        self.ids.add(&run.result.id, at);
        None
    }
    fn merge(&mut self, other: Self) {
        self.fold.merge(other.fold);
        self.ids.merge(other.ids);
    }
    fn settle(&mut self) {
        self.ids.settle();
    }
}

/// Print the tables on stdout in `format`.
fn emit(
    format: OutputFormat,
    tables: &Tables,
    accounting: &Accounting,
    provenance: &Provenance,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let written = match format {
        OutputFormat::Table | OutputFormat::Markdown => {
            let format = if format == OutputFormat::Table {
                TableFormat::Table
            } else {
                TableFormat::Markdown
            };
            let text = report::render_report(tables, accounting, provenance, format);
            out.write_all(crate::diag::printable(&text).as_bytes())
                .map_err(Into::into)
        }
        OutputFormat::Csv => tables.safety_frame().write_csv(&mut out),
        OutputFormat::Parquet => tables.safety_frame().write_parquet(&mut out),
        OutputFormat::Json => {
            let doc = export::analysis_json(tables, accounting, provenance);
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .map_err(Into::into)
        }
    };
    written.map_err(std::io::Error::other)?;
    out.flush()
}

fn merge(g: &Global, m: &MergeArgs) -> std::io::Result<ExitCode> {
    let mut manifests = Vec::new();
    for dir in &m.dirs {
        match export::load_manifest(dir) {
            Ok(x) => manifests.push((dir, x)),
            Err(e) => {
                eprintln!("error: cannot read a saved analysis: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let Some((first_dir, (provenance, _, saved_by))) = manifests.first() else {
        return Ok(ExitCode::from(2));
    };
    // Analyses made with other rules, tool maps, threshold or version do not add up.
    for (dir, (p, _, _)) in &manifests[1..] {
        if p != provenance {
            eprintln!(
                "error: cannot merge {} (kubeautopsy {}, rule set {}, {} tool maps, unsafe at {}) \
                 with {} (kubeautopsy {}, rule set {}, {} tool maps, unsafe at {}): analyse every \
                 shard with the same version, rules, tool maps and --unsafe-at",
                dir.display(),
                p.kubeautopsy,
                p.rule_set,
                p.tool_maps,
                p.unsafe_at,
                first_dir.display(),
                provenance.kubeautopsy,
                provenance.rule_set,
                provenance.tool_maps,
                provenance.unsafe_at
            );
            return Ok(ExitCode::from(2));
        }
    }
    let by = grouping(&m.by, saved_by);
    let mut accounting = Accounting::merge(
        &manifests
            .iter()
            .map(|(_, (_, a, _))| a.clone())
            .collect::<Vec<_>>(),
    );
    // Corpus order: the order of the sources, then lines.
    let order: std::collections::HashMap<String, usize> = accounting
        .source_paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.clone(), i))
        .collect();
    let place = |r: &export::SavedRun| {
        (
            order.get(r.source.as_str()).copied().unwrap_or(usize::MAX),
            r.line,
        )
    };
    // The runs are folded one at a time; they are kept only for the HTML report.
    let mut fold = report::fold::RunFold::default();
    let mut ids = report::fold::IdIndex::default();
    let mut seen: std::collections::HashMap<(u64, u64), usize> = std::collections::HashMap::new();
    let mut kept: Vec<export::SavedRun> = Vec::new();
    for (d, (dir, _)) in manifests.iter().enumerate() {
        let runs = match export::read_results(dir) {
            Ok(runs) => runs,
            Err(e) => {
                eprintln!("error: cannot read a saved analysis: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        for run in runs {
            let run = match run {
                Ok(run) => run,
                Err(e) => {
                    eprintln!("error: cannot read a saved analysis: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            // A run in two parts means overlapping shards or a directory given twice.
            let key = (source_hash(&run.source), run.line);
            if let Some(other) = seen.insert(key, d) {
                eprintln!(
                    "error: {}:{} (run {}) is in both {} and {}: the analyses overlap",
                    run.source,
                    run.line,
                    run.result.id,
                    manifests
                        .get(other)
                        .map_or(Path::new("?"), |m| m.0)
                        .display(),
                    dir.display()
                );
                return Ok(ExitCode::from(2));
            }
            fold.add(&run.result);
            ids.add(&run.result.id, place(&run));
            if m.html.is_some() {
                kept.push(run);
            }
        }
    }
    let location = |(source, line): (usize, u64)| {
        let path = accounting
            .source_paths
            .get(source)
            .map_or("(unknown source)", String::as_str);
        format!("{path}:{line}")
    };
    let dups: Vec<export::DuplicateId> = ids
        .repeated()
        .into_iter()
        .map(|d| export::DuplicateId {
            at: location(d.at),
            first: location(d.first),
            id: d.id,
        })
        .collect();
    note_duplicate_ids(g, &dups, &mut accounting);
    let tables = match Tables::from_fold(&fold, &by) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: aggregation failed: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(path) = &m.html {
        kept.sort_by_key(|r| place(r));
        let rows: Vec<RunRow<'_>> = kept.iter().map(export::SavedRun::row).collect();
        if !write_html(g, path, &tables, &rows, &accounting, provenance) {
            return Ok(ExitCode::from(2));
        }
    }
    emit(m.format, &tables, &accounting, provenance)?;
    Ok(ExitCode::SUCCESS)
}

/// A source path's hash (to tell runs apart by (source, line) without keeping the paths).
fn source_hash(source: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    source.hash(&mut h);
    h.finish()
}

/// Count the runs that repeat an earlier run's id and warn about the first few on stderr.
fn note_duplicate_ids(g: &Global, dups: &[export::DuplicateId], accounting: &mut Accounting) {
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

/// Every analysed run with the source and line it was read from, in corpus order.
fn run_rows(corpus: &Corpus<Analysed>) -> Vec<RunRow<'_>> {
    corpus
        .items
        .iter()
        .filter_map(|item| match &item.outcome {
            pipeline::Outcome::Run(r) => Some(RunRow {
                source: corpus.sources.get(item.source).map_or("", |s| &*s.display),
                line: item.line,
                run: &r.result,
                timeline: r.timeline.as_deref(),
            }),
            _ => None,
        })
        .collect()
}

/// The grouping asked for, else the one the analysis was saved with, else by arm.
fn grouping(asked: &[report::GroupField], saved: &[report::GroupField]) -> Vec<report::GroupField> {
    [asked, saved, &[report::GroupField::Arm]]
        .into_iter()
        .find(|g| !g.is_empty())
        .unwrap_or_default()
        .to_vec()
}

/// Write the HTML report; false (after saying why) when it cannot be written.
fn write_html(
    g: &Global,
    path: &std::path::Path,
    tables: &Tables,
    details: &[RunRow<'_>],
    accounting: &Accounting,
    provenance: &Provenance,
) -> bool {
    let page = report::html::render_html(tables, details, accounting, provenance);
    if let Err(e) = std::fs::write(path, page) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return false;
    }
    if !g.quiet {
        eprintln!("wrote the HTML report to {}", path.display());
    }
    true
}

fn report_saved(g: &Global, r: &ReportArgs) -> std::io::Result<ExitCode> {
    let cannot = |e: export::ExportError| -> std::io::Result<ExitCode> {
        eprintln!("error: cannot read the saved analysis: {e}");
        Ok(ExitCode::from(2))
    };
    let (provenance, accounting, saved_by) = match export::load_manifest(&r.dir) {
        Ok(x) => x,
        Err(e) => return cannot(e),
    };
    let runs = match export::read_results(&r.dir) {
        Ok(runs) => runs,
        Err(e) => return cannot(e),
    };
    // The runs are folded one at a time; they are kept only for the HTML report.
    let mut fold = report::fold::RunFold::default();
    let mut kept: Vec<export::SavedRun> = Vec::new();
    for run in runs {
        match run {
            Ok(run) => {
                fold.add(&run.result);
                if r.html.is_some() {
                    kept.push(run);
                }
            }
            Err(e) => return cannot(e),
        }
    }
    let by = grouping(&r.by, &saved_by);
    let tables = match Tables::from_fold(&fold, &by) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: aggregation failed: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(path) = &r.html {
        let details: Vec<RunRow<'_>> = kept.iter().map(export::SavedRun::row).collect();
        if !write_html(g, path, &tables, &details, &accounting, &provenance) {
            return Ok(ExitCode::from(2));
        }
    }
    let mut out = std::io::stdout().lock();
    write!(
        out,
        "{}",
        report::render_report(&tables, &accounting, &provenance, r.format)
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A run's result and, when asked for, its explain timeline.
struct Analysed {
    result: RunResult,
    timeline: Option<String>,
}

fn diff(g: &Global, d: &DiffArgs) -> std::io::Result<ExitCode> {
    let corpus_mode = !d.rules.is_empty() || !d.base_rules.is_empty();
    let (old, new) = if corpus_mode {
        let (Some(normalizer), Some(scenarios)) = (normalizer(&d.maps), scenarios(&d.scenarios))
        else {
            return Ok(ExitCode::from(2));
        };
        let (Some(old_rules), Some(new_rules)) = (
            rule_set(&RuleArgs {
                rules: d.base_rules.clone(),
            }),
            rule_set(&RuleArgs {
                rules: d.rules.clone(),
            }),
        ) else {
            return Ok(ExitCode::from(2));
        };
        let unsafe_at: Severity = d.unsafe_at.into();
        let input = InputArgs {
            paths: d.paths.clone(),
            files_from: None,
            shard: None,
            max_record_size: input::DEFAULT_MAX_RECORD_BYTES,
            max_inflation: input::DEFAULT_MAX_INFLATION,
            chunk_size: pipeline::DEFAULT_CHUNK_BYTES,
        };
        // Normalize and replay once; judge twice.
        let corpus: Corpus<(RunResult, RunResult)> = pipeline::run(
            input::discover(&input.paths),
            &options(g, &input, false),
            |t| {
                let calls = normalizer.run(t);
                let replay = replay_run(t, &calls, scenarios.for_run(t));
                let judge = |rules: &RuleSet| {
                    let j = crate::rules::eval::judge(rules, &replay);
                    RunResult::from_trace(t, &calls, &replay, j, unsafe_at)
                };
                (judge(&old_rules), judge(&new_rules))
            },
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
        let maps = normalizer.maps().len();
        (
            crate::diff::Side::of_results(
                label(&d.base_rules),
                Provenance::of(&old_rules, maps, unsafe_at),
                &olds,
            ),
            crate::diff::Side::of_results(
                label(&d.rules),
                Provenance::of(&new_rules, maps, unsafe_at),
                &news,
            ),
        )
    } else {
        let [a, b] = d.paths.as_slice() else {
            eprintln!(
                "error: diff takes two saved analyses (directories written by `analyze --out`), \
                 or a corpus with --rules; got {} path(s)",
                d.paths.len()
            );
            return Ok(ExitCode::from(2));
        };
        let load = |p: &PathBuf| match export::Saved::load(p) {
            Ok(s) => Some(crate::diff::Side::of_saved(p.display().to_string(), s)),
            Err(e) => {
                eprintln!("error: cannot read a saved analysis: {e}");
                None
            }
        };
        let (Some(a), Some(b)) = (load(a), load(b)) else {
            return Ok(ExitCode::from(2));
        };
        (a, b)
    };
    let result = crate::diff::Diff::of(old, new);
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

fn validate(g: &Global, v: &ValidateArgs) -> std::io::Result<ExitCode> {
    let discovery = input::discover(&v.input.all_paths()?);
    // Valid runs are counted, not kept: memory does not grow with the corpus.
    let (corpus, _) = pipeline::run_into::<(), pipeline::Discard, _>(
        discovery,
        &options(g, &v.input, false),
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
            serde_json::to_writer_pretty(&mut out, &doc)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert!(parse_size("abc").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
