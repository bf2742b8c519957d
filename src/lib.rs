//! kubeautopsy: an offline analyzer of recorded AI-agent runs against Kubernetes.
//!
//! The pipeline (see ARCHITECTURE.md): `input` (discover + read) → `trace` (parse + validate)
//! → per-run stages → `run_result` → `report`. `pipeline` drives the stages in parallel;
//! `diag` turns every rejected input into a precise diagnostic; `cli` wires it to commands.

// Input can be anything: no unwrap / expect / panic outside tests (clippy enforces it; the
// indexing and slicing sites, mostly at positions the code computed itself, are exercised by
// the fuzz targets in fuzz/).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod diag;
#[cfg(feature = "cli")]
pub mod diff;
pub mod fact;
pub mod floor;
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
pub mod trace;
pub mod verdict;
