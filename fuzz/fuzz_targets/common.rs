//! What every target shares: the built-in tool maps and rules, and the whole per-record path.

use kubeautopsy::model::facts::replay_run;
use kubeautopsy::ops::Normalizer;
use kubeautopsy::rules::RuleSet;
use std::sync::LazyLock;

static NORMALIZER: LazyLock<Normalizer> =
    LazyLock::new(|| Normalizer::load(None).unwrap_or_else(|_| panic!("built-in tool maps")));
static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::default_pack().unwrap_or_else(|_| panic!("built-in rules")));

/// Parse, validate, normalize, replay and judge one record, as `analyze` does.
pub fn analyse(record: &[u8]) {
    let Ok(doc) = kubeautopsy::trace::parse_record(record) else {
        return;
    };
    let Ok(trace) = kubeautopsy::trace::view(&doc) else {
        // The schema accepted what the typed view cannot read: a bug.
        panic!("schema and trace model disagree");
    };
    let calls = NORMALIZER.run(&trace);
    let replay = replay_run(&trace, &calls, None);
    let _ = kubeautopsy::rules::eval::judge(&RULES, &replay);
}
