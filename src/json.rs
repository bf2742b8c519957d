//! Small JSON utilities shared by the stages that read JSON (`trace`, `import`) and Kubernetes
//! objects (`ops`, `model`).

use serde_json::Value;

/// The methods of a [`serde::de::Visitor`] building a [`Value`] that take what is not an array
/// or an object: what `serde_json` hands a visitor of any JSON value, read as `Value` reads it
/// (except that a non-finite float, which serde_json never hands out, is refused rather than
/// turned into null). The visitor writes `visit_seq` and `visit_map`, where visitors differ.
macro_rules! json_scalar_visits {
    () => {
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, v: bool) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Number(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Number(v.into()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<serde_json::Value, E> {
            serde_json::Number::from_f64(v)
                .map(serde_json::Value::Number)
                .ok_or_else(|| E::custom("number out of range"))
        }
        fn visit_str<E>(self, v: &str) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Null)
        }
        fn visit_none<E>(self) -> Result<serde_json::Value, E> {
            Ok(serde_json::Value::Null)
        }
    };
}
pub(crate) use json_scalar_visits;

/// JSON pointer lookup like `Value::pointer`, without its allocation per segment when the
/// pointer has no escape (`~`), as every literal path of the model's code. Array indexes follow
/// RFC 6901 as serde_json does (no sign, no leading zero).
pub trait At {
    fn at(&self, pointer: &str) -> Option<&Value>;
}

impl At for Value {
    fn at(&self, pointer: &str) -> Option<&Value> {
        let bytes = pointer.as_bytes();
        match bytes.first() {
            None => return Some(self),
            Some(b'/') => {}
            Some(_) => return None,
        }
        // Segments found by a byte scan (pointers are short); one with an escape (`~`) sends
        // the whole pointer to serde_json's reader.
        let mut v = self;
        let mut start = 1;
        loop {
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b'/' || b == b'~')
                .map_or(bytes.len(), |i| start + i);
            if bytes.get(end) == Some(&b'~') {
                return self.pointer(pointer);
            }
            let seg = &pointer[start..end];
            v = match v {
                Value::Object(m) => m.get(seg)?,
                Value::Array(items) => {
                    if seg.starts_with('+') || (seg.len() > 1 && seg.starts_with('0')) {
                        return None;
                    }
                    items.get(seg.parse::<usize>().ok()?)?
                }
                _ => return None,
            };
            if end == bytes.len() {
                return Some(v);
            }
            start = end + 1;
        }
    }
}
