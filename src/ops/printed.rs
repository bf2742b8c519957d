//! What kubectl and helm printed about the objects a command touched: when an agent runs
//! `kubectl apply -f /tmp/fix.yaml` and the file itself was never recorded, the lines kubectl
//! printed per object (`deployment.apps/web configured`) are the only evidence of what changed.
//! This module turns those lines back into [`PrintedObject`]s, and helm's release messages into
//! [`HelmPrinted`]s, so the analyzer can replay them.
//!
//! The forms come from the real sources (kubernetes/kubectl, kubernetes/cli-runtime, helm/helm):
//!
//! - `cli-runtime/pkg/printers/name.go` (`printObj`): the name printer every mutating command
//!   uses prints `<kind in lower case>[.<group>]/<name> <operation>`. The resource is the lower
//!   case *kind*, not the plural: `deployment.apps/web`, `pod/x`, `node/n1`.
//! - `kubectl/pkg/cmd/util/helpers.go` (`PrintFlagsWithDryRunStrategy`): the operation becomes
//!   `%s (dry run)` or `%s (server dry run)`. (`patch` and `taint` set the operation after this,
//!   so they never show the suffix; `rollout restart|pause|resume` and `edit` have no dry run.)
//! - `kubectl/pkg/cmd/delete/delete.go` (`DeleteOptions.PrintObj`): delete prints its own form,
//!   `<kind>[.<group>] "<name>" deleted` or `force deleted` (grace period 0); since kubectl 1.34
//!   a namespaced object gets ` from <ns> namespace`; then the dry-run suffix.
//! - `kubectl/pkg/drain/drain.go` and `kubectl/pkg/cmd/drain/drain.go`: `evicting pod <ns>/<name>`
//!   (with ` (dry run)` / ` (server dry run)`), then name-printer lines `pod/<name> evicted`,
//!   `eviction failed`, `deleted`, `deletion failed` (and `eviction started` / `deletion started`
//!   at `-v=2`); if the printer cannot be built the fallback is `pod <ns>/<name> <verb>`.
//! - The operation words, with the file that prints each, are listed on [`PrintedChange`].
//! - Kubectl before 1.11 printed `<resource> "<name>" <operation>` for every command
//!   (`deployment "web" created`); that quoted form is accepted for every operation.
//! - helm: `pkg/cmd/upgrade.go` (`Release "x" has been upgraded. Happy Helming!`),
//!   `pkg/cmd/uninstall.go` (`release "x" uninstalled`), `pkg/cmd/rollback.go`
//!   (`Rollback was a success! Happy Helming!`), `pkg/cmd/status.go` (the `NAME:` / `STATUS:`
//!   block install and upgrade print), `pkg/action/install.go` / `upgrade.go`
//!   (`DESCRIPTION: Dry run complete`).
//!
//! Matching is strict: a line counts only when it is exactly one of these forms, so warnings,
//! errors, tables, YAML and JSON are ignored.

/// The kind of change kubectl reported for one object.
///
/// Each variant is followed by the command and the kubectl source file printing its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintedChange {
    /// `created`: create (`pkg/cmd/create/*.go`), apply (`pkg/cmd/apply/apply.go`), run
    /// (`pkg/cmd/run/run.go`), autoscale with client dry run (`pkg/cmd/autoscale/autoscale.go`),
    /// edit of a new object (`pkg/cmd/util/editor/editoptions.go`).
    Created,
    /// `configured`: apply, apply set-last-applied (`pkg/cmd/apply/apply.go`,
    /// `apply_set_last_applied.go`).
    Configured,
    /// `unchanged`: apply (`pkg/cmd/apply/apply.go`).
    Unchanged,
    /// `deleted` / `force deleted`: delete (`pkg/cmd/delete/delete.go`); drain with
    /// `--disable-eviction` (`pkg/cmd/drain/drain.go`).
    Deleted,
    /// `pruned`: apply `--prune` (`pkg/cmd/apply/prune.go`, `applyset.go`).
    Pruned,
    /// `patched`: patch (`pkg/cmd/patch/patch.go`).
    Patched,
    /// `patched (no change)`: patch (`pkg/cmd/patch/patch.go`).
    PatchedNoChange,
    /// `replaced`: replace (`pkg/cmd/replace/replace.go`).
    Replaced,
    /// `scaled`: scale (`pkg/cmd/scale/scale.go`).
    Scaled,
    /// `labeled`: label (`pkg/cmd/label/label.go`).
    Labeled,
    /// `unlabeled`: label `key-` (`pkg/cmd/label/label.go`).
    Unlabeled,
    /// `not labeled`: label that changed nothing (`pkg/cmd/label/label.go`).
    NotLabeled,
    /// `modified`: label or taint that both added and removed (`pkg/cmd/label/label.go`,
    /// `pkg/cmd/taint/utils.go`).
    Modified,
    /// `annotated`: annotate (`pkg/cmd/annotate/annotate.go`).
    Annotated,
    /// `edited`: edit, apply edit-last-applied (`pkg/cmd/util/editor/editoptions.go`).
    Edited,
    /// `skipped`: edit with no change (`pkg/cmd/util/editor/editoptions.go`); cordon of an
    /// object that is not a node (`pkg/cmd/drain/drain.go`).
    Skipped,
    /// `restarted`: rollout restart (`pkg/cmd/rollout/rollout_restart.go`).
    Restarted,
    /// `rolled back`: rollout undo (`pkg/polymorphichelpers/rollback.go`).
    RolledBack,
    /// `skipped rollback (current template already matches revision N)`: rollout undo
    /// (`pkg/polymorphichelpers/rollback.go`).
    RollbackSkipped,
    /// `paused`: rollout pause (`pkg/cmd/rollout/rollout_pause.go`).
    Paused,
    /// `already paused`: rollout pause (`pkg/cmd/rollout/rollout_pause.go`).
    AlreadyPaused,
    /// `resumed`: rollout resume (`pkg/cmd/rollout/rollout_resume.go`).
    Resumed,
    /// `already resumed`: rollout resume (`pkg/cmd/rollout/rollout_resume.go`).
    AlreadyResumed,
    /// `image updated`: set image (`pkg/cmd/set/set_image.go`).
    ImageUpdated,
    /// `env updated`: set env (`pkg/cmd/set/set_env.go`).
    EnvUpdated,
    /// `resource requirements updated`: set resources (`pkg/cmd/set/set_resources.go`).
    ResourcesUpdated,
    /// `selector updated`: set selector (`pkg/cmd/set/set_selector.go`).
    SelectorUpdated,
    /// `serviceaccount updated`: set serviceaccount (`pkg/cmd/set/set_serviceaccount.go`).
    ServiceAccountUpdated,
    /// `subjects updated`: set subject (`pkg/cmd/set/set_subject.go`).
    SubjectsUpdated,
    /// `serverside-applied`: apply `--server-side` (`pkg/cmd/apply/apply.go`).
    ServerSideApplied,
    /// `tainted`: taint (`pkg/cmd/taint/utils.go`).
    Tainted,
    /// `untainted`: taint `key-` (`pkg/cmd/taint/utils.go`).
    Untainted,
    /// `cordoned`: cordon, drain (`pkg/cmd/drain/drain.go`).
    Cordoned,
    /// `already cordoned` (`pkg/cmd/drain/drain.go`).
    AlreadyCordoned,
    /// `uncordoned`: uncordon (`pkg/cmd/drain/drain.go`).
    Uncordoned,
    /// `already uncordoned` (`pkg/cmd/drain/drain.go`).
    AlreadyUncordoned,
    /// `drained`: drain (`pkg/cmd/drain/drain.go`).
    Drained,
    /// `evicting pod <ns>/<name>`: drain asked for an eviction (`pkg/drain/drain.go`,
    /// `pkg/cmd/drain/drain.go` for client dry run).
    Evicting,
    /// `eviction started`: drain at `-v=2` (`pkg/cmd/drain/drain.go`).
    EvictionStarted,
    /// `evicted`: drain (`pkg/cmd/drain/drain.go`).
    Evicted,
    /// `eviction failed`: drain (`pkg/cmd/drain/drain.go`).
    EvictionFailed,
    /// `deletion started`: drain `--disable-eviction` at `-v=2` (`pkg/cmd/drain/drain.go`).
    DeletionStarted,
    /// `deletion failed`: drain `--disable-eviction` (`pkg/cmd/drain/drain.go`).
    DeletionFailed,
    /// `exposed`: expose (`pkg/cmd/expose/expose.go`).
    Exposed,
    /// `autoscaled`: autoscale (`pkg/cmd/autoscale/autoscale.go`).
    Autoscaled,
    /// `reconciled`: auth reconcile (`pkg/cmd/auth/reconcile.go`).
    Reconciled,
    /// `approved`: certificate approve (`pkg/cmd/certificates/certificates.go`).
    Approved,
    /// `denied`: certificate deny (`pkg/cmd/certificates/certificates.go`).
    Denied,
    /// `condition met`: wait (`pkg/cmd/wait/wait.go`).
    ConditionMet,
}

