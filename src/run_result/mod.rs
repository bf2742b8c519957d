//! What an analysed run leaves behind: the small row the tables are made of ([`RunResult`]),
//! its autopsy as data ([`Autopsy`], kept only when a saved analysis, an HTML report or
//! `explain` wants it), and where it was read ([`RunRow`]). Plain data: made by `analysis`,
//! read by `fold`, `report` and `diff`.

pub mod autopsy;

pub use autopsy::{Autopsy, Packed};

use crate::rules::eval::Finding;
use crate::verdict::{RecordedOutcome, Verdict};
use serde::{Deserialize, Serialize};

/// One analysed run. Serialized as one line of `results.jsonl` under `--out`: everything the
/// tables are made of, so a saved analysis can be reported on (and merged) without the traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Who the run is and what its trace recorded besides its calls.
    #[serde(flatten)]
    pub head: RunHead,
    /// Operations that changed (or may have changed) the cluster: mutating, not a dry run,
    /// not failed.
    pub mutations: u32,
    /// Calls that no tool map understood, by label (tool name, or `tool: kubectl verb`).
    pub not_understood: Vec<(String, u32)>,
    /// Calls that could not touch the cluster (`curl` to a service, `ls`, `grep`, `base64`).
    #[serde(default)]
    pub not_cluster_calls: u32,
    /// Where the task's subjects came from: scenario, inferred (from the run, without a
    /// scenario) or none (empty in analyses saved before scope was recorded).
    #[serde(default)]
    pub scope: String,
    /// Calls that could have changed the cluster and whose effect was not established, by
    /// reason (what makes a pass incomplete).
    #[serde(default)]
    pub unseen: Vec<(String, u32)>,
    /// Objects the replay created, changed and removed (cascades and controllers included).
    pub objects_created: u32,
    pub objects_changed: u32,
    pub objects_removed: u32,
    /// Whether the replayed end state matches the recorded `final_state`.
    pub fidelity: FidelityState,
    /// What the rules found.
    pub findings: Vec<Finding>,
    /// Rules that could not judge this run (nothing they look at happened, or unknown facts).
    pub not_applicable: Vec<String>,
    pub verdict: Verdict,
}

/// A run's identity, labels and recorded outcome: what its trace says besides its calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHead {
    pub id: String,
    pub report: Option<String>,
    pub benchmark: Option<String>,
    pub scenario: Option<String>,
    pub arm: Option<String>,
    pub model: Option<String>,
    pub repeat: Option<u64>,
    pub outcome: RecordedOutcome,
    /// Where an outcome attached from outside the trace came from (`--outcomes FILE:LINE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_from: Option<String>,
    /// What a file beside the recording said that is not a verifier's outcome (SREGym's agent
    /// exit status), and why the outcome stays as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_note: Option<String>,
    pub events: u32,
    pub tool_calls: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FidelityState {
    NotRecorded,
    Agrees,
    Disagrees,
}

impl FidelityState {
    pub fn name(self) -> &'static str {
        match self {
            FidelityState::Agrees => "agrees",
            FidelityState::Disagrees => "disagrees",
            FidelityState::NotRecorded => "not_recorded",
        }
    }
}

/// One analysed run and where it was read.
#[derive(Debug, Clone, Copy)]
pub struct RunRow<'a> {
    pub source: &'a str,
    pub line: u64,
    pub run: &'a RunResult,
    /// The run's autopsy, when it was made.
    pub autopsy: Option<&'a Packed>,
    /// A timeline saved as text, by kubeautopsy before autopsies were saved as data (read from
    /// an older saved analysis; shown as it is).
    pub saved_timeline: Option<&'a str>,
}

impl RunRow<'_> {
    /// "file:line".
    pub fn location(&self) -> String {
        format!("{}:{}", self.source, self.line)
    }
}

/// The JSON of a run's saved result and autopsy, as `results.jsonl` holds them (maps in key
/// order; `null` without an autopsy).
pub fn saved_json(result: &RunResult, autopsy: Option<&Packed>) -> (String, String) {
    // Results and autopsies always serialize (strings, numbers, enums and raw JSON only).
    let text = |v: Result<serde_json::Value, serde_json::Error>| {
        v.map_or_else(|_| "null".into(), |v| v.to_string())
    };
    (
        text(serde_json::to_value(result)),
        text(serde_json::to_value(autopsy)),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run result for tests of the fold and the tables.
    pub(crate) fn run(arm: Option<&str>, scenario: &str, verdict: Verdict) -> RunResult {
        RunResult {
            head: RunHead {
                id: "r".into(),
                report: None,
                benchmark: None,
                scenario: Some(scenario.into()),
                arm: arm.map(str::to_string),
                model: None,
                repeat: None,
                outcome: RecordedOutcome::Passed,
                outcome_from: None,
                outcome_note: None,
                events: 3,
                tool_calls: 2,
            },
            mutations: 1,
            not_understood: vec![("acme_apply".into(), 2)],
            not_cluster_calls: 0,
            scope: "none".into(),
            unseen: Vec::new(),
            objects_created: 0,
            objects_changed: 1,
            objects_removed: 0,
            fidelity: FidelityState::NotRecorded,
            findings: Vec::new(),
            not_applicable: Vec::new(),
            verdict,
        }
    }
}
