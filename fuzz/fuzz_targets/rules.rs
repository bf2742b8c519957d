//! Any text as a rule file (`--rules`): loading, positions, lints; an untrusted rule file
//! must give diagnostics, never a panic or a slow regex.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut set = kubeautopsy::rules::RuleSet::default();
    let _ = set.add_file("fuzz.yaml", text);
});
