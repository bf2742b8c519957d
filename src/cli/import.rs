//! `kubeautopsy import` (other formats → trace v1 / scenario v1), `gen` (a synthetic corpus)
//! and the hidden `bench-parse` (the benchmark's typed-parse floor).

use super::Outcome;
use super::args::{GenArgs, Global, ImportArgs, InputArgs};
use super::common::{corpus_inputs, note_unmatched_outcomes, print_rejections};
use crate::accounting::Accounting;
use crate::pipeline::{self, Corpus, Outcome as ItemOutcome};
use std::io::Write;
use std::process::ExitCode;

pub fn run(g: &Global, a: &ImportArgs) -> Outcome {
    let (discovery, mut opts) = corpus_inputs(g, &a.input, Some(a.from), &a.labels, false)?;
    opts.documents = true;
    let corpus: Corpus<Vec<u8>> = pipeline::run(discovery, &opts, |t| {
        t.document
            .and_then(|d| serde_json::to_vec(d).ok())
            .unwrap_or_default()
    });
    note_unmatched_outcomes(g.quiet, &opts);
    let accounting = Accounting::of(&corpus);
    print_rejections(g, corpus.rejections())?;
    let scenarios = corpus.items.iter().filter_map(|item| match &item.outcome {
        ItemOutcome::Scenario { id, value } => Some((id.as_deref(), &**value)),
        _ => None,
    });
    let written =
        crate::import::write(&a.out, a.from, corpus.runs().map(Vec::as_slice), scenarios)?;
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

pub fn gen_corpus(g: &Global, a: &GenArgs) -> Outcome {
    let spec = crate::synth::GenSpec {
        out: a.out.clone(),
        size: a.size,
        seed: a.seed,
        format: a.format,
        file_size: a.file_size,
    };
    let made = crate::synth::run(&spec)?;
    if !g.quiet {
        eprintln!(
            "wrote {} runs, {} of traces, in {} file(s) under {}",
            made.runs,
            crate::diag::human_bytes(made.bytes),
            made.files,
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn bench_parse(input: &InputArgs) -> Outcome {
    let paths = input.all_paths()?;
    let bytes: u64 = crate::input::discover(&paths)
        .sources
        .iter()
        .filter_map(|s| s.size)
        .sum();
    let start = std::time::Instant::now();
    let s = crate::bench_parse::run(&paths, input.chunk_size, input.max_record_size);
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
