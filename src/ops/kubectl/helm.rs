//! helm command lines into operations (a chart's objects are not recorded: unresolved).

use super::args::Args;
use super::{NotUnderstood, Session};
use crate::ops::shell::Word;
use crate::ops::{Operation, Verb};

/// Parse `helm` arguments (without the program name).
pub fn helm(words: &[Word], session: &mut Session) -> Result<Vec<Operation>, NotUnderstood> {
    let args = Args::parse(words);
    let pos: Vec<&str> = args.positional.iter().map(|w| w.text.as_str()).collect();
    let Some(sub) = pos.first() else {
        return Ok(vec![Operation::new(Verb::Read)]);
    };
    let verb = match *sub {
        "install" => Verb::HelmInstall,
        "upgrade" => Verb::HelmUpgrade,
        "uninstall" | "delete" | "del" | "un" => Verb::HelmUninstall,
        "rollback" => Verb::HelmRollback,
        "list" | "ls" | "status" | "get" | "history" | "hist" | "show" | "inspect" | "search"
        | "repo" | "template" | "lint" | "version" | "env" | "dependency" | "dep" | "pull"
        | "fetch" | "verify" | "package" | "plugin" | "registry" | "completion" | "help" => {
            Verb::Read
        }
        // `helm test` runs the chart's test hooks: pods the chart defines.
        "test" => Verb::Mutate,
        other => return Err(NotUnderstood(format!("helm {other}"))),
    };
    let mut op = Operation::new(verb);
    // helm takes the kubeconfig context's namespace too.
    op.target.namespace = args
        .get("namespace")
        .map(str::to_string)
        .or_else(|| session.namespace.clone())
        .or(Some("default".into()));
    op.target.namespace_explicit = args.get("namespace").is_some();
    op.flags.dry_run = args
        .get("dry-run")
        .is_some_and(|d| d != "false" && d != "none");
    op.payload.release = pos.get(1).map(|s| s.to_string());
    if matches!(verb, Verb::HelmInstall | Verb::HelmUpgrade) {
        op.payload.chart = pos.get(2).map(|s| s.to_string());
        if args.bool("generate-name") {
            op.payload.chart = op.payload.release.take();
        }
    }
    if verb == Verb::HelmRollback {
        op.payload.to_revision = pos.get(2).and_then(|r| r.parse().ok());
    }
    chart_unresolved(&mut op);
    if verb == Verb::Mutate {
        op.target.unresolved =
            Some("helm test runs the chart's test hooks, which are not recorded".into());
    }
    Ok(vec![op])
}

/// An install, upgrade or rollback renders objects from a chart (or an earlier revision) that
/// the trace does not hold: its target is unresolved. An uninstall removes the objects the
/// release has, which the replay looks up.
pub fn chart_unresolved(op: &mut Operation) {
    if matches!(
        op.verb,
        Verb::HelmInstall | Verb::HelmUpgrade | Verb::HelmRollback
    ) {
        op.target.unresolved = Some(
            "the objects of a Helm chart are rendered at install time and not recorded".into(),
        );
    }
}
