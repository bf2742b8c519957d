//! The command line's arguments (clap derive), and how the library's enums appear on it.

use crate::diff::MatchBy;
use crate::fold::GroupField;
use crate::import::ImportFormat;
use crate::pipeline;
use crate::report::TableFormat;
use crate::rules::Severity;
use crate::synth::GenFormat;
use crate::{diag::parse_size, input};
use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_HELP: &str = "\
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
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Worker threads (default: RAYON_NUM_THREADS, else one per core).
    #[arg(short = 'j', long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar, no per-input diagnostics from `analyze` (counts are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colours and Unicode art in diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colours on a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    Gen(GenArgs),
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
    /// Check, test, document and print rules.
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
pub struct ExplainCallArgs {
    /// The tool's name as recorded (e.g. `kubectl_delete`, `mcp__kubernetes__pods_delete`).
    pub tool: String,
    /// The call's arguments: a JSON object, or for shell tools the command line itself.
    #[arg(default_value = "{}")]
    pub arguments: String,
    /// The tool server, when the trace records it.
    #[arg(long)]
    pub server: Option<String>,
    /// The result text, to judge whether the call took effect.
    #[arg(long)]
    pub result: Option<String>,
    /// The result was an error (MCP isError).
    #[arg(long)]
    pub is_error: bool,
    #[command(flatten)]
    pub maps: ToolMapArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A trace file (or a .jsonl of traces; `-` for stdin).
    pub path: PathBuf,
    /// Read the input in this format instead of trace v1 (see `kubeautopsy import`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<ImportFormat>,
    #[command(flatten)]
    pub labels: LabelArgs,
    /// Only the run with this id.
    #[arg(long)]
    pub run: Option<String>,
    #[command(flatten)]
    pub with: AnalysisInputs,
}

/// What an analysis needs besides the traces: scenarios, tool maps, rules.
#[derive(Debug, Args)]
pub struct AnalysisInputs {
    #[command(flatten)]
    pub scenarios: ScenarioArgs,
    #[command(flatten)]
    pub maps: ToolMapArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A trace file, or a corpus (file or directory) together with --run.
    pub path: PathBuf,
    /// Read the input in this format instead of trace v1 (see `kubeautopsy import`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<ImportFormat>,
    #[command(flatten)]
    pub labels: LabelArgs,
    /// The run to explain (required when the path holds several).
    #[arg(long)]
    pub run: Option<String>,
    /// A passing run with a finding of this severity or above is an unsafe pass.
    #[arg(long, value_enum, default_value_t = Severity::Medium)]
    pub unsafe_at: Severity,
    #[command(flatten)]
    pub with: AnalysisInputs,
}

pub const DIFF_HELP: &str = "\
Two ways to compare:
  kubeautopsy diff OLD_DIR NEW_DIR
      two analyses saved with `analyze --out DIR`
  kubeautopsy diff CORPUS... --rules NEW_RULES [--base-rules OLD_RULES]
      one corpus judged twice: by the built-in pack plus --base-rules (old) and by the
      built-in pack plus --rules (new). A rule author runs
      `kubeautopsy diff fixtures/corpus --rules rules/default` before committing an
      edit of the pack: the old side is the pack built into the binary.

