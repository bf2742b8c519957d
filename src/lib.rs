//! kubeautopsy: an offline analyzer of recorded AI-agent runs against Kubernetes.
//!
//! The main road (see ARCHITECTURE.md): `input` (discover + read) → `trace` (parse + validate)
//! → `analysis` (one run: `ops` normalizes its calls, `model` replays them and derives the
//! `fact`s, `rules` judge them, `verdict`) → `run_result` (what a run leaves) → `fold` (runs
//! summed as they come) → `report` (tables, saved analyses, HTML) and `diff`. `pipeline` drives
//! the per-record stages in parallel; `diag` turns every rejected input into a precise
//! diagnostic; `accounting` counts every input; `cli` is the command line.

// Input can be anything: no unwrap / expect / panic outside tests (clippy enforces it; the
// indexing and slicing sites, mostly at positions the code computed itself, are exercised by
// the fuzz targets in fuzz/).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod accounting;
pub mod analysis;
pub mod bench_parse;
#[cfg(feature = "cli")]
pub mod cli;
pub mod diag;
#[cfg(feature = "cli")]
pub mod diff;
pub mod fact;
pub mod fold;
pub mod import;
pub mod input;
pub mod json;
pub mod model;
pub mod ops;
pub mod pipeline;
#[cfg(feature = "cli")]
pub mod report;
pub mod rules;
pub mod run_result;
pub mod scenarios;
pub mod synth;
#[cfg(test)]
mod testdata;
pub mod trace;
pub mod verdict;