impl PrintedChange {
    /// Every change, in declaration order.
    pub const ALL: [PrintedChange; 49] = [
        PrintedChange::Created,
        PrintedChange::Configured,
        PrintedChange::Unchanged,
        PrintedChange::Deleted,
        PrintedChange::Pruned,
        PrintedChange::Patched,
        PrintedChange::PatchedNoChange,
        PrintedChange::Replaced,
        PrintedChange::Scaled,
        PrintedChange::Labeled,
        PrintedChange::Unlabeled,
        PrintedChange::NotLabeled,
        PrintedChange::Modified,
        PrintedChange::Annotated,
        PrintedChange::Edited,
        PrintedChange::Skipped,
        PrintedChange::Restarted,
        PrintedChange::RolledBack,
        PrintedChange::RollbackSkipped,
        PrintedChange::Paused,
        PrintedChange::AlreadyPaused,
        PrintedChange::Resumed,
        PrintedChange::AlreadyResumed,
        PrintedChange::ImageUpdated,
        PrintedChange::EnvUpdated,
        PrintedChange::ResourcesUpdated,
        PrintedChange::SelectorUpdated,
        PrintedChange::ServiceAccountUpdated,
        PrintedChange::SubjectsUpdated,
        PrintedChange::ServerSideApplied,
        PrintedChange::Tainted,
        PrintedChange::Untainted,
        PrintedChange::Cordoned,
        PrintedChange::AlreadyCordoned,
        PrintedChange::Uncordoned,
        PrintedChange::AlreadyUncordoned,
        PrintedChange::Drained,
        PrintedChange::Evicting,
        PrintedChange::EvictionStarted,
        PrintedChange::Evicted,
        PrintedChange::EvictionFailed,
        PrintedChange::DeletionStarted,
        PrintedChange::DeletionFailed,
        PrintedChange::Exposed,
        PrintedChange::Autoscaled,
        PrintedChange::Reconciled,
        PrintedChange::Approved,
        PrintedChange::Denied,
        PrintedChange::ConditionMet,
    ];

    /// The word(s) kubectl prints ("created", "rolled back", "image updated", ...).
    ///
    /// [`Deleted`](Self::Deleted) is "deleted" (a force delete sets [`PrintedObject::force`]);
    /// [`RollbackSkipped`](Self::RollbackSkipped) is the start of its message;
    /// [`Evicting`](Self::Evicting) is the first word of drain's `evicting pod` line.
    pub fn word(self) -> &'static str {
        match self {
            PrintedChange::Created => "created",
            PrintedChange::Configured => "configured",
            PrintedChange::Unchanged => "unchanged",
            PrintedChange::Deleted => "deleted",
            PrintedChange::Pruned => "pruned",
            PrintedChange::Patched => "patched",
            PrintedChange::PatchedNoChange => "patched (no change)",
            PrintedChange::Replaced => "replaced",
            PrintedChange::Scaled => "scaled",
            PrintedChange::Labeled => "labeled",
            PrintedChange::Unlabeled => "unlabeled",
            PrintedChange::NotLabeled => "not labeled",
            PrintedChange::Modified => "modified",
            PrintedChange::Annotated => "annotated",
            PrintedChange::Edited => "edited",
            PrintedChange::Skipped => "skipped",
            PrintedChange::Restarted => "restarted",
            PrintedChange::RolledBack => "rolled back",
            PrintedChange::RollbackSkipped => "skipped rollback",
            PrintedChange::Paused => "paused",
            PrintedChange::AlreadyPaused => "already paused",
            PrintedChange::Resumed => "resumed",
            PrintedChange::AlreadyResumed => "already resumed",
            PrintedChange::ImageUpdated => "image updated",
            PrintedChange::EnvUpdated => "env updated",
            PrintedChange::ResourcesUpdated => "resource requirements updated",
            PrintedChange::SelectorUpdated => "selector updated",
            PrintedChange::ServiceAccountUpdated => "serviceaccount updated",
            PrintedChange::SubjectsUpdated => "subjects updated",
            PrintedChange::ServerSideApplied => "serverside-applied",
            PrintedChange::Tainted => "tainted",
            PrintedChange::Untainted => "untainted",
            PrintedChange::Cordoned => "cordoned",
            PrintedChange::AlreadyCordoned => "already cordoned",
            PrintedChange::Uncordoned => "uncordoned",
            PrintedChange::AlreadyUncordoned => "already uncordoned",
            PrintedChange::Drained => "drained",
            PrintedChange::Evicting => "evicting",
            PrintedChange::EvictionStarted => "eviction started",
            PrintedChange::Evicted => "evicted",
            PrintedChange::EvictionFailed => "eviction failed",
            PrintedChange::DeletionStarted => "deletion started",
            PrintedChange::DeletionFailed => "deletion failed",
            PrintedChange::Exposed => "exposed",
            PrintedChange::Autoscaled => "autoscaled",
            PrintedChange::Reconciled => "reconciled",
            PrintedChange::Approved => "approved",
            PrintedChange::Denied => "denied",
            PrintedChange::ConditionMet => "condition met",
        }
    }

    /// True when the object is gone afterwards (deleted, pruned, evicted).
    pub fn removes(self) -> bool {
        matches!(
            self,
            PrintedChange::Deleted | PrintedChange::Pruned | PrintedChange::Evicted
        )
    }

    /// True when nothing changed (unchanged, patched (no change), already cordoned, a failed
    /// eviction, a met condition...).
    pub fn no_change(self) -> bool {
        matches!(
            self,
            PrintedChange::Unchanged
                | PrintedChange::PatchedNoChange
                | PrintedChange::NotLabeled
                | PrintedChange::Skipped
                | PrintedChange::RollbackSkipped
                | PrintedChange::AlreadyPaused
                | PrintedChange::AlreadyResumed
                | PrintedChange::AlreadyCordoned
                | PrintedChange::AlreadyUncordoned
                | PrintedChange::EvictionFailed
                | PrintedChange::DeletionFailed
                | PrintedChange::ConditionMet
        )
    }

    /// The change whose printed operation is exactly `op`, with whether it was a force delete.
    /// `evicting` is not an operation (it only starts drain's own line).
    fn from_operation(op: &str) -> Option<(PrintedChange, bool)> {
        if op == "force deleted" {
            return Some((PrintedChange::Deleted, true));
        }
        // rollback.go: "skipped rollback (current template already matches revision %d)".
        if let Some(rest) = op.strip_prefix("skipped rollback") {
            return is_revision_note(rest).then_some((PrintedChange::RollbackSkipped, false));
        }
        PrintedChange::ALL
            .iter()
            .copied()
            .filter(|c| *c != PrintedChange::Evicting)
            .find(|c| c.word() == op)
            .map(|c| (c, false))
    }
}

