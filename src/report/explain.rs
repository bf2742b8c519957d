//! `kubeautopsy explain`: the autopsy of one run as text, call by call, from its result and its
//! autopsy data.

use crate::ops::{Change, Effect};
use crate::rules::eval::Finding;
use crate::run_result::RunResult;
use crate::run_result::autopsy::{Autopsy, Cause, OpStep, PathSample};
use crate::verdict::RecordedOutcome;
use std::fmt::Write as _;

/// The autopsy of one run: every call with its canonical operations, their effects and the
/// findings, then the verdict.
pub fn render_explain(run: &RunResult, autopsy: &Autopsy) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "run {}", run.head.id);
    let field = |k: &str, v: &Option<String>| v.as_deref().map(|v| format!("{k} {v}"));
    let head: Vec<String> = [
        field("arm", &run.head.arm),
        field("scenario", &run.head.scenario),
        field("model", &run.head.model),
        field("report", &run.head.report),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !head.is_empty() {
        let _ = writeln!(s, "  {}", head.join(" · "));
    }
    match run.scope.as_str() {
        "inferred" => {
            let _ = writeln!(
                s,
                "  scope: inferred from the run (no scenario; objects its prompt names and objects seen unhealthy before the first change): {}{}",
                autopsy
                    .subjects
                    .iter()
                    .take(8)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                if autopsy.subjects.len() > 8 {
                    format!(" (+{} more)", autopsy.subjects.len() - 8)
                } else {
                    String::new()
                }
            );
        }
        "none" => {
            let _ = writeln!(
                s,
                "  scope: none (no scenario, nothing to infer): rules that need the task's targets are not applicable"
            );
        }
        _ => {}
    }
    let _ = writeln!(s);
    for call in &autopsy.calls {
        let _ = writeln!(s, "seq {:>3}  {}", call.seq, call.tool);
        if let Some(reason) = &call.not_understood {
            let _ = writeln!(s, "          not understood: {reason}");
        }
        if call.not_cluster {
            let _ = writeln!(s, "          not a cluster call");
        }
        for op in &call.operations {
            render_operation(&mut s, op);
        }
        for u in &call.unseen {
            let _ = writeln!(
                s,
                "          effect not established ({}): {}",
                u.label, u.why
            );
            let _ = writeln!(s, "            would establish it: {}", u.resolve);
        }
        for f in run.findings.iter().filter(|f| f.seq == Some(call.seq)) {
            render_finding(&mut s, f, autopsy);
        }
    }
    for f in run.findings.iter().filter(|f| f.seq.is_none()) {
        let _ = writeln!(s, "run");
        render_finding(&mut s, f, autopsy);
    }
    let _ = writeln!(s);
    let outcome = match run.head.outcome {
        RecordedOutcome::Unknown => "no verifier outcome recorded",
        RecordedOutcome::Passed => "verifier passed",
        RecordedOutcome::Failed => "verifier failed",
    };
    let _ = writeln!(
        s,
        "verdict: {} ({outcome}; {} finding(s))",
        run.verdict.name(),
        run.findings.len()
    );
    let unseen: usize = autopsy.calls.iter().map(|c| c.unseen.len()).sum();
    if unseen > 0 {
        let seqs: Vec<String> = autopsy
            .calls
            .iter()
            .filter(|c| !c.unseen.is_empty())
            .map(|c| c.seq.to_string())
            .collect();
        let _ = writeln!(
            s,
            "effects not established: {unseen} (seq {}); {}",
            seqs.join(", "),
            if run.verdict == crate::verdict::Verdict::Incomplete {
                "the pass is not certified safe"
            } else {
                "they would keep a pass from being certified safe"
            }
        );
    }
    if let Some(from) = &run.head.outcome_from {
        let _ = writeln!(s, "outcome attached from {from}");
    }
    if let Some(note) = &run.head.outcome_note {
        let _ = writeln!(s, "outcome note: {note}");
    }
    s
}

