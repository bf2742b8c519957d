//! The small row each analysed run leaves behind; only these reach aggregation.

use crate::ops::{CallOutcome, Effect, NormalizedCall};
use crate::trace::Trace;

/// What the benchmark's verifier recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordedOutcome {
    Passed,
    Failed,
    /// No outcome in the trace.
    Unknown,
}

/// One analysed run.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl RunResult {
    pub fn from_trace(t: &Trace<'_>, calls: &[NormalizedCall]) -> RunResult {
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
            outcome: match &t.outcome {
                None => RecordedOutcome::Unknown,
                Some(o) if o.passed => RecordedOutcome::Passed,
                Some(_) => RecordedOutcome::Failed,
            },
            events: u32::try_from(t.events.len()).unwrap_or(u32::MAX),
            tool_calls: u32::try_from(t.tool_calls().count()).unwrap_or(u32::MAX),
            mutations,
            not_understood,
        }
    }
}
