//! Any text as a manifest (`kubectl apply -f`): the kubectl-YAML fast path must agree with
//! serde-saphyr whenever it answers; neither may panic or blow up on aliases or nesting.
#![no_main]
use kubeautopsy::ops::{kyaml, manifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = manifest::parse_text(text);
    if let Some(fast) = kyaml::parse(text)
        && let Ok(general) = manifest::general_yaml_documents(text)
    {
        assert_eq!(fast, general, "fast path and serde-saphyr disagree");
    }
});
