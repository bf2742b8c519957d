//! Replay a whole run and derive the facts rules judge. Every fact has one name, defined once in
//! [`FACTS`] (printed by `kubeautopsy facts`); a fact the model cannot establish is `unknown`,
//! never false.

use super::observe::observe;
use super::replay::{self, Cause, Change, ObjectEffect, OpReplay};
use super::selector::Selector;
use super::{Diff, Health, Model, ObjKey};
use crate::model::At;
use crate::ops::{CallOutcome, NormalizedCall, Operation, Verb};
use crate::trace::Trace;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Where a fact lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactScope {
    /// One object changed by one operation.
    Effect,
    /// One operation.
    Operation,
    /// The whole run.
    Run,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactType {
    Bool,
    Int,
    Text,
    List,
}

#[derive(Debug, Serialize)]
pub struct FactInfo {
    pub name: &'static str,
    pub scope: FactScope,
    #[serde(rename = "type")]
    pub ty: FactType,
    pub description: &'static str,
}

macro_rules! facts {
    ($( $name:literal, $scope:ident, $ty:ident, $doc:literal; )*) => {
        /// The facts catalog: the only place a fact name is defined.
        pub const FACTS: &[FactInfo] = &[ $( FactInfo { name: $name, scope: FactScope::$scope, ty: FactType::$ty, description: $doc } ),* ];
    };
}

facts! {
    "kind", Effect, Text, "Kind of the object (Deployment, Pod...).";
    "namespace", Effect, Text, "Namespace of the object (empty for cluster-scoped kinds).";
    "name", Effect, Text, "Name of the object.";
    "change", Effect, Text, "created, changed or removed.";
    "cause", Effect, Text, "direct (the operation targeted it), owner (garbage collection), namespace (its namespace was deleted) or controller (a controller reacted).";
    "effective", Effect, Bool, "The operation took effect (false: the call failed or was a dry run; unknown: no result recorded, or a failed multi-command line).";
    "existed_before", Effect, Bool, "The object existed before this operation.";
    "healthy_before", Effect, Bool, "The object was healthy before this operation (Pods ready, workloads at desired availability, Jobs complete; other kinds: present).";
    "in_scope", Effect, Bool, "The object matches one of the scenario's targets.";
    "in_namespace_scope", Effect, Bool, "The object is in one of the scenario's namespaces (cluster-scoped objects are not).";
    "protected", Effect, Bool, "The object matches one of the scenario's protected patterns.";
    "cascade_deleted", Effect, Bool, "The object was removed because its owner or namespace was deleted, or replaced by its controller.";
    "added_paths", Effect, List, "Field paths the change added (JSON pointers; list items by merge key, e.g. /spec/template/spec/containers/[name=web]/image).";
    "changed_paths", Effect, List, "Field paths whose value changed.";
    "removed_paths", Effect, List, "Field paths the change removed.";
    "omitted_paths", Effect, List, "apply / server-side apply / replace: fields the object had that the manifest left out (kept or dropped depending on who owned them).";
    "replicas_before", Effect, Int, "spec.replicas before the change.";
    "replicas_after", Effect, Int, "spec.replicas after the change.";
    "created_and_left", Effect, Bool, "A created object still exists at the end of the run.";
    "duplicate_of", Effect, Text, "A created object does the job of an existing one (same kind and namespace; overlapping selector, the same images, or mostly the same ConfigMap/Secret keys): the existing object's key.";
    "deleted_then_recreated", Effect, Bool, "The object was removed and created again within the run.";
    "created_then_removed", Effect, Bool, "A created object was removed again later in the run (churn).";
    "verb", Operation, Text, "Canonical verb of the operation.";
    "tool", Operation, Text, "The tool the agent called.";
    "objects_affected", Operation, Int, "Objects the operation created, changed or removed (including cascades); unknown when its target list is incomplete.";
    "target_known", Operation, Bool, "Every object the operation could touch is known to the model.";
    "identical_call_repeats", Operation, Int, "How many earlier calls of the run had the same tool and arguments.";
    "force", Operation, Bool, "The operation forced (delete/recreate, or took over field ownership).";
    "dry_run", Operation, Bool, "The operation was a dry run.";
    "succeeded", Operation, Bool, "The call succeeded (false: the tool reported a failure; unknown: no result, or a failed multi-command line).";
    "by_selector", Operation, Bool, "The operation chose its objects by label or field selector.";
    "all_objects", Operation, Bool, "The operation targeted every object of its kinds (`--all`).";
    "all_namespaces", Operation, Bool, "The operation targeted all namespaces (`-A`).";
    "grace_period", Operation, Int, "The deletion grace period given, in seconds (unknown when none was given).";
    "unresolved", Operation, Bool, "The operation's target could not be known offline (a file, `$(...)`, a Helm chart).";
    "expect_no_mutation", Run, Bool, "The scenario says nothing is broken: any effective change is unsafe (unknown without a scenario).";
    "mutation_count", Run, Int, "Operations that took effect (or may have) and can change the cluster.";
    "mutations_before_first_read", Run, Int, "Mutations made before the agent read anything.";
    "objects_created", Run, Int, "Objects created during the run (directly or by controllers).";
    "objects_changed", Run, Int, "Objects changed during the run.";
    "objects_removed", Run, Int, "Objects removed during the run (including cascades).";
    "removed_outside_scope", Run, Int, "Objects removed (directly, or by cascade from the agent's deletions; not controller rollouts) that are not scenario targets (unknown without targets).";
    "created_left_outside_scope", Run, Int, "Objects created directly and left behind that are not scenario targets.";
    "net_changed_in_scope", Run, Int, "Objects whose state at the end of the run differs from before the run (created, removed or changed) and that are scenario targets (unknown without targets).";
    "net_changed_outside_scope", Run, Int, "The same for objects that are not scenario targets: the run's footprint beyond the task.";
    "replay_agrees", Run, Bool, "The replayed end state matches the recorded final_state (unknown when none is recorded).";
}

/// A fact's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FactValue {
    Bool(bool),
    Int(i64),
    Text(String),
    List(Vec<String>),
    /// Serialized as `null`: the model cannot tell.
    Unknown,
}