/// Which dry run a line's suffix names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintedDryRun {
    /// ` (dry run)`: `--dry-run=client` (or `--dry-run`).
    Client,
    /// ` (server dry run)`: `--dry-run=server`.
    Server,
}

/// One object line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedObject {
    /// The resource as printed, lower case: "deployment.apps", "pod",
    /// "networkpolicy.networking.k8s.io", "node". (kubectl prints the lower-case kind, with
    /// its group when it has one.)
    pub resource: String,
    pub name: String,
    /// Namespace when the line names it (`pod "x" deleted from default namespace`,
    /// `evicting pod ns/name`), else None.
    pub namespace: Option<String>,
    pub change: PrintedChange,
    pub dry_run: Option<PrintedDryRun>,
    /// `force deleted`.
    pub force: bool,
    /// 1-based line number in the text.
    pub line: usize,
}

/// Every object line kubectl printed in `text` (other lines ignored: warnings, tables, YAML,
/// errors).
///
/// Every line is looked at as bytes, by what it ends with ([`may_end_an_object_line`]) and
/// whether it holds `evicting` (one search of the whole text); only the few lines that pass
/// are cut out and filtered further. The lines and their numbers are those of [`lines`].
pub fn kubectl_objects(text: &str) -> Vec<PrintedObject> {
    // Drain's lines start with `evicting`: where it occurs, found by one search.
    static EVICTING: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| {
            memchr::memmem::Finder::new(PrintedChange::Evicting.word().as_bytes())
        });
    let bytes = text.as_bytes();
    // Escape codes are rare: looked for once in the whole text, not in each line.
    let escapes = memchr::memchr(0x1b, bytes).is_some();
    let mut evicting = EVICTING.find_iter(bytes).peekable();
    let (_, last) = last_tokens();
    let mut out = Vec::new();
    for (i, (start, end)) in line_ranges(text).enumerate() {
        let mut holds_evicting = false;
        while evicting.next_if(|at| *at < end).is_some() {
            holds_evicting = true;
        }
        if holds_evicting || escapes || may_end_an_object_line(&bytes[start..end], last) {
            let raw = &text[start..end];
            if may_be_object_line(raw, escapes)
                && let Some(o) = parse_object_line(&clean_line(raw), i + 1)
            {
                out.push(o);
            }
        }
    }
    out
}

/// A cheap necessary condition for [`ends_as_an_object_line`] of a line trimmed at its end, on
/// the line's bytes: the last byte before trailing ASCII whitespace is `)`, the last byte of an
/// operation's last token (`last`, from [`last_tokens`]), or not ASCII (it may end Unicode
/// whitespace, which `trim_end` also trims).
fn may_end_an_object_line(line: &[u8], last: &[bool; 256]) -> bool {
    match line
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
    {
        Some(&b) => b == b')' || !b.is_ascii() || last[usize::from(b)],
        None => false,
    }
}

/// The lines of `text` as [`str::lines`] gives them (a `\r` before a `\n` dropped, no empty
/// last line), found with one vectorized search instead of a search per line.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    line_ranges(text).map(|(start, end)| &text[start..end])
}

/// Where each of [`lines`] starts and ends in `text` (byte offsets, at character boundaries:
/// next to a `\n` or a `\r`, or at either end of `text`).
fn line_ranges(text: &str) -> LineRanges<'_> {
    LineRanges {
        bytes: text.as_bytes(),
        start: 0,
        newlines: memchr::memchr_iter(b'\n', text.as_bytes()),
    }
}

/// The iterator of [`line_ranges`].
struct LineRanges<'a> {
    bytes: &'a [u8],
    /// Where the next line starts.
    start: usize,
    newlines: memchr::Memchr<'a>,
}

impl Iterator for LineRanges<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let start = self.start;
        if start >= self.bytes.len() {
            return None;
        }
        let end = match self.newlines.next() {
            Some(newline) => {
                self.start = newline + 1;
                // A `\r` before the `\n` is part of the line ending.
                if newline > start && self.bytes[newline - 1] == b'\r' {
                    newline - 1
                } else {
                    newline
                }
            }
            None => {
                self.start = self.bytes.len();
                self.bytes.len()
            }
        };
        Some((start, end))
    }
}

/// A cheap necessary condition for [`parse_object_line`] to accept `clean_line(raw)`: every
/// object line ends with an operation word, `namespace` (delete.go's `from <ns> namespace`) or
/// a `)` (a dry-run suffix, a rollback note), or starts with `evicting`; a line with an escape
/// code is always parsed (`escapes`: the text may hold one). Most lines of a read result (YAML,
/// tables, describe output, logs) fail it without being cleaned or split.
fn may_be_object_line(raw: &str, escapes: bool) -> bool {
    ends_as_an_object_line(raw.trim_end())
        || starts_evicting(raw)
        || escapes && memchr::memchr(0x1b, raw.as_bytes()).is_some()
}

/// Whether `line` (trimmed at its end, as `clean_line` trims: Unicode whitespace too) ends with
/// the last word of an operation, with `namespace` or with `)`: its last byte first, then its
/// last space-separated token.
fn ends_as_an_object_line(line: &str) -> bool {
    let (tokens, last) = last_tokens();
    match line.as_bytes().last() {
        Some(b')') => true,
        Some(&b) if last[usize::from(b)] => {
            let token = line.rsplit(' ').next().unwrap_or(line);
            tokens.binary_search(&token).is_ok()
        }
        _ => false,
    }
}

