//! A table as typed columns: the one shape every output is made from. Tables are built as
//! [`Frame`]s; polars takes them for aggregation and for the CSV and Parquet writers, JSON takes
//! them as records. Column names are `snake_case` and stable: they are the public schema of
//! `--out` and `--format csv|json`.

use crate::verdict::Share;
use polars::prelude::{
    Column, CsvWriter, DataFrame, ParquetReader, ParquetWriter, PolarsResult, SerReader, SerWriter,
};
/// polars's Parquet writer of row groups one at a time.
pub type ParquetBatches<W> = polars::io::parquet::write::BatchedWriter<W>;
use serde_json::{Map, Value};
use std::io::Write;

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    Str(Vec<Option<String>>),
    U64(Vec<Option<u64>>),
    F64(Vec<Option<f64>>),
}

impl ColumnData {
    fn len(&self) -> usize {
        match self {
            ColumnData::Str(v) => v.len(),
            ColumnData::U64(v) => v.len(),
            ColumnData::F64(v) => v.len(),
        }
    }
    fn json(&self, i: usize) -> Value {
        match self {
            ColumnData::Str(v) => v[i].clone().map_or(Value::Null, Value::String),
            ColumnData::U64(v) => v[i].map_or(Value::Null, Value::from),
            ColumnData::F64(v) => v[i]
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        }
    }
}

/// A named table of typed columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The file stem under `--out` (`safety`, `runs`...).
    pub name: &'static str,
    pub columns: Vec<(String, ColumnData)>,
}

impl Frame {
    pub fn new(name: &'static str) -> Frame {
        Frame {
            name,
            columns: Vec::new(),
        }
    }

