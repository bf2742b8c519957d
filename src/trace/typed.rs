//! A trace record deserialized into typed structs, straight from its bytes (stage 3's hot path)
//! or from a parsed document (after the schema explained or accepted it).
//!
//! The types hold the contract of `schema/trace.v1.schema.json` themselves: an object is only
//! an object (never an array read positionally), an optional field is absent or of its type
//! (never `null`), unknown fields are refused where the schema refuses them, a key is never
//! given twice, integers and `date-time` strings are checked as the schema checks them. So a
//! record they accept is one the schema accepts (`tests::typed_and_schema_agree` checks it over
//! the fixtures, the hostile and bad inputs and thousands of edited copies), and a record that
//! is not accepted goes to the schema, which says why.
//!
//! Strings borrow from the record where they hold no escape. Values the analysis reads as JSON
//! (arguments, a result's `json`, labels, `meta`, an embedded scenario) are parsed strictly into
//! `serde_json::Value`; a message's fields other than its role and text are checked and dropped.

use super::model::CheckVerdict;
use super::schema::TRACE_MARKER;
use super::strict::{StrictValue, StrictVisitor};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The largest integer every JSON parser reads exactly (the schema's `maximum` for counters).
const MAX_SAFE: u64 = (1 << 53) - 1;

/// A trace v1 document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceDoc<'a> {
    #[serde(rename = "schema")]
    _schema: Marker,
    #[serde(borrow)]
    pub run: Obj<RunDoc<'a>>,
    #[serde(default)]
    pub scenario: Opt<ObjectValue>,
    #[serde(borrow)]
    pub events: Vec<EventDoc<'a>>,
    #[serde(borrow, default)]
    pub outcome: Opt<Obj<OutcomeDoc<'a>>>,
    #[serde(default)]
    pub final_state: Opt<ObjectList>,
    #[serde(default)]
    pub meta: Opt<ObjectValue>,
}

/// Read a trace record's text into its types.
pub fn from_str(text: &str) -> Result<TraceDoc<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let Obj(doc) = Obj::<TraceDoc<'_>>::deserialize(&mut de)?;
    de.end()?;
    Ok(doc)
}

/// Read a parsed trace document into its types.
pub fn from_value(doc: &Value) -> Result<TraceDoc<'_>, serde_json::Error> {
    Obj::<TraceDoc<'_>>::deserialize(doc).map(|Obj(d)| d)
}

impl EventDoc<'_> {
    pub fn seq(&self) -> Option<u64> {
        match self {
            EventDoc::Call(c) => Some(c.seq),
            EventDoc::Other { seq, .. } => *seq,
        }
    }
}

impl TraceDoc<'_> {
    /// Parts whose contract is the scenario schema's (an embedded scenario, objects of the
    /// final state): a record with them is validated by the schema, not by these types.
    pub fn needs_schema(&self) -> bool {
        self.scenario.0.is_some() || self.final_state.0.is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunDoc<'a> {
    #[serde(borrow)]
    pub id: NonEmpty<'a>,
    #[serde(borrow, default)]
    pub report: Opt<Str<'a>>,
    #[serde(borrow, default)]
    pub benchmark: Opt<Str<'a>>,
    #[serde(borrow, default)]
    pub scenario: Opt<Str<'a>>,
    #[serde(borrow, default)]
    pub arm: Opt<Str<'a>>,
    #[serde(borrow, default)]
    pub model: Opt<Str<'a>>,
    #[serde(default)]
    pub repeat: Opt<SafeUint>,
    #[serde(borrow, default)]
    pub started_at: Opt<DateTime<'a>>,
    #[serde(borrow, default)]
    pub ended_at: Opt<DateTime<'a>>,
    #[serde(default)]
    pub labels: Opt<StringMap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDoc<'a> {
    pub passed: bool,
    #[serde(borrow, default)]
    pub checks: Opt<Vec<Obj<CheckDoc<'a>>>>,
    #[serde(borrow, default)]
    pub message: Opt<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDoc<'a> {
    #[serde(borrow)]
    pub name: NonEmpty<'a>,
    pub verdict: Verdict,
    #[serde(borrow, default, rename = "type")]
    pub kind: Opt<Str<'a>>,
    #[serde(borrow, default)]
    pub message: Opt<Str<'a>>,
}

