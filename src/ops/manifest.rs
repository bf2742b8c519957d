//! Manifests: YAML (multi-document) or JSON text, or a JSON value, into Kubernetes objects.

use crate::json::At;
use serde_json::Value;

/// Parse manifest text: JSON (an object or an array of objects) or YAML (documents separated by
/// `---`). `kind: List` (and `*List`) objects are flattened into their items; empty documents
/// are skipped. Anything that is not an object with `kind` is an error.
pub fn parse_text(text: &str) -> Result<Vec<Value>, String> {
    let trimmed = text.trim_start();
    let docs: Vec<Value> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => vec![v],
            // JSON-looking YAML (flow style) is still YAML.
            Err(_) => yaml_documents(text)?,
        }
    } else {
        yaml_documents(text)?
    };
    from_values(docs)
}

fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    // kubectl-style YAML takes the fast path; anything else the general parser.
    if let Some(docs) = super::kyaml::parse(text) {
        return Ok(docs);
    }
    general_yaml_documents(text)
}

/// YAML documents by serde-saphyr (with its budget against alias bombs and deep nesting), the
/// reference the fast path is tested against.
pub fn general_yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple::<Value>(text).map_err(|e| {
        let mut msg = e.to_string();
        if let Some(i) = msg.find('\n') {
            msg.truncate(i);
        }
        format!("manifest is not valid YAML: {msg}")
    })
}

/// Objects from a JSON value (an object, an array, or a string holding manifest text).
pub fn from_value(v: &Value) -> Result<Vec<Value>, String> {
    match v {
        Value::String(s) => parse_text(s),
        other => from_values(vec![other.clone()]),
    }
}

fn from_values(docs: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    let mut stack: Vec<Value> = docs.into_iter().rev().collect();
    while let Some(doc) = stack.pop() {
        match doc {
            Value::Null => {}
            Value::Array(items) => stack.extend(items.into_iter().rev()),
            Value::Object(mut m) => {
                let is_list = m
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k == "List" || k.ends_with("List"))
                    && m.get("items").is_some_and(Value::is_array);
                if is_list {
                    if let Some(Value::Array(items)) = m.remove("items") {
                        stack.extend(items.into_iter().rev());
                    }
                    continue;
                }
                if !m.get("kind").is_some_and(Value::is_string) {
                    return Err("a manifest document has no `kind`".to_string());
                }
                out.push(Value::Object(m));
            }
            other => {
                return Err(format!(
                    "a manifest document is a {} instead of an object",
                    match other {
                        Value::String(_) => "string",
                        Value::Number(_) => "number",
                        _ => "boolean",
                    }
                ));
            }
        }
    }
    Ok(out)
}

/// `metadata.name` of an object.
pub fn name_of(o: &Value) -> Option<&str> {
    o.at("/metadata/name").and_then(Value::as_str)
}

/// `metadata.namespace` of an object.
pub fn namespace_of(o: &Value) -> Option<&str> {
    o.at("/metadata/namespace").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_multi_document_and_lists() {
        let objs = parse_text(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: bench\nspec:\n  replicas: 2\n",
        )
        .unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(name_of(&objs[0]), Some("a"));
        assert_eq!(namespace_of(&objs[1]), Some("bench"));
        assert_eq!(objs[1].at("/spec/replicas"), Some(&Value::from(2)));
    }

    #[test]
    fn json_and_errors() {
        assert_eq!(
            parse_text(r#"{"kind": "Pod", "metadata": {"name": "p"}}"#)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            parse_text(r#"[{"kind": "Pod"}, {"kind": "Service"}]"#)
                .unwrap()
                .len(),
            2
        );
        assert!(parse_text("just words").is_err());
        assert!(parse_text("a: [").is_err());
        assert!(parse_text("metadata: {name: x}").is_err());
    }

    #[test]
    fn alias_bombs_are_refused_cheaply() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for c in 'b'..='j' {
            bomb.push_str(&format!("{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = c;
        }
        bomb.push_str("kind: Pod\n");
        // serde-saphyr's budget refuses the expansion instead of building ~10^9 nodes.
        let e = parse_text(&bomb).unwrap_err();
        assert!(e.contains("not valid YAML"), "{e}");
    }
}
