//! Any bytes as one record of a trace corpus: UTF-8 check, strict JSON parse, schema
//! validation, the typed view, normalization, replay and the rules.
#![no_main]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::analyse(data));