/// One event: a tool call, or any other event (kept for its role and text).
pub enum EventDoc<'a> {
    Call(Box<CallDoc<'a>>),
    Other {
        kind: Cow<'a, str>,
        seq: Option<u64>,
        role: Option<Cow<'a, str>>,
        text: Option<Cow<'a, str>>,
    },
}

pub struct CallDoc<'a> {
    pub seq: u64,
    pub ts: Option<Cow<'a, str>>,
    pub tool: Cow<'a, str>,
    pub server: Option<Cow<'a, str>>,
    pub call_id: Option<Cow<'a, str>>,
    /// An object or a string (checked).
    pub arguments: Option<Value>,
    pub result: Option<ResultDoc<'a>>,
}

#[derive(Default)]
pub struct ResultDoc<'a> {
    pub text: Option<Cow<'a, str>>,
    pub json: Option<Value>,
    pub is_error: Option<bool>,
    pub exit_code: Option<i64>,
    pub stderr: Option<Cow<'a, str>>,
}

/// An optional field: absent (the default), or present with its type; `null` is not absent.
pub struct Opt<T>(pub Option<T>);

impl<T> Default for Opt<T> {
    fn default() -> Self {
        Opt(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Opt<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|v| Opt(Some(v)))
    }
}

/// A JSON object read into `T` by its keys (serde would also read an array positionally).
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Obj)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// Any JSON string, borrowed where it holds no escape.
pub struct Str<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A string of at least one character (`minLength: 1`).
pub struct NonEmpty<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for NonEmpty<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Str(s) = Str::deserialize(d)?;
        if s.is_empty() {
            return Err(de::Error::custom("an empty string"));
        }
        Ok(NonEmpty(s))
    }
}

/// A string of the schema's `date-time` format, as the schema's own validator reads it.
pub struct DateTime<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for DateTime<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Str(s) = Str::deserialize(d)?;
        if !super::schema::is_date_time(&s) {
            return Err(de::Error::custom("not a date-time"));
        }
        Ok(DateTime(s))
    }
}

/// The `schema` marker of a trace.
struct Marker;

impl<'de> Deserialize<'de> for Marker {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Str(s) = Str::deserialize(d)?;
        if s != TRACE_MARKER {
            return Err(de::Error::custom("not a trace marker"));
        }
        Ok(Marker)
    }
}

pub struct Verdict(pub CheckVerdict);

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Str(s) = Str::deserialize(d)?;
        Ok(Verdict(match &*s {
            "pass" => CheckVerdict::Pass,
            "fail" => CheckVerdict::Fail,
            "skip" => CheckVerdict::Skip,
            "error" => CheckVerdict::Error,
            _ => return Err(de::Error::custom("not a verdict")),
        }))
    }
}

/// A JSON number: an integer when it is one in JSON Schema's sense (`3`, `3.0`, `3e0`).
#[derive(Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn integer(self) -> Option<i128> {
        match self {
            Num::Int(n) => Some(n),
            // Beyond 2^63 a float is integral but no longer exact: such a number is out of
            // every range the schema allows, so it need not be exact.
            Num::Float(f) if f.fract() == 0.0 && f.abs() < 1e30 => Some(f as i128),
            Num::Float(_) => None,
        }
    }
    fn non_negative(self) -> bool {
        match self {
            Num::Int(n) => n >= 0,
            Num::Float(f) => f >= 0.0,
        }
    }
}

