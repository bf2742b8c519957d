//! What the tool printed, as evidence of what a call did: the object lines of kubectl's output
//! (`ops::printed`) give the objects of an operation whose target the call does not show (a
//! file that was not recorded, a loop variable, an `xargs` input, a selector the model cannot
//! resolve), marked [`Evidence::Result`]; where the call names its objects, a printed list that
//! names others is recorded as a disagreement.

use super::printed::{self, PrintedChange, PrintedObject};
use super::{Effect, Evidence, KindRef, Operation, Verb, kinds};
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
        Verb::Create | Verb::Run | Verb::Expose | Verb::Autoscale => {
            matches!(change, P::Created | P::Exposed | P::Autoscaled)
        }
        Verb::Replace => matches!(change, P::Replaced),
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
        Verb::Drain => matches!(change, P::Drained | P::Cordoned | P::AlreadyCordoned),
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
type GroupKey = (String, String, Option<String>);

fn kind_of(p: &PrintedObject) -> Option<KindRef> {
    kinds::resolve(&p.resource)
}

/// Rewrite the operations of one call with what `text` (its printed result) shows.
pub(super) fn apply(ops: &mut Vec<Operation>, text: &str) {
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
        return;
    }
    let mut used = vec![false; lines.len()];
    let mut out = Vec::with_capacity(ops.len());
    for op in ops.drain(..) {
        if !op.verb.mutates() || matches!(op.effect, Effect::Failed(_)) {
            out.push(op);
            continue;
        }
        let mut mine: Vec<&PrintedObject> = Vec::new();
        for (i, p) in lines.iter().enumerate() {
            // Kinds the call names (an unknown word such as `$p` names none).
            let named: Vec<&KindRef> = op.target.kinds.iter().filter(|k| k.known).collect();
            let fits = printed_by(op.verb, p.change)
                && (named.is_empty()
                    || kind_of(p).is_some_and(|k| named.iter().any(|o| o.kind == k.kind)));
            if !used[i] && fits {
                used[i] = true;
                mine.push(p);
            }
        }
        if mine.is_empty() {
            out.push(op);
            continue;
        }
        // `apply --prune`: kubectl prints every object it pruned; those are the removals (what
        // the model would guess from its own lists is not needed).
        let mut op = op;
        if op.flags.prune && !op.payload.objects.is_empty() {
            op.flags.prune = false;
            let pruned: Vec<&PrintedObject> = mine
                .iter()
                .copied()
                .filter(|p| p.change == PrintedChange::Pruned && p.dry_run.is_none())
                .collect();
            let mut by_kind: BTreeMap<(String, String), (KindRef, Vec<String>)> = BTreeMap::new();
            for p in pruned {
                if let Some(k) = kind_of(p) {
                    by_kind
                        .entry((k.group.clone(), k.kind.clone()))
                        .or_insert_with(|| (k, Vec::new()))
                        .1
                        .push(p.name.clone());
                }
            }
            let prunes: Vec<Operation> = by_kind
                .into_values()
                .map(|(kind, names)| {
                    let mut d = op.clone();
                    d.verb = Verb::Delete;
                    d.payload = Default::default();
                    d.target.kinds = vec![kind];
                    d.target.names = names;
                    d.target.selector = None;
                    d.target.all = false;
                    d.evidence = Evidence::Result;
                    d
                })
                .collect();
            out.push(op);
            out.extend(prunes);
            continue;
        }
        let unknown_objects = op.target.unresolved.is_some()
            || (op.target.names.is_empty() && op.payload.objects.is_empty());
        if !unknown_objects {
            let named: Vec<&str> = op.target.names.iter().map(String::as_str).collect();
            let shown = mine
                .iter()
                .all(|p| p.dry_run.is_some() || named.contains(&p.name.as_str()));
            if !named.is_empty() && !shown {
                op.result_disagrees = true;
            }
            out.push(op);
            continue;
        }
        // Every printed line a dry run: nothing changed, whatever the command line showed.
        if mine.iter().all(|p| p.dry_run.is_some()) {
            let mut op = op;
            op.effect = Effect::DryRun;
            op.flags.dry_run = true;
            out.push(op);
            continue;
        }
        let mut groups: BTreeMap<GroupKey, (KindRef, Vec<&PrintedObject>)> = BTreeMap::new();
        for p in mine.iter().filter(|p| p.dry_run.is_none()) {
            let Some(kind) = kind_of(p) else { continue };
            groups
                .entry((kind.group.clone(), kind.kind.clone(), p.namespace.clone()))
                .or_insert_with(|| (kind, Vec::new()))
                .1
                .push(p);
        }
        for ((_, _, ns), (kind, list)) in groups {
            let removed: Vec<String> = list
                .iter()
                .filter(|p| p.change.removes())
                .map(|p| p.name.clone())
                .collect();
            let changed: Vec<String> = list
                .iter()
                .filter(|p| !p.change.removes() && !p.change.no_change())
                .map(|p| p.name.clone())
                .collect();
            let from_result = |verb: Verb, names: Vec<String>| {
                let mut o = op.clone();
                o.verb = verb;
                o.target.kinds = vec![kind.clone()];
                o.target.names = names;
                if let Some(ns) = &ns {
                    o.target.namespace = Some(ns.clone());
                    o.target.namespace_explicit = true;
                }
                o.target.unresolved = None;
                o.evidence = Evidence::Result;
                o
            };
            if content_known(&op) {
                let names: Vec<String> = removed.into_iter().chain(changed).collect();
                if !names.is_empty() {
                    out.push(from_result(op.verb, names));
                }
                continue;
            }
            // A manifest that was not recorded: a removal is a removal; what else it did to
            // an object is not known.
            if !removed.is_empty() {
                out.push(from_result(Verb::Delete, removed));
            }
            if !changed.is_empty() {
                out.push(from_result(Verb::Mutate, changed));
            }
        }
    }
    *ops = out;
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
            "kubectl apply -f /tmp/fix.yaml",
            "deployment.apps/web configured\nnetworkpolicy.networking.k8s.io/default-deny pruned\nservice/web unchanged\n",
        );
        let shape: Vec<(Verb, String, Vec<String>, Evidence)> = o
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
                    Verb::Mutate,
                    "Deployment".into(),
                    vec!["web".into()],
                    Evidence::Result
                ),
                (
                    Verb::Delete,
                    "NetworkPolicy".into(),
                    vec!["default-deny".into()],
                    Evidence::Result
                ),
            ]
        );
        assert!(o.iter().all(|o| o.target.unresolved.is_none()));
    }

    #[test]
    fn a_verb_with_its_own_change_gets_its_objects() {
        let o = ops(
            "kubectl get pods -o name | xargs kubectl delete",
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
        // Dry runs change nothing.
        let o = ops(
            "kubectl apply -f x.yaml",
            "deployment.apps/web configured (server dry run)\n",
        );
        assert_eq!(o[0].effect, Effect::DryRun);
    }
}
