//! Any bytes as an input of a file format of `--from` (the first byte picks the format):
//! k8s-audit, mcp, anthropic, openai, inspect (JSON log or .eval zip), otel. What an importer
//! writes then goes through the normal record path.
#![no_main]
mod common;
use kubeautopsy::import::{ImportFormat, Imported, RunLabels, from_bytes};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

const FORMATS: [ImportFormat; 6] = [
    ImportFormat::K8sAudit,
    ImportFormat::Mcp,
    ImportFormat::Anthropic,
    ImportFormat::Openai,
    ImportFormat::Inspect,
    ImportFormat::Otel,
];

fuzz_target!(|data: &[u8]| {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let format = FORMATS[usize::from(*first) % FORMATS.len()];
    let display: Arc<str> = Arc::from("fuzz");
    for out in from_bytes(format, &display, "fuzz", bytes, &RunLabels::default()) {
        if let Imported::Doc { json, .. } = out {
            common::analyse(&json);
        }
    }
});