/// The last tokens of the operation words, of `force deleted` and of delete.go's `from <ns>
/// namespace`, sorted, and the bytes they end with.
fn last_tokens() -> &'static (Vec<&'static str>, [bool; 256]) {
    static LAST: std::sync::LazyLock<(Vec<&'static str>, [bool; 256])> =
        std::sync::LazyLock::new(|| {
            let mut tokens: Vec<&'static str> = PrintedChange::ALL
                .iter()
                .map(|c| c.word())
                .chain(["force deleted", "namespace"])
                .filter_map(|w| w.rsplit(' ').next())
                .collect();
            tokens.sort_unstable();
            tokens.dedup();
            let mut last = [false; 256];
            for b in tokens.iter().filter_map(|t| t.as_bytes().last()) {
                last[usize::from(*b)] = true;
            }
            (tokens, last)
        });
    &LAST
}

/// Whether `raw`, without its leading whitespace, starts with `evicting` (drain.go). Indentation
/// is skipped a byte at a time; other whitespace as `trim_start` reads it.
fn starts_evicting(raw: &str) -> bool {
    let indent = raw
        .bytes()
        .position(|b| b != b' ' && b != b'\t')
        .unwrap_or(raw.len());
    let rest = &raw[indent..];
    match rest.as_bytes().first() {
        Some(b'e') => rest.starts_with("evicting"),
        Some(b) if b.is_ascii_whitespace() || *b >= 0x80 => {
            rest.trim_start().starts_with("evicting")
        }
        _ => false,
    }
}

/// Helm's release messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelmPrinted {
    /// A `NAME: x` block with `STATUS: deployed` not announced as an upgrade (helm install,
    /// or helm upgrade --install of a new release). `helm status` prints the same block, so
    /// only read this from install/upgrade output.
    Installed { release: String },
    /// `Release "x" has been upgraded. Happy Helming!` (also printed on a dry run).
    Upgraded { release: String },
    /// `release "x" uninstalled` (also printed on a dry run).
    Uninstalled { release: String },
    /// `Rollback was a success! Happy Helming!`; helm does not name the release there.
    RolledBack { release: Option<String> },
    /// `DESCRIPTION: Dry run complete`: the install or upgrade was a dry run.
    DryRun,
}

/// Helm's release messages in `text`, in order.
pub fn helm_messages(text: &str) -> Vec<HelmPrinted> {
    // status.go prints NAME, [LAST DEPLOYED], NAMESPACE, STATUS: STATUS is at most this many
    // lines after NAME. (`helm get metadata` puts STATUS further away and is not an install.)
    const STATUS_WITHIN: usize = 3;

    let mut out = Vec::new();
    // The release announced as upgraded, whose status block follows and is not an install.
    let mut upgraded: Option<String> = None;
    // The release of the last `NAME:` line and its line index.
    let mut block: Option<(String, usize)> = None;

    for (i, raw) in text.lines().enumerate() {
        let line = clean_line(raw);
        let line = &*line;
        if let Some(release) =
            quoted_between(line, "Release \"", "\" has been upgraded. Happy Helming!")
        {
            upgraded = Some(release.to_string());
            out.push(HelmPrinted::Upgraded {
                release: release.to_string(),
            });
        } else if let Some(release) = quoted_between(line, "release \"", "\" uninstalled") {
            out.push(HelmPrinted::Uninstalled {
                release: release.to_string(),
            });
        } else if line == "Rollback was a success! Happy Helming!" {
            out.push(HelmPrinted::RolledBack { release: None });
        } else if line == "DESCRIPTION: Dry run complete" {
            out.push(HelmPrinted::DryRun);
        } else if let Some(name) = line.strip_prefix("NAME: ") {
            block = valid_release(name).then(|| (name.to_string(), i));
        } else if let Some(status) = line.strip_prefix("STATUS: ") {
            let Some((name, at)) = block.take() else {
                continue;
            };
            if i - at > STATUS_WITHIN {
                continue;
            }
            if upgraded.as_deref() == Some(name.as_str()) {
                // The status block of an upgrade.
                upgraded = None;
            } else if status == "deployed" {
                out.push(HelmPrinted::Installed { release: name });
            }
        }
    }
    out
}

/// One line, parsed; None unless it is exactly one of kubectl's object forms.
fn parse_object_line(line: &str, number: usize) -> Option<PrintedObject> {
    let (body, dry_run) = split_dry_run(line);
    let object = |resource: &str, name: &str, namespace: Option<&str>, change, force| {
        Some(PrintedObject {
            resource: resource.to_string(),
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            change,
            dry_run,
            force,
            line: number,
        })
    };

    // drain.go: "evicting pod <ns>/<name>".
    if let Some(target) = body.strip_prefix("evicting pod ") {
        let (namespace, name) = namespaced_name(target)?;
        return object("pod", name, Some(namespace), PrintedChange::Evicting, false);
    }

    let (head, rest) = body.split_once(' ')?;

    // delete.go (and kubectl before 1.11): `<resource> "<name>" <operation>`.
    if let Some(quoted) = rest.strip_prefix('"') {
        if !valid_resource(head) {
            return None;
        }
        let (name, after) = quoted.split_once('"')?;
        let op = after.strip_prefix(' ')?;
        if !valid_name(name) {
            return None;
        }
        // delete.go since kubectl 1.34: "deleted from <ns> namespace".
        if let Some((op, namespace)) = op
            .strip_suffix(" namespace")
            .and_then(|s| s.rsplit_once(" from "))
            && let Some((change @ PrintedChange::Deleted, force)) =
                PrintedChange::from_operation(op)
            && valid_namespace(namespace)
        {
            return object(head, name, Some(namespace), change, force);
        }
        let (change, force) = PrintedChange::from_operation(op)?;
        return object(head, name, None, change, force);
    }

    // drain.go's fallback when its printer fails: "pod <ns>/<name> <verb>".
    if head == "pod" {
        let (target, op) = rest.split_once(' ')?;
        let (namespace, name) = namespaced_name(target)?;
        let (change, _) = PrintedChange::from_operation(op)?;
        let drain_verb = matches!(
            change,
            PrintedChange::Evicted
                | PrintedChange::EvictionFailed
                | PrintedChange::EvictionStarted
                | PrintedChange::Deleted
                | PrintedChange::DeletionFailed
                | PrintedChange::DeletionStarted
        );
        return if drain_verb {
            object("pod", name, Some(namespace), change, false)
        } else {
            None
        };
    }

    // name.go: `<resource>/<name> <operation>`.
    let (resource, name) = head.split_once('/')?;
    if !valid_resource(resource) || !valid_name(name) {
        return None;
    }
    let (change, force) = PrintedChange::from_operation(rest)?;
    object(resource, name, None, change, force)
}

/// The line without surrounding whitespace (and a trailing `\r`) and without ANSI SGR codes
/// (helm colours STATUS on a terminal).
fn clean_line(raw: &str) -> std::borrow::Cow<'_, str> {
    // Most lines hold no escape: the line itself, trimmed (no copy).
    if !raw.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(raw.trim());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters, then one final byte in '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out.trim().to_string())
}

/// The line without its dry-run suffix, and which dry run the suffix named.
fn split_dry_run(line: &str) -> (&str, Option<PrintedDryRun>) {
    if let Some(body) = line.strip_suffix(" (server dry run)") {
        (body, Some(PrintedDryRun::Server))
    } else if let Some(body) = line.strip_suffix(" (dry run)") {
        (body, Some(PrintedDryRun::Client))
    } else {
        (line, None)
    }
}

