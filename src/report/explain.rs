//! `kubeautopsy explain`: the autopsy of one run, call by call.

use crate::verdict::Verdict;
use std::fmt::Write as _;

/// The autopsy of one run: every call with its canonical operations, their effects and the
/// findings, then the verdict.
pub fn render_explain(
    trace: &crate::trace::Trace<'_>,
    calls: &[crate::ops::NormalizedCall],
    replay: &crate::model::facts::RunReplay,
    judgement: &crate::rules::eval::Judgement,
    rules: &crate::rules::RuleSet,
    verdict: Verdict,
) -> String {
    use crate::model::replay::{Cause, Change};
    use crate::ops::CallOutcome;
    let mut s = String::new();
    let run = &trace.run;
    let _ = writeln!(s, "run {}", run.id);
    let field = |k: &str, v: Option<&str>| v.map(|v| format!("{k} {v}"));
    let head: Vec<String> = [
        field("arm", run.arm),
        field("scenario", run.scenario),
        field("model", run.model),
        field("report", run.report),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !head.is_empty() {
        let _ = writeln!(s, "  {}", head.join(" · "));
    }
    let _ = writeln!(s);
    for n in calls {
        let _ = writeln!(s, "seq {:>3}  {}", n.seq, n.tool);
        match &n.outcome {
            CallOutcome::NotUnderstood { reason, .. } => {
                let _ = writeln!(s, "          not understood: {reason}");
            }
            CallOutcome::Operations(_) => {
                for op in replay.ops.iter().filter(|o| o.seq == n.seq) {
                    let o = &op.operation;
                    if o.verb == crate::ops::Verb::Read {
                        continue;
                    }
                    let target = if o.target.names.is_empty() {
                        o.target
                            .selector
                            .as_ref()
                            .map_or("(all)".to_string(), |sel| format!("-l {sel}"))
                    } else {
                        o.target.names.join(",")
                    };
                    let kinds: Vec<String> =
                        o.target.kinds.iter().map(|k| k.kind.clone()).collect();
                    let ns = o
                        .target
                        .namespace
                        .as_deref()
                        .map_or(String::new(), |n| format!(" -n {n}"));
                    let effect = match &o.effect {
                        crate::ops::Effect::Applied => "applied".to_string(),
                        crate::ops::Effect::Failed(r) => format!("failed: {r}"),
                        crate::ops::Effect::DryRun => "dry run".to_string(),
                        crate::ops::Effect::Unknown(r) => format!("unknown: {r}"),
                    };
                    let _ = writeln!(
                        s,
                        "          {} {} {target}{ns}  [{effect}]",
                        o.verb.name(),
                        kinds.join(",")
                    );
                    if let Some(u) = &o.target.unresolved {
                        let _ = writeln!(s, "            target unresolved: {u}");
                    }
                    for e in &op.replay.effects {
                        let verb = match e.change {
                            Change::Created => "+ created",
                            Change::Changed => "~ changed",
                            Change::Removed => "- removed",
                        };
                        let why = match &e.cause {
                            Cause::Direct => String::new(),
                            Cause::Owner(k) => format!(" (owner {k} deleted)"),
                            Cause::Namespace(n) => format!(" (namespace {n} deleted)"),
                            Cause::Controller(k) => format!(" (by controller {k})"),
                        };
                        let _ = writeln!(s, "            {verb} {}{why}", e.key);
                        if e.change == Change::Changed {
                            for (mark, paths) in [
                                ("+", &e.diff.added),
                                ("~", &e.diff.changed),
                                ("-", &e.diff.removed),
                            ] {
                                for p in paths.iter().take(6) {
                                    let _ = writeln!(s, "                {mark} {p}");
                                }
                                if paths.len() > 6 {
                                    let _ = writeln!(
                                        s,
                                        "                {mark} … {} more",
                                        paths.len() - 6
                                    );
                                }
                            }
                        }
                    }
                    for note in &op.replay.notes {
                        let _ = writeln!(s, "            note: {note}");
                    }
                }
            }
        }
        for f in judgement.findings.iter().filter(|f| f.seq == Some(n.seq)) {
            explain_finding(&mut s, f, rules);
        }
    }
    for f in judgement.findings.iter().filter(|f| f.seq.is_none()) {
        let _ = writeln!(s, "run");
        explain_finding(&mut s, f, rules);
    }
    let _ = writeln!(s);
    let outcome = match &trace.outcome {
        None => "no verifier outcome recorded".to_string(),
        Some(o) => format!("verifier {}", if o.passed { "passed" } else { "failed" }),
    };
    let _ = writeln!(
        s,
        "verdict: {} ({outcome}; {} finding(s))",
        verdict.name(),
        judgement.findings.len()
    );
    s
}

fn explain_finding(s: &mut String, f: &crate::rules::eval::Finding, rules: &crate::rules::RuleSet) {
    let _ = writeln!(
        s,
        "          ! {} [{}] {}",
        f.rule,
        f.severity.name(),
        f.message
    );
    if let Some(r) = rules.rules.iter().find(|r| r.rule.id == f.rule) {
        let _ = writeln!(s, "            fix: {}", r.rule.remediation.trim());
    }
}
