//! The command line: a thin layer over the library. `args` defines the arguments; each command
//! has a module that loads what it needs, calls the stages (`analysis`, `report`, `diff`,
//! `import`...) and prints. Every command returns `Result<ExitCode, CliError>`; `main` prints
//! an error once and turns it into exit status 2. Only this module prints or chooses an exit
//! status.

mod analyze;
mod args;
mod common;
mod diff;
mod explain;
mod import;
mod rules;
mod saved;
mod validate;

use args::{Cli, Command, SchemaName};
use clap::Parser;
use std::process::ExitCode;

/// Why a command could not do its job (exit status 2).
#[derive(Debug)]
pub enum CliError {
    /// Said as `error: {message}`.
    Fatal(String),
    /// The problems were printed already (diagnostics of rule files, tool maps, scenarios).
    Reported,
    /// Reading or writing failed (a closed stdout is not an error: `analyze … | head`).
    Io(std::io::Error),
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        CliError::Io(e)
    }
}

type Outcome = Result<ExitCode, CliError>;

/// Parse the arguments and run; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            match e {
                CliError::Fatal(message) => eprintln!("error: {message}"),
                CliError::Io(e) => eprintln!("error: {e}"),
                CliError::Reported => {}
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Outcome {
    let g = &cli.global;
    if let Some(n) = g.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| CliError::Fatal(format!("cannot start {n} threads: {e}")))?;
    }
    match &cli.command {
        Command::Analyze(a) => analyze::run(g, a),
        Command::Validate(v) => validate::run(g, v),
        Command::Gen(a) => import::gen_corpus(g, a),
        Command::BenchParse { input } => import::bench_parse(input),
        Command::Import(i) => import::run(g, i),
        Command::ExplainCall(e) => explain::explain_call(e),
        Command::Replay(r) => explain::replay(r),
        Command::Rules(r) => rules::run(g, r),
        Command::Explain(e) => explain::explain(e),
        Command::Diff(d) => diff::run(g, d),
        Command::Report(r) => saved::report(g, r),
        Command::Merge(m) => saved::merge(g, m),
        Command::Facts { format } => {
            println!("{}", crate::report::render_facts(*format));
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { which } => {
            print!(
                "{}",
                match which {
                    SchemaName::Trace => crate::trace::schema::TRACE_SCHEMA_TEXT,
                    SchemaName::Scenario => crate::trace::schema::SCENARIO_SCHEMA_TEXT,
                }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
