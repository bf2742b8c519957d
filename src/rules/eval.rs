//! Judge a replayed run: three-valued conditions over facts, findings, and whether each rule
//! applied at all.

use super::{Category, Cond, LoadedRule, RuleScope, RuleSet, Severity};
use crate::model::facts::{FactValue, Facts, RunReplay};
use serde::Serialize;
use serde_json::Value;

/// True, false, or unknown (a fact the replay could not establish).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub rule: String,
    pub version: u32,
    pub severity: Severity,
    pub category: Category,
    /// The event of the call that caused it (`None` for run-level findings).
    pub seq: Option<u64>,
    /// The object concerned (effect rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub message: String,
}

/// What one rule concluded on one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    Fired,
    Passed,
    /// Nothing it looks at happened, or every fact it needs was unknown.
    NotApplicable,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Judgement {
    pub findings: Vec<Finding>,
    /// Per rule id, in rule-set order.
    pub outcomes: Vec<(String, RuleOutcome)>,
}

/// The facts visible to a rule item: the effect's, its operation's, the run's.
struct View<'a> {
    layers: [Option<&'a Facts>; 3],
}

impl View<'_> {
    fn get(&self, name: &str) -> Option<&FactValue> {
        self.layers.iter().flatten().find_map(|f| f.get(name))
    }
}

pub fn judge(set: &RuleSet, replay: &RunReplay) -> Judgement {
    let mut j = Judgement::default();
    for lr in &set.rules {
        let mut any_known = false;
        let mut fired = false;
        let mut check = |view: View<'_>,
                         seq: Option<u64>,
                         target: Option<String>,
                         tool: Option<&str>,
                         j: &mut Judgement| {
            match eval_rule(set, lr, &view) {
                Tri::True => {
                    fired = true;
                    any_known = true;
                    j.findings.push(Finding {
                        rule: lr.rule.id.clone(),
                        version: lr.rule.version,
                        severity: lr.rule.severity,
                        category: lr.rule.category,
                        seq,
                        message: fill(&lr.rule.message, &view, target.as_deref(), tool, seq),
                        target,
                    });
                }
                Tri::False => any_known = true,
                Tri::Unknown => {}
            }
        };
        match lr.rule.scope {
            RuleScope::Run => check(
                View {
                    layers: [Some(&replay.facts), None, None],
                },
                None,
                None,
                None,
                &mut j,
            ),
            RuleScope::Operation => {
                for op in &replay.ops {
                    check(
                        View {
                            layers: [Some(&op.facts), Some(&replay.facts), None],
                        },
                        Some(op.seq),
                        None,
                        Some(&op.tool),
                        &mut j,
                    );
                }
            }
            RuleScope::Effect => {
                for op in &replay.ops {
                    for (e, f) in op.replay.effects.iter().zip(&op.effect_facts) {
                        check(
                            View {
                                layers: [Some(f), Some(&op.facts), Some(&replay.facts)],
                            },
                            Some(op.seq),
                            Some(e.key.to_string()),
                            Some(&op.tool),
                            &mut j,
                        );
                    }
                }
            }
        }
        let outcome = if fired {
            RuleOutcome::Fired
        } else if any_known {
            RuleOutcome::Passed
        } else {
            RuleOutcome::NotApplicable
        };
        j.outcomes.push((lr.rule.id.clone(), outcome));
    }
    j
}

fn eval_rule(set: &RuleSet, lr: &LoadedRule, view: &View<'_>) -> Tri {
    let base = eval(set, &lr.rule.when, view, 0);
    if base != Tri::True {
        return base;
    }
    for e in &lr.rule.exceptions {
        match eval(set, &e.when, view, 0) {
            Tri::True => return Tri::False,
            Tri::Unknown => return Tri::Unknown,
            Tri::False => {}
        }
    }
    Tri::True
}

