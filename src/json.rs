//! Small JSON utilities shared by the stages that read Kubernetes objects (`ops`, `model`).

use serde_json::Value;

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
