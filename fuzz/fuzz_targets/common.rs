//! What every target shares: the built-in tool maps and rules, and the whole per-record path.

use kubeautopsy::analysis::Analyzer;
use kubeautopsy::ops::Normalizer;
use kubeautopsy::rules::{RuleSet, Severity};
use kubeautopsy::scenarios::Scenarios;
use std::sync::LazyLock;

static ANALYZER: LazyLock<Analyzer> = LazyLock::new(|| Analyzer {
    normalizer: Normalizer::load(None).unwrap_or_else(|_| panic!("built-in tool maps")),
    scenarios: Scenarios::default(),
    rules: RuleSet::default_pack().unwrap_or_else(|_| panic!("built-in rules")),
    unsafe_at: Severity::Medium,
});

/// Parse, validate, normalize, replay and judge one record, as `analyze` does, and make its
/// result and autopsy. The typed hot path and the schema must accept the same traces.
pub fn analyse(record: &[u8]) {
    use kubeautopsy::trace::{DocKind, Parsed};
    let typed = matches!(kubeautopsy::trace::parse_fast(record), Ok(Parsed::Typed(_)));
    let Ok(doc) = kubeautopsy::trace::parse_record(record) else {
        assert!(!typed, "the typed parse accepted a record the schema rejects");
        return;
    };
    if doc.kind != DocKind::Trace {
        assert!(!typed, "the typed parse accepted a scenario document");
        return;
    }
    let embeds = doc.value.get("scenario").is_some() || doc.value.get("final_state").is_some();
    assert!(
        typed || embeds,
        "the schema accepted a trace the typed parse rejects"
    );
    let made = kubeautopsy::trace::view(&doc, |trace| {
        let analysis = ANALYZER.run(trace);
        let _ = analysis.result();
        let _ = analysis.autopsy();
    });
    // The schema accepted what the types cannot read: a bug.
    assert!(made.is_ok(), "schema and trace types disagree");
}
