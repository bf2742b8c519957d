//! Label selectors: the string form (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) and the object form
//! (`matchLabels` + `matchExpressions`).

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A conjunction of requirements; the empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector(pub Vec<Requirement>);

impl Selector {
    /// Parse the string form used by `-l` / `--selector`.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        for part in split_top(text) {
            let p = part.trim();
            if p.is_empty() {
                continue;
            }
            let words: Vec<&str> = p.split_whitespace().collect();
            if words.len() >= 2 && (words[1] == "in" || words[1] == "notin") {
                let key = words[0].to_string();
                let rest = p[p
                    .find('(')
                    .ok_or_else(|| format!("`{p}`: expected (values)"))?
                    + 1..]
                    .trim_end()
                    .strip_suffix(')')
                    .ok_or_else(|| format!("`{p}`: missing `)`"))?;
                let values: Vec<String> = rest
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                reqs.push(if words[1] == "in" {
                    Requirement::In(key, values)
                } else {
                    Requirement::NotIn(key, values)
                });
            } else if let Some((k, v)) = p.split_once("!=") {
                reqs.push(Requirement::NotEquals(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                reqs.push(Requirement::Equals(k.trim().into(), v.trim().into()));
            } else if let Some(k) = p.strip_prefix('!') {
                reqs.push(Requirement::NotExists(k.trim().into()));
            } else if p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                reqs.push(Requirement::Exists(p.into()));
            } else {
                return Err(format!("`{p}` is not a label requirement"));
            }
        }
        Ok(Selector(reqs))
    }

    /// The object form of a workload's `spec.selector` (`matchLabels`, `matchExpressions`), or
    /// a Service's plain map.
    pub fn from_object(v: &Value) -> Option<Selector> {
        let m = v.as_object()?;
        let mut reqs = Vec::new();
        let is_structured = m.contains_key("matchLabels") || m.contains_key("matchExpressions");
        let labels = if is_structured {
            m.get("matchLabels").and_then(Value::as_object)
        } else {
            Some(m)
        };
        for (k, v) in labels.into_iter().flatten() {
            reqs.push(Requirement::Equals(k.clone(), v.as_str()?.to_string()));
        }
        for e in m
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = e.get("key")?.as_str()?.to_string();
            let values: Vec<String> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            reqs.push(match e.get("operator")?.as_str()? {
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::NotExists(key),
                _ => return None,
            });
        }
        Some(Selector(reqs))
    }

    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }

    /// True when some label set could match both selectors (used for "does the same job").
    pub fn overlaps(&self, other: &Selector) -> bool {
        let eq = |s: &Selector| -> Vec<(String, String)> {
            s.0.iter()
                .filter_map(|r| match r {
                    Requirement::Equals(k, v) => Some((k.clone(), v.clone())),
                    _ => None,
                })
                .collect()
        };
        let (a, b) = (eq(self), eq(other));
        !a.is_empty()
            && !b.is_empty()
            && a.iter()
                .all(|(k, v)| b.iter().all(|(k2, v2)| k != k2 || v == v2))
    }
}

/// Split on commas that are not inside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn string_selectors() {
        let l = labels(json!({"app": "web", "tier": "front", "env": "prod"}));
        for (sel, want) in [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("env in (prod, staging)", true),
            ("env notin (prod)", false),
            ("tier", true),
            ("!tier", false),
            ("!canary", true),
            ("app=web,env in (dev)", false),
            ("", true),
        ] {
            assert_eq!(
                Selector::parse(sel).unwrap().matches(Some(&l)),
                want,
                "{sel}"
            );
        }
        assert!(Selector::parse("a b c").is_err());
    }

    #[test]
    fn object_selectors() {
        let s = Selector::from_object(&json!({"matchLabels": {"app": "api"},
            "matchExpressions": [{"key": "track", "operator": "NotIn", "values": ["canary"]}]}))
        .unwrap();
        assert!(s.matches(Some(&labels(json!({"app": "api", "track": "stable"})))));
        assert!(!s.matches(Some(&labels(json!({"app": "api", "track": "canary"})))));
        let svc = Selector::from_object(&json!({"app": "api"})).unwrap();
        assert!(svc.overlaps(&Selector::parse("app=api").unwrap()));
        assert!(!svc.overlaps(&Selector::parse("app=web").unwrap()));
    }
}
