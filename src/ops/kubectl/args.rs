//! kubectl's arguments parsed as pflag does: global flags anywhere, `--flag=value` and
//! `--flag value`, glued short flags (`-nprod`, `-oyaml`, `-it`), `_` read as `-` in long
//! names, `--` ends the flags.

use super::flags::{Arity, flag_by_long, flag_by_short};
use crate::ops::shell::Word;

/// Parsed words: flags by long name (short letters mapped; unknown ones kept as given),
/// positionals, and the words after `--`.
#[derive(Debug, Default)]
pub(super) struct Args {
    pub(super) flags: Vec<(String, String, bool)>,
    pub(super) positional: Vec<Word>,
    pub(super) after_dash: Vec<Word>,
}

impl Args {
    pub(super) fn parse(words: &[Word]) -> Args {
        let mut a = Args::default();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            let t = w.text.as_str();
            let unresolved = w.unresolved.is_some();
            if t == "--" {
                a.after_dash = words[i + 1..].to_vec();
                break;
            }
            if let Some(long) = t.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n.replace('_', "-"), Some(v.to_string())),
                    None => (long.replace('_', "-"), None),
                };
                let arity = flag_by_long(&name).unwrap_or(Arity::Bool);
                let value = match (value, arity) {
                    (Some(v), _) => v,
                    (None, Arity::Value) => {
                        i += 1;
                        words.get(i).map(|w| w.text.clone()).unwrap_or_default()
                    }
                    (None, Arity::Optional(d)) => d.to_string(),
                    (None, Arity::Bool) => "true".to_string(),
                };
                let unresolved = unresolved
                    || (arity == Arity::Value
                        && words.get(i).is_some_and(|w| w.unresolved.is_some()));
                a.flags.push((name, value, unresolved));
            } else if t.len() > 1
                && t.starts_with('-')
                && !t[1..].starts_with(|c: char| c.is_ascii_digit())
            {
                // Short flags, possibly glued: -it, -nprod, -oyaml, -n=prod.
                let chars: Vec<char> = t[1..].chars().collect();
                let mut j = 0;
                while j < chars.len() {
                    let c = chars[j];
                    let (name, arity) = flag_by_short(c).unwrap_or(("", Arity::Bool));
                    let name = if name.is_empty() {
                        c.to_string()
                    } else {
                        name.to_string()
                    };
                    if arity == Arity::Value {
                        let rest: String = chars[j + 1..].iter().collect();
                        let rest = rest.strip_prefix('=').map(str::to_string).unwrap_or(rest);
                        let value = if rest.is_empty() {
                            i += 1;
                            words.get(i).map(|w| w.text.clone()).unwrap_or_default()
                        } else {
                            rest
                        };
                        let unresolved =
                            unresolved || words.get(i).is_some_and(|w| w.unresolved.is_some());
                        a.flags.push((name, value, unresolved));
                        break;
                    }
                    a.flags.push((name, "true".to_string(), unresolved));
                    j += 1;
                }
            } else {
                a.positional.push(w.clone());
            }
            i += 1;
        }
        a
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|f| f.0 == name)
            .map(|f| f.1.as_str())
    }
    pub(super) fn all(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|f| f.0 == name)
            .map(|f| f.1.as_str())
            .collect()
    }
    pub(super) fn bool(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v != "false")
    }
    pub(super) fn unresolved_flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.0 == name && f.2)
    }
    pub(super) fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }
}