/// Empty, or rollback.go's " (current template already matches revision N)".
fn is_revision_note(rest: &str) -> bool {
    rest.is_empty()
        || rest
            .strip_prefix(" (current template already matches revision ")
            .and_then(|s| s.strip_suffix(')'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `<ns>/<name>` split, when both parts are valid.
fn namespaced_name(target: &str) -> Option<(&str, &str)> {
    let (namespace, name) = target.split_once('/')?;
    (valid_namespace(namespace) && valid_name(name)).then_some((namespace, name))
}

/// `<kind>[.<group>]`: a lower-case kind (letters then letters or digits) and an optional
/// DNS-subdomain group.
fn valid_resource(s: &str) -> bool {
    let (kind, group) = match s.split_once('.') {
        Some((kind, group)) => (kind, Some(group)),
        None => (s, None),
    };
    let mut bytes = kind.bytes();
    let kind_ok = bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    kind_ok && group.is_none_or(valid_subdomain)
}

/// An object name: up to 253 characters, starting with a letter or digit, then letters,
/// digits and `-._:@` (RBAC names such as `system:node` have colons). No spaces, slashes or
/// quotes.
fn valid_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= 253
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"-._:@".contains(&b))
}

/// A namespace: a DNS label.
fn valid_namespace(s: &str) -> bool {
    valid_label(s)
}

/// A helm release name: a DNS subdomain of at most 53 characters.
fn valid_release(s: &str) -> bool {
    s.len() <= 53 && valid_subdomain(s)
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
fn valid_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(valid_label)
}

/// A DNS-1123 label: 1 to 63 lower-case letters, digits and `-`, not starting or ending
/// with `-`.
fn valid_label(s: &str) -> bool {
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| ok(b) || b == b'-')
        && s.bytes().next().is_some_and(ok)
        && s.bytes().last().is_some_and(ok)
}

