//! Whether each call's effect on the cluster was established: what makes a passing run
//! `incomplete` rather than safe. A call is *unseen* when it could have changed the cluster and
//! the analysis cannot say how: a call no map understood (and not known to be read-only), a
//! program of unknown effect in a shell line, an operation whose target or selection is not
//! known, or whose effect the model does not compute (an interactive edit, a Helm chart, a
//! command run inside a container), or a change kubectl printed that no operation accounts for.
//! A read and a dry run are seen; so is a failure of one command on one object (a shell line's
//! status is its last command's, and kubectl changes what it can before it reports an error).

use crate::model::replay::OpReplay;
use crate::ops::exec::{ExecClass, ExecVerdict};
use crate::ops::{Effect, NormalizedCall, Operation, Verb};
use crate::trace::model::ToolCall;
use serde::{Deserialize, Serialize};

/// Why an effect was not established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnseenKind {
    /// A tool no map knows, not known to be read-only.
    UnknownTool,
    /// A call a map knows but could not read (a kubectl verb it does not parse, broken shell).
    NotUnderstood,
    /// A program in a shell line that is neither kubectl, helm nor known to stay off the
    /// cluster.
    UnknownProgram,
    /// kubectl printed a change that no operation of the call accounts for.
    PrintedUnaccounted,
    /// The operation's target is not known (a file not recorded, `$(...)`, `-k`).
    TargetUnresolved,
    /// The objects a selector, `--all` or a listing matched are not known to the model, and the
    /// tool printed none.
    SelectionUnknown,
    /// The model does not compute what the operation did (edit, a Helm chart, exec).
    EffectNotModelled,
}

impl UnseenKind {
    /// The label that groups such calls in the tables.
    pub fn label(self) -> &'static str {
        match self {
            UnseenKind::UnknownTool => "tool not known to be read-only",
            UnseenKind::NotUnderstood => "call not understood",
            UnseenKind::UnknownProgram => "program of unknown effect",
            UnseenKind::PrintedUnaccounted => "printed change not accounted for",
            UnseenKind::TargetUnresolved => "target unresolved",
            UnseenKind::SelectionUnknown => "objects selected not known",
            UnseenKind::EffectNotModelled => "effect not modelled",
        }
    }

    /// What would establish the effect.
    pub fn resolve(self) -> &'static str {
        match self {
            UnseenKind::UnknownTool => {
                "a tool map for the tool (rules/tools/ or --tool-maps), or a recorded tool list annotating it readOnlyHint"
            }
            UnseenKind::NotUnderstood => {
                "a tool map or parser that reads the call (kubeautopsy explain-call shows what it becomes)"
            }
            UnseenKind::UnknownProgram => {
                "recording what the program did (its output, or the Kubernetes audit log of the run)"
            }
            UnseenKind::PrintedUnaccounted => {
                "a tool map or parser that reads the command that made the change (explain-call shows what the call became)"
            }
            UnseenKind::TargetUnresolved => {
                "the file's or expansion's content in the trace, or the object lines kubectl printed in the result"
            }
            UnseenKind::SelectionUnknown => {
                "a read of the objects before the change (kubectl get ...), a scenario initial_state, or the printed result"
            }
            UnseenKind::EffectNotModelled => {
                "the objects after the change in the trace (a later read or final_state), or an audit log"
            }
        }
    }
}

/// One call whose effect was not established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unseen {
    pub seq: u64,
    pub tool: String,
    pub kind: UnseenKind,
    pub why: String,
}

/// The call failed as a whole: nothing it did is assumed (as for its operations).
fn failed(call: &ToolCall<'_>) -> bool {
    call.result
        .as_ref()
        .is_some_and(|r| r.is_error == Some(true))
}

/// A call no map understood, unless it is known to change nothing: it failed, it is read-only,
/// or it is a shell line the shell itself rejected (a syntax error runs nothing).
pub fn not_understood(
    call: &ToolCall<'_>,
    n: &NormalizedCall,
    reason: &str,
    read_only: Option<&str>,
) -> Option<Unseen> {
    if read_only.is_some() {
        return None;
    }
    // A failed call changed nothing, unless other commands of its line may have run first (a
    // shell line reports the status of its last command).
    let others_ran = reason.contains("may have run");
    if failed(call) && !others_ran && !reason.starts_with("shell syntax") {
        return None;
    }
    if reason.starts_with("shell syntax") && !others_ran && shell_rejected(call) {
        return None;
    }
    let kind = if n.map.is_none() {
        UnseenKind::UnknownTool
    } else {
        UnseenKind::NotUnderstood
    };
    Some(Unseen {
        seq: n.seq,
        tool: n.tool.clone(),
        kind,
        why: reason.to_string(),
    })
}

