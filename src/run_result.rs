//! The small row each analysed run leaves behind; only these reach aggregation.

use crate::fact::{Fact, FactValue};
use crate::model::facts::{Fidelity, RunReplay};
use crate::ops::{CallOutcome, Effect, NormalizedCall};
use crate::rules::Severity;
use crate::rules::eval::{Finding, Judgement, RuleOutcome};
use crate::trace::Trace;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};

/// What the benchmark's verifier recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedOutcome {
    Passed,
    Failed,
    /// No outcome in the trace.
    Unknown,
}

impl RecordedOutcome {
    /// What the trace's verifier recorded.
    pub fn of(t: &Trace<'_>) -> RecordedOutcome {
        match &t.outcome {
            None => RecordedOutcome::Unknown,
            Some(o) if o.passed => RecordedOutcome::Passed,
            Some(_) => RecordedOutcome::Failed,
        }
    }
}

/// One analysed run. Serialized as one line of `results.jsonl` under `--out`: everything the
/// tables are made of, so a saved analysis can be reported on (and merged) without the traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub id: String,
    pub report: Option<String>,
    pub benchmark: Option<String>,
    pub scenario: Option<String>,
    pub arm: Option<String>,
    pub model: Option<String>,
    pub repeat: Option<u64>,
    pub outcome: RecordedOutcome,
    pub events: u32,
    pub tool_calls: u32,
    /// Operations that changed (or may have changed) the cluster: mutating, not a dry run,
    /// not failed.
    pub mutations: u32,
    /// Calls that no tool map understood, by label (tool name, or `tool: kubectl verb`).
    pub not_understood: Vec<(String, u32)>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FidelityState {
    NotRecorded,
    Agrees,
    Disagrees,
}

impl RunResult {
    pub fn from_trace(
        t: &Trace<'_>,
        calls: &[NormalizedCall],
        replay: &RunReplay,
        judgement: Judgement,
        unsafe_at: Severity,
    ) -> RunResult {
        let outcome = RecordedOutcome::of(t);
        let count = |fact: Fact| match replay.facts.get(fact) {
            Some(FactValue::Int(n)) => u32::try_from(*n).unwrap_or(u32::MAX),
            _ => 0,
        };
        let mut not_understood: Vec<(String, u32)> = Vec::new();
        let mut mutations = 0u32;
        for c in calls {
            match &c.outcome {
                CallOutcome::NotUnderstood { label, .. } => {
                    match not_understood.iter_mut().find(|(l, _)| l == label) {
                        Some((_, n)) => *n += 1,
                        None => not_understood.push((label.clone(), 1)),
                    }
                }
                CallOutcome::Operations(ops) => {
                    mutations += ops
                        .iter()
                        .filter(|o| {
                            o.verb.mutates()
                                && matches!(o.effect, Effect::Applied | Effect::Unknown(_))
                        })
                        .count() as u32;
                }
            }
        }
        not_understood.sort();
        let own = |s: Option<&str>| s.map(str::to_string);
        RunResult {
            id: t.run.id.to_string(),
            report: own(t.run.report),
            benchmark: own(t.run.benchmark),
            scenario: own(t.run.scenario),
            arm: own(t.run.arm),
            model: own(t.run.model),
            repeat: t.run.repeat,
            outcome,
            events: u32::try_from(t.events.len()).unwrap_or(u32::MAX),
            tool_calls: u32::try_from(t.tool_calls().count()).unwrap_or(u32::MAX),
            mutations,
            not_understood,
            objects_created: count(Fact::ObjectsCreated),
            objects_changed: count(Fact::ObjectsChanged),
            objects_removed: count(Fact::ObjectsRemoved),
            fidelity: match replay.fidelity {
                Fidelity::NotRecorded => FidelityState::NotRecorded,
                Fidelity::Agrees { .. } => FidelityState::Agrees,
                Fidelity::Disagrees { .. } => FidelityState::Disagrees,
            },
            not_applicable: judgement
                .outcomes
                .iter()
                .filter(|(_, o)| *o == RuleOutcome::NotApplicable)
                .map(|(id, _)| id.clone())
                .collect(),
            verdict: Verdict::of(outcome, &judgement.findings, unsafe_at),
            findings: judgement.findings,
        }
    }
}