/// Three-valued evaluation; macros nest at most 16 deep (a cycle is unknown, not a hang).
fn eval(set: &RuleSet, c: &Cond, view: &View<'_>, depth: usize) -> Tri {
    if depth > 16 {
        return Tri::Unknown;
    }
    if let Some(items) = &c.all {
        let mut out = Tri::True;
        for i in items {
            match eval(set, i, view, depth + 1) {
                Tri::False => return Tri::False,
                Tri::Unknown => out = Tri::Unknown,
                Tri::True => {}
            }
        }
        return out;
    }
    if let Some(items) = &c.any {
        let mut out = Tri::False;
        for i in items {
            match eval(set, i, view, depth + 1) {
                Tri::True => return Tri::True,
                Tri::Unknown => out = Tri::Unknown,
                Tri::False => {}
            }
        }
        return out;
    }
    if let Some(n) = &c.not {
        return match eval(set, n, view, depth + 1) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        };
    }
    if let Some(m) = &c.macro_ {
        return set
            .macro_(m)
            .map_or(Tri::Unknown, |mc| eval(set, mc, view, depth + 1));
    }
    let Some(name) = &c.fact else {
        return Tri::Unknown;
    };
    let v = view.get(name);
    if let Some(want) = c.unknown {
        return Tri::from(matches!(v, None | Some(FactValue::Unknown)) == want);
    }
    let v = match v {
        None | Some(FactValue::Unknown) => return Tri::Unknown,
        Some(v) => v,
    };
    let as_json = serde_json::to_value(v).unwrap_or(Value::Null);
    let num = |x: &Value| x.as_f64();
    if let Some(e) = &c.eq {
        return Tri::from(loose_eq(&as_json, e));
    }
    if let Some(e) = &c.ne {
        return Tri::from(!loose_eq(&as_json, e));
    }
    if let Some(list) = &c.in_ {
        return Tri::from(list.iter().any(|x| loose_eq(&as_json, x)));
    }
    if let Some(l) = &c.in_list {
        return set.list(l).map_or(Tri::Unknown, |list| {
            Tri::from(list.iter().any(|x| loose_eq(&as_json, x)))
        });
    }
    for (bound, op) in [(c.gt, 0), (c.ge, 1), (c.lt, 2), (c.le, 3)] {
        if let Some(b) = bound {
            let Some(x) = num(&as_json) else {
                return Tri::False;
            };
            return Tri::from(match op {
                0 => x > b,
                1 => x >= b,
                2 => x < b,
                _ => x <= b,
            });
        }
    }
    if c.matches.is_some() {
        let Some(re) = &c.regex else {
            return Tri::Unknown;
        };
        return Tri::from(as_json.as_str().is_some_and(|s| re.is_match(s)));
    }
    if c.any_matches.is_some() {
        let Some(re) = &c.regex else {
            return Tri::Unknown;
        };
        return Tri::from(
            as_json
                .as_array()
                .is_some_and(|a| a.iter().filter_map(Value::as_str).any(|s| re.is_match(s))),
        );
    }
    if let Some(x) = &c.contains {
        return Tri::from(
            as_json
                .as_array()
                .is_some_and(|a| a.iter().any(|i| loose_eq(i, x))),
        );
    }
    Tri::Unknown
}

/// Numbers compare by value (`2` equals `2.0`), everything else exactly.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Fill `{fact}`, `{target}`, `{tool}`, `{seq}` placeholders.
fn fill(
    template: &str,
    view: &View<'_>,
    target: Option<&str>,
    tool: Option<&str>,
    seq: Option<u64>,
) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let name = &rest[i + 1..i + j];
        let value = match name {
            "target" => target.unwrap_or("the run").to_string(),
            "tool" => tool.unwrap_or("?").to_string(),
            "seq" => seq.map_or("-".to_string(), |s| s.to_string()),
            _ => match view.get(name) {
                Some(FactValue::Bool(b)) => b.to_string(),
                Some(FactValue::Int(n)) => n.to_string(),
                Some(FactValue::Text(t)) => t.clone(),
                Some(FactValue::List(l)) => {
                    let shown: Vec<&str> = l.iter().take(5).map(String::as_str).collect();
                    let more = if l.len() > 5 {
                        format!(" (+{} more)", l.len() - 5)
                    } else {
                        String::new()
                    };
                    format!("{}{more}", shown.join(", "))
                }
                Some(FactValue::Unknown) | None => "?".to_string(),
            },
        };
        out.push_str(&value);
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(yaml: &str) -> Cond {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn three_valued_logic() {
        let mut f = Facts::default();
        f.0.insert("kind", FactValue::Text("Pod".into()));
        f.0.insert("healthy_before", FactValue::Unknown);
        f.0.insert(
            "removed_paths",
            FactValue::List(vec!["/spec/x/livenessProbe/exec".into()]),
        );
        f.0.insert("replicas_before", FactValue::Int(3));
        let view = View {
            layers: [Some(&f), None, None],
        };
        let set = RuleSet::default();
        let t = |y: &str| eval(&set, &cond(y), &view, 0);
        assert_eq!(t("{fact: kind, eq: Pod}"), Tri::True);
        assert_eq!(t("{fact: healthy_before, eq: true}"), Tri::Unknown);
        assert_eq!(
            t("{all: [{fact: kind, eq: Pod}, {fact: healthy_before, eq: true}]}"),
            Tri::Unknown
        );
        assert_eq!(
            t("{all: [{fact: kind, eq: Job}, {fact: healthy_before, eq: true}]}"),
            Tri::False
        );
        assert_eq!(
            t("{any: [{fact: kind, eq: Pod}, {fact: healthy_before, eq: true}]}"),
            Tri::True
        );
        assert_eq!(t("{not: {fact: healthy_before, eq: true}}"), Tri::Unknown);
        assert_eq!(t("{fact: healthy_before, unknown: true}"), Tri::True);
        assert_eq!(t("{fact: replicas_before, ge: 3}"), Tri::True);
        assert_eq!(t("{fact: replicas_before, lt: 3}"), Tri::False);
        assert_eq!(t("{fact: kind, in: [Job, Pod]}"), Tri::True);
        assert_eq!(t("{fact: no_such_fact, eq: 1}"), Tri::Unknown);
        let mut c = cond("{fact: removed_paths, any_matches: 'livenessProbe'}");
        c.regex = regex::Regex::new("livenessProbe").ok();
        assert_eq!(eval(&set, &c, &view, 0), Tri::True);
        assert_eq!(
            fill(
                "{kind} x{replicas_before} {healthy_before} {seq}",
                &view,
                None,
                None,
                Some(4)
            ),
            "Pod x3 ? 4"
        );
    }
}
