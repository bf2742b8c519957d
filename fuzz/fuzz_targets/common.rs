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
/// result and autopsy.
pub fn analyse(record: &[u8]) {
    let Ok(doc) = kubeautopsy::trace::parse_record(record) else {
        return;
    };
    let Ok(trace) = kubeautopsy::trace::view(&doc) else {
        // The schema accepted what the typed view cannot read: a bug.
        panic!("schema and trace model disagree");
    };
    let analysis = ANALYZER.run(&trace);
    let _ = analysis.result();
    let _ = analysis.autopsy();
}
