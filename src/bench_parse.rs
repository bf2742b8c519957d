//! `kubeautopsy bench-parse` (hidden; bench/ingest.sh runs it): the floor the analysis stands
//! on. Every record is read the way `analyze` reads it (same discovery, same decompression, the
//! same byte ranges of large `.jsonl` files, the same thread pool) and deserialized into borrowed
//! typed structs (serde, `Cow<str>`, arguments and results kept raw), and nothing else: no
//! schema validation, no normalization, no replay, no rules.

use crate::input::{self, Layout, LineItem, LineReader, Source, SourcePath};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::io::Read;
use std::path::PathBuf;

#[derive(Deserialize)]
struct TraceFloor<'a> {
    #[serde(borrow)]
    run: RunFloor<'a>,
    #[serde(borrow, default)]
    events: Vec<EventFloor<'a>>,
    #[serde(borrow, default)]
    outcome: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RunFloor<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    arm: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    scenario: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EventFloor<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tool: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<ResultFloor<'a>>,
}

#[derive(Deserialize)]
struct ResultFloor<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    json: Option<&'a RawValue>,
}

/// What the floor read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FloorStats {
    pub records: u64,
    pub runs: u64,
    pub tool_calls: u64,
    /// Records that are not traces of this shape (counted, not reported).
    pub other: u64,
}

impl std::ops::Add for FloorStats {
    type Output = FloorStats;
    fn add(self, o: FloorStats) -> FloorStats {
        FloorStats {
            records: self.records + o.records,
            runs: self.runs + o.runs,
            tool_calls: self.tool_calls + o.tool_calls,
            other: self.other + o.other,
        }
    }
}

fn parse(record: &[u8]) -> FloorStats {
    let mut s = FloorStats {
        records: 1,
        ..FloorStats::default()
    };
    match serde_json::from_slice::<TraceFloor<'_>>(record) {
        Ok(t) => {
            s.runs = 1;
            s.tool_calls = t
                .events
                .iter()
                .filter(|e| e.tool.is_some() && e.kind.as_deref().is_none_or(|k| k == "tool_call"))
                .count() as u64;
            // Touch what the analysis would read, so nothing is optimized away.
            let _ = (
                &t.run.id,
                &t.run.arm,
                &t.run.scenario,
                &t.outcome,
                t.events
                    .iter()
                    .map(|e| {
                        e.arguments.map_or(0, |a| a.get().len())
                            + e.result.as_ref().map_or(0, |r| {
                                r.text.as_ref().map_or(0, |t| t.len())
                                    + r.json.map_or(0, |j| j.get().len())
                            })
                    })
                    .sum::<usize>(),
            );
        }
        Err(_) => s.other = 1,
    }
    s
}

/// Work for one thread: a whole source, or a byte range of a plain `.jsonl` file.
enum Unit<'a> {
    Whole(&'a Source),
    Range(&'a std::path::Path, u64, u64),
}

fn read_unit(unit: &Unit<'_>, max: u64) -> FloorStats {
    let mut total = FloorStats::default();
    match unit {
        Unit::Range(path, start, end) => {
            let _ = input::read_range(path, *start, *end, max, |item, line| {
                if let LineItem::Line { .. } = item
                    && !line.iter().all(u8::is_ascii_whitespace)
                {
                    total = total + parse(line);
                }
                true
            });
        }
        Unit::Whole(source) => {
            let Ok(mut reader) = input::open_source(&source.path, &input::Limits::default()) else {
                return total;
            };
            if source.layout == Layout::Document {
                let mut bytes = Vec::new();
                if reader.read_to_end(&mut bytes).is_ok() {
                    total = parse(&bytes);
                }
            } else {
                let mut lines = LineReader::new(reader, max, 0);
                let mut buf = Vec::new();
                while let Ok(Some(item)) = lines.next_into(&mut buf) {
                    if let LineItem::Line { .. } = item
                        && !buf.iter().all(u8::is_ascii_whitespace)
                    {
                        total = total + parse(&buf);
                    }
                }
            }
        }
    }
    total
}

/// Parse every record under `paths`; returns what was read.
pub fn run(paths: &[PathBuf], chunk: u64, max: u64) -> FloorStats {
    let discovery = input::discover(paths);
    let mut units = Vec::new();
    for s in &discovery.sources {
        match (&s.path, s.layout, s.size) {
            (SourcePath::File(p), Layout::Lines, Some(size))
                if size > chunk
                    && input::Compression::of_file(p) == Some(input::Compression::None) =>
            {
                let mut start = 0;
                while start < size {
                    let end = (start + chunk).min(size);
                    units.push(Unit::Range(p, start, end));
                    start = end;
                }
            }
            _ => units.push(Unit::Whole(s)),
        }
    }
    units
        .par_iter()
        .map(|u| read_unit(u, max))
        .reduce(FloorStats::default, |a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_runs_and_calls_of_the_corpus() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus");
        let s = run(&[root], 1024, 1 << 26);
        assert_eq!(s.runs, 24);
        assert_eq!(s.other, 0);
        assert!(s.tool_calls > 100, "{s:?}");
    }
}