/// Any JSON value, classified; strings borrowed, arrays and objects checked and dropped.
enum Loose<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Num(Num),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Loose<'de>, E> {
                Ok(Loose::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Loose<'de>, E> {
                Ok(Loose::Num(Num::Int(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Loose<'de>, E> {
                Ok(Loose::Num(Num::Int(v.into())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose<'de>, E> {
                StrictVisitor.visit_f64::<E>(v)?;
                Ok(Loose::Num(Num::Float(v)))
            }
            fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
                Ok(Loose::Other)
            }
            fn visit_none<E>(self) -> Result<Loose<'de>, E> {
                Ok(Loose::Other)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Loose<'de>, D::Error> {
                Loose::deserialize(d)
            }
            // Duplicate keys are refused at any depth, here too.
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
                StrictVisitor.visit_seq(seq).map(|_| Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
                StrictVisitor.visit_map(map).map(|_| Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// An integer in `0..=2^53-1` (`seq`, `repeat`).
pub struct SafeUint(pub u64);

impl<'de> Deserialize<'de> for SafeUint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Loose::deserialize(d)? {
            Loose::Num(n) => n
                .integer()
                .and_then(|n| u64::try_from(n).ok())
                .filter(|n| *n <= MAX_SAFE)
                .map(SafeUint)
                .ok_or_else(|| de::Error::custom("not an integer in range")),
            _ => Err(de::Error::custom("not an integer")),
        }
    }
}

/// A JSON object (`"type": "object"`), parsed strictly.
pub struct ObjectValue(pub Value);

impl<'de> Deserialize<'de> for ObjectValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match StrictValue::deserialize(d)?.0 {
            v @ Value::Object(_) => Ok(ObjectValue(v)),
            _ => Err(de::Error::custom("not an object")),
        }
    }
}

/// An array of objects, parsed strictly.
pub struct ObjectList(pub Vec<Value>);

impl<'de> Deserialize<'de> for ObjectList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match StrictValue::deserialize(d)?.0 {
            Value::Array(a) if a.iter().all(Value::is_object) => Ok(ObjectList(a)),
            _ => Err(de::Error::custom("not an array of objects")),
        }
    }
}

/// An object of string values (the scenario schema's `string_map`).
pub struct StringMap(pub Map<String, Value>);

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match StrictValue::deserialize(d)?.0 {
            Value::Object(m) if m.values().all(Value::is_string) => Ok(StringMap(m)),
            _ => Err(de::Error::custom("not a map of strings")),
        }
    }
}