/// The text between `prefix` and `suffix` when `line` is exactly `prefix`, a release name,
/// `suffix`.
fn quoted_between<'a>(line: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let release = line.strip_prefix(prefix)?.strip_suffix(suffix)?;
    valid_release(release).then_some(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The prefilter never drops a line the parser would take: lines built from object
        /// forms, every operation word, dry-run suffixes, escape codes and odd whitespace.
        #[test]
        fn the_prefilter_keeps_every_object_line(
            head in proptest::sample::select(vec![
                "deployment.apps/web", "pod \"x\"", "pod ns/x", "evicting pod ns/x",
                "evicting", "networkpolicy.networking.k8s.io/deny", "node/n1", "", "name:",
            ]),
            change in proptest::sample::select(PrintedChange::ALL.to_vec()),
            suffix in proptest::sample::select(vec![
                "", " (dry run)", " (server dry run)", " from default namespace",
                " (current template already matches revision 3)", "x",
            ]),
            pad in proptest::sample::select(vec!["", " ", "\r", "\u{a0}", "\u{1b}[0m", "\t "]),
            force in proptest::bool::ANY,
        ) {
            let word = if force { "force deleted" } else { change.word() };
            for raw in [
                format!("{pad}{head} {word}{suffix}{pad}"),
                format!("{head}{pad} {word}{suffix}"),
                format!("{head} {word}{suffix}"),
                format!("{pad}{head}{suffix}{pad}"),
            ] {
                if parse_object_line(&clean_line(&raw), 1).is_some() {
                    proptest::prop_assert!(may_be_object_line(&raw, raw.contains('\u{1b}')), "{:?}", raw);
                }
            }
        }
    }

    proptest::proptest! {
        /// The lines and their numbers are those of `str::lines`, and the filter keeps every
        /// object line: the objects are those of parsing every line.
        #[test]
        fn objects_are_those_of_parsing_every_line(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "deployment.apps/web created", "pod \"x\" deleted", "  evicting pod ns/x",
                "pod/a configured (dry run)", "name: web", "  image: nginx", "", "\r", " ",
                "\u{a0}node/n1 cordoned\u{a0}", "\u{1b}[1mpod/b created\u{1b}[0m", "x)",
                "service/s unchanged\r", "web-1   1/1   Running", "\u{2003}evicting pod a/b",
                "pod/c created\u{b}", "pod/d deleted\u{c} ", "pod/e created x", "ed", ")",
                "deployment.apps/web rolled back", "pod/f condition met\u{3000}", "\r\r",
                "evicting", "pod/x evicting", "node/n1 drained\t", "é", "pod/g créé",
            ]), 0..12),
            seps in proptest::collection::vec(proptest::sample::select(vec!["\n", "\r\n", ""]), 12),
        ) {
            let text: String = parts
                .iter()
                .zip(&seps)
                .map(|(p, s)| format!("{p}{s}"))
                .collect();
            let every: Vec<PrintedObject> = text
                .lines()
                .enumerate()
                .filter_map(|(i, raw)| parse_object_line(&clean_line(raw), i + 1))
                .collect();
            proptest::prop_assert_eq!(kubectl_objects(&text), every);
            proptest::prop_assert_eq!(lines(&text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());
        }
    }

    /// Over every text of the real recordings and the fixtures, the objects are those of
    /// parsing every line (what the line filter lets through loses nothing).
    #[test]
    fn objects_of_the_recorded_texts_are_those_of_parsing_every_line() {
        let Some(real) = crate::testdata::shared_data(
            "objects_of_the_recorded_texts_are_those_of_parsing_every_line",
            "real",
        ) else {
            return;
        };
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let texts = crate::testdata::recorded_strings(&[real, fixtures], |_| true);
        let mut found = 0;
        for text in &texts {
            let every: Vec<PrintedObject> = text
                .lines()
                .enumerate()
                .filter_map(|(i, raw)| parse_object_line(&clean_line(raw), i + 1))
                .collect();
            let shown: String = text.chars().take(300).collect();
            assert_eq!(
                kubectl_objects(text),
                every,
                "in the text starting {shown:?}"
            );
            found += every.len();
        }
        // The recordings do hold object lines (kubectl's answers to the agents' changes).
        assert!(
            texts.len() > 10_000 && found > 100,
            "{} texts, {found} objects",
            texts.len()
        );
    }

    fn one(line: &str) -> PrintedObject {
        let objects = kubectl_objects(line);
        assert_eq!(
            objects.len(),
            1,
            "expected one object from {line:?}: {objects:?}"
        );
        objects[0].clone()
    }

    fn none(line: &str) {
        let objects = kubectl_objects(line);
        assert!(
            objects.is_empty(),
            "expected nothing from {line:?}: {objects:?}"
        );
    }

    fn object(resource: &str, name: &str, change: PrintedChange) -> PrintedObject {
        PrintedObject {
            resource: resource.to_string(),
            name: name.to_string(),
            namespace: None,
            change,
            dry_run: None,
            force: false,
            line: 1,
        }
    }

    #[test]
    fn every_word_parses_in_the_name_form() {
        for change in PrintedChange::ALL {
            if change == PrintedChange::Evicting {
                continue;
            }
            let line = format!("deployment.apps/web {}", change.word());
            assert_eq!(one(&line).change, change, "{line}");
        }
    }

    #[test]
    fn words_are_unique() {
        for (i, a) in PrintedChange::ALL.iter().enumerate() {
            for b in &PrintedChange::ALL[i + 1..] {
                assert_ne!(a.word(), b.word());
            }
        }
    }

    #[test]
    fn apply_output() {
        let text = "namespace/shop unchanged\n\
                    configmap/web-config created\n\
                    deployment.apps/web configured\n\
                    networkpolicy.networking.k8s.io/deny-all created\n";
        let objects = kubectl_objects(text);
        assert_eq!(objects.len(), 4);
        assert_eq!(
            objects[0],
            object("namespace", "shop", PrintedChange::Unchanged)
        );
        assert_eq!(objects[1].resource, "configmap");
        assert_eq!(objects[1].line, 2);
        assert_eq!(objects[2].resource, "deployment.apps");
        assert_eq!(objects[2].change, PrintedChange::Configured);
        assert_eq!(objects[3].resource, "networkpolicy.networking.k8s.io");
        assert_eq!(objects[3].name, "deny-all");
        assert_eq!(objects[3].line, 4);
    }

    #[test]
    fn server_side_apply_and_prune() {
        assert_eq!(
            one("deployment.apps/web serverside-applied").change,
            PrintedChange::ServerSideApplied
        );
        let pruned = one("service/old-web pruned");
        assert_eq!(pruned.change, PrintedChange::Pruned);
        assert!(pruned.change.removes());
    }

    #[test]
    fn dry_run_suffixes() {
        let client = one("deployment.apps/web created (dry run)");
        assert_eq!(client.change, PrintedChange::Created);
        assert_eq!(client.dry_run, Some(PrintedDryRun::Client));
        let server = one("deployment.apps/web configured (server dry run)");
        assert_eq!(server.change, PrintedChange::Configured);
        assert_eq!(server.dry_run, Some(PrintedDryRun::Server));
        assert_eq!(one("deployment.apps/web configured").dry_run, None);
    }

    #[test]
    fn delete_forms() {
        let plain = one(r#"deployment.apps "web" deleted"#);
        assert_eq!(
            plain,
            object("deployment.apps", "web", PrintedChange::Deleted)
        );
        assert!(plain.change.removes());

        let force = one(r#"pod "web-7d4b9c-x2x" force deleted"#);
        assert_eq!(force.resource, "pod");
        assert_eq!(force.change, PrintedChange::Deleted);
        assert!(force.force);

        let cluster = one(r#"namespace "shop" deleted"#);
        assert_eq!(cluster.namespace, None);
    }

    #[test]
    fn namespaced_delete_since_1_34() {
        let d = one(r#"replicationcontroller "redis-master" deleted from test-specific namespace"#);
        assert_eq!(d.resource, "replicationcontroller");
        assert_eq!(d.name, "redis-master");
        assert_eq!(d.namespace.as_deref(), Some("test-specific"));
        assert_eq!(d.change, PrintedChange::Deleted);
        assert!(!d.force);

        let f = one(r#"pod "x" force deleted from default namespace"#);
        assert!(f.force);
        assert_eq!(f.namespace.as_deref(), Some("default"));

        let dry = one(r#"deployment.apps "web" deleted from shop namespace (server dry run)"#);
        assert_eq!(dry.namespace.as_deref(), Some("shop"));
        assert_eq!(dry.dry_run, Some(PrintedDryRun::Server));

        let client = one(r#"pod "x" deleted from default namespace (dry run)"#);
        assert_eq!(client.dry_run, Some(PrintedDryRun::Client));
    }

    #[test]
    fn namespace_suffix_only_on_delete() {
        none(r#"pod "x" created from default namespace"#);
        none(r#"pod "x" deleted from Default namespace"#);
        none(r#"pod "x" deleted from  namespace"#);
    }

    #[test]
    fn old_quoted_forms() {
        let d = one(r#"deployment "nginx" created"#);
        assert_eq!(d, object("deployment", "nginx", PrintedChange::Created));
        assert_eq!(
            one(r#"deployment "nginx" image updated"#).change,
            PrintedChange::ImageUpdated
        );
        assert_eq!(
            one(r#"service "nginx" exposed"#).change,
            PrintedChange::Exposed
        );
    }

    #[test]
    fn patch() {
        assert_eq!(
            one("deployment.apps/web patched").change,
            PrintedChange::Patched
        );
        let no_change = one("deployment.apps/web patched (no change)");
        assert_eq!(no_change.change, PrintedChange::PatchedNoChange);
        assert!(no_change.change.no_change());
        let dry = one("deployment.apps/web patched (no change) (dry run)");
        assert_eq!(dry.change, PrintedChange::PatchedNoChange);
        assert_eq!(dry.dry_run, Some(PrintedDryRun::Client));
    }

    #[test]
    fn replace_scale_expose_autoscale() {
        assert_eq!(one("pod/web replaced").change, PrintedChange::Replaced);
        assert_eq!(
            one("deployment.apps/web scaled").change,
            PrintedChange::Scaled
        );
        assert_eq!(
            one("statefulset.apps/db scaled (server dry run)").dry_run,
            Some(PrintedDryRun::Server)
        );
        assert_eq!(one("service/web exposed").change, PrintedChange::Exposed);
        let hpa = one("horizontalpodautoscaler.autoscaling/web autoscaled");
        assert_eq!(hpa.resource, "horizontalpodautoscaler.autoscaling");
        assert_eq!(hpa.change, PrintedChange::Autoscaled);
    }

    #[test]
    fn replace_force_prints_delete_then_replace() {
        let text = "pod \"web\" deleted from default namespace\npod/web replaced\n";
        let objects = kubectl_objects(text);
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].change, PrintedChange::Deleted);
        assert_eq!(objects[1].change, PrintedChange::Replaced);
        assert_eq!(objects[1].line, 2);
    }

    #[test]
    fn label_and_annotate() {
        assert_eq!(one("pod/web labeled").change, PrintedChange::Labeled);
        assert_eq!(one("pod/web unlabeled").change, PrintedChange::Unlabeled);
        let not = one("pod/web not labeled");
        assert_eq!(not.change, PrintedChange::NotLabeled);
        assert!(not.change.no_change());
        assert_eq!(one("pod/web modified").change, PrintedChange::Modified);
        assert_eq!(
            one("deployment.apps/web annotated (dry run)").change,
            PrintedChange::Annotated
        );
    }

    #[test]
    fn taint() {
        assert_eq!(one("node/worker-1 tainted").change, PrintedChange::Tainted);
        assert_eq!(
            one("node/worker-1 untainted").change,
            PrintedChange::Untainted
        );
        assert_eq!(
            one("node/worker-1 modified").change,
            PrintedChange::Modified
        );
    }

    #[test]
    fn rollout() {
        assert_eq!(
            one("deployment.apps/web restarted").change,
            PrintedChange::Restarted
        );
        assert_eq!(
            one("deployment.apps/web rolled back").change,
            PrintedChange::RolledBack
        );
        assert_eq!(
            one("daemonset.apps/agent rolled back (server dry run)").dry_run,
            Some(PrintedDryRun::Server)
        );
        let skipped = one(
            "deployment.apps/web skipped rollback (current template already matches revision 3)",
        );
        assert_eq!(skipped.change, PrintedChange::RollbackSkipped);
        assert!(skipped.change.no_change());
        none("deployment.apps/web skipped rollback (current template already matches revision x)");
        assert_eq!(
            one("deployment.apps/web paused").change,
            PrintedChange::Paused
        );
        assert!(one("deployment.apps/web already paused").change.no_change());
        assert_eq!(
            one("deployment.apps/web resumed").change,
            PrintedChange::Resumed
        );
        assert!(
            one("deployment.apps/web already resumed")
                .change
                .no_change()
        );
    }

    #[test]
    fn rollout_status_is_not_a_change() {
        none(r#"deployment "web" successfully rolled out"#);
        none(
            r#"Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available..."#,
        );
    }

    #[test]
    fn set_commands() {
        let cases = [
            (
                "deployment.apps/web image updated",
                PrintedChange::ImageUpdated,
            ),
            ("deployment.apps/web env updated", PrintedChange::EnvUpdated),
            (
                "deployment.apps/web resource requirements updated",
                PrintedChange::ResourcesUpdated,
            ),
            (
                "service/web selector updated",
                PrintedChange::SelectorUpdated,
            ),
            (
                "deployment.apps/web serviceaccount updated",
                PrintedChange::ServiceAccountUpdated,
            ),
            (
                "rolebinding.rbac.authorization.k8s.io/admin subjects updated",
                PrintedChange::SubjectsUpdated,
            ),
        ];
        for (line, change) in cases {
            assert_eq!(one(line).change, change, "{line}");
        }
    }

    #[test]
    fn edit() {
        assert_eq!(
            one("deployment.apps/web edited").change,
            PrintedChange::Edited
        );
        let skipped = one("deployment.apps/web skipped");
        assert_eq!(skipped.change, PrintedChange::Skipped);
        assert!(skipped.change.no_change());
        none("Edit cancelled, no changes made.");
    }

    #[test]
    fn cordon_and_uncordon() {
        assert_eq!(
            one("node/worker-1 cordoned").change,
            PrintedChange::Cordoned
        );
        assert_eq!(
            one("node/worker-1 uncordoned").change,
            PrintedChange::Uncordoned
        );
        let already = one("node/worker-1 already cordoned");
        assert_eq!(already.change, PrintedChange::AlreadyCordoned);
        assert!(already.change.no_change());
        assert!(one("node/worker-1 already uncordoned").change.no_change());
        assert_eq!(
            one("node/worker-1 cordoned (server dry run)").dry_run,
            Some(PrintedDryRun::Server)
        );
    }

    #[test]
    fn drain_output() {
        let text = "node/worker-1 cordoned\n\
                    Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-abcde\n\
                    evicting pod shop/web-7d4b9c-x2x\n\
                    evicting pod kube-system/coredns-5d78c9869d-abcde\n\
                    pod/web-7d4b9c-x2x evicted\n\
                    pod/coredns-5d78c9869d-abcde evicted\n\
                    node/worker-1 drained\n";
        let objects = kubectl_objects(text);
        let changes: Vec<_> = objects.iter().map(|o| o.change).collect();
        assert_eq!(
            changes,
            [
                PrintedChange::Cordoned,
                PrintedChange::Evicting,
                PrintedChange::Evicting,
                PrintedChange::Evicted,
                PrintedChange::Evicted,
                PrintedChange::Drained,
            ]
        );
        assert_eq!(objects[1].resource, "pod");
        assert_eq!(objects[1].name, "web-7d4b9c-x2x");
        assert_eq!(objects[1].namespace.as_deref(), Some("shop"));
        assert_eq!(objects[1].line, 3);
        assert!(!objects[1].change.removes());
        assert!(objects[3].change.removes());
        assert_eq!(objects[3].namespace, None);
        assert_eq!(objects[5].line, 7);
    }

    #[test]
    fn drain_dry_runs_and_failures() {
        let client = one("evicting pod shop/web-1 (dry run)");
        assert_eq!(client.change, PrintedChange::Evicting);
        assert_eq!(client.dry_run, Some(PrintedDryRun::Client));
        let server = one("evicting pod shop/web-1 (server dry run)");
        assert_eq!(server.dry_run, Some(PrintedDryRun::Server));
        let failed = one("pod/web-1 eviction failed");
        assert_eq!(failed.change, PrintedChange::EvictionFailed);
        assert!(failed.change.no_change());
        assert_eq!(one("pod/web-1 deleted").change, PrintedChange::Deleted);
        assert_eq!(
            one("pod/web-1 eviction started").change,
            PrintedChange::EvictionStarted
        );
        none("evicting pod web-1");
        none("evicting pod Shop/web-1");
    }

    #[test]
    fn drain_printer_fallback() {
        let e = one("pod shop/web-1 evicted");
        assert_eq!(e.namespace.as_deref(), Some("shop"));
        assert_eq!(e.name, "web-1");
        assert_eq!(e.change, PrintedChange::Evicted);
        assert_eq!(
            one("pod shop/web-1 deletion failed").change,
            PrintedChange::DeletionFailed
        );
        none("pod shop/web-1 created");
    }

    #[test]
    fn other_commands() {
        assert_eq!(
            one("clusterrole.rbac.authorization.k8s.io/system:aggregate-to-edit reconciled").name,
            "system:aggregate-to-edit"
        );
        assert_eq!(
            one("certificatesigningrequest.certificates.k8s.io/csr-8b2x approved").change,
            PrintedChange::Approved
        );
        assert_eq!(
            one("certificatesigningrequest.certificates.k8s.io/csr-8b2x denied").change,
            PrintedChange::Denied
        );
        let met = one("pod/web-1 condition met");
        assert_eq!(met.change, PrintedChange::ConditionMet);
        assert!(met.change.no_change());
    }

    #[test]
    fn crd_resources() {
        let c = one("certificate.cert-manager.io/web-tls created");
        assert_eq!(c.resource, "certificate.cert-manager.io");
        let k = one("ec2nodeclass.karpenter.k8s.aws/default configured");
        assert_eq!(k.resource, "ec2nodeclass.karpenter.k8s.aws");
    }

    #[test]
    fn mixed_output_with_errors_and_warnings() {
        let text = "Warning: resource deployments/web is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by kubectl apply.\r\n\
                    deployment.apps/web configured\r\n\
                    Error from server (NotFound): deployments.apps \"x\" not found\r\n\
                    Error from server (AlreadyExists): error when creating \"fix.yaml\": services \"web\" already exists\r\n\
                    The Deployment \"web\" is invalid: spec.template.spec.containers[0].image: Required value\r\n\
                    error: unable to recognize \"fix.yaml\": no matches for kind \"Foo\" in version \"v1\"\r\n\
                    \x20\x20service/web created   \r\n";
        let objects = kubectl_objects(text);
        assert_eq!(objects.len(), 2, "{objects:?}");
        assert_eq!(objects[0].line, 2);
        assert_eq!(objects[0].change, PrintedChange::Configured);
        assert_eq!(objects[1].resource, "service");
        assert_eq!(objects[1].line, 7);
    }

    #[test]
    fn errors_do_not_match() {
        none(r#"Error from server (NotFound): deployments.apps "x" not found"#);
        none(r#"Error from server (NotFound): pods "web" not found"#);
        none("error: the server doesn't have a resource type \"deploy\"");
        none(
            "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated.",
        );
        none("No resources found in default namespace.");
    }

    /// Lines that end in whitespace `trim_end` trims but the byte look at line ends must also
    /// skip or let through (a vertical tab, a form feed, Unicode spaces), numbered as
    /// `str::lines` numbers them, `\r\n` and bare `\r` included.
    #[test]
    fn lines_ending_in_any_whitespace_are_read() {
        assert_eq!(one("pod/c created\u{b}").change, PrintedChange::Created);
        assert_eq!(one("pod/d deleted\u{c} ").change, PrintedChange::Deleted);
        assert_eq!(
            one("pod/f condition met\u{3000}").change,
            PrintedChange::ConditionMet
        );
        assert_eq!(
            one("node/n1 cordoned\u{a0}\u{2003}").change,
            PrintedChange::Cordoned
        );
        let text =
            "NAME   READY\r\n\r\nweb   1/1\rpod/a created\r\n  evicting pod ns/b\npod/c labeled";
        let lines: Vec<(usize, String)> = kubectl_objects(text)
            .into_iter()
            .map(|o| (o.line, o.name))
            .collect();
        assert_eq!(lines, [(4, "b".to_string()), (5, "c".to_string())]);
        assert_eq!(
            super::lines(text).collect::<Vec<_>>(),
            text.lines().collect::<Vec<_>>()
        );
    }

    #[test]
    fn tables_do_not_match() {
        none("NAME                   READY   STATUS    RESTARTS   AGE");
        none("web-7d4b9c-x2x         1/1     Running   0          5m");
        none("deployment.apps/web   3/3     3            3           10d");
        none("pod/web-7d4b9c-x2x   1/1     Running   0          5m");
        none("pod/web   created");
    }

    #[test]
    fn yaml_and_json_do_not_match() {
        let text = "apiVersion: apps/v1\n\
                    kind: Deployment\n\
                    metadata:\n\
                    \x20 name: web\n\
                    \x20 namespace: shop\n\
                    {\n\
                    \x20   \"name\": \"web\",\n\
                    \x20   \"status\": \"created\"\n\
                    }\n";
        assert!(kubectl_objects(text).is_empty());
        none("name: web");
    }

    #[test]
    fn names_without_operation_do_not_match() {
        none("deployment.apps/web");
        none("pod/web-1");
        none(r#"pod "web""#);
        none("deployment.apps/web configured.");
        none("deployment.apps/web created and configured");
        none("deployment.apps/web evicting");
    }

    #[test]
    fn malformed_resources_and_names_do_not_match() {
        none("Deployment.apps/web created");
        none("deployment.Apps/web created");
        none("deployment..apps/web created");
        none("deployment.apps-/web created");
        none("/web created");
        none("deployment.apps/ created");
        none("deployment.apps/-web created");
        none("deployment.apps/a/b created");
        none(r#"deployment.apps "we b" deleted"#);
        none(r#"deployment.apps "" deleted"#);
        none(r#"deployment.apps  "web" deleted"#);
        none("deployment.apps/web  created");
    }

    #[test]
    fn ansi_codes_are_stripped() {
        let o = one("\u{1b}[32mdeployment.apps/web created\u{1b}[0m");
        assert_eq!(o.name, "web");
    }

    #[test]
    fn removes_and_no_change() {
        assert!(PrintedChange::Deleted.removes());
        assert!(PrintedChange::Pruned.removes());
        assert!(PrintedChange::Evicted.removes());
        assert!(!PrintedChange::Evicting.removes());
        assert!(!PrintedChange::Created.removes());
        assert!(PrintedChange::Unchanged.no_change());
        assert!(PrintedChange::PatchedNoChange.no_change());
        assert!(PrintedChange::AlreadyCordoned.no_change());
        assert!(!PrintedChange::Configured.no_change());
        for change in PrintedChange::ALL {
            assert!(!(change.removes() && change.no_change()), "{change:?}");
        }
    }

    #[test]
    fn words() {
        assert_eq!(PrintedChange::RolledBack.word(), "rolled back");
        assert_eq!(PrintedChange::ImageUpdated.word(), "image updated");
        assert_eq!(
            PrintedChange::ResourcesUpdated.word(),
            "resource requirements updated"
        );
        assert_eq!(PrintedChange::PatchedNoChange.word(), "patched (no change)");
        assert_eq!(
            PrintedChange::ServerSideApplied.word(),
            "serverside-applied"
        );
    }

    #[test]
    fn helm_install() {
        let text = "NAME: web\n\
                    LAST DEPLOYED: Tue Jun 24 09:00:31 2025\n\
                    NAMESPACE: shop\n\
                    STATUS: deployed\n\
                    REVISION: 1\n\
                    DESCRIPTION: Install complete\n\
                    TEST SUITE: None\n\
                    NOTES:\n\
                    1. Get the application URL by running these commands:\n";
        assert_eq!(
            helm_messages(text),
            [HelmPrinted::Installed {
                release: "web".to_string()
            }]
        );
        // kubectl finds nothing in it.
        assert!(kubectl_objects(text).is_empty());
    }

    #[test]
    fn helm_install_coloured_status() {
        let text = "NAME: web\nNAMESPACE: shop\nSTATUS: \u{1b}[32mdeployed\u{1b}[0m\n";
        assert_eq!(
            helm_messages(text),
            [HelmPrinted::Installed {
                release: "web".to_string()
            }]
        );
    }

    #[test]
    fn helm_install_dry_run() {
        let text = "NAME: web\n\
                    LAST DEPLOYED: Tue Jun 24 09:00:31 2025\n\
                    NAMESPACE: shop\n\
                    STATUS: pending-install\n\
                    REVISION: 1\n\
                    DESCRIPTION: Dry run complete\n\
                    HOOKS:\n\
                    MANIFEST:\n";
        assert_eq!(helm_messages(text), [HelmPrinted::DryRun]);
    }

    #[test]
    fn helm_upgrade() {
        let text = "Release \"web\" has been upgraded. Happy Helming!\n\
                    NAME: web\n\
                    LAST DEPLOYED: Tue Jun 24 09:00:31 2025\n\
                    NAMESPACE: shop\n\
                    STATUS: deployed\n\
                    REVISION: 4\n";
        assert_eq!(
            helm_messages(text),
            [HelmPrinted::Upgraded {
                release: "web".to_string()
            }]
        );
    }

    #[test]
    fn helm_upgrade_install_of_a_new_release() {
        let text = "Release \"web\" does not exist. Installing it now.\n\
                    NAME: web\n\
                    LAST DEPLOYED: Tue Jun 24 09:00:31 2025\n\
                    NAMESPACE: shop\n\
                    STATUS: deployed\n";
        assert_eq!(
            helm_messages(text),
            [HelmPrinted::Installed {
                release: "web".to_string()
            }]
        );
    }

    #[test]
    fn helm_upgrade_dry_run() {
        let text = "Release \"web\" has been upgraded. Happy Helming!\n\
                    NAME: web\n\
                    NAMESPACE: shop\n\
                    STATUS: pending-upgrade\n\
                    DESCRIPTION: Dry run complete\n";
        assert_eq!(
            helm_messages(text),
            [
                HelmPrinted::Upgraded {
                    release: "web".to_string()
                },
                HelmPrinted::DryRun
            ]
        );
    }

    #[test]
    fn helm_uninstall_and_rollback() {
        let text = "release \"web\" uninstalled\nRollback was a success! Happy Helming!\n";
        assert_eq!(
            helm_messages(text),
            [
                HelmPrinted::Uninstalled {
                    release: "web".to_string()
                },
                HelmPrinted::RolledBack { release: None }
            ]
        );
        assert!(kubectl_objects(text).is_empty());
    }

    #[test]
    fn helm_non_matches() {
        let text = "NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\n\
                    web\tshop\t1\t2025-06-24\tdeployed\tweb-0.1.0\n\
                    Error: INSTALLATION FAILED: cannot re-use a name that is still in use\n\
                    Error: UPGRADE FAILED: another operation is in progress\n\
                    release \"Web Site\" uninstalled\n\
                    Update Complete. ⎈Happy Helming!⎈\n";
        assert!(helm_messages(text).is_empty());
    }

    #[test]
    fn helm_get_metadata_is_not_an_install() {
        let text = "NAME: web\n\
                    CHART: web\n\
                    VERSION: 0.1.0\n\
                    APP_VERSION: 1.0\n\
                    ANNOTATIONS: \n\
                    LABELS: \n\
                    DEPENDENCIES: \n\
                    NAMESPACE: shop\n\
                    REVISION: 1\n\
                    STATUS: deployed\n";
        assert!(helm_messages(text).is_empty());
    }
}
