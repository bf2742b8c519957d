//! Map a JSON pointer (RFC 6901) back to a byte span of the source text.
//!
//! `serde_json::Value` keeps no positions, and jsonschema reports errors as JSON pointers; this
//! small scanner walks the original text to find where the pointed-at value (and its key) is,
//! so diagnostics can show `line:col`. It never recurses (deep nesting costs no stack) and
//! returns `None` rather than panicking on text that is not what it expects.

use memchr::memchr2;
use std::ops::Range;

/// Where a pointed-at value sits in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The value itself.
    pub value: Range<usize>,
    /// Its key (with quotes) when the parent is an object.
    pub key: Option<Range<usize>>,
}

/// Find the value at `pointer` in `text` (a complete JSON document).
pub fn locate(text: &[u8], pointer: &str) -> Option<Located> {
    let mut pos = skip_ws(text, 0);
    let mut key = None;
    if !pointer.is_empty() {
        let rest = pointer.strip_prefix('/')?;
        for raw in rest.split('/') {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            match *text.get(pos)? {
                b'{' => {
                    let (k, v) = find_member(text, pos, &segment)?;
                    key = Some(k);
                    pos = v;
                }
                b'[' => {
                    let index: usize = segment.parse().ok()?;
                    pos = find_element(text, pos, index)?;
                    key = None;
                }
                _ => return None,
            }
        }
    }
    let end = skip_value(text, pos)?;
    Some(Located {
        value: pos..end,
        key,
    })
}

fn skip_ws(text: &[u8], mut pos: usize) -> usize {
    while let Some(b) = text.get(pos) {
        if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        pos += 1;
    }
    pos
}

