//! Shell loops over objects: `for p in $(kubectl get pods -o name); do kubectl delete $p; done`
//! and `for p in a b c; do ...`. The loop variable's values are the objects the listing would
//! have returned, so a command in the loop's body that names `$p` is aimed at the listing's
//! target (kinds, namespace, selector): the replay resolves it from the model at that point, or
//! the printed result does. A list that is neither a literal list nor one `kubectl get` leaves
//! the variable (and so the target) unresolved.

use super::Operation;
use super::Target;
use super::kubectl::{self, Session};
use super::shell::{self, Word};
use std::collections::HashMap;

/// What a loop variable goes over.
#[derive(Debug, Clone)]
enum List {
    /// The objects a `kubectl get` would have listed.
    Listing(Target),
    /// Literal words (`for p in a b c`).
    Words(Vec<String>),
}

/// The loop variables of one command line, as its `for` heads are read.
#[derive(Debug, Default)]
pub(super) struct Loops {
    vars: HashMap<String, List>,
}

impl Loops {
    /// Take a `for NAME in WORDS` head (true: it runs nothing itself).
    pub(super) fn step(&mut self, words: &[Word], session: &Session) -> bool {
        let mut words = words;
        while let [first, rest @ ..] = words
            && shell::LEADING_KEYWORDS.contains(&first.text.as_str())
        {
            words = rest;
        }
        let [head, name, kw, list @ ..] = words else {
            return false;
        };
        if head.text != "for" || kw.text != "in" || head.unresolved.is_some() {
            return false;
        }
        let list = match list {
            [one] if one.substitution.is_some() => one
                .substitution
                .as_deref()
                .and_then(|l| listing(l, session))
                .map(List::Listing),
            words if words.iter().all(|w| w.unresolved.is_none()) => {
                Some(List::Words(words.iter().map(|w| w.text.clone()).collect()))
            }
            _ => None,
        };
        match list {
            Some(l) => {
                self.vars.insert(name.text.clone(), l);
            }
            None => {
                self.vars.remove(&name.text);
            }
        }
        true
    }

    /// Aim an operation of the loop's body whose target is unresolved only because it names a
    /// loop variable at the variable's list.
    pub(super) fn resolve(&self, op: &mut Operation, words: &[Word]) {
        let Some(why) = op.target.unresolved.as_deref() else {
            return;
        };
        let Some((_, var)) = why.split_once("shell variable $") else {
            return;
        };
        let Some(list) = self.vars.get(var) else {
            return;
        };
        // Every unresolved word must be this variable alone (`$p`, `pod/$p`), nothing else.
        let placeholder = format!("${{{var}}}");
        let only_this = words.iter().filter(|w| w.unresolved.is_some()).all(|w| {
            w.text == placeholder
                || w.text
                    .rsplit_once('/')
                    .is_some_and(|(_, n)| n == placeholder)
        });
        if !only_this || !op.verb.mutates() {
            return;
        }
        match list {
            List::Listing(t) => {
                let namespace_explicit = op.target.namespace_explicit;
                op.target = t.clone();
                op.target.namespace_explicit |= namespace_explicit;
                // Every object of the listing (a selector, or all of its kinds).
                op.target.all = t.selector.is_none() && t.field_selector.is_none();
            }
            List::Words(names) => {
                op.target.names.retain(|n| *n != placeholder);
                op.target.names.extend(names.iter().cloned());
                op.target.unresolved = None;
            }
        }
    }
}

/// The target of a command substitution that is one `kubectl get` of kinds (no names).
fn listing(line: &str, session: &Session) -> Option<Target> {
    let script = shell::parse(line).ok()?;
    let [cmd] = script.commands.as_slice() else {
        return None;
    };
    let (first, rest) = cmd.words.split_first()?;
    if !matches!(first.text.as_str(), "kubectl" | "oc" | "k") {
        return None;
    }
    let t = kubectl::get_target(rest, session)?;
    (!t.kinds.is_empty()
        && t.kinds.iter().all(|k| k.known)
        && t.names.is_empty()
        && t.unresolved.is_none())
    .then_some(t)
}
