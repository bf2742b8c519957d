//! A fast path for the YAML kubectl and the MCP servers print (`-o yaml`): block mappings and
//! sequences, plain and quoted scalars, empty `{}` / `[]`. Profiling showed parsing read
//! results with the general YAML parser to be most of `analyze`'s time. Anything outside this
//! subset (anchors, tags, flow mappings, flow sequences but of scalars on one line, block
//! scalars but `|` and `|-`, multi-line plain scalars, scalars whose type is not obvious) returns `None`
//! and the caller uses serde-saphyr, so the result is always what serde-saphyr gives (property
//! tests check it).

use serde_json::{Map, Value};
use std::borrow::Cow;

struct Line<'a> {
    indent: usize,
    /// The line without its indentation and trailing spaces ("" for blank lines).
    text: &'a str,
    /// The whole line (block scalars keep their text as written).
    raw: &'a str,
    /// Blank or comment: skipped by the structure, kept inside block scalars.
    skip: bool,
}

/// Parse `text` (one or more `---`-separated documents); `None` when it leaves the subset.
pub fn parse(text: &str) -> Option<Vec<Value>> {
    // Line breaks and marks other than `\n` (a lone CR, NEL, a byte-order mark, ...) and
    // tabs (whitespace to YAML before `#` and after `:`) are left to the general parser
    // (found by the `manifest` fuzz target).
    // So is any other character Rust's `trim` would take for whitespace but YAML does not
    // (NBSP, VT, FF, ...): the fast path trims with `str::trim`.
    if leaves_the_subset_by_its_whitespace(text) {
        return None;
    }
    let mut docs: Vec<Vec<Line<'_>>> = vec![Vec::new()];
    for raw in super::printed::lines(text) {
        let body = raw.trim_start_matches(' ');
        let trimmed = body.trim_end();
        let skip = trimmed.is_empty() || trimmed.starts_with('#');
        if raw.starts_with("---") {
            if trimmed != "---" {
                return None;
            }
            docs.push(Vec::new());
            continue;
        }
        if raw.starts_with("...") || raw.starts_with('%') {
            return None;
        }
        docs.last_mut()?.push(Line {
            indent: raw.len() - body.len(),
            text: trimmed,
            raw,
            skip,
        });
    }
    let mut out = Vec::new();
    for lines in &docs {
        let start = next_content(lines, 0);
        let Some(first) = lines.get(start) else {
            continue;
        };
        let (v, next) = node(lines, start, first.indent)?;
        if next_content(lines, next) != lines.len() {
            return None;
        }
        out.push(v);
    }
    Some(out)
}

/// Whether `text` holds a byte-order mark or whitespace other than spaces and `\n` (as
/// `char::is_whitespace` says). An ASCII text is checked byte by byte.
fn leaves_the_subset_by_its_whitespace(text: &str) -> bool {
    if text.is_ascii() {
        // The ASCII whitespace: \t, \n, VT, FF, \r and the space.
        return text
            .bytes()
            .any(|b| matches!(b, b'\t' | 0x0b | 0x0c | b'\r'));
    }
    text.chars()
        .any(|c| c == '\u{feff}' || (c.is_whitespace() && c != ' ' && c != '\n'))
}

