//! Stage 5: normalize every tool vocabulary into canonical Kubernetes operations.
//!
//! A recorded tool call becomes zero or more [`Operation`]s, whatever the tool: a kubectl
//! command line through a shell tool (`shell` + `kubectl`), an MCP tool described by a tool map
//! (`toolmap`), a manifest (`manifest`). Kinds go through the one table in `kinds`. A call that
//! no map understands is kept as [`CallOutcome::NotUnderstood`], never dropped.

mod evidence;
pub mod exec;
pub mod kinds;
pub mod kubectl;
pub mod kyaml;
mod loops;
pub mod manifest;
pub mod normalize;
pub mod printed;
pub mod shell;
pub mod toolmap;

pub use kinds::KindRef;
pub use normalize::{CallOutcome, NormalizedCall, Normalizer};

use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! verbs {
    ($( $v:ident = $name:literal, $mutates:literal, $doc:literal; )*) => {
        /// What an operation does.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Verb { $( #[doc = $doc] $v, )* }

        /// Every verb: its name (as in tool maps and output), whether it can change the cluster,
        /// and what it means.
        pub const VERBS: &[(Verb, &str, bool, &str)] = &[ $( (Verb::$v, $name, $mutates, $doc), )* ];
    };
}

verbs! {
    Create = "create", true, "Create objects (fails if they exist).";
    Apply = "apply", true, "Client-side apply: create, or three-way merge with the last-applied annotation.";
    ServerSideApply = "server-side-apply", true, "Server-side apply; with force it takes over fields and drops the ones the manager no longer sends.";
    Replace = "replace", true, "Replace whole objects (with force: delete and re-create).";
    Patch = "patch", true, "Patch objects (strategic merge, JSON merge or JSON patch).";
    Delete = "delete", true, "Delete objects (and what they own, unless orphaned).";
    Scale = "scale", true, "Set the replica count.";
    RolloutRestart = "rollout-restart", true, "Restart the pods of a workload (template annotation).";
    RolloutUndo = "rollout-undo", true, "Roll a workload back to an earlier revision.";
    RolloutPause = "rollout-pause", true, "Pause a rollout.";
    RolloutResume = "rollout-resume", true, "Resume a rollout.";
    SetImage = "set-image", true, "Change container images of a workload.";
    SetEnv = "set-env", true, "Change environment variables of a workload.";
    SetResources = "set-resources", true, "Change resource requests/limits of a workload.";
    SetOther = "set-other", true, "Other `kubectl set` changes (selector, serviceaccount, subject).";
    Label = "label", true, "Add, change or remove labels.";
    Annotate = "annotate", true, "Add, change or remove annotations.";
    Exec = "exec", true, "Run a command in a container (may change anything inside it).";
    Run = "run", true, "Create a Pod from an image.";
    Expose = "expose", true, "Create a Service for a resource.";
    Autoscale = "autoscale", true, "Create a HorizontalPodAutoscaler.";
    Cordon = "cordon", true, "Mark a node unschedulable.";
    Uncordon = "uncordon", true, "Mark a node schedulable.";
    Drain = "drain", true, "Cordon a node and evict its pods.";
    Taint = "taint", true, "Add or remove node taints.";
    Edit = "edit", true, "Interactive edit (the new content is not recorded).";
    Debug = "debug", true, "Add an ephemeral debug container or a debug copy of a pod.";
    HelmInstall = "helm-install", true, "Install a Helm release.";
    HelmUpgrade = "helm-upgrade", true, "Upgrade a Helm release.";
    HelmUninstall = "helm-uninstall", true, "Uninstall a Helm release.";
    HelmRollback = "helm-rollback", true, "Roll a Helm release back.";
    Mutate = "mutate", true, "A change whose nature or target the call does not show (the target's `unresolved` says why).";
    ContextSwitch = "context-switch", false, "Switch the kubeconfig context or its namespace (changes the target of later calls).";
    Read = "read", false, "Read only: get, describe, logs, status.";
}

impl Verb {
    pub fn name(self) -> &'static str {
        VERBS.iter().find(|v| v.0 == self).map_or("read", |v| v.1)
    }
    pub fn from_name(name: &str) -> Option<Verb> {
        VERBS.iter().find(|v| v.1 == name).map(|v| v.0)
    }
    /// True when the verb can change objects in the cluster.
    pub fn mutates(self) -> bool {
        VERBS.iter().find(|v| v.0 == self).is_some_and(|v| v.2)
    }
}