fn render_operation(s: &mut String, op: &OpStep) {
    let target = if op.names.is_empty() {
        op.selector
            .as_ref()
            .map_or("(all)".to_string(), |sel| format!("-l {sel}"))
    } else {
        op.names.join(",")
    };
    let ns = op
        .namespace
        .as_deref()
        .map_or(String::new(), |n| format!(" -n {n}"));
    let effect = match &op.effect {
        Effect::Applied => "applied".to_string(),
        Effect::Failed(r) => format!("failed: {r}"),
        Effect::DryRun => "dry run".to_string(),
        Effect::Unknown(r) => format!("unknown: {r}"),
    };
    let _ = writeln!(
        s,
        "          {} {} {target}{ns}  [{effect}]",
        op.verb.name(),
        op.kinds.join(",")
    );
    if let Some(u) = &op.unresolved {
        let _ = writeln!(s, "            target unresolved: {u}");
    }
    if let Some(e) = &op.evidence {
        let _ = writeln!(s, "            objects from the printed {e}");
    }
    for c in &op.changes {
        let verb = match c.change {
            Change::Created => "+ created",
            Change::Changed => "~ changed",
            Change::Removed => "- removed",
        };
        let why = match &c.cause {
            None => String::new(),
            Some(Cause::Owner(k)) => format!(" (owner {k} deleted)"),
            Some(Cause::Namespace(n)) => format!(" (namespace {n} deleted)"),
            Some(Cause::Controller(k)) => format!(" (by controller {k})"),
        };
        let _ = writeln!(s, "            {verb} {}{why}", c.object);
        for (mark, paths) in [("+", &c.added), ("~", &c.changed), ("-", &c.removed)] {
            render_paths(s, mark, paths);
        }
    }
    for note in &op.notes {
        let _ = writeln!(s, "            note: {note}");
    }
}

fn render_paths(s: &mut String, mark: &str, paths: &PathSample) {
    for p in &paths.first {
        let _ = writeln!(s, "                {mark} {p}");
    }
    if paths.total > paths.first.len() {
        let _ = writeln!(
            s,
            "                {mark} … {} more",
            paths.total - paths.first.len()
        );
    }
}

fn render_finding(s: &mut String, f: &Finding, autopsy: &Autopsy) {
    let _ = writeln!(
        s,
        "          ! {} [{}] {}",
        f.rule,
        f.severity.name(),
        f.message
    );
    if let Some(fix) = autopsy.fixes.get(&f.rule) {
        let _ = writeln!(s, "            fix: {fix}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use crate::report::export::SavedRun;
    use std::path::PathBuf;

    fn analyzer() -> Analyzer {
        crate::analysis::tests::fixtures_analyzer()
    }

    /// A saved autopsy (`results.jsonl`) renders the same timeline as the analysis it came from.
    #[test]
    fn autopsies_survive_a_saved_analysis() {
        let analyzer = analyzer();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let corpus = crate::pipeline::run(
            crate::input::discover(&[root.join("fixtures/corpus")]),
            &crate::pipeline::Options::default(),
            |t| {
                let a = analyzer.run(t);
                (a.result(), a.autopsy())
            },
        );
        let mut runs = 0;
        let mut changes = 0;
        for (result, autopsy) in corpus.runs() {
            let text = render_explain(result, autopsy);
            let saved = SavedRun {
                source: "x".into(),
                line: 1,
                result: result.clone(),
                autopsy: Some(crate::run_result::Packed::of(autopsy)),
                timeline: None,
            };
            let line = serde_json::to_string(&saved).unwrap();
            let back: SavedRun = serde_json::from_str(&line).unwrap();
            let unpacked = back.autopsy.as_ref().unwrap().unpack().unwrap();
            assert_eq!(&unpacked, autopsy);
            assert_eq!(render_explain(&back.result, autopsy), text);
            assert!(
                text.starts_with(&format!("run {}\n", result.head.id)),
                "{text}"
            );
            assert!(text.contains("\nverdict: "), "{text}");
            runs += 1;
            changes += autopsy
                .calls
                .iter()
                .flat_map(|c| &c.operations)
                .map(|o| o.changes.len())
                .sum::<usize>();
        }
        assert_eq!(runs, 24);
        assert!(changes > 20, "{changes}");
    }
}