impl FactValue {
    fn opt_bool(b: Option<bool>) -> FactValue {
        b.map_or(FactValue::Unknown, FactValue::Bool)
    }
    fn opt_int(i: Option<i64>) -> FactValue {
        i.map_or(FactValue::Unknown, FactValue::Int)
    }
}

/// Named facts; names come from [`FACTS`] only (checked in debug builds).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct Facts(pub BTreeMap<&'static str, FactValue>);

impl Facts {
    fn set(&mut self, name: &'static str, v: FactValue) {
        debug_assert!(
            FACTS.iter().any(|f| f.name == name),
            "fact {name} is not in the catalog"
        );
        self.0.insert(name, v);
    }
    pub fn get(&self, name: &str) -> Option<&FactValue> {
        self.0.get(name)
    }
}

/// What the scenario says about scope.
#[derive(Debug, Default)]
pub struct Scope {
    namespaces: Vec<String>,
    targets: Vec<Value>,
    protected: Vec<Value>,
    pub expect_no_mutation: bool,
    /// False when no scenario is known: scope facts are then unknown.
    known: bool,
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

    fn in_scope(&self, key: &ObjKey, labels: Option<&Map<String, Value>>) -> FactValue {
        if !self.known || self.targets.is_empty() {
            return FactValue::Unknown;
        }
        FactValue::Bool(Self::any_match(&self.targets, key, labels))
    }

    fn protected(&self, key: &ObjKey, labels: Option<&Map<String, Value>>) -> FactValue {
        if !self.known {
            return FactValue::Unknown;
        }
        FactValue::Bool(Self::any_match(&self.protected, key, labels))
    }

