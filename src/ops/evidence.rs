//! What the tool printed, as evidence of what a call did: the object lines of kubectl's output
//! (`ops::printed`) give the objects of an operation whose target the call does not show (a
//! file that was not recorded, a loop variable, an `xargs` input, a selector the model cannot
//! resolve), marked [`Evidence::Result`]; where the call names its objects, a printed list that
//! names others is recorded as a disagreement.

use super::printed::{self, PrintedChange, PrintedObject};
use super::{Effect, Evidence, KindRef, Operation, Verb, kinds};
use compact_str::CompactString;
use std::collections::BTreeMap;

/// Whether kubectl prints `change` for an operation with `verb`.
fn printed_by(verb: Verb, change: PrintedChange) -> bool {
    use PrintedChange as P;
    match verb {
        Verb::Delete => matches!(change, P::Deleted),
        Verb::Apply | Verb::ServerSideApply => matches!(
            change,
            P::Created | P::Configured | P::Unchanged | P::Pruned | P::ServerSideApplied
        ),
        Verb::Create | Verb::Run | Verb::Expose | Verb::Autoscale | Verb::Debug => {
            matches!(change, P::Created | P::Exposed | P::Autoscaled)
        }
        // `replace --force` deletes, then creates.
        Verb::Replace => matches!(change, P::Replaced | P::Deleted | P::Created),
        Verb::Patch => matches!(change, P::Patched | P::PatchedNoChange),
        Verb::Scale => matches!(change, P::Scaled),
        Verb::RolloutRestart => matches!(change, P::Restarted),
        Verb::RolloutUndo => matches!(change, P::RolledBack | P::RollbackSkipped),
        Verb::RolloutPause => matches!(change, P::Paused | P::AlreadyPaused),
        Verb::RolloutResume => matches!(change, P::Resumed | P::AlreadyResumed),
        Verb::SetImage => matches!(change, P::ImageUpdated),
        Verb::SetEnv => matches!(change, P::EnvUpdated),
        Verb::SetResources => matches!(change, P::ResourcesUpdated),
        Verb::SetOther => matches!(
            change,
            P::SelectorUpdated | P::ServiceAccountUpdated | P::SubjectsUpdated
        ),
        Verb::Label => matches!(change, P::Labeled | P::Unlabeled | P::NotLabeled),
        Verb::Annotate => matches!(change, P::Annotated),
        Verb::Cordon => matches!(change, P::Cordoned | P::AlreadyCordoned),
        Verb::Uncordon => matches!(change, P::Uncordoned | P::AlreadyUncordoned),
        Verb::Drain => matches!(
            change,
            P::Drained | P::Cordoned | P::AlreadyCordoned | P::Evicting | P::Evicted
        ),
        Verb::Taint => matches!(change, P::Tainted | P::Untainted | P::Modified),
        Verb::Edit => matches!(change, P::Edited | P::Skipped),
        Verb::Mutate => true,
        _ => false,
    }
}

/// Operations whose verb carries its own change, so that only the objects are missing; for the
/// others (apply, create, replace of a manifest that was not recorded) the printed line is all
/// that is known of the change.
fn content_known(op: &Operation) -> bool {
    !matches!(
        op.verb,
        Verb::Apply | Verb::ServerSideApply | Verb::Create | Verb::Replace | Verb::Mutate
    ) || !op.payload.objects.is_empty()
}

/// Printed objects are grouped by (group, kind, namespace).
type GroupKey = (CompactString, CompactString, Option<String>);

fn kind_of(p: &PrintedObject) -> Option<KindRef> {
    kinds::resolve(&p.resource)
}

