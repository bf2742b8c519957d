//! Agreement of the replayed end state with the recorded `final_state`.

use crate::json::At;
use crate::model::{Diff, Model, ObjKey};
use crate::trace::Trace;
use serde::Serialize;
use serde_json::{Map, Value};

/// Agreement of the replayed end state with the recorded `final_state`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Fidelity {
    NotRecorded,
    Agrees {
        checked: usize,
    },
    Disagrees {
        checked: usize,
        differences: Vec<String>,
    },
}

/// Compare the replayed end state with the trace's `final_state`.
pub(super) fn of(trace: &Trace<'_>, model: &Model) -> Fidelity {
    let Some(final_state) = trace.final_state else {
        return Fidelity::NotRecorded;
    };
    let mut differences = Vec::new();
    let mut checked = 0;
    for o in final_state {
        let Some(key) = ObjKey::of(o, None) else {
            continue;
        };
        checked += 1;
        match model.get(&key) {
            None => {
                if model.exists(&key) == Some(false) {
                    differences.push(format!("{key}: in final_state, absent from the replay"));
                }
            }
            Some(m) => {
                let (a, b) = (spec_paths(m), spec_paths(o));
                let d = Diff::between(&a, &b);
                if !d.is_empty() {
                    let first = d
                        .added
                        .iter()
                        .chain(&d.changed)
                        .chain(&d.removed)
                        .next()
                        .cloned()
                        .unwrap_or_default();
                    differences.push(format!("{key}: replay and final_state differ at {first}"));
                }
            }
        }
    }
    if differences.is_empty() {
        Fidelity::Agrees { checked }
    } else {
        Fidelity::Disagrees {
            checked,
            differences,
        }
    }
}

/// The parts of an object that a final-state comparison looks at: spec, data and labels.
fn spec_paths(o: &Value) -> Value {
    let mut out = Map::new();
    for f in ["spec", "data", "stringData"] {
        if let Some(v) = o.get(f) {
            out.insert(f.into(), v.clone());
        }
    }
    if let Some(l) = o.at("/metadata/labels") {
        out.insert("labels".into(), l.clone());
    }
    Value::Object(out)
}
