//! Standalone scenario files (`--scenarios DIR`), looked up by id when a trace names its scenario
//! but does not embed it.

use crate::diag::Rejection;
use crate::input;
use crate::model::Model;
use crate::model::facts::{RunScenario, initial_model};
use crate::pipeline::{self, Options, Outcome};
use crate::trace::Trace;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct Scenarios {
    by_id: HashMap<String, Known>,
}

/// A scenario of the files, with the model its runs start from, built once.
#[derive(Debug)]
struct Known {
    doc: Value,
    initial: Model,
}

impl Scenarios {
    /// Load every scenario document under the paths (validated like traces); a rejected file or a
    /// duplicate id is an error.
    pub fn load(paths: &[PathBuf]) -> Result<Scenarios, Vec<Rejection>> {
        if paths.is_empty() {
            return Ok(Scenarios::default());
        }
        let corpus = pipeline::run(input::discover(paths), &Options::default(), |_| ());
        let mut problems: Vec<Rejection> = corpus.rejections().cloned().collect();
        let mut by_id = HashMap::new();
        for item in &corpus.items {
            if let Outcome::Scenario {
                id: Some(id),
                value,
            } = &item.outcome
                && by_id
                    .insert(
                        id.clone(),
                        Known {
                            doc: (**value).clone(),
                            initial: initial_model(value),
                        },
                    )
                    .is_some()
            {
                problems.push(Rejection::of_source(
                    corpus.sources[item.source].display.clone(),
                    item.line,
                    crate::diag::RejectKind::Schema,
                    format!("scenario id `{id}` is defined twice"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(Scenarios { by_id })
        } else {
            Err(problems)
        }
    }

    /// The scenario of a run: embedded in the trace, else by `run.scenario`.
    pub fn for_run<'a>(&'a self, trace: &'a Trace<'_>) -> Option<RunScenario<'a>> {
        if let Some(doc) = trace.scenario {
            return Some(RunScenario::embedded(doc));
        }
        self.by_id.get(trace.run.scenario?).map(|k| RunScenario {
            doc: &k.doc,
            initial: std::borrow::Cow::Borrowed(&k.initial),
        })
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