impl Serialize for Verb {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Verb {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Verb, D::Error> {
        let name = String::deserialize(d)?;
        Verb::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown verb `{name}`")))
    }
}

/// What an operation is aimed at.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Target {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<KindRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// The namespace (given, or the default that applied); `None` for cluster-scoped targets
    /// and all-namespace operations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// False when `namespace` is a default rather than named in the call.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub namespace_explicit: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub all_namespaces: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_selector: Option<String>,
    /// Every object of the kinds (`--all`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    /// Why the target cannot be known offline (a file whose content was not recorded, `$(...)`,
    /// `-k`, a URL). Never guessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatchType {
    Strategic,
    Merge,
    Json,
}

impl PatchType {
    pub fn from_name(s: &str) -> Option<PatchType> {
        match s.to_ascii_lowercase().as_str() {
            "strategic" | "strategic-merge" | "strategicmerge" => Some(PatchType::Strategic),
            "merge" | "json-merge" | "merge-patch" => Some(PatchType::Merge),
            "json" | "json-patch" | "jsonpatch" => Some(PatchType::Json),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patch {
    pub patch_type: PatchType,
    pub body: Value,
}

/// What an operation carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Payload {
    /// Objects to create/apply/replace (from a manifest, or built from generator flags).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<Patch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// `set image`: container → image (`*` for every container).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<(String, String)>,
    /// `set env`: assignments `K=V` and removals `K-`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// `set resources`: `limits` / `requests` as given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<(String, String)>,
    /// label/annotate/taint: key → new value, or `None` to remove.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<(String, Option<String>)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_revision: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// exec: the command run in the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
    /// context-switch: the context switched to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cascade {
    Background,
    Foreground,
    Orphan,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Flags {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cascade: Option<Cascade>,
    /// `--dry-run=client|server`, or a tool's dry-run argument: nothing changes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
    /// `--prune-allowlist` (kinds to prune other than kubectl's defaults).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub prune_allowlist: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub overwrite: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recursive: bool,
}

/// Whether the call changed anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "kebab-case")]
pub enum Effect {
    /// The call succeeded (as far as the result shows).
    Applied,
    /// The tool reported an error; nothing is assumed to have changed.
    Failed(String),
    /// A dry run: nothing changed by construction.
    DryRun,
    /// No result was recorded, or it cannot tell (a failed `a && b` chain).
    Unknown(String),
}

/// What an operation did to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Created,
    Changed,
    Removed,
}

/// One canonical operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    pub verb: Verb,
    pub target: Target,
    #[serde(skip_serializing_if = "payload_is_empty")]
    pub payload: Payload,
    #[serde(skip_serializing_if = "flags_are_default")]
    pub flags: Flags,
    pub effect: Effect,
    /// The command (for shell tools: the kubectl/helm words) this operation came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Where the operation's objects come from: the command, or what the tool printed.
    #[serde(skip_serializing_if = "Evidence::is_command")]
    pub evidence: Evidence,
    /// The objects the tool printed are not the objects the command names.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub result_disagrees: bool,
    /// The command's standard output went on to a pipe or a file: the recorded result may
    /// not hold all it printed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub output_partial: bool,
}

/// Where an operation's objects come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// The call's arguments.
    #[default]
    Command,
    /// The lines the tool printed (`deployment.apps/web configured`), for a target the call
    /// itself does not show.
    Result,
}

impl Evidence {
    pub fn name(self) -> &'static str {
        match self {
            Evidence::Command => "command",
            Evidence::Result => "result",
        }
    }
    fn is_command(&self) -> bool {
        *self == Evidence::Command
    }
}

fn payload_is_empty(p: &Payload) -> bool {
    *p == Payload::default()
}

fn flags_are_default(f: &Flags) -> bool {
    *f == Flags::default()
}

impl Operation {
    pub fn new(verb: Verb) -> Operation {
        Operation {
            verb,
            target: Target::default(),
            payload: Payload::default(),
            flags: Flags::default(),
            effect: Effect::Unknown("not yet judged".into()),
            command: None,
            evidence: Evidence::Command,
            result_disagrees: false,
            output_partial: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verb_names_round_trip() {
        for (v, name, _, _) in VERBS {
            assert_eq!(Verb::from_name(name), Some(*v));
            assert_eq!(v.name(), *name);
        }
        assert!(Verb::Delete.mutates());
        assert!(!Verb::Read.mutates());
    }
}