Exit status: 0, or 1 with --exit-code when some run changed verdict; 2 on bad usage.";

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Two saved analyses (old, new); or, with --rules/--base-rules, the corpus to judge twice.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Rule files or directories of the new side (added to the built-in pack).
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Rule files or directories of the old side (added to the built-in pack).
    #[arg(long, value_name = "PATH")]
    pub base_rules: Vec<PathBuf>,
    #[command(flatten)]
    pub scenarios: ScenarioArgs,
    #[command(flatten)]
    pub maps: ToolMapArgs,
    /// A passing run with a finding of this severity or above is an unsafe pass (corpus mode).
    #[arg(long, value_enum, default_value_t = Severity::Medium)]
    pub unsafe_at: Severity,
    /// Output format of the tables.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
    /// List at most this many runs per table.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Exit 1 when some run changed verdict (like `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
    /// What pairs the runs of the two sides: `scenario` compares two evaluations of the same
    /// tasks (two weeks of a suite), whose run ids differ.
    #[arg(long = "match", value_enum, value_name = "KEY", default_value_t = MatchBy::Id)]
    pub match_by: MatchBy,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
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
    /// A fixture where the rule must fire passes only if it fired at exactly those seqs; a
    /// near miss only if the rule was evaluated there and did not fire (not applicable is not
    /// a pass).
    Test {
        /// Rule files or directories (default: the built-in pack, fixtures under
        /// rules/default/fixtures).
        paths: Vec<PathBuf>,
        /// Also write JUnit XML here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Write a reference page per rule (`DIR/<rule id>.md`) and an index (`DIR/README.md`):
    /// what it detects, why it is unsafe, an example, what to do instead, its condition and
    /// fixtures. Deterministic, so the pages can be checked in and checked.
    Docs {
        /// Rule files or directories (default: the built-in pack).
        paths: Vec<PathBuf>,
        /// The directory of the pages.
        #[arg(long, value_name = "DIR", default_value = "docs/rules")]
        out: PathBuf,
        /// Write nothing; exit 1 listing every page that is missing, out of date or extra.
        #[arg(long)]
        check: bool,
    },
    /// Measure the rules against labelled runs: per rule and overall true/false positives and
    /// negatives, precision and recall with Wilson intervals, and the runs behind each error.
    Eval(Box<EvalArgs>),
    /// Print the JSON Schema of rule files.
    Schema,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Read the inputs in this format instead of trace v1 (see `kubeautopsy import`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<ImportFormat>,
    /// The labels file (`kubeautopsy.labels/v1`: run id → expected verdict, optionally the
    /// rules that must fire).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    #[command(flatten)]
    pub run_labels: LabelArgs,
    /// A passing run with a finding of this severity or above is an unsafe pass.
    #[arg(long, value_enum, default_value_t = Severity::Medium)]
    pub unsafe_at: Severity,
    /// Output on stdout: tables, Markdown, or JSON (every count and run).
    #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
    pub format: EvalFormat,
    /// Also write JUnit XML here (one test case per labelled run).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Exit 1 when any labelled run's verdict (or its named rules) disagrees with its label.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub with: AnalysisInputs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    Table,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule files or directories added to the built-in pack (a rule with a built-in id replaces it).
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario files or directories: a trace that names its scenario without embedding it gets
    /// its initial state, targets and protected resources from here.
    #[arg(long, value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ToolMapArgs {
    /// Directory of extra tool maps (*.yaml); a map with the id of a built-in one replaces it.
    #[arg(long, value_name = "DIR")]
    pub tool_maps: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaName {
    /// One recorded run (schema/trace.v1.schema.json).
    Trace,
    /// A scenario definition (schema/scenario.v1.schema.json).
    Scenario,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, directories or `-` for stdin.
    #[arg(required_unless_present = "files_from", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also read the input paths from this file (one per line; `-`: stdin), as work is handed
    /// to a process by Spark, xargs or a Kubernetes Job.
    #[arg(long, value_name = "FILE")]
    pub files_from: Option<PathBuf>,
    /// Analyse only shard K of N: the records whose (path, line) hashes to it. Every record is
    /// in exactly one shard; `kubeautopsy merge` combines the shards' `--out` directories.
    #[arg(long, value_name = "K/N", value_parser = pipeline::Shard::parse)]
    pub shard: Option<pipeline::Shard>,
    /// Reject any record larger than this after decompression (e.g. 64MiB, 500MB).
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub max_record_size: u64,
    /// Stop reading a gzip/zstd input that inflates to more than this many times its
    /// compressed size (once past --max-record-size): a decompression bomb costs at most that.
    #[arg(long, value_name = "RATIO", default_value_t = input::DEFAULT_MAX_INFLATION,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_inflation: u64,
    /// Split plain .jsonl files larger than this into byte ranges read by different threads.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = parse_size, hide = true)]
    pub chunk_size: u64,
}

/// Run fields for imported runs, when the format does not record them.
#[derive(Debug, Clone, Default, Args)]
pub struct LabelArgs {
    /// Imported runs: record this report name (wins over what the format records).
    #[arg(long, value_name = "NAME")]
    pub report: Option<String>,
    /// Imported runs: record this arm (tool server, agent configuration).
    #[arg(long, value_name = "NAME")]
    pub arm: Option<String>,
    /// Imported runs: record this model.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Imported runs: record this scenario id (matched against --scenarios).
    #[arg(long, value_name = "ID")]
    pub scenario: Option<String>,
    /// Attach outcomes recorded elsewhere: a CSV (header with `run` or `source`, `passed`,
    /// optional `checks` as `name=pass;name=fail`, optional `message`) or JSONL file; a row
    /// matches a run by its id, or by the input's path (or its trailing components). The run
    /// says where its outcome came from (`explain`, label `outcome_from`).
    #[arg(long, value_name = "FILE")]
    pub outcomes: Option<PathBuf>,
}

impl LabelArgs {
    pub fn run_labels(&self) -> crate::import::RunLabels {
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
pub struct MergeArgs {
    /// Directories written by `analyze --out` (one per shard).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Group the tables by these fields (default: as the analyses were made).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub by: Vec<GroupField>,
    /// Output format on stdout (as for `analyze`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Also write the HTML report of the whole corpus.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A directory written by `analyze --out`.
    pub dir: PathBuf,
    /// Write a self-contained HTML report (charts, tables, every run's timeline) here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Group the tables by these fields (default: as the analysis was made).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub by: Vec<GroupField>,
    /// Output format of the tables.
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    pub format: TableFormat,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The format of the inputs; `auto` picks each input's importer from its content.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "auto")]
    pub from: ImportFormat,
    /// Files, or folders (searched recursively; run and scenario folders are found by their
    /// run.json / scenario.yaml).
    #[command(flatten)]
    pub input: InputArgs,
    /// Write here: traces to `<format>.jsonl`, scenarios to `<id>.json`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub labels: LabelArgs,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Read the inputs in this format instead of trace v1 (see `kubeautopsy import`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<ImportFormat>,
    #[command(flatten)]
    pub labels: LabelArgs,
    /// Stop at the first rejected input (in corpus order) and exit 1.
    #[arg(long)]
    pub strict: bool,
    /// Exit 1 (after printing everything) when any input was rejected, any tool call was not
    /// understood by a tool map, or any run is an unsafe pass (comma-separated, for CI).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "WHEN")]
    pub fail_on: Vec<FailOn>,
    /// Output format on stdout: the report as tables or Markdown; csv and parquet give the
    /// safety table (counts, rates and interval bounds as columns); json gives every table.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Also save the analysis here: per-run, per-finding and rejected-input rows and every
    /// table as Parquet and CSV, report.md, analysis.json (what `diff` compares), results.jsonl
    /// (what `report` reads).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write a self-contained HTML report (charts, tables, every run's timeline).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// A passing run with a finding of this severity or above is an unsafe pass.
    #[arg(long, value_enum, default_value_t = Severity::Medium)]
    pub unsafe_at: Severity,
    /// Group the safety and activity tables by these fields (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "arm")]
    pub by: Vec<GroupField>,
    #[command(flatten)]
    pub with: AnalysisInputs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
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
pub enum FailOn {
    /// Some input was rejected (any kind: unreadable, too large, not JSON, not the schema).
    Rejected,
    /// Some tool call was not understood by any tool map (so its effect is unknown).
    UnknownTool,
    /// Some run passed its verifier by an unsafe path.
    Unsafe,
    /// Some run passed, but a call's effect on the cluster was not established (not certified
    /// safe).
    Incomplete,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// How rejections are printed.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    /// Diagnostics with source snippets.
    Human,
    /// One JSON document with every rejection (for CI).
    Json,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Total size of the traces to write, uncompressed (e.g. 100MB, 1GB).
    #[arg(long, value_name = "SIZE", default_value = "100MB", value_parser = parse_size)]
    pub size: u64,
    /// Seed of the generator; the same seed and size give the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// File layout: one run per .json file, or runs per line in .jsonl files.
    #[arg(long, value_enum, default_value_t = GenFormat::Jsonl)]
    pub format: GenFormat,
    /// Start a new .jsonl file after this many (uncompressed) bytes.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = parse_size)]
    pub file_size: u64,
}

impl From<OutputFormat> for crate::report::OutputFormat {
    fn from(f: OutputFormat) -> Self {
        use crate::report::OutputFormat as O;
        match f {
            OutputFormat::Table => O::Text(TableFormat::Table),
            OutputFormat::Markdown => O::Text(TableFormat::Markdown),
            OutputFormat::Csv => O::Csv,
            OutputFormat::Json => O::Json,
            OutputFormat::Parquet => O::Parquet,
        }
    }
}

// The library's enums on the command line: each value is the name the library gives it (one
// list of values, in the library; the help text of a value, where it has one, too).

impl ValueEnum for ImportFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &ImportFormat::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(
            PossibleValue::new(self.name())
                .aliases(self.aliases().iter().copied())
                .help(self.description()),
        )
    }
}

impl ValueEnum for GroupField {
    fn value_variants<'a>() -> &'a [Self] {
        &GroupField::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for Severity {
    fn value_variants<'a>() -> &'a [Self] {
        &Severity::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for GenFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &GenFormat::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl ValueEnum for MatchBy {
    fn value_variants<'a>() -> &'a [Self] {
        &MatchBy::ALL
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.help()))
    }
}

impl ValueEnum for TableFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[TableFormat::Table, TableFormat::Markdown]
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            TableFormat::Table => {
                PossibleValue::new("table").help("Box-drawn table for the terminal")
            }
            TableFormat::Markdown => PossibleValue::new("markdown")
                .help("GitHub-flavoured Markdown, to paste into a paper or a pull request"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