    pub fn height(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    fn push(mut self, name: impl Into<String>, data: ColumnData) -> Frame {
        debug_assert!(self.columns.is_empty() || data.len() == self.height());
        self.columns.push((name.into(), data));
        self
    }

    pub fn str<S: Into<String>>(self, name: &str, values: impl IntoIterator<Item = S>) -> Frame {
        let v = values.into_iter().map(|s| Some(s.into())).collect();
        self.push(name, ColumnData::Str(v))
    }
    pub fn opt_str<S: Into<String>>(
        self,
        name: &str,
        values: impl IntoIterator<Item = Option<S>>,
    ) -> Frame {
        let v = values.into_iter().map(|s| s.map(Into::into)).collect();
        self.push(name, ColumnData::Str(v))
    }
    pub fn u64(self, name: &str, values: impl IntoIterator<Item = u64>) -> Frame {
        self.push(
            name,
            ColumnData::U64(values.into_iter().map(Some).collect()),
        )
    }
    pub fn opt_u64(self, name: &str, values: impl IntoIterator<Item = Option<u64>>) -> Frame {
        self.push(name, ColumnData::U64(values.into_iter().collect()))
    }
    pub fn f64(self, name: &str, values: impl IntoIterator<Item = Option<f64>>) -> Frame {
        self.push(name, ColumnData::F64(values.into_iter().collect()))
    }
    /// A share as four columns: `<name>` (x), `<name>_rate`, `<name>_low`, `<name>_high`
    /// (the denominator is a column of its own in every table that has shares).
    pub fn share(self, name: &str, shares: &[Share]) -> Frame {
        self.u64(name, shares.iter().map(|s| s.x))
            .f64(&format!("{name}_rate"), shares.iter().map(|s| s.rate))
            .f64(&format!("{name}_low"), shares.iter().map(|s| s.low))
            .f64(&format!("{name}_high"), shares.iter().map(|s| s.high))
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// One JSON object per row (keys sorted: serde_json's map is ordered by key).
    pub fn records(&self) -> Value {
        Value::Array(
            (0..self.height())
                .map(|i| {
                    let row: Map<String, Value> = self
                        .columns
                        .iter()
                        .map(|(n, c)| (n.clone(), c.json(i)))
                        .collect();
                    Value::Object(row)
                })
                .collect(),
        )
    }

    /// The frame as a polars DataFrame (strings as String, counts as UInt64, rates as Float64;
    /// missing values as nulls).
    pub fn to_polars(&self) -> PolarsResult<DataFrame> {
        let cols: Vec<Column> = self
            .columns
            .iter()
            .map(|(name, data)| match data {
                ColumnData::Str(v) => Column::new(name.as_str().into(), v),
                ColumnData::U64(v) => Column::new(name.as_str().into(), v),
                ColumnData::F64(v) => Column::new(name.as_str().into(), v),
            })
            .collect();
        DataFrame::new(self.height(), cols)
    }

    /// Read back a frame that [`Frame::write_parquet`] wrote (or any Parquet file with string,
    /// unsigned and float columns).
    pub fn read_parquet(name: &'static str, file: std::fs::File) -> PolarsResult<Frame> {
        let df = ParquetReader::new(file).finish()?;
        let mut frame = Frame::new(name);
        for col in df.columns() {
            let name = col.name().to_string();
            let s = col.as_materialized_series();
            let data = match s.dtype() {
                polars::prelude::DataType::String => {
                    ColumnData::Str(s.str()?.iter().map(|v| v.map(str::to_string)).collect())
                }
                polars::prelude::DataType::Float64 => ColumnData::F64(s.f64()?.iter().collect()),
                _ => {
                    let c = s.cast(&polars::prelude::DataType::UInt64)?;
                    ColumnData::U64(c.u64()?.iter().collect())
                }
            };
            frame.columns.push((name, data));
        }
        Ok(frame)
    }

    pub fn write_csv(&self, out: impl Write) -> PolarsResult<()> {
        CsvWriter::new(out).finish(&mut self.to_polars()?)
    }

    /// The rows as CSV, with the header line only when `header` (a batch after the first).
    pub fn append_csv(&self, out: impl Write, header: bool) -> PolarsResult<()> {
        CsvWriter::new(out)
            .include_header(header)
            .finish(&mut self.to_polars()?)
    }

    /// A Parquet writer of this frame's columns, one row group per [`Frame::write_batch`].
    pub fn parquet_batches<W: Write>(&self, out: W) -> PolarsResult<ParquetBatches<W>> {
        ParquetWriter::new(out).batched(self.to_polars()?.schema())
    }

    /// This frame's rows as the next row group of `w` (none when it has no rows).
    pub fn write_batch<W: Write>(&self, w: &mut ParquetBatches<W>) -> PolarsResult<()> {
        if self.height() == 0 {
            return Ok(());
        }
        w.write_batch(&self.to_polars()?)
    }

    pub fn write_parquet(&self, out: impl Write) -> PolarsResult<()> {
        ParquetWriter::new(out)
            .finish(&mut self.to_polars()?)
            .map(|_| ())
    }

    /// The column `name`, if it exists.
    pub fn column(&self, name: &str) -> Option<&ColumnData> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Row `i` of a string column (`None` when the column is missing, not strings, or null).
    pub fn str_at(&self, name: &str, i: usize) -> Option<&str> {
        match self.column(name)? {
            ColumnData::Str(v) => v.get(i)?.as_deref(),
            _ => None,
        }
    }

    /// Row `i` of a count column.
    pub fn u64_at(&self, name: &str, i: usize) -> Option<u64> {
        match self.column(name)? {
            ColumnData::U64(v) => *v.get(i)?,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Frame {
        Frame::new("t")
            .str("arm", ["a", "b"])
            .opt_str("model", [Some("m"), None::<&str>])
            .u64("runs", [3, 0])
            .share("safe_pass", &[Share::wilson(2, 3), Share::wilson(0, 0)])
    }

    #[test]
    fn csv_has_one_column_per_field_and_nulls_empty() {
        let mut out = Vec::new();
        sample().write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("arm,model,runs,safe_pass,safe_pass_rate,safe_pass_low,safe_pass_high")
        );
        let first = lines.next().unwrap();
        assert!(first.starts_with("a,m,3,2,0.66666"), "{first}");
        assert_eq!(lines.next(), Some("b,,0,0,,,"));
    }

    #[test]
    fn parquet_round_trips() {
        let f = sample();
        let mut out = Vec::new();
        f.write_parquet(&mut out).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, &out).unwrap();
        let back = Frame::read_parquet("t", std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn records_are_objects_with_nulls() {
        let r = sample().records();
        assert_eq!(r[1]["model"], Value::Null);
        assert_eq!(r[0]["runs"], 3);
        assert_eq!(r[1]["safe_pass_rate"], Value::Null);
    }
}
