//! The autopsy of one run as data: every tool call with the operations it became, what each
//! did to which objects, and the fix of every rule that fired. `report::explain` renders it
//! (with the run's [`RunResult`](super::RunResult): its labels, findings and verdict) as
//! `kubeautopsy explain` prints it; a saved analysis stores it in `results.jsonl` as it is here,
//! so that the text can change without changing the saved format.
//!
//! The types are the replay's own facts, flattened for storage: objects by their key's text,
//! a cause by the object that caused it, changed paths as a sample.

use crate::ops::{Change, Effect, Verb};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// How many paths of each kind (added, changed, removed) an object change keeps.
pub const PATHS_KEPT: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Autopsy {
    /// Every tool call, in order.
    pub calls: Vec<CallStep>,
    /// The remediation of each rule that fired, by rule id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fixes: BTreeMap<String, String>,
    /// Without a scenario: the task's subjects the run shows (inferred scope), as object keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallStep {
    pub seq: u64,
    pub tool: String,
    /// Why no tool map understood the call; `None` when it was understood.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_understood: Option<String>,
    /// The operations that could change something (reads are left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OpStep>,
    /// Why what the call did to the cluster was not established (what makes a pass
    /// incomplete), and what would establish it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unseen: Vec<UnseenStep>,
    /// The call cannot touch the cluster (`ls`, `grep`, `curl` to a service).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_cluster: bool,
}

/// One reason a call's effect was not established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnseenStep {
    /// The reason's label (as in the tables).
    pub label: String,
    pub why: String,
    /// What would establish the effect.
    pub resolve: String,
}

/// One operation of a call and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpStep {
    pub verb: Verb,
    pub kinds: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub effect: Effect,
    /// Why the target could not be known offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
    /// The objects come from what the tool printed (`result`), not from the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ObjectChange>,
    /// What the replay could not model, or where the model and the record disagree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What an operation did to one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectChange {
    pub change: Change,
    /// The object's key (`Deployment/bench/web`).
    pub object: String,
    /// Why, when the operation did not target it itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// Paths of a changed object (empty for created and removed ones).
    #[serde(default, skip_serializing_if = "PathSample::is_empty")]
    pub added: PathSample,
    #[serde(default, skip_serializing_if = "PathSample::is_empty")]
    pub changed: PathSample,
    #[serde(default, skip_serializing_if = "PathSample::is_empty")]
    pub removed: PathSample,
}

/// Why an object changed that the operation did not target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "of", rename_all = "snake_case")]
pub enum Cause {
    /// Its owner (this object key) was deleted.
    Owner(String),
    /// Its namespace was deleted.
    Namespace(String),
    /// This controller acted.
    Controller(String),
}

/// The first [`PATHS_KEPT`] paths of a list, and how many it had.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathSample {
    pub first: Vec<String>,
    pub total: usize,
}

impl PathSample {
    pub fn of(paths: &[String]) -> PathSample {
        PathSample {
            first: paths.iter().take(PATHS_KEPT).cloned().collect(),
            total: paths.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// An autopsy kept as its JSON text: what a kept run holds in memory until the saved analysis
/// or the HTML report is written (about a third of the size of the data, and a saved one is
/// not parsed unless it is rendered). Written as the autopsy itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Packed(Box<RawValue>);

impl Packed {
    pub fn of(autopsy: &Autopsy) -> Packed {
        // An autopsy always serializes (strings, numbers and enums only).
        let text = serde_json::to_string(autopsy).unwrap_or_else(|_| "{\"calls\": []}".into());
        Packed(RawValue::from_string(text).unwrap_or_else(|_| RawValue::NULL.to_owned()))
    }

    /// The autopsy, or why the text is not one (a damaged saved analysis).
    pub fn unpack(&self) -> Result<Autopsy, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl PartialEq for Packed {
    fn eq(&self, other: &Packed) -> bool {
        self.0.get() == other.0.get()
    }
}
