//! `kubeautopsy report DIR` (the tables and HTML report of a saved analysis) and `merge DIR...`
//! (the tables of shards' saved analyses, as one `analyze` of the whole corpus prints them).

use super::args::{Global, MergeArgs, ReportArgs};
use super::common::{self, note_duplicate_ids};
use super::{CliError, Outcome};
use crate::report::saved::{self, SavedError};
use std::io::Write;
use std::process::ExitCode;

/// A saved analysis that cannot be read; `what` names it ("the", "a").
fn cannot(what: &str, e: SavedError) -> CliError {
    match e {
        SavedError::Read(e) => CliError::Fatal(format!("cannot read {what} saved analysis: {e}")),
        other => CliError::Fatal(other.to_string()),
    }
}

pub fn report(g: &Global, r: &ReportArgs) -> Outcome {
    let set = saved::open(std::slice::from_ref(&r.dir), r.html.is_some())
        .map_err(|e| cannot("the", e))?;
    let Some(part) = set.parts.first() else {
        return Err(CliError::Fatal("no saved analysis".into()));
    };
    let tables = common::tables(&set.fold, &set.grouping(&r.by))?;
    if let Some(path) = &r.html {
        let drill = common::drill_down_of(path, set.runs.iter().map(|r| r.row()))?;
        common::write_html(g, path, &tables, drill, &part.accounting, &part.provenance)?;
    }
    let mut out = std::io::stdout().lock();
    write!(
        out,
        "{}",
        crate::report::render_report(&tables, &part.accounting, &part.provenance, r.format)
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn merge(g: &Global, m: &MergeArgs) -> Outcome {
    let mut set = saved::open(&m.dirs, m.html.is_some()).map_err(|e| cannot("a", e))?;
    let Some(part) = set.parts.first() else {
        return Err(CliError::Fatal("no saved analysis".into()));
    };
    let provenance = part.provenance.clone();
    let by = set.grouping(&m.by);
    let mut accounting = set.accounting.clone();
    note_duplicate_ids(g, &set.duplicates, &mut accounting);
    let tables = common::tables(&set.fold, &by)?;
    if let Some(path) = &m.html {
        set.sort_runs();
        let drill = common::drill_down_of(path, set.runs.iter().map(|r| r.row()))?;
        common::write_html(g, path, &tables, drill, &accounting, &provenance)?;
    }
    let mut out = std::io::stdout().lock();
    crate::report::write_output(&mut out, m.format.into(), &tables, &accounting, &provenance)?;
    Ok(ExitCode::SUCCESS)
}
