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
        if pointer.is_empty() || pointer.contains('~') {
            return self.pointer(pointer);
        }
        pointer
            .strip_prefix('/')?
            .split('/')
            .try_fold(self, |v, seg| match v {
                Value::Object(m) => m.get(seg),
                Value::Array(items) => {
                    if seg.starts_with('+') || (seg.len() > 1 && seg.starts_with('0')) {
                        return None;
                    }
                    seg.parse::<usize>().ok().and_then(|i| items.get(i))
                }
                _ => None,
            })
    }
}