/// End (exclusive) of the string starting at `pos` (which holds `"`).
fn skip_string(text: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos + 1;
    loop {
        let off = memchr2(b'"', b'\\', text.get(i..)?)?;
        i += off;
        if text[i] == b'\\' {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

/// End (exclusive) of the value starting at `pos`.
fn skip_value(text: &[u8], pos: usize) -> Option<usize> {
    match *text.get(pos)? {
        b'"' => skip_string(text, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            while i < text.len() {
                match text[i] {
                    b'"' => {
                        i = skip_string(text, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = pos;
            while let Some(b) = text.get(i) {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                i += 1;
            }
            (i > pos).then_some(i)
        }
    }
}

/// In the object starting at `pos`, the key span and value start of member `name`.
fn find_member(text: &[u8], pos: usize, name: &str) -> Option<(Range<usize>, usize)> {
    let mut i = skip_ws(text, pos + 1);
    // The last occurrence wins, as in serde_json's Value (duplicate keys).
    let mut found = None;
    loop {
        match *text.get(i)? {
            b'}' => return found,
            b'"' => {}
            _ => return found,
        }
        let key_end = skip_string(text, i)?;
        let raw = &text[i + 1..key_end - 1];
        let matches = if raw.contains(&b'\\') {
            serde_json::from_slice::<String>(&text[i..key_end]).ok()? == name
        } else {
            raw == name.as_bytes()
        };
        let colon = skip_ws(text, key_end);
        if *text.get(colon)? != b':' {
            return None;
        }
        let value = skip_ws(text, colon + 1);
        if matches {
            found = Some((i..key_end, value));
        }
        let after = skip_ws(text, skip_value(text, value)?);
        match *text.get(after)? {
            b',' => i = skip_ws(text, after + 1),
            _ => return found,
        }
    }
}

/// In the array starting at `pos`, the start of element `index`.
fn find_element(text: &[u8], pos: usize, index: usize) -> Option<usize> {
    let mut i = skip_ws(text, pos + 1);
    if *text.get(i)? == b']' {
        return None;
    }
    for _ in 0..index {
        let after = skip_ws(text, skip_value(text, i)?);
        if *text.get(after)? != b',' {
            return None;
        }
        i = skip_ws(text, after + 1);
    }
    Some(i)
}

/// Escape one pointer segment (RFC 6901).
pub fn escape_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    push_segment(&mut out, segment);
    out
}

/// `parent` with one more segment: `{parent}/{segment}` with the segment escaped, in one
/// allocation (paths are made for every field a diff or a leaf walk visits).
pub fn child_pointer(parent: &str, segment: &str) -> String {
    let mut out = String::with_capacity(parent.len() + 1 + segment.len());
    out.push_str(parent);
    out.push('/');
    push_segment(&mut out, segment);
    out
}

/// Append `segment` escaped as a JSON pointer segment (`~` → `~0`, `/` → `~1`).
fn push_segment(out: &mut String, segment: &str) {
    if memchr::memchr2(b'~', b'/', segment.as_bytes()).is_none() {
        out.push_str(segment);
        return;
    }
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, pointer: &str) -> Option<&'a str> {
        locate(text.as_bytes(), pointer).map(|l| &text[l.value])
    }

    proptest::proptest! {
        /// One more segment is the parent, a slash and the segment with `~` and `/` escaped
        /// (RFC 6901), whatever the segment holds.
        #[test]
        fn child_pointers_escape_as_rfc_6901_says(parent in "(/[a-z~/]{0,4}){0,3}", segment in "[a-z~/\\[\\]=é]{0,8}") {
            let escaped = segment.replace('~', "~0").replace('/', "~1");
            proptest::prop_assert_eq!(child_pointer(&parent, &segment), format!("{parent}/{escaped}"));
            proptest::prop_assert_eq!(escape_segment(&segment), escaped);
        }
    }

    #[test]
    fn finds_nested_values_and_keys() {
        let t = r#" {"a": {"b~c": [1, {"x/y": "s\"}"}, [ ]], "d": true}, "e": null} "#;
        assert_eq!(at(t, ""), Some(&t[1..t.len() - 1]));
        assert_eq!(at(t, "/a/b~0c/0"), Some("1"));
        assert_eq!(at(t, "/a/b~0c/1/x~1y"), Some(r#""s\"}""#));
        assert_eq!(at(t, "/a/b~0c/2"), Some("[ ]"));
        assert_eq!(at(t, "/a/d"), Some("true"));
        assert_eq!(at(t, "/e"), Some("null"));
        assert_eq!(at(t, "/a/b~0c/3"), None);
        assert_eq!(at(t, "/zz"), None);
        assert_eq!(at(t, "/a/d/x"), None);
        let l = locate(t.as_bytes(), "/e").unwrap();
        assert_eq!(&t[l.key.unwrap()], "\"e\"");
    }

    #[test]
    fn escaped_keys_and_duplicates() {
        let t = r#"{"k\u0065y": 1, "key": 2}"#;
        assert_eq!(at(t, "/key"), Some("2"));
    }

    #[test]
    fn never_panics_on_garbage() {
        for t in [
            "", "{", "[", "{\"a\"", "{\"a\":", "[1,", "\"abc", "{]", "}}}", "[[[[",
        ] {
            let _ = locate(t.as_bytes(), "/a/0");
            let _ = locate(t.as_bytes(), "");
        }
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z~/\"\\\\ \n\u{e9}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z~/\"]{0,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn pointers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            serde_json::Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    pointers(c, format!("{at}/{i}"), out)
                }
            }
            serde_json::Value::Object(m) => {
                for (k, c) in m {
                    pointers(c, child_pointer(&at, k), out)
                }
            }
            _ => {}
        }
    }

    proptest::proptest! {
        /// Every pointer into any document, compact or pretty, leads to text that parses back
        /// to the very value the pointer names.
        #[test]
        fn every_pointer_locates_its_value(v in json_value(), pretty in proptest::bool::ANY) {
            let text = if pretty {
                serde_json::to_string_pretty(&v).unwrap()
            } else {
                serde_json::to_string(&v).unwrap()
            };
            let mut all = Vec::new();
            pointers(&v, String::new(), &mut all);
            for p in all {
                let l = locate(text.as_bytes(), &p).expect("located");
                let got: serde_json::Value = serde_json::from_str(&text[l.value]).unwrap();
                proptest::prop_assert_eq!(Some(&got), v.pointer(&p));
            }
        }
    }

    #[test]
    fn deep_nesting_uses_no_stack() {
        let t = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(locate(t.as_bytes(), "").unwrap().value, 0..t.len());
    }
}