/// The first line at or after `i` that is not blank or a comment.
fn next_content(lines: &[Line<'_>], mut i: usize) -> usize {
    while lines.get(i).is_some_and(|l| l.skip) {
        i += 1;
    }
    i
}

/// A literal block scalar (`|` or `|-`) after a key at `indent`: its lines, from `i`.
fn block_scalar(
    lines: &[Line<'_>],
    mut i: usize,
    indent: usize,
    strip: bool,
) -> Option<(Value, usize)> {
    let mut content: Vec<&str> = Vec::new();
    let mut at: Option<usize> = None;
    while let Some(l) = lines.get(i) {
        if l.text.is_empty() {
            // A line of spaces only is empty up to the scalar's indentation; beyond it the
            // spaces are content (YAML's l-empty): left to the general parser.
            if l.raw.len() > at.unwrap_or(indent) {
                return None;
            }
            content.push("");
            i += 1;
            continue;
        }
        if l.indent <= indent {
            break;
        }
        let ind = *at.get_or_insert(l.indent);
        if l.indent < ind {
            return None;
        }
        content.push(l.raw.get(ind..)?);
        i += 1;
    }
    // Trailing blank lines are not part of a clipped or stripped scalar.
    while content.last() == Some(&"") {
        content.pop();
    }
    let mut text = content.join("\n");
    if !strip && !text.is_empty() {
        text.push('\n');
    }
    Some((Value::String(text), i))
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The node starting at line `i`, whose lines are indented by `indent`.
fn node(lines: &[Line<'_>], i: usize, indent: usize) -> Option<(Value, usize)> {
    let i = next_content(lines, i);
    let first = lines.get(i)?;
    if first.indent != indent {
        return None;
    }
    if is_item(first.text) {
        sequence(lines, i, indent)
    } else {
        mapping(lines, i, indent, None)
    }
}

/// `key: value` split at the first `": "` (or a trailing `:`) outside quotes.
fn split_entry(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let (key, rest) = if text.starts_with('"') || text.starts_with('\'') {
        let end = quoted_end(text)?;
        (Cow::Owned(scalar_string(&text[..end])?), &text[end..])
    } else {
        let at = find2(text, b':', b' ').or_else(|| text.strip_suffix(':').map(|k| k.len()))?;
        // Plain scalars lose their trailing spaces.
        let key = text[..at].trim_end();
        if !plain_ok(key) || key.contains(['"', '\'']) {
            return None;
        }
        (Cow::Borrowed(key), &text[at..])
    };
    let value = if rest == ":" {
        ""
    } else {
        rest.strip_prefix(": ")?.trim_start()
    };
    Some((key, value))
}

/// Length of the quoted scalar at the start of `text` (with its quotes).
fn quoted_end(text: &str) -> Option<usize> {
    let q = text.chars().next()?;
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match (q, bytes[i]) {
            ('"', b'\\') => i += 2,
            ('"', b'"') => return Some(i + 1),
            ('\'', b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            ('\'', b'\'') => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn mapping(
    lines: &[Line<'_>],
    mut i: usize,
    indent: usize,
    first: Option<&str>,
) -> Option<(Value, usize)> {
    let mut map = Map::new();
    let mut pending = first;
    loop {
        let text = match pending.take() {
            Some(t) => t,
            None => {
                let j = next_content(lines, i);
                match lines.get(j) {
                    Some(l) if l.indent == indent && !is_item(l.text) => {
                        i = j + 1;
                        l.text
                    }
                    _ => break,
                }
            }
        };
        let (key, value) = split_entry(text)?;
        let v = if value == "|" || value == "|-" {
            let (v, next) = block_scalar(lines, i, indent, value == "|-")?;
            i = next;
            v
        } else if value.is_empty() {
            let j = next_content(lines, i);
            match lines.get(j) {
                // Children, more indented; or a sequence at the key's own indentation.
                Some(l) if l.indent > indent => {
                    let (v, next) = node(lines, j, l.indent)?;
                    i = next;
                    v
                }
                Some(l) if l.indent == indent && is_item(l.text) => {
                    let (v, next) = sequence(lines, j, indent)?;
                    i = next;
                    v
                }
                _ => Value::Null,
            }
        } else {
            // A more-indented line after a scalar would continue it: not in the subset.
            if lines
                .get(next_content(lines, i))
                .is_some_and(|l| l.indent > indent)
            {
                return None;
            }
            scalar(value)?
        };
        if map.insert(key.into_owned(), v).is_some() {
            return None;
        }
    }
    Some((Value::Object(map), i))
}

fn sequence(lines: &[Line<'_>], mut i: usize, indent: usize) -> Option<(Value, usize)> {
    let mut items = Vec::new();
    loop {
        let j = next_content(lines, i);
        let Some(l) = lines
            .get(j)
            .filter(|l| l.indent == indent && is_item(l.text))
        else {
            break;
        };
        i = j + 1;
        let rest = l.text.strip_prefix('-')?.trim_start();
        let item = if rest.is_empty() {
            let k = next_content(lines, i);
            match lines.get(k) {
                Some(c) if c.indent > indent => {
                    let (v, next) = node(lines, k, c.indent)?;
                    i = next;
                    v
                }
                _ => Value::Null,
            }
        } else if is_item(rest) || rest.starts_with('|') || rest.starts_with('>') {
            return None;
        } else if !rest.starts_with(['"', '\'']) && split_entry(rest).is_some() {
            // "- key: value": a mapping whose entries sit two columns in.
            let (v, next) = mapping(lines, i, indent + 2, Some(rest))?;
            i = next;
            v
        } else {
            if lines
                .get(next_content(lines, i))
                .is_some_and(|c| c.indent > indent)
            {
                return None;
            }
            scalar(rest)?
        };
        items.push(item);
    }
    Some((Value::Array(items), i))
}

/// Byte offset of the first `a` followed by `b` (two ASCII bytes, so a char boundary): what
/// `str::find` of a two-byte pattern gives, without its general searcher (this is the hot loop
/// of reading `kubectl get -o yaml` results).
pub(crate) fn find2(s: &str, a: u8, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    memchr::memchr_iter(a, bytes).find(|&i| bytes.get(i + 1) == Some(&b))
}

/// Whether `s` may be a plain scalar: it starts with no YAML indicator (but `-` before a
/// non-space), and holds no `: `, no ` #` and no trailing `:`.
fn plain_ok(s: &str) -> bool {
    let Some(&c) = s.as_bytes().first() else {
        return false;
    };
    // YAML's indicators are ASCII: a first byte of a longer character is none of them.
    let indicator = matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    );
    !(indicator && !(c == b'-' && s.len() > 1 && !s.starts_with("- ")))
        && find2(s, b':', b' ').is_none()
        && find2(s, b' ', b'#').is_none()
        && !s.ends_with(':')
}

/// A quoted scalar's text, or `None` for escapes outside the common ones.
fn scalar_string(token: &str) -> Option<String> {
    if let Some(inner) = token.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return Some(inner.replace("''", "'"));
    }
    let inner = token.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '/' => out.push('/'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'u' => {
                // Exactly four hex digits, as YAML has them (`from_str_radix` alone would take
                // fewer, or a sign).
                let hex: String = chars.by_ref().take(4).collect();
                if hex.len() != 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                let code = u32::from_str_radix(&hex, 16).ok()?;
                out.push(char::from_u32(code)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A scalar value: quoted strings, `{}`, `[]`, null, true, false, decimal integers, plain
/// strings that cannot be read as anything else, and one-line flow sequences of those
/// ([`flow_sequence`]).
fn scalar(text: &str) -> Option<Value> {
    match text {
        "{}" => return Some(Value::Object(Map::new())),
        "[]" => return Some(Value::Array(Vec::new())),
        "null" | "~" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if text.starts_with(['"', '\'']) {
        if quoted_end(text)? != text.len() {
            return None;
        }
        return scalar_string(text).map(Value::String);
    }
    if text.starts_with('[') {
        return flow_sequence(text);
    }
    if !plain_ok(text) {
        return None;
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') || digits.len() > 18 {
            return None;
        }
        return text.parse::<i64>().ok().map(Value::from);
    }
    // Anything YAML 1.1 or 1.2 might read as a number, a boolean, a null or a special value.
    const SPECIAL: [&str; 15] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf",
        ".nan", "-.nan", "+.nan",
    ];
    let ambiguous = text.len() <= 5 && SPECIAL.iter().any(|w| w.eq_ignore_ascii_case(text))
        || looks_numeric(text) && !cannot_be_a_number(text);
    if ambiguous {
        return None;
    }
    Some(Value::String(text.to_string()))
}

/// A flow sequence of scalars on one line, as agents write lists in the manifests they apply
/// (`["sh", "-c", "echo hi"]`, `["*"]`, `[Ingress, Egress]`): quoted items, or plain items of
/// letters, digits, `-`, `_`, `.` and `/` read as [`scalar`] reads them. Nested collections,
/// other plain items, a trailing comma and anything after the `]` are left to the general
/// parser.
fn flow_sequence(text: &str) -> Option<Value> {
    let mut rest = text
        .strip_prefix('[')?
        .strip_suffix(']')?
        .trim_start_matches(' ');
    let mut items = Vec::new();
    while !rest.is_empty() {
        let item = if rest.starts_with(['"', '\'']) {
            let end = quoted_end(rest)?;
            let item = Value::String(scalar_string(&rest[..end])?);
            rest = &rest[end..];
            item
        } else {
            let end = rest.find([',', ' ']).unwrap_or(rest.len());
            let word = &rest[..end];
            let plain = word.starts_with(|c: char| c.is_ascii_alphanumeric())
                && word
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
            if !plain {
                return None;
            }
            rest = &rest[end..];
            scalar(word)?
        };
        items.push(item);
        rest = rest.trim_start_matches(' ');
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start_matches(' ');
            if rest.is_empty() {
                return None;
            }
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(Value::Array(items))
}

/// A plain scalar that starts with a digit (after a sign) but that no reading of a number
/// takes, so that serde-saphyr keeps it a string. With a radix prefix (`0x`, `0o`, `0b`), only
/// that radix's integer reading can take it: it is a string when it holds anything but hex
/// digits and `_` after the prefix. Without one, it holds a character that neither a decimal
/// integer nor Rust's `f64` grammar (what serde-saphyr reads floats with) has, more than one
/// dot, or a sign anywhere but right after an exponent's `e`. Pod template hashes, uids, IP
/// addresses and port names (`66bc5c9577`, `07141715-7734-4e2e-a2cf-6fd038f3a06a`,
/// `0beffa78-f6ab-…`, `172.18.0.2`, `80-80`).
fn cannot_be_a_number(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text).as_bytes();
    let Some(first) = digits.first() else {
        return false;
    };
    if !first.is_ascii_digit() {
        return false;
    }
    let radix_prefix = *first == b'0'
        && digits
            .get(1)
            .is_some_and(|c| matches!(c, b'x' | b'X' | b'o' | b'O' | b'b' | b'B'));
    if radix_prefix {
        return digits[2..]
            .iter()
            .any(|c| !(c.is_ascii_hexdigit() || *c == b'_'));
    }
    let sign_inside = digits
        .windows(2)
        .any(|w| matches!(w[1], b'+' | b'-') && !matches!(w[0], b'e' | b'E'));
    digits
        .iter()
        .any(|c| !matches!(c, b'0'..=b'9' | b'_' | b'.' | b'e' | b'E' | b'+' | b'-'))
        || digits.iter().filter(|c| **c == b'.').count() > 1
        || sign_inside
}

/// Starts like a number (digits, sign, dot) and has nothing but number characters.
fn looks_numeric(text: &str) -> bool {
    let t = text.trim_start_matches(['+', '-']);
    t.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && t.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(c, '.' | '_' | '+' | '-' | 'x' | 'X' | 'o' | 'O' | ':')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn find2_is_str_find() {
        for s in [
            "", ":", ": ", "a: b", "a:b: c", "é: x", "a #b", "ab", "::  ",
        ] {
            assert_eq!(find2(s, b':', b' '), s.find(": "), "{s:?}");
            assert_eq!(find2(s, b' ', b'#'), s.find(" #"), "{s:?}");
        }
    }

    use proptest::prelude::*;

    fn saphyr(text: &str) -> Option<Vec<Value>> {
        serde_saphyr::from_multiple::<Value>(text).ok()
    }

    /// When the fast path answers, it answers what serde-saphyr does.
    fn agrees(text: &str) {
        if let Some(fast) = parse(text) {
            assert_eq!(Some(fast), saphyr(text), "{text}");
        }
    }

    #[test]
    fn fuzz_regressions() {
        // A carriage return before the indentation made it part of the key.
        agrees("\r    image: nginx:0.27\n");
        agrees("a: 1\r\nb: 2\r\n");
        agrees("-");
        assert_eq!(parse("-"), saphyr("-"));
        // A tab before `#` starts a comment.
        agrees("api\t\t#\t: x\n");
        agrees("a: b\t# c\nd:\te\n");
        // YAML's whitespace is space and tab only.
        agrees("\u{a0}");
        agrees("a: \u{a0}\nb: x\u{2003}\n");
        // Spaces beyond a block scalar's indentation are content.
        agrees("a: |\n b: |\n  c\n  ");
        agrees("a: |\n x\n   \n y\n");
        // A `\u` escape has exactly four hex digits; a NaN may be signed (found in review).
        for y in [
            "a: \"\\u41\"\n",
            "a: [\"\\u+041\"]\n",
            "a: \"\\u00e9\\u0041\"\n",
            "a: -.nan\n",
            "a: +.NaN\n",
        ] {
            agrees(y);
        }
        assert_eq!(parse("a: \"\\u41\"\n"), None);
        assert_eq!(parse("a: -.nan\n"), None);
    }

    #[test]
    fn kubectl_output_takes_the_fast_path() {
        let y = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    deployment.kubernetes.io/revision: \"2\"\n    note: 'it''s fine'\n  labels:\n    app: web\n  name: web\n  namespace: bench\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      creationTimestamp: null\n    spec:\n      containers:\n      - image: nginx:1.27-alpine\n        name: nginx\n        ports:\n        - containerPort: 80\n          protocol: TCP\n        resources: {}\n      dnsPolicy: ClusterFirst\nstatus:\n  conditions: []\n  observedGeneration: -3\n";
        let fast = parse(y).expect("in the subset");
        assert_eq!(Some(fast.clone()), saphyr(y));
        assert_eq!(
            fast[0]["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
            80
        );
        assert_eq!(
            fast[0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
            "2"
        );
    }

    #[test]
    fn outside_the_subset_falls_back() {
        for y in [
            "a: &x 1\nb: *x\n",
            "a: >\n  folded\n",
            "a: |+\n  kept\n\n",
            "a: [1, [2]]\n",
            "a: [1, 2,]\n",
            "a: [1, 2] # c\n",
            "a: [x: 1]\n",
            "a: [1, 2\n  , 3]\n",
            "a: 1.5\n",
            "a: yes\n",
            "a: 0x1F\n",
            "a: long plain\n  continued\n",
            "a: !!str 1\n",
            "a: 1\na: 2\n",
            "- - 1\n",
            "a: 012\n",
        ] {
            assert_eq!(parse(y), None, "{y}");
        }
        agrees("---\na: 1\n---\nb: [ ]\n");
        for y in [
            "a: |\n  {\"x\": 1}\nb: 2\n",
            "a: |-\n  one\n\n    two # not a comment\n  three\n\nb: x\n",
            "m:\n  k: |\n    line\n  j: 1\n",
            "# c\na: 1 # trailing comments are not in the subset\n",
        ] {
            agrees(y);
        }
        assert!(parse("a: |\n  text\n").is_some());
        agrees("items:\n- a: 1\n  b:\n  - x\n  - y\n- c: ~\n");
    }

    /// Plain scalars that start like numbers are read as serde-saphyr reads them: the ones no
    /// number reading takes are strings on the fast path, the others are left to serde-saphyr.
    #[test]
    fn hashes_uids_and_addresses_are_strings() {
        for v in [
            "66bc5c9577",
            "07141715-7734-4e2e-a2cf-6fd038f3a06a",
            "172.18.0.2",
            "10.244.0.7",
            "5997b3f47f1053538",
            "9cd465495x",
            "1:20",
            "-1.2.3",
            "0.27a",
            "80-80",
            "0beffa78-f6ab-4b4f-b5f7-b1b6cd63e2d5",
            "0x1g",
            "2024-01-01",
            "1-",
        ] {
            let y = format!("a: {v}\n");
            assert_eq!(
                parse(&y).map(|d| d[0]["a"].clone()),
                Some(Value::String(v.into())),
                "{y}"
            );
            agrees(&y);
        }
        for v in [
            "1e5", "0x1f", "0o17", "0b101", "1_000", "1.5", "12e4567", "-0x1", "07", "1.", ".5",
            "1e-5", "-1E+5", "0x_1f", "0b1_0", "1e", "0b", "0x", "+1", "1__2",
        ] {
            agrees(&format!("a: {v}\n"));
        }
    }

    /// Flow sequences of scalars on one line, as agents write them in manifests.
    #[test]
    fn flow_sequences_of_scalars_take_the_fast_path() {
        for (y, items) in [
            (
                "a: [\"sh\", \"-c\", \"echo hi, there\"]\n",
                json!(["sh", "-c", "echo hi, there"]),
            ),
            ("a: [\"*\"]\n", json!(["*"])),
            ("a: [\"\"]\n", json!([""])),
            ("a: [Ingress, Egress]\n", json!(["Ingress", "Egress"])),
            ("a: [ 'it''s' ,\"b\" ]\n", json!(["it's", "b"])),
            ("a: [1, 2]\n", json!([1, 2])),
            ("a: [apps/v1, v1.2]\n", json!(["apps/v1", "v1.2"])),
        ] {
            assert_eq!(parse(y).map(|d| d[0]["a"].clone()), Some(items), "{y}");
            agrees(y);
        }
        for y in [
            "a: [yes, no]\n",
            "a: [1.5]\n",
            "a: [\"\\x41\"]\n",
            "a: [a b]\n",
            "a: [a,b]]\n",
            "a: [-x]\n",
            "a: [:x]\n",
        ] {
            assert_eq!(parse(y), None, "{y}");
            agrees(y);
        }
    }

    proptest! {
        /// One-line flow sequences of quoted and plain items, with and without spaces, and
        /// with commas missing or left over.
        #[test]
        fn flow_sequences_agree_with_serde_saphyr(
            items in proptest::collection::vec(
                prop_oneof![
                    "\"[a-z ,:#\\[\\]{}'-]{0,6}\"",
                    "'[a-z ,:#\"\\[\\]{}-]{0,6}'",
                    "[a-zA-Z0-9][a-zA-Z0-9./_:#-]{0,6}",
                ],
                0..4,
            ),
            sep in "[ ]{0,2},?[ ]{0,2}",
            pad in "[ ]{0,2},?",
        ) {
            let y = format!("a: [{pad}{}{pad}]\n", items.join(&sep));
            agrees(&y);
            agrees(&format!("- [{}]\n", items.join(&sep)));
        }

        /// Over scalars made of digits, signs, dots, radix letters, hex digits and colons.
        #[test]
        fn number_like_scalars_agree_with_serde_saphyr(
            v in "[+-]?[0-9][0-9a-fA-FxXoObBeE._:+-]{0,10}",
            number in "[+-]?[0-9][0-9eEx._+-]{0,6}",
        ) {
            for v in [v, number] {
                agrees(&format!("- {v}\n"));
                agrees(&format!("a: {v}\n"));
            }
        }
    }

    /// Every YAML text of the real recordings (kubernetes-mcp-server's evaluations: read
    /// results and the manifests agents wrote) that the fast path takes is read as
    /// serde-saphyr reads it, and the fast path takes at least 90% of them.
    #[test]
    fn agrees_on_the_real_recordings() {
        let Some(root) = crate::testdata::shared_data(
            "agrees_on_the_real_recordings",
            "real/kubernetes-mcp-server-mcpchecker",
        ) else {
            return;
        };
        let all = crate::testdata::recorded_yaml_texts(&[root]);
        let mut fast = 0;
        for t in &all {
            if let Some(docs) = parse(t) {
                fast += 1;
                assert_eq!(Some(docs), saphyr(t), "{t}");
            }
        }
        assert!(
            all.len() > 1000 && fast * 10 >= all.len() * 9,
            "{fast} of {} fast",
            all.len()
        );
    }

    /// Every YAML read result of the fixture corpus and the reproduction (kubectl and MCP
    /// servers' `-o yaml`, with last-applied annotations and managedFields).
    #[test]
    fn agrees_on_the_recorded_results() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        let mut fast = 0;
        for file in [
            "fixtures/corpus/kubectl-shell.jsonl",
            "fixtures/reproductions/evidra-2026-05/runs/containers.jsonl",
            "fixtures/reproductions/evidra-2026-05/runs/baseline.jsonl",
        ] {
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            for line in text.lines() {
                let t: Value = serde_json::from_str(line).unwrap();
                for e in t["events"].as_array().unwrap() {
                    let Some(r) = e.pointer("/result/text").and_then(Value::as_str) else {
                        continue;
                    };
                    let body = r.split("\nExit code:").next().unwrap_or(r);
                    if let Some(i) = body.find("apiVersion:") {
                        let doc = &body[body[..i].rfind('\n').map_or(0, |j| j + 1)..];
                        checked += 1;
                        fast += usize::from(parse(doc).is_some());
                        agrees(doc);
                    }
                }
            }
        }
        assert!(
            checked > 20 && fast * 10 >= checked * 8,
            "{fast} of {checked} fast"
        );
    }

    /// Values as kubectl prints them: keys and strings from a small alphabet with the
    /// characters that matter (dots, slashes, colons, quotes, spaces), numbers, booleans.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1000i64..100000).prop_map(Value::from),
            "[a-z0-9./:' \"#-]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z][a-z0-9./-]{0,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// go-yaml style: sequences at their key's indentation, strings quoted when needed.
    fn emit(v: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.push_str(&format!("{pad}{k}:"));
                    child(x, indent, out);
                }
            }
            Value::Array(items) => {
                for x in items {
                    out.push_str(&format!("{pad}-"));
                    match x {
                        Value::Object(m) if !m.is_empty() => {
                            let mut inner = String::new();
                            emit(x, indent + 2, &mut inner);
                            out.push(' ');
                            out.push_str(inner.trim_start());
                        }
                        _ => child(x, indent, out),
                    }
                }
            }
            other => out.push_str(&format!("{pad}{}\n", leaf(other))),
        }
    }

    fn child(x: &Value, indent: usize, out: &mut String) {
        match x {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                emit(x, indent + 2, out);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                emit(x, indent, out);
            }
            _ => out.push_str(&format!(" {}\n", leaf(x))),
        }
    }

    fn leaf(v: &Value) -> String {
        match v {
            Value::Object(_) => "{}".into(),
            Value::Array(_) => "[]".into(),
            Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
            other => other.to_string(),
        }
    }

    proptest! {
        /// The byte check of an ASCII text says what the character check says.
        #[test]
        fn whitespace_is_checked_as_by_characters(t in "[ a\t\n\r\u{b}\u{c}\u{feff}\u{a0}\u{85}\u{2028}é]{0,12}") {
            let by_chars = t
                .chars()
                .any(|c| c == '\u{feff}' || (c.is_whitespace() && c != ' ' && c != '\n'));
            prop_assert_eq!(leaves_the_subset_by_its_whitespace(&t), by_chars);
        }
    }

    proptest! {
        #[test]
        fn the_fast_path_agrees_with_serde_saphyr(v in value(), plain in any::<bool>()) {
            let mut text = String::new();
            emit(&v, 0, &mut text);
            if plain {
                // Unquote strings where YAML would allow it, to exercise plain scalars.
                text = text.replace('"', "");
            }
            agrees(&text);
        }
    }
}
