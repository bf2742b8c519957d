//! A JSON document and a patch (first line, rest) applied as JSON Patch, merge patch and
//! strategic merge patch, as `kubectl patch` and server-side changes are replayed.
#![no_main]
use kubeautopsy::ops::PatchType;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Some((doc, patch)) = text.split_once('\n') else {
        return;
    };
    let (Ok(doc), Ok(patch)) = (
        serde_json::from_str::<serde_json::Value>(doc),
        serde_json::from_str::<serde_json::Value>(patch),
    ) else {
        return;
    };
    for kind in [PatchType::Json, PatchType::Merge, PatchType::Strategic] {
        let mut d = doc.clone();
        let _ = kubeautopsy::model::patch::apply(&mut d, kind, &patch);
    }
});