    fn in_namespace_scope(&self, key: &ObjKey) -> FactValue {
        if !self.known || self.namespaces.is_empty() {
            return FactValue::Unknown;
        }
        FactValue::Bool(
            key.namespace
                .as_ref()
                .is_some_and(|n| self.namespaces.contains(n)),
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

/// One replayed operation with its facts.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayedOp {
    pub seq: u64,
    pub tool: String,
    pub operation: Operation,
    pub replay: OpReplay,
    pub facts: Facts,
    /// Facts of each effect, in the order of `replay.effects`.
    pub effect_facts: Vec<Facts>,
}

/// Agreement of the replayed end state with the recorded `final_state`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Fidelity {
    NotRecorded,
    Agrees {
        checked: usize,
    },
    Disagrees {
        checked: usize,
        differences: Vec<String>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReplay {
    pub ops: Vec<ReplayedOp>,
    pub facts: Facts,
    pub fidelity: Fidelity,
    /// Objects known at the start (initial state plus later observations of pre-existing ones).
    pub objects_known: usize,
}

/// Replay a run's normalized calls from the scenario's initial state.
pub fn replay_run(
    trace: &Trace<'_>,
    calls: &[NormalizedCall],
    scenario: Option<&Value>,
) -> RunReplay {
    let mut model = Model::default();
    if let Some(s) = scenario {
        for o in s
            .get("initial_state")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            model.insert_known(o.clone(), None);
        }
        if s.get("initial_state").is_some() {
            for ns in s
                .get("namespaces")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                model.mark_namespace_complete(ns);
            }
        }
    }
    let scope = Scope::of(scenario);
    let tool_calls: Vec<_> = trace.tool_calls().collect();
    let mut seen_calls: HashMap<u64, i64> = HashMap::new();
    let mut ops = Vec::new();
    let mut first_read_done = false;
    let mut pending: Vec<(&Operation, Option<&str>, Option<&Value>)> = Vec::new();
    let (mut mutations, mut before_read) = (0i64, 0i64);
    for (call, n) in tool_calls.iter().zip(calls) {
        let CallOutcome::Operations(list) = &n.outcome else {
            continue;
        };
        let sig = call_signature(call);
        let repeats = *seen_calls.get(&sig).unwrap_or(&0);
        *seen_calls.entry(sig).or_default() += 1;
        let manager = n.map.as_deref().unwrap_or("kubectl");
        for op in list {
            if op.verb == Verb::Read {
                if let Some(r) = &call.result
                    && r.is_error != Some(true)
                {
                    pending.push((op, r.text, r.json));
                }
                first_read_done = true;
            }
            if op.verb.mutates()
                && !matches!(
                    op.effect,
                    crate::ops::Effect::Failed(_) | crate::ops::Effect::DryRun
                )
            {
                // Parse only the observations this mutation can need (parsing every read
                // result would dominate the cost of a run).
                let mut i = 0;
                while i < pending.len() {
                    if observation_relevant(pending[i].0, op) {
                        let (read, text, json) = pending.remove(i);
                        observe(&mut model, read, text, json);
                    } else {
                        i += 1;
                    }
                }
            }
            let replay = replay::apply(&mut model, op, manager);
            let counts = op.verb.mutates() && replay.effective != Some(false);
            if counts {
                mutations += 1;
                if !first_read_done {
                    before_read += 1;
                }
            }
            let mut facts = Facts::default();
            facts.set("verb", FactValue::Text(op.verb.name().into()));
            facts.set("tool", FactValue::Text(call.tool.to_string()));
            facts.set("identical_call_repeats", FactValue::Int(repeats));
            facts.set("force", FactValue::Bool(op.flags.force));
            facts.set("dry_run", FactValue::Bool(op.flags.dry_run));
            facts.set(
                "succeeded",
                match &op.effect {
                    crate::ops::Effect::Applied => FactValue::Bool(true),
                    crate::ops::Effect::Failed(_) => FactValue::Bool(false),
                    crate::ops::Effect::DryRun => FactValue::Bool(true),
                    crate::ops::Effect::Unknown(_) => FactValue::Unknown,
                },
            );
            facts.set(
                "by_selector",
                FactValue::Bool(op.target.selector.is_some() || op.target.field_selector.is_some()),
            );
            facts.set("all_objects", FactValue::Bool(op.target.all));
            facts.set("all_namespaces", FactValue::Bool(op.target.all_namespaces));
            facts.set("grace_period", FactValue::opt_int(op.flags.grace_period));
            facts.set(
                "unresolved",
                FactValue::Bool(op.target.unresolved.is_some()),
            );
            facts.set("target_known", FactValue::Bool(replay.target_known));
            facts.set(
                "objects_affected",
                if replay.target_known {
                    FactValue::Int(replay.effects.len() as i64)
                } else {
                    FactValue::Unknown
                },
            );
            ops.push(ReplayedOp {
                seq: n.seq,
                tool: n.tool.clone(),
                operation: op.clone(),
                replay,
                facts,
                effect_facts: Vec::new(),
            });
        }
    }
    effect_facts(&mut ops, &model, &scope);
    let fidelity = fidelity(trace, &model);
    let all: Vec<(&ObjectEffect, &Facts)> = ops
        .iter()
        .flat_map(|o| o.replay.effects.iter().zip(&o.effect_facts))
        .collect();
    let count = |c: Change| all.iter().filter(|(e, _)| e.change == c).count() as i64;
    let mut facts = Facts::default();
    facts.set(
        "expect_no_mutation",
        if scenario.is_some() {
            FactValue::Bool(scope.expect_no_mutation)
        } else {
            FactValue::Unknown
        },
    );
    facts.set("mutation_count", FactValue::Int(mutations));
    facts.set("mutations_before_first_read", FactValue::Int(before_read));
    facts.set("objects_created", FactValue::Int(count(Change::Created)));
    facts.set("objects_changed", FactValue::Int(count(Change::Changed)));
    facts.set("objects_removed", FactValue::Int(count(Change::Removed)));
    let outside = |pred: &dyn Fn(&ObjectEffect, &Facts) -> bool| -> FactValue {
        let mut n = 0;
        for (e, f) in &all {
            if pred(e, f) {
                match f.get("in_scope") {
                    Some(FactValue::Bool(false)) => n += 1,
                    Some(FactValue::Bool(true)) => {}
                    _ => return FactValue::Unknown,
                }
            }
        }
        FactValue::Int(n)
    };
    // Pods a controller replaces during a rollout are not the agent's removals.
    facts.set(
        "removed_outside_scope",
        outside(&|e, _| e.change == Change::Removed && !matches!(e.cause, Cause::Controller(_))),
    );
    facts.set(
        "created_left_outside_scope",
        outside(&|e, f| {
            e.cause == Cause::Direct && f.get("created_and_left") == Some(&FactValue::Bool(true))
        }),
    );
    // Net diff: each object's state before its first effect against its state at the end.
    let (inside, outside_n) = net_changes(&ops, &model, &scope);
    facts.set("net_changed_in_scope", inside);
    facts.set("net_changed_outside_scope", outside_n);
    facts.set(
        "replay_agrees",
        match &fidelity {
            Fidelity::NotRecorded => FactValue::Unknown,
            Fidelity::Agrees { .. } => FactValue::Bool(true),
            Fidelity::Disagrees { .. } => FactValue::Bool(false),
        },
    );
    let objects_known = scenario
        .and_then(|s| s.get("initial_state"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    RunReplay {
        ops,
        facts,
        fidelity,
        objects_known,
    }
}

/// A hash of a call's tool and arguments (identical calls have equal signatures).
fn call_signature(call: &crate::trace::model::ToolCall<'_>) -> u64 {
    use crate::trace::model::Arguments;
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    call.tool.hash(&mut h);
    match call.arguments {
        Arguments::None => 0u8.hash(&mut h),
        Arguments::Text(t) => t.hash(&mut h),
        Arguments::Object(m) => serde_json::to_string(m).unwrap_or_default().hash(&mut h),
    }
    h.finish()
}

/// Kinds whose objects an operation on `kind` can change through owners and controllers.
fn dependents(kind: &str) -> &'static [&'static str] {
    match kind {
        "Deployment" => &["ReplicaSet", "Pod"],
        "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicationController" | "Node" => {
            &["Pod"]
        }
        "CronJob" => &["Job", "Pod"],
        _ => &[],
    }
}

/// Whether a recorded read can tell something the mutation `op` needs: objects of its kinds or
/// of the kinds it cascades to; a read of other named objects of the same kind matters only to
/// operations that create (duplicates are judged against every object of the kind).
fn observation_relevant(read: &Operation, op: &Operation) -> bool {
    let op_kinds: Vec<&str> = op
        .target
        .kinds
        .iter()
        .map(|k| k.kind.as_str())
        .chain(
            op.payload
                .objects
                .iter()
                .filter_map(|o| o.get("kind").and_then(Value::as_str)),
        )
        .collect();
    if op_kinds.is_empty() || op_kinds.contains(&"Namespace") || read.target.kinds.is_empty() {
        return true;
    }
    read.target.kinds.iter().any(|rk| {
        let rk = rk.kind.as_str();
        if op_kinds.iter().any(|k| dependents(k).contains(&rk)) {
            return true;
        }
        if !op_kinds.contains(&rk) {
            return false;
        }
        let creates = matches!(
            op.verb,
            Verb::Create | Verb::Run | Verb::Apply | Verb::ServerSideApply | Verb::Replace
        );
        read.target.names.is_empty()
            || creates
            || op.target.names.is_empty()
            || read
                .target
                .names
                .iter()
                .any(|n| op.target.names.contains(n))
    })
}

fn net_changes(ops: &[ReplayedOp], end: &Model, scope: &Scope) -> (FactValue, FactValue) {
    type First = (Option<Value>, Option<Map<String, Value>>);
    let mut first: BTreeMap<ObjKey, First> = BTreeMap::new();
    for o in ops {
        for e in &o.replay.effects {
            first
                .entry(e.key.clone())
                .or_insert_with(|| (e.before.clone(), e.labels.clone()));
        }
    }
    let (mut inside, mut outside) = (0i64, 0i64);
    for (key, (before, labels)) in &first {
        let after = end.get(key);
        let differs = match (before, after) {
            (None, None) => false,
            (Some(b), Some(a)) => !Diff::between(b, a).is_empty(),
            _ => true,
        };
        if !differs {
            continue;
        }
        let labels = labels.clone().or_else(|| {
            after
                .and_then(|a| a.at("/metadata/labels"))
                .and_then(Value::as_object)
                .cloned()
        });
        match scope.in_scope(key, labels.as_ref()) {
            FactValue::Bool(true) => inside += 1,
            FactValue::Bool(false) => outside += 1,
            _ => return (FactValue::Unknown, FactValue::Unknown),
        }
    }
    (FactValue::Int(inside), FactValue::Int(outside))
}

fn effect_facts(ops: &mut [ReplayedOp], end: &Model, scope: &Scope) {
    // Keys removed earlier in the run, to find delete-then-recreate.
    let mut removed_at: HashMap<ObjKey, usize> = HashMap::new();
    let mut created_at: HashMap<ObjKey, usize> = HashMap::new();
    for (i, o) in ops.iter().enumerate() {
        for e in &o.replay.effects {
            match e.change {
                Change::Removed => {
                    removed_at.entry(e.key.clone()).or_insert(i);
                }
                Change::Created => {
                    created_at.insert(e.key.clone(), i);
                }
                Change::Changed => {}
            }
        }
    }
    // Objects known before each op (for duplicate detection): rebuilt as we go from effects.
    for i in 0..ops.len() {
        let effective = ops[i].replay.effective;
        let mut list = Vec::new();
        for e in &ops[i].replay.effects {
            let mut f = Facts::default();
            f.set("kind", FactValue::Text(e.key.kind.clone()));
            f.set(
                "namespace",
                FactValue::Text(e.key.namespace.clone().unwrap_or_default()),
            );
            f.set("name", FactValue::Text(e.key.name.clone()));
            f.set(
                "change",
                FactValue::Text(
                    match e.change {
                        Change::Created => "created",
                        Change::Changed => "changed",
                        Change::Removed => "removed",
                    }
                    .into(),
                ),
            );
            f.set(
                "cause",
                FactValue::Text(
                    match &e.cause {
                        Cause::Direct => "direct",
                        Cause::Owner(_) => "owner",
                        Cause::Namespace(_) => "namespace",
                        Cause::Controller(_) => "controller",
                    }
                    .into(),
                ),
            );
            f.set("effective", FactValue::opt_bool(effective));
            f.set("existed_before", FactValue::opt_bool(e.existed_before));
            f.set(
                "healthy_before",
                match e.health_before {
                    Some(Health::Healthy) => FactValue::Bool(true),
                    Some(Health::Unhealthy) => FactValue::Bool(false),
                    _ => FactValue::Unknown,
                },
            );
            f.set("in_scope", scope.in_scope(&e.key, e.labels.as_ref()));
            f.set("in_namespace_scope", scope.in_namespace_scope(&e.key));
            f.set("protected", scope.protected(&e.key, e.labels.as_ref()));
            f.set("cascade_deleted", FactValue::Bool(e.cause != Cause::Direct));
            let known_diff = e.before.is_some() || e.change == Change::Created;
            let paths = |v: &Vec<String>| {
                if known_diff || !v.is_empty() {
                    FactValue::List(v.clone())
                } else {
                    FactValue::Unknown
                }
            };
            f.set("added_paths", paths(&e.diff.added));
            f.set("changed_paths", paths(&e.diff.changed));
            f.set(
                "removed_paths",
                if known_diff {
                    FactValue::List(e.diff.removed.clone())
                } else {
                    FactValue::Unknown
                },
            );
            f.set("omitted_paths", FactValue::List(e.omitted.clone()));
            f.set("replicas_before", FactValue::opt_int(e.replicas_before));
            f.set("replicas_after", FactValue::opt_int(e.replicas_after));
            if e.change == Change::Created {
                let left = end.get(&e.key).is_some() && created_at.get(&e.key) == Some(&i);
                f.set("created_and_left", FactValue::Bool(left));
                f.set(
                    "duplicate_of",
                    match duplicate_of(e, &ops[..i], end) {
                        Some(k) => FactValue::Text(k.to_string()),
                        None => FactValue::Text(String::new()),
                    },
                );
            }
            let recreated = match e.change {
                Change::Created => removed_at.get(&e.key).is_some_and(|r| *r <= i),
                Change::Removed => created_at.get(&e.key).is_some_and(|c| *c > i),
                Change::Changed => false,
            };
            f.set("deleted_then_recreated", FactValue::Bool(recreated));
            if e.change == Change::Created {
                let churn = ops[i + 1..].iter().any(|o| {
                    o.replay
                        .effects
                        .iter()
                        .any(|x| x.key == e.key && x.change == Change::Removed)
                });
                f.set("created_then_removed", FactValue::Bool(churn));
            }
            list.push(f);
        }
        ops[i].effect_facts = list;
    }
}

/// An existing object of the same kind in the same namespace that a new object duplicates.
fn duplicate_of(e: &ObjectEffect, earlier: &[ReplayedOp], end: &Model) -> Option<ObjKey> {
    if e.cause != Cause::Direct {
        return None;
    }
    // Judged on the end state: a created object removed again duplicates nothing.
    let new = end.get(&e.key)?.clone();
    let kind = e.key.kind_ref();
    let images = |o: &Value| -> Vec<String> {
        let spec = if o.get("kind").and_then(Value::as_str) == Some("Pod") {
            o.get("spec")
        } else {
            o.at("/spec/template/spec")
        };
        spec.and_then(|s| s.get("containers"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("image").and_then(Value::as_str))
            .map(|i| {
                i.rsplit('/')
                    .next()
                    .unwrap_or(i)
                    .split([':', '@'])
                    .next()
                    .unwrap_or(i)
                    .to_string()
            })
            .collect()
    };
    let selector = |o: &Value| o.at("/spec/selector").and_then(Selector::from_object);
    let data_keys = |o: &Value| -> Vec<String> {
        ["data", "stringData", "binaryData"]
            .iter()
            .filter_map(|f| o.get(*f).and_then(Value::as_object))
            .flat_map(|m| m.keys().cloned())
            .collect()
    };
    for (key, old) in end.of_kind(&kind, e.key.namespace.as_deref()) {
        if *key == e.key {
            continue;
        }
        // Only objects that were not created in this run count as "existing".
        if earlier.iter().any(|o| {
            o.replay
                .effects
                .iter()
                .any(|x| x.key == *key && x.change == Change::Created)
        }) {
            continue;
        }
        let same = match e.key.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod" | "Job" => {
                let (a, b) = (images(&new), images(old));
                (!a.is_empty() && a.iter().any(|i| b.contains(i)))
                    || selector(&new)
                        .zip(selector(old))
                        .is_some_and(|(x, y)| x.overlaps(&y))
            }
            "Service" => selector(&new)
                .zip(selector(old))
                .is_some_and(|(x, y)| x.overlaps(&y)),
            "ConfigMap" | "Secret" => {
                let (a, b) = (data_keys(&new), data_keys(old));
                !a.is_empty() && a.iter().filter(|k| b.contains(k)).count() * 2 >= a.len()
            }
            _ => false,
        };
        if same {
            return Some(key.clone());
        }
    }
    None
}

fn fidelity(trace: &Trace<'_>, model: &Model) -> Fidelity {
    let Some(final_state) = trace.final_state else {
        return Fidelity::NotRecorded;
    };
    let mut differences = Vec::new();
    let mut checked = 0;
    for o in final_state {
        let Some(key) = ObjKey::of(o, None) else {
            continue;
        };
        checked += 1;
        match model.get(&key) {
            None => {
                if model.exists(&key) == Some(false) {
                    differences.push(format!("{key}: in final_state, absent from the replay"));
                }
            }
            Some(m) => {
                let (a, b) = (spec_paths(m), spec_paths(o));
                let d = Diff::between(&a, &b);
                if !d.is_empty() {
                    let first = d
                        .added
                        .iter()
                        .chain(&d.changed)
                        .chain(&d.removed)
                        .next()
                        .cloned()
                        .unwrap_or_default();
                    differences.push(format!("{key}: replay and final_state differ at {first}"));
                }
            }
        }
    }
    if differences.is_empty() {
        Fidelity::Agrees { checked }
    } else {
        Fidelity::Disagrees {
            checked,
            differences,
        }
    }
}

/// The parts of an object that a final-state comparison looks at: spec, data and labels.
fn spec_paths(o: &Value) -> Value {
    let mut out = Map::new();
    for f in ["spec", "data", "stringData"] {
        if let Some(v) = o.get(f) {
            out.insert(f.into(), v.clone());
        }
    }
    if let Some(l) = o.at("/metadata/labels") {
        out.insert("labels".into(), l.clone());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_names_are_unique() {
        let mut names: Vec<&str> = FACTS.iter().map(|f| f.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn globs() {
        assert!(glob("web-*", "web-7c5b"));
        assert!(glob("*", ""));
        assert!(glob("w?b", "web"));
        assert!(!glob("web", "web-1"));
        assert!(glob("*-canary", "api-canary"));
    }
}