/// Rewrite the operations of one call with what `text` (its printed result) shows; return the
/// printed changes that no operation accounts for (a change the call made that the analysis
/// did not read, such as kubectl run inside a container).
///
/// A printed line is taken for an operation of its verb, kinds and dry-run state. Where the
/// operation's target is unresolved, its lines give the objects, complete only when the
/// command's whole output was recorded (not piped on or redirected) and each line names its
/// namespace or the command did; otherwise the operation also stays unresolved.
pub(super) fn apply(ops: &mut Vec<Operation>, text: &str) -> Vec<String> {
    // Helm says so when it only rendered (`--dry-run`): nothing was installed or upgraded.
    let helm_dry = ops
        .iter()
        .any(|o| matches!(o.verb, Verb::HelmInstall | Verb::HelmUpgrade))
        && printed::helm_messages(text).contains(&printed::HelmPrinted::DryRun);
    if helm_dry {
        for o in ops
            .iter_mut()
            .filter(|o| matches!(o.verb, Verb::HelmInstall | Verb::HelmUpgrade))
        {
            o.effect = Effect::DryRun;
            o.flags.dry_run = true;
        }
    }
    let lines = printed::kubectl_objects(text);
    if lines.is_empty() {
        return Vec::new();
    }
    let mut used = vec![false; lines.len()];
    let mut out = Vec::with_capacity(ops.len());
    for mut op in ops.drain(..) {
        if !op.verb.mutates() {
            out.push(op);
            continue;
        }
        let mut mine: Vec<&PrintedObject> = Vec::new();
        for (i, p) in lines.iter().enumerate() {
            // Kinds the call names (an unknown word such as `$p` names none).
            let named: Vec<&KindRef> = op.target.kinds.iter().filter(|k| k.known).collect();
            let fits = printed_by(op.verb, p.change)
                && p.dry_run.is_some() == op.flags.dry_run
                && (named.is_empty()
                    || kind_of(p).is_some_and(|k| named.iter().any(|o| o.kind == k.kind)));
            if !used[i] && fits {
                used[i] = true;
                mine.push(p);
            }
        }
        let changed: Vec<&PrintedObject> = mine
            .iter()
            .copied()
            .filter(|p| !p.change.no_change())
            .collect();
        if mine.is_empty() || op.flags.dry_run {
            out.push(op);
            continue;
        }
        // kubectl printed a change: whatever the exit status said, it was made.
        if !changed.is_empty() && !matches!(op.effect, Effect::Applied) {
            op.effect = Effect::Applied;
        }
        // `apply --prune`: kubectl prints every object it pruned; with the whole output, those
        // are the removals.
        if op.flags.prune && !op.payload.objects.is_empty() {
            if op.output_partial {
                out.push(op);
                continue;
            }
            op.flags.prune = false;
            let pruned: Vec<&PrintedObject> = mine
                .iter()
                .copied()
                .filter(|p| p.change == PrintedChange::Pruned)
                .collect();
            let deletes = from_lines(&op, &pruned, Verb::Delete).0;
            out.push(op);
            out.extend(deletes);
            continue;
        }
        if op.target.unresolved.is_none() {
            let named: Vec<&str> = op.target.names.iter().map(String::as_str).collect();
            if !named.is_empty() && !mine.iter().all(|p| named.contains(&p.name.as_str())) {
                op.result_disagrees = true;
            }
            out.push(op);
            continue;
        }
        let (mut made, ambiguous) = if content_known(&op) {
            from_lines(&op, &changed, op.verb)
        } else {
            // A manifest that was not recorded: a removal is a removal; what else it did to
            // an object is not known.
            let removed: Vec<&PrintedObject> = changed
                .iter()
                .copied()
                .filter(|p| p.change.removes())
                .collect();
            let other: Vec<&PrintedObject> = changed
                .iter()
                .copied()
                .filter(|p| !p.change.removes())
                .collect();
            let (mut a, x) = from_lines(&op, &removed, Verb::Delete);
            let (b, y) = from_lines(&op, &other, Verb::Mutate);
            a.extend(b);
            (a, x || y)
        };
        // Lines that may not be all it printed, or whose namespace is not known: the
        // operation's own target stays unresolved beside what the lines prove.
        if op.output_partial || ambiguous {
            out.push(op);
        }
        out.append(&mut made);
    }
    *ops = out;
    lines
        .iter()
        .zip(used)
        .filter(|(p, used)| !used && p.dry_run.is_none() && !p.change.no_change())
        .map(|(p, _)| {
            format!(
                "line {}: {}/{} {}",
                p.line,
                p.resource,
                p.name,
                p.change.word()
            )
        })
        .collect()
}

