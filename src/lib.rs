//! kubeautopsy: an offline analyzer of recorded AI-agent runs against Kubernetes.
//!
//! The pipeline (see ARCHITECTURE.md): `input` (discover + read) → `trace` (parse + validate)
//! → per-run stages → `run_result` → `report`. `pipeline` drives the stages in parallel;
//! `diag` turns every rejected input into a precise diagnostic; `cli` wires it to commands.

pub mod cli;
pub mod diag;
pub mod diff;
pub mod floor;
pub mod import;
pub mod input;
pub mod model;
pub mod ops;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod run_result;
pub mod scenarios;
pub mod synth;
pub mod trace;
pub mod verdict;
