//! JSON text → `serde_json::Value`, refusing what `serde_json::from_str` lets through silently:
//! an object with the same key twice. Parsers disagree on which copy wins (first, last, both),
//! so a trace with duplicate keys could mean one thing to its recorder and another to us.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parse `text` as one JSON document; a duplicate key is an error at its position.
pub fn from_str(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let StrictValue(value) = StrictValue::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

pub(crate) struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    crate::json::json_scalar_visits!();

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        StrictValue::deserialize(d).map(|v| v.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match out.entry(key) {
                serde_json::map::Entry::Occupied(e) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate key {:?} in one object (parsers disagree on which copy counts)",
                        e.key()
                    )));
                }
                serde_json::map::Entry::Vacant(slot) => {
                    let StrictValue(v) = map.next_value()?;
                    slot.insert(v);
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::from_str;
    use proptest::prelude::*;
    use serde_json::Value;

    #[test]
    fn refuses_duplicate_keys_with_a_position() {
        let e = from_str("{\"run\": {\"id\": \"x\",\n \"id\": \"y\"}}").unwrap_err();
        assert!(e.to_string().contains("duplicate key \"id\""), "{e}");
        assert_eq!(e.line(), 2);
        // The same key in different objects is fine.
        assert!(from_str(r#"{"a": {"id": 1}, "b": {"id": 2}}"#).is_ok());
    }

    #[test]
    fn keeps_serde_json_limits() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(from_str(&deep).is_err());
        assert!(from_str("1e999").is_err());
        assert!(from_str("{} x").is_err());
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(".*", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Without duplicate keys, the strict parse is serde_json's parse.
        #[test]
        fn agrees_with_serde_json(v in json()) {
            let text = serde_json::to_string(&v).unwrap();
            let strict = from_str(&text).unwrap();
            let plain: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(strict, plain);
        }
    }
}