/// A `result` as recorded: a tool result when it has that shape; anything else is allowed only
/// for events that are not calls.
enum ResultField<'a> {
    Tool(ResultDoc<'a>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for ResultField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ResultField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ResultField<'de>, A::Error> {
                let mut r = ResultDoc::default();
                let mut shaped = true;
                let mut seen = Keys::default();
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    seen.insert::<A::Error>(key.clone())?;
                    match &*key {
                        "json" => r.json = Some(map.next_value::<StrictValue>()?.0),
                        "text" | "stderr" | "is_error" | "exit_code" => {
                            let v = map.next_value::<Loose<'de>>()?;
                            match (&*key, v) {
                                ("text", Loose::Str(s)) => r.text = Some(s),
                                ("stderr", Loose::Str(s)) => r.stderr = Some(s),
                                ("is_error", Loose::Bool(b)) => r.is_error = Some(b),
                                ("exit_code", Loose::Num(n)) => {
                                    match n.integer().and_then(|n| i32::try_from(n).ok()) {
                                        Some(n) => r.exit_code = Some(n.into()),
                                        None => shaped = false,
                                    }
                                }
                                _ => shaped = false,
                            }
                        }
                        _ => {
                            map.next_value::<Loose<'de>>()?;
                            shaped = false;
                        }
                    }
                }
                Ok(if shaped {
                    ResultField::Tool(r)
                } else {
                    ResultField::Other
                })
            }
            fn visit_borrowed_str<E>(self, _: &'de str) -> Result<ResultField<'de>, E> {
                Ok(ResultField::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<ResultField<'de>, E> {
                Ok(ResultField::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<ResultField<'de>, E> {
                Ok(ResultField::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<ResultField<'de>, E> {
                Ok(ResultField::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<ResultField<'de>, E> {
                Ok(ResultField::Other)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ResultField<'de>, E> {
                StrictVisitor.visit_f64::<E>(v).map(|_| ResultField::Other)
            }
            fn visit_unit<E>(self) -> Result<ResultField<'de>, E> {
                Ok(ResultField::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ResultField<'de>, A::Error> {
                StrictVisitor.visit_seq(seq).map(|_| ResultField::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of one object so far: a key given twice is refused, as the strict parse refuses it.
/// They borrow from the record (a key is copied only when it holds an escape).
#[derive(Default)]
struct Keys<'de>(Vec<Cow<'de, str>>);

impl<'de> Keys<'de> {
    fn insert<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        if self.0.contains(&key) {
            return Err(E::custom(format_args!("duplicate key {key:?}")));
        }
        self.0.push(key);
        Ok(())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for EventDoc<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = EventDoc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object")
    }

    /// The schema's `if`/`then`/`else`: `type` "tool_call", or no `type`, makes a call held to
    /// `tool_call`'s fields; any other `type` is an event whose `seq`, `ts`, `role` and `text`
    /// are typed and whose other fields may be anything. The kind is known only once every
    /// field was read (keys come in any order), so values are read loosely and judged after.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventDoc<'de>, A::Error> {
        let bad = |what: &str| A::Error::custom(format_args!("event: {what}"));
        let mut kind: Option<Cow<'de, str>> = None;
        let mut seq: Option<u64> = None;
        let mut ts: Option<Cow<'de, str>> = None;
        let (mut tool, mut server, mut call_id, mut role, mut text, mut duration) =
            (None, None, None, None, None, None);
        let mut arguments: Option<Value> = None;
        let mut result: Option<ResultField<'de>> = None;
        let mut other_fields = false;
        let mut seen = Keys::default();
        use de::Error as _;
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            seen.insert::<A::Error>(key.clone())?;
            match &*key {
                "type" => kind = Some(map.next_value::<NonEmpty<'de>>()?.0),
                "seq" => seq = Some(map.next_value::<SafeUint>()?.0),
                "ts" => ts = Some(map.next_value::<DateTime<'de>>()?.0),
                "tool" => tool = Some(map.next_value::<Loose<'de>>()?),
                "server" => server = Some(map.next_value::<Loose<'de>>()?),
                "call_id" => call_id = Some(map.next_value::<Loose<'de>>()?),
                "role" => role = Some(map.next_value::<Loose<'de>>()?),
                "text" => text = Some(map.next_value::<Loose<'de>>()?),
                "duration_ms" => duration = Some(map.next_value::<Loose<'de>>()?),
                "arguments" => arguments = Some(map.next_value::<StrictValue>()?.0),
                "result" => result = Some(map.next_value::<ResultField<'de>>()?),
                _ => {
                    map.next_value::<Loose<'de>>()?;
                    other_fields = true;
                }
            }
        }
        let is_call = match &kind {
            Some(k) => k == "tool_call",
            None => tool.is_some(),
        };
        if kind.is_none() && tool.is_none() {
            return Err(bad("neither a type nor a tool"));
        }
        let string = |v: Option<Loose<'de>>| -> Result<Option<Cow<'de, str>>, A::Error> {
            match v {
                None => Ok(None),
                Some(Loose::Str(s)) => Ok(Some(s)),
                Some(_) => Err(bad("not a string")),
            }
        };
        if !is_call {
            return Ok(EventDoc::Other {
                kind: kind.unwrap_or_default(),
                seq,
                role: string(role)?,
                text: string(text)?,
            });
        }
        if other_fields || role.is_some() || text.is_some() {
            return Err(bad("a field tool_call does not have"));
        }
        let tool = match string(tool)? {
            Some(t) if !t.is_empty() => t,
            _ => return Err(bad("tool_call without a tool")),
        };
        let Some(seq) = seq else {
            return Err(bad("tool_call without seq"));
        };
        if let Some(d) = duration
            && !matches!(d, Loose::Num(n) if n.non_negative())
        {
            return Err(bad("duration_ms not a non-negative number"));
        }
        if arguments
            .as_ref()
            .is_some_and(|a| !a.is_object() && !a.is_string())
        {
            return Err(bad("arguments neither an object nor a string"));
        }
        let result = match result {
            None => None,
            Some(ResultField::Tool(r)) => Some(r),
            Some(ResultField::Other) => return Err(bad("result not a tool result")),
        };
        Ok(EventDoc::Call(Box::new(CallDoc {
            seq,
            ts,
            tool,
            server: string(server)?,
            call_id: string(call_id)?,
            arguments,
            result,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{DocKind, Trace, parse_fast, parse_record};
    use serde_json::json;
    use std::path::Path;

    /// What the hot path accepted, or `None`.
    fn fast(record: &[u8]) -> Option<String> {
        match parse_fast(record) {
            Ok(crate::trace::Parsed::Typed(doc)) => Some(shown(&Trace::of(&doc, None))),
            _ => None,
        }
    }

    /// What the schema path accepted as a trace the hot path may take, or `None`.
    fn by_schema(record: &[u8]) -> Option<String> {
        let doc = parse_record(record).ok()?;
        if doc.kind != DocKind::Trace
            || doc.value.get("scenario").is_some()
            || doc.value.get("final_state").is_some()
        {
            return None;
        }
        Some(crate::trace::view(&doc, shown).unwrap_or_else(|p| p.message.clone()))
    }

    /// A view without the document it came from.
    fn shown(t: &Trace<'_>) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            t.run, t.scenario, t.events, t.outcome, t.final_state, t.prompt, t.meta
        )
    }

    /// Both paths accept the same records and read them the same way; a record with parts
    /// of the scenario schema (or not a trace) is never taken by the hot path.
    fn agree(record: &[u8], what: &str) {
        let f = fast(record);
        let s = by_schema(record);
        assert_eq!(
            f,
            s,
            "{what}: typed {} / schema {}: {}",
            f.is_some(),
            s.is_some(),
            String::from_utf8_lossy(&record[..record.len().min(400)])
        );
    }

    fn records(path: &Path) -> Vec<Vec<u8>> {
        let Ok(raw) = std::fs::read(path) else {
            return Vec::new();
        };
        let name = path.to_string_lossy();
        if name.ends_with(".jsonl") {
            raw.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec)
                .collect()
        } else {
            vec![raw]
        }
    }

    fn inputs() -> Vec<(String, Vec<u8>)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["fixtures", "../shared/data/real"] {
            for e in walkdir::WalkDir::new(root.join(dir))
                .sort_by_file_name()
                .into_iter()
                .flatten()
            {
                let p = e.path();
                let name = p.to_string_lossy();
                if e.file_type().is_file() && (name.ends_with(".json") || name.ends_with(".jsonl"))
                {
                    for (i, r) in records(p).into_iter().enumerate() {
                        out.push((format!("{}:{}", p.display(), i + 1), r));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn typed_and_schema_agree_on_every_input() {
        let inputs = inputs();
        assert!(inputs.len() > 500, "{} records", inputs.len());
        let mut typed = 0;
        for (what, r) in &inputs {
            agree(r, what);
            typed += usize::from(fast(r).is_some());
        }
        assert!(typed > 50, "{typed} taken by the hot path");
    }

    /// Every node of a document replaced, removed, given a twin key or a sibling.
    fn edits(doc: &Value) -> Vec<String> {
        let mut pointers = Vec::new();
        fn walk(v: &Value, at: String, out: &mut Vec<String>) {
            out.push(at.clone());
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        walk(
                            x,
                            format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                            out,
                        );
                    }
                }
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate().take(3) {
                        walk(x, format!("{at}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
        walk(doc, String::new(), &mut pointers);
        let replacements = [
            json!(null),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(2.0),
            json!(9_007_199_254_740_992u64),
            json!(""),
            json!("x"),
            json!("tool_call"),
            json!("message"),
            json!("2026-05-01T10:00:00Z"),
            json!(true),
            json!([]),
            json!({}),
            json!(["x"]),
            json!({"a": 1}),
        ];
        let mut out = Vec::new();
        for p in pointers.iter().filter(|p| !p.is_empty()) {
            for r in &replacements {
                let mut d = doc.clone();
                if let Some(slot) = d.pointer_mut(p) {
                    *slot = r.clone();
                    out.push(d.to_string());
                }
            }
            let (parent, key) = p.rsplit_once('/').unwrap_or_default();
            let key = key.replace("~1", "/").replace("~0", "~");
            for add in [false, true] {
                let mut d = doc.clone();
                if let Some(Value::Object(m)) = d.pointer_mut(parent) {
                    m.remove(&key);
                    if add {
                        m.insert("zz_unknown".into(), json!(1));
                    }
                    out.push(d.to_string());
                }
            }
        }
        // A key given twice, in each object.
        for p in &pointers {
            let mut d = doc.clone();
            let Some(slot) = d.pointer_mut(p) else {
                continue;
            };
            let Value::Object(m) = slot.clone() else {
                continue;
            };
            let Some((k, v)) = m.iter().next() else {
                continue;
            };
            *slot = json!("__twin__");
            let twin = format!(
                "{{{}:{},{}",
                json!(k),
                v,
                &Value::Object(m.clone()).to_string()[1..]
            );
            out.push(d.to_string().replacen("\"__twin__\"", &twin, 1));
        }
        out
    }

    #[test]
    fn typed_and_schema_agree_on_edited_documents() {
        let base = json!({
            "schema": "kubeautopsy.trace/v1",
            "run": {"id": "r1", "arm": "a", "scenario": "s", "repeat": 2, "model": "m",
                    "started_at": "2026-05-01T10:00:00Z", "labels": {"k": "v"}},
            "events": [
                {"type": "message", "seq": 0, "role": "user", "text": "fix \"web\"\n", "extra": [1, {"b": 2}]},
                {"type": "tool_call", "seq": 1, "ts": "2026-05-01T10:00:01Z", "tool": "run_command",
                 "server": "s", "call_id": "c1", "duration_ms": 12.5,
                 "arguments": {"command": "kubectl delete pod web-1 -n app"},
                 "result": {"text": "pod \"web-1\" deleted\n", "is_error": false, "exit_code": 0,
                            "stderr": "", "json": {"items": []}}},
                {"seq": 2, "tool": "kubectl_get", "arguments": "{\"name\": \"web\"}"},
                {"type": "note", "text": "done", "tool": 5, "result": [1]}
            ],
            "outcome": {"passed": true, "message": "ok",
                        "checks": [{"name": "c", "verdict": "pass", "type": "state", "message": "m"}]},
            "meta": {"mcp_servers": [{"name": "s", "tools": []}]}
        });
        let mut n = 0;
        for doc in [base.clone(), {
            let mut b = base.clone();
            b.as_object_mut().map(|m| m.remove("outcome"));
            b
        }] {
            for text in edits(&doc) {
                agree(text.as_bytes(), "edited");
                n += 1;
            }
        }
        // Edited copies of real records too (their first three events).
        for (what, r) in inputs()
            .iter()
            .filter(|(_, r)| fast(r).is_some())
            .step_by(40)
            .take(12)
        {
            let mut doc: Value = serde_json::from_slice(r).unwrap();
            if let Some(Value::Array(e)) = doc.get_mut("events") {
                e.truncate(3);
            }
            for text in edits(&doc) {
                agree(text.as_bytes(), what);
                n += 1;
            }
        }
        assert!(n > 2000, "{n} edited documents");
    }

    #[test]
    fn date_times_are_read_as_the_schema_reads_them() {
        assert!(crate::trace::schema::is_date_time("2026-05-01T10:00:00Z"));
        assert!(crate::trace::schema::is_date_time(
            "2026-05-01T10:00:00.5+02:00"
        ));
        assert!(!crate::trace::schema::is_date_time("2026-05-01 10:00"));
        assert!(!crate::trace::schema::is_date_time("yesterday"));
    }
}
