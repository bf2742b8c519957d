//! What the scenario says about scope: its namespaces, targets and protected patterns, and the
//! scope facts of an object (unknown without a scenario).

use crate::fact::FactValue;
use crate::model::ObjKey;
use crate::model::selector::Selector;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// What the scenario says about scope, or, without a scenario, the task's subjects inferred
/// from the run.
#[derive(Debug, Default)]
pub struct Scope {
    namespaces: Vec<String>,
    targets: Vec<Value>,
    protected: Vec<Value>,
    pub expect_no_mutation: bool,
    /// False when no scenario is known: scope facts are then unknown.
    known: bool,
    /// Without a scenario: the objects the run shows the task is about (see [`Scope::inferred`]).
    inferred: BTreeSet<ObjKey>,
}

/// Where the task's subjects come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeSource {
    Scenario,
    Inferred,
    None,
}

impl ScopeSource {
    pub fn name(self) -> &'static str {
        match self {
            ScopeSource::Scenario => "scenario",
            ScopeSource::Inferred => "inferred",
            ScopeSource::None => "none",
        }
    }
}

impl Scope {
    pub fn of(scenario: Option<&Value>) -> Scope {
        let Some(s) = scenario else {
            return Scope::default();
        };
        let list = |k: &str| {
            s.get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        Scope {
            namespaces: list("namespaces")
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            targets: list("targets"),
            protected: list("protected"),
            expect_no_mutation: s.get("expect_no_mutation") == Some(&Value::Bool(true)),
            known: true,
            inferred: BTreeSet::new(),
        }
    }

    fn any_match(patterns: &[Value], key: &ObjKey, labels: Option<&Map<String, Value>>) -> bool {
        patterns.iter().any(|p| {
            let field = |f: &str| p.get(f).and_then(Value::as_str);
            field("kind").is_none_or(|k| glob(k, &key.kind))
                && field("apiVersion").is_none_or(|a| crate::ops::kinds::group_of(a) == key.group)
                && field("namespace")
                    .is_none_or(|n| key.namespace.as_deref().is_some_and(|ns| glob(n, ns)))
                && field("name").is_none_or(|n| glob(n, &key.name))
                && p.get("labels")
                    .and_then(Value::as_object)
                    .is_none_or(|want| {
                        Selector::from_object(&Value::Object(want.clone()))
                            .is_some_and(|s| s.matches(labels))
                    })
        })
    }

    /// Without a scenario: the task's subjects inferred from the run. An inferred subject is in
    /// scope; any other object is unknown (not "outside"): what the task is about beyond the
    /// subjects the run shows is not known, so rules that need "outside the task" stay not
    /// applicable.
    pub fn inferred(subjects: BTreeSet<ObjKey>) -> Scope {
        Scope {
            inferred: subjects,
            ..Scope::default()
        }
    }

    pub fn source(&self) -> ScopeSource {
        if self.known {
            ScopeSource::Scenario
        } else if self.inferred.is_empty() {
            ScopeSource::None
        } else {
            ScopeSource::Inferred
        }
    }

    /// The inferred subjects (empty with a scenario).
    pub fn subjects(&self) -> &BTreeSet<ObjKey> {
        &self.inferred
    }

    pub fn in_scope(&self, key: &ObjKey, labels: Option<&Map<String, Value>>) -> FactValue {
        if !self.known && self.inferred.contains(key) {
            return FactValue::Bool(true);
        }
        if !self.known || self.targets.is_empty() {
            return FactValue::Unknown;
        }
        FactValue::Bool(Self::any_match(&self.targets, key, labels))
    }

    /// Whether the object is one of the task's subjects as far as the run shows them: with
    /// scenario targets, whether it matches one; without a scenario, whether it is one of the
    /// inferred subjects (false when it is not: the inferred scope is a lower bound, so only rules
    /// about objects no task about those subjects would name read false); unknown when no
    /// subject is known (a scenario without targets, nothing inferred).
    pub fn subject(&self, key: &ObjKey, labels: Option<&Map<String, Value>>) -> FactValue {
        match self.source() {
            ScopeSource::Scenario if !self.targets.is_empty() => {
                FactValue::Bool(Self::any_match(&self.targets, key, labels))
            }
            ScopeSource::Inferred => FactValue::Bool(self.inferred.contains(key)),
            _ => FactValue::Unknown,
        }
    }

    pub fn protected(&self, key: &ObjKey, labels: Option<&Map<String, Value>>) -> FactValue {
        if !self.known {
            return FactValue::Unknown;
        }
        FactValue::Bool(Self::any_match(&self.protected, key, labels))
    }

    pub fn in_namespace_scope(&self, key: &ObjKey) -> FactValue {
        if !self.known || self.namespaces.is_empty() {
            return FactValue::Unknown;
        }
        FactValue::Bool(
            key.namespace
                .as_ref()
                .is_some_and(|n| self.namespaces.iter().any(|s| s == n)),
        )
    }
}

/// Shell-style wildcard match (`*`, `?`), iterative.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("web-*", "web-7c5b"));
        assert!(glob("*", ""));
        assert!(glob("w?b", "web"));
        assert!(!glob("web", "web-1"));
        assert!(glob("*-canary", "api-canary"));
    }
}
