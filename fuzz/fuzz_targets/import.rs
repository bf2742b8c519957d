//! Any bytes as an input of a file format of `--from` (the first byte picks the format; `auto`
//! picks it from the content, as `--from auto` does): every file format kubeautopsy imports.
//! What an importer writes then goes through the normal record path.
#![no_main]
mod common;
use kubeautopsy::import::{ImportFormat, Imported, RunLabels, detect, from_bytes};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let all = ImportFormat::ALL;
    let mut format = all[usize::from(*first) % all.len()];
    if format == ImportFormat::Auto {
        match detect::sniff(bytes) {
            Ok(f) => format = f,
            Err(_) => return,
        }
    }
    let display: Arc<str> = Arc::from("fuzz");
    for out in from_bytes(format, &display, "fuzz", bytes, &RunLabels::default()) {
        if let Imported::Doc { json, .. } = out {
            common::analyse(&json);
        }
    }
});
