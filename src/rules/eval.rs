//! Judge a replayed run: three-valued conditions over facts, findings, and whether each rule
//! applied at all.

use super::compile::{Comparison, Expr, Literal, Part, Test};
use super::{Category, CompiledRule, RuleScope, RuleSet, Severity};
use crate::fact::{Fact, FactScope, FactValue, Facts};
use crate::model::facts::RunReplay;
use serde::Serialize;

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

/// The facts visible to a rule item: the effect's, its operation's, the run's. A fact is
/// looked up in the layer of its scope.
struct View<'a> {
    effect: Option<&'a Facts>,
    operation: Option<&'a Facts>,
    run: &'a Facts,
}

impl View<'_> {
    fn get(&self, fact: Fact) -> Option<&FactValue> {
        match fact.scope() {
            FactScope::Effect => self.effect?.get(fact),
            FactScope::Operation => self.operation?.get(fact),
            FactScope::Run => self.run.get(fact),
        }
    }
}

pub fn judge(set: &RuleSet, replay: &RunReplay) -> Judgement {
    let mut j = Judgement::default();
    for lr in &set.rules {
        let mut any_known = false;
        let mut fired = false;
        let mut check = |view: View<'_>,
                         seq: Option<u64>,
                         target: Option<&crate::model::ObjKey>,
                         tool: Option<&str>,
                         j: &mut Judgement| {
            match eval_rule(&lr.compiled, &view) {
                Tri::True => {
                    fired = true;
                    // The key is written out only for a finding (most checks find nothing).
                    let target = target.map(ToString::to_string);
                    any_known = true;
                    j.findings.push(Finding {
                        rule: lr.rule.id.clone(),
                        version: lr.rule.version,
                        severity: lr.rule.severity,
                        category: lr.rule.category,
                        seq,
                        message: fill(&lr.compiled.message, &view, target.as_deref(), tool, seq),
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
                    effect: None,
                    operation: None,
                    run: &replay.facts,
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
                            effect: None,
                            operation: Some(&op.facts),
                            run: &replay.facts,
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
                                effect: Some(f),
                                operation: Some(&op.facts),
                                run: &replay.facts,
                            },
                            Some(op.seq),
                            Some(&e.key),
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

fn eval_rule(rule: &CompiledRule, view: &View<'_>) -> Tri {
    let base = eval(&rule.when, view);
    if base != Tri::True {
        return base;
    }
    for e in &rule.exceptions {
        match eval(e, view) {
            Tri::True => return Tri::False,
            Tri::Unknown => return Tri::Unknown,
            Tri::False => {}
        }
    }
    Tri::True
}

/// Three-valued evaluation of a compiled condition.
fn eval(e: &Expr, view: &View<'_>) -> Tri {
    match e {
        Expr::All(items) => {
            let mut out = Tri::True;
            for i in items {
                match eval(i, view) {
                    Tri::False => return Tri::False,
                    Tri::Unknown => out = Tri::Unknown,
                    Tri::True => {}
                }
            }
            out
        }
        Expr::Any(items) => {
            let mut out = Tri::False;
            for i in items {
                match eval(i, view) {
                    Tri::True => return Tri::True,
                    Tri::Unknown => out = Tri::Unknown,
                    Tri::False => {}
                }
            }
            out
        }
        Expr::Not(n) => match eval(n, view) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Expr::Test(fact, test) => match (view.get(*fact), test) {
            // Only `unknown: …` can tell anything of a fact the replay could not establish.
            (None | Some(FactValue::Unknown), Test::Unknown(want)) => Tri::from(*want),
            (None | Some(FactValue::Unknown), _) => Tri::Unknown,
            (Some(v), test) => Tri::from(holds(test, v)),
        },
    }
}

/// Whether a test holds of a known value.
fn holds(test: &Test, v: &FactValue) -> bool {
    match test {
        // `unknown: false` holds of a known value.
        Test::Unknown(want) => !*want,
        Test::Eq(l) => l.equals(v),
        Test::Ne(l) => !l.equals(v),
        Test::In(list) => list.iter().any(|l| l.equals(v)),
        Test::Compare(op, bound) => {
            let FactValue::Int(n) = v else {
                return false;
            };
            let x = *n as f64;
            match op {
                Comparison::Gt => x > *bound,
                Comparison::Ge => x >= *bound,
                Comparison::Lt => x < *bound,
                Comparison::Le => x <= *bound,
            }
        }
        Test::Matches(re) => matches!(v, FactValue::Text(s) if re.is_match(s)),
        Test::AnyMatches(re) => {
            matches!(v, FactValue::List(items) if items.iter().any(|s| re.is_match(s)))
        }
        Test::Contains(l) => {
            matches!((v, l), (FactValue::List(items), Literal::Text(t)) if items.contains(t))
        }
    }
}

/// Fill a message template: facts, `{target}`, `{tool}`, `{seq}`.
fn fill(
    template: &[Part],
    view: &View<'_>,
    target: Option<&str>,
    tool: Option<&str>,
    seq: Option<u64>,
) -> String {
    let mut out = String::new();
    for part in template {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Target => out.push_str(target.unwrap_or("the run")),
            Part::Tool => out.push_str(tool.unwrap_or("?")),
            Part::Seq => out.push_str(&seq.map_or("-".to_string(), |s| s.to_string())),
            Part::Fact(f) => match view.get(*f) {
                Some(FactValue::Bool(b)) => out.push_str(&b.to_string()),
                Some(FactValue::Int(n)) => out.push_str(&n.to_string()),
                Some(FactValue::Text(t)) => out.push_str(t),
                Some(FactValue::List(l)) => {
                    let shown: Vec<&str> = l.iter().take(5).map(String::as_str).collect();
                    out.push_str(&shown.join(", "));
                    if l.len() > 5 {
                        out.push_str(&format!(" (+{} more)", l.len() - 5));
                    }
                }
                Some(FactValue::Unknown) | None => out.push('?'),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::{Names, compile, template};
    use crate::rules::syntax::Cond;

    fn expr(yaml: &str) -> Expr {
        let mut c: Cond = serde_saphyr::from_str(yaml).unwrap();
        if let Some(re) = c.matches.as_ref().or(c.any_matches.as_ref()) {
            c.regex = regex::Regex::new(re).ok();
        }
        let lists = [(
            "kinds".to_string(),
            vec![serde_json::json!("Job"), serde_json::json!("Pod")],
        )]
        .into_iter()
        .collect();
        let macros = std::collections::BTreeMap::new();
        compile(
            &c,
            &Names {
                lists: &[&lists],
                macros: &[&macros],
            },
        )
        .unwrap()
    }

    #[test]
    fn three_valued_logic() {
        let mut f = Facts::default();
        f.set(Fact::Kind, FactValue::Text("Pod".into()));
        f.set(Fact::HealthyBefore, FactValue::Unknown);
        f.set(
            Fact::RemovedPaths,
            FactValue::List(vec!["/spec/x/livenessProbe/exec".into()]),
        );
        f.set(Fact::ReplicasBefore, FactValue::Int(3));
        let run = Facts::default();
        let view = View {
            effect: Some(&f),
            operation: None,
            run: &run,
        };
        let t = |y: &str| eval(&expr(y), &view);
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
        assert_eq!(t("{fact: kind, unknown: false}"), Tri::True);
        assert_eq!(t("{fact: replicas_before, ge: 3}"), Tri::True);
        assert_eq!(t("{fact: replicas_before, lt: 3}"), Tri::False);
        assert_eq!(t("{fact: kind, gt: 3}"), Tri::False);
        assert_eq!(t("{fact: kind, in: [Job, Pod]}"), Tri::True);
        assert_eq!(t("{fact: kind, in_list: kinds}"), Tri::True);
        assert_eq!(t("{fact: kind, ne: Job}"), Tri::True);
        // A fact of another scope than the rule's layers is not there: unknown.
        assert_eq!(t("{fact: verb, eq: delete}"), Tri::Unknown);
        assert_eq!(
            t("{fact: removed_paths, any_matches: 'livenessProbe'}"),
            Tri::True
        );
        assert_eq!(
            t("{fact: removed_paths, contains: /spec/x/livenessProbe/exec}"),
            Tri::True
        );
        assert_eq!(t("{fact: kind, matches: '^P'}"), Tri::True);
        assert_eq!(t("{fact: kind, any_matches: '^P'}"), Tri::False);
        assert_eq!(
            fill(
                &template("{kind} x{replicas_before} {healthy_before} {seq}").unwrap(),
                &view,
                None,
                None,
                Some(4)
            ),
            "Pod x3 ? 4"
        );
    }
}