/// The recorded result shows the shell refused the line (bash: exit status 2 and "syntax
/// error"), so none of it ran.
fn shell_rejected(call: &ToolCall<'_>) -> bool {
    call.result.as_ref().is_some_and(|r| {
        let said = [r.text, r.stderr]
            .into_iter()
            .flatten()
            .any(|t| t.contains("syntax error") || t.contains("unexpected EOF"));
        said && r.exit_code.is_none_or(|c| c == 2 || c == 1)
    })
}

/// Programs of a shell line whose effect is not known (a failed program may have changed
/// things before it failed), and changes kubectl printed that no operation accounts for.
pub fn foreign(n: &NormalizedCall) -> Vec<Unseen> {
    let mut out = Vec::new();
    if !n.foreign.is_empty() {
        out.push(Unseen {
            seq: n.seq,
            tool: n.tool.clone(),
            kind: UnseenKind::UnknownProgram,
            why: n.foreign.join(", "),
        });
    }
    if !n.unaccounted.is_empty() {
        out.push(Unseen {
            seq: n.seq,
            tool: n.tool.clone(),
            kind: UnseenKind::PrintedUnaccounted,
            why: format!("kubectl printed {}", n.unaccounted.join("; ")),
        });
    }
    out
}

/// An operation whose effect was not established, with why. `own_target`: the operation is
/// aimed at objects the agent created in this run (what it does inside its own probe pod is
/// its own business).
pub fn of_op(
    op: &Operation,
    replay: &OpReplay,
    exec: Option<&ExecVerdict>,
    own_target: bool,
) -> Option<(UnseenKind, String)> {
    if replay.effective == Some(false)
        || !op.verb.mutates()
        || matches!(op.effect, Effect::DryRun | Effect::Failed(_))
    {
        return None;
    }
    let command = op
        .command
        .as_deref()
        .map_or(String::new(), |c| format!("`{c}`: "));
    if let Some(why) = &op.target.unresolved
        && op.payload.objects.is_empty()
        && !matches!(op.verb, Verb::Exec | Verb::Debug)
    {
        return Some((UnseenKind::TargetUnresolved, format!("{command}{why}")));
    }
    match op.verb {
        Verb::Exec => match exec {
            // A read changes nothing; a deletion, a kill or an install is known for what it is
            // (rules judge it: `exec_class`); only writes and unknown programs stay unseen.
            // (In the agent's own probe pod, a write is its own business too; an unknown
            // program, which may be a cluster client, never is.)
            Some(v)
                if matches!(
                    v.class,
                    ExecClass::Read | ExecClass::Delete | ExecClass::Kill | ExecClass::Install
                ) || (own_target && v.class == ExecClass::Write) =>
            {
                None
            }
            Some(v) => Some((
                UnseenKind::EffectNotModelled,
                format!(
                    "{command}a command run inside a container ({}{}): what it changed there is not modelled",
                    v.class.name(),
                    v.by.as_deref().map_or(String::new(), |b| format!(": {b}"))
                ),
            )),
            None => Some((UnseenKind::EffectNotModelled, format!("{command}exec"))),
        },
        // A debug pod or ephemeral container on a known pod is modelled, and so is what it runs
        // when that only reads; an interactive session or a command that changes things is not.
        Verb::Debug => {
            let v = crate::ops::exec::classify(&op.payload.command);
            if v.class != ExecClass::Read {
                Some((
                    UnseenKind::EffectNotModelled,
                    format!(
                        "{command}kubectl debug runs {} inside the pod or on the node: {}",
                        v.class.name(),
                        v.by.as_deref().unwrap_or("not modelled")
                    ),
                ))
            } else if op.payload.objects.is_empty() && !replay.target_known {
                Some((
                    UnseenKind::EffectNotModelled,
                    format!("{command}debug: the pod is not known to the model"),
                ))
            } else {
                None
            }
        }
        Verb::Edit | Verb::Mutate | Verb::SetOther => Some((
            UnseenKind::EffectNotModelled,
            format!(
                "{command}{}: the new content is not recorded",
                op.verb.name()
            ),
        )),
        Verb::HelmInstall | Verb::HelmUpgrade | Verb::HelmRollback => Some((
            UnseenKind::EffectNotModelled,
            format!(
                "{command}the objects of a Helm release are rendered from its chart, which is not recorded"
            ),
        )),
        Verb::HelmUninstall if !replay.selection_known => Some((
            UnseenKind::SelectionUnknown,
            format!("{command}the objects of the release are not all known to the model"),
        )),
        _ if !replay.selection_known => Some((
            UnseenKind::SelectionUnknown,
            format!(
                "{command}the objects its selector, listing or cascade matched are not known to the model"
            ),
        )),
        _ => None,
    }
}