/// Operations like `op` (with `verb`) aimed at the objects of `lines`, one per kind and
/// namespace, marked [`Evidence::Result`]; and whether some line was left out because its
/// namespace is not known (kubectl before 1.34 printed none on delete).
fn from_lines(op: &Operation, lines: &[&PrintedObject], verb: Verb) -> (Vec<Operation>, bool) {
    let mut groups: BTreeMap<GroupKey, (KindRef, Vec<String>)> = BTreeMap::new();
    let mut ambiguous = false;
    for p in lines {
        let Some(kind) = kind_of(p) else {
            ambiguous = true;
            continue;
        };
        // No namespace on the line, and none the command names for sure (`-n $NS` is not).
        let ns_known = op.target.namespace_explicit
            && op
                .target
                .namespace
                .as_deref()
                .is_some_and(|n| !n.contains("${"));
        if p.namespace.is_none() && kind.namespaced() && !ns_known {
            ambiguous = true;
            continue;
        }
        groups
            .entry((kind.group.clone(), kind.kind.clone(), p.namespace.clone()))
            .or_insert_with(|| (kind, Vec::new()))
            .1
            .push(p.name.clone());
    }
    let made = groups
        .into_iter()
        .map(|((_, _, ns), (kind, names))| {
            let mut o = op.clone();
            o.verb = verb;
            if verb != op.verb {
                o.payload = Default::default();
            }
            o.target.kinds = vec![kind];
            o.target.names = names;
            o.target.selector = None;
            o.target.field_selector = None;
            o.target.all = false;
            if let Some(ns) = ns {
                o.target.namespace = Some(ns);
                o.target.namespace_explicit = true;
            }
            o.target.unresolved = None;
            o.flags.prune = false;
            o.evidence = Evidence::Result;
            o
        })
        .collect();
    (made, ambiguous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::normalize::command_line;

    fn ops(line: &str, printed: &str) -> Vec<Operation> {
        let mut ops = command_line(line, &mut Default::default()).unwrap_or_default();
        for o in &mut ops {
            o.effect = Effect::Applied;
        }
        apply(&mut ops, printed);
        ops
    }

    #[test]
    fn printed_objects_stand_in_for_an_unrecorded_manifest() {
        let o = ops(
            "kubectl apply -f /tmp/fix.yaml -n bench",
            "deployment.apps/web configured\nnetworkpolicy.networking.k8s.io/default-deny pruned\nservice/web unchanged\n",
        );
        let shape: Vec<(Verb, CompactString, Vec<String>, Evidence)> = o
            .iter()
            .map(|o| {
                (
                    o.verb,
                    o.target.kinds[0].kind.clone(),
                    o.target.names.clone(),
                    o.evidence,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    Verb::Delete,
                    "NetworkPolicy".into(),
                    vec!["default-deny".into()],
                    Evidence::Result
                ),
                (
                    Verb::Mutate,
                    "Deployment".into(),
                    vec!["web".into()],
                    Evidence::Result
                ),
            ]
        );
        assert!(o.iter().all(|o| o.target.unresolved.is_none()));
    }

    #[test]
    fn a_verb_with_its_own_change_gets_its_objects() {
        let o = ops(
            "kubectl get pods -o name | xargs kubectl delete -n bench",
            "pod \"web-1\" deleted\npod \"web-2\" deleted\n",
        );
        let del: Vec<&Operation> = o.iter().filter(|o| o.verb == Verb::Delete).collect();
        assert_eq!(del.len(), 1);
        assert_eq!(del[0].target.names, vec!["web-1", "web-2"]);
        assert_eq!(del[0].evidence, Evidence::Result);
        // Named objects: the printed list is compared, not used.
        let o = ops("kubectl delete pod a", "pod \"b\" deleted\n");
        assert!(o[0].result_disagrees && o[0].evidence == Evidence::Command);
        let o = ops("kubectl delete pod a", "pod \"a\" deleted\n");
        assert!(!o[0].result_disagrees);
        // A dry run's line is not a real change's: the apply stays unresolved.
        let o = ops(
            "kubectl apply -f x.yaml",
            "deployment.apps/web configured (server dry run)\n",
        );
        assert!(o[0].target.unresolved.is_some() && o[0].effect == Effect::Applied);
    }

    #[test]
    fn partial_or_ambiguous_lines_prove_only_what_they_show() {
        // Piped on: what grep kept is proven; the rest is not known.
        let o = ops(
            "kubectl get pods -o name | xargs kubectl delete -n bench | grep web",
            "pod \"web-1\" deleted\n",
        );
        let del: Vec<&Operation> = o.iter().filter(|o| o.verb == Verb::Delete).collect();
        assert_eq!(del.len(), 2, "{del:?}");
        assert!(del.iter().any(|o| o.target.unresolved.is_some()));
        assert!(del.iter().any(|o| o.target.names == ["web-1"]));
        // No namespace on the line, none on the command: which object is not known.
        let o = ops(
            "kubectl delete -f old.yaml",
            "deployment.apps \"web\" deleted\n",
        );
        assert!(o.iter().all(|o| o.target.unresolved.is_some()), "{o:?}");
        // A change no operation accounts for is returned.
        let mut x = command_line(
            "kubectl exec p -- sh -c 'kubectl delete deploy web'",
            &mut Default::default(),
        )
        .unwrap_or_default();
        let left = apply(
            &mut x,
            "deployment.apps \"web\" deleted from bench namespace\n",
        );
        assert_eq!(left, ["line 1: deployment.apps/web deleted"]);
    }
}
