//! Saved analyses read back (`report DIR`, `merge DIR...`): their manifests, refused when they
//! were made with other rules, tool maps, version or threshold, and their runs folded one at a
//! time (kept only when asked, for an HTML report); a run found in two of them is an error
//! (overlapping shards, or a directory given twice).

use super::Provenance;
use super::export::{self, ExportError, SavedRun};
use crate::accounting::{Accounting, DuplicateId};
use crate::fold::{GroupField, IdIndex, RunFold};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// One saved analysis's manifest.
#[derive(Debug, Clone)]
pub struct Part {
    pub dir: PathBuf,
    pub provenance: Provenance,
    pub accounting: Accounting,
    /// The grouping it was saved with.
    pub by: Vec<GroupField>,
}

/// Saved analyses read together.
#[derive(Debug)]
pub struct SavedSet {
    /// In the order given; at least one.
    pub parts: Vec<Part>,
    /// The accounting of them all: inputs counted once, everything else added up.
    pub accounting: Accounting,
    pub fold: RunFold,
    /// Runs whose id an earlier run (in the corpus order of all parts) has.
    pub duplicates: Vec<DuplicateId>,
    /// The runs, in the order read, when asked for.
    pub runs: Vec<SavedRun>,
}

/// Why saved analyses cannot be read together.
#[derive(Debug)]
pub enum SavedError {
    /// A manifest or `results.jsonl` cannot be read.
    Read(ExportError),
    /// Two parts were made differently (their directories and provenances).
    Mixed {
        dir: PathBuf,
        provenance: Box<Provenance>,
        first_dir: PathBuf,
        first: Box<Provenance>,
    },
    /// A run is in two parts.
    Overlap {
        source: String,
        line: u64,
        run: String,
        first_dir: PathBuf,
        dir: PathBuf,
    },
}

impl fmt::Display for SavedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SavedError::Read(e) => write!(f, "{e}"),
            SavedError::Mixed {
                dir,
                provenance: p,
                first_dir,
                first,
            } => write!(
                f,
                "cannot merge {} (kubeautopsy {}, rule set {}, {} tool maps, unsafe at {}) \
                 with {} (kubeautopsy {}, rule set {}, {} tool maps, unsafe at {}): analyse every \
                 shard with the same version, rules, tool maps and --unsafe-at",
                dir.display(),
                p.kubeautopsy,
                p.rule_set,
                p.tool_maps,
                p.unsafe_at.name(),
                first_dir.display(),
                first.kubeautopsy,
                first.rule_set,
                first.tool_maps,
                first.unsafe_at.name()
            ),
            SavedError::Overlap {
                source,
                line,
                run,
                first_dir,
                dir,
            } => write!(
                f,
                "{source}:{line} (run {run}) is in both {} and {}: the analyses overlap",
                first_dir.display(),
                dir.display()
            ),
        }
    }
}

impl std::error::Error for SavedError {}

impl SavedSet {
    /// The grouping asked for, else the one the first part was saved with, else by arm.
    pub fn grouping(&self, asked: &[GroupField]) -> Vec<GroupField> {
        let saved = self.parts.first().map_or(&[][..], |p| &p.by[..]);
        [asked, saved, &[GroupField::Arm]]
            .into_iter()
            .find(|g| !g.is_empty())
            .unwrap_or_default()
            .to_vec()
    }

    /// Sort the kept runs into the corpus order of all parts (sources in the merged order,
    /// then lines).
    pub fn sort_runs(&mut self) {
        let order = source_order(&self.accounting);
        self.runs.sort_by_key(|r| place(&order, r));
    }
}

/// Read the saved analyses in `dirs`; with `keep_runs`, keep their runs.
pub fn open(dirs: &[PathBuf], keep_runs: bool) -> Result<SavedSet, SavedError> {
    let mut parts = Vec::new();
    for dir in dirs {
        let (provenance, accounting, by) = export::load_manifest(dir).map_err(SavedError::Read)?;
        parts.push(Part {
            dir: dir.clone(),
            provenance,
            accounting,
            by,
        });
    }
    // Analyses made with other rules, tool maps, threshold or version do not add up.
    if let Some((first, rest)) = parts.split_first() {
        for p in rest {
            if p.provenance != first.provenance {
                return Err(SavedError::Mixed {
                    dir: p.dir.clone(),
                    provenance: Box::new(p.provenance.clone()),
                    first_dir: first.dir.clone(),
                    first: Box::new(first.provenance.clone()),
                });
            }
        }
    }
    let accounting = Accounting::merge(
        &parts
            .iter()
            .map(|p| p.accounting.clone())
            .collect::<Vec<_>>(),
    );
    let order = source_order(&accounting);
    let mut fold = RunFold::default();
    let mut ids = IdIndex::default();
    let mut seen: HashMap<(u64, u64), usize> = HashMap::new();
    let mut runs = Vec::new();
    for (d, part) in parts.iter().enumerate() {
        for run in export::read_results(&part.dir).map_err(SavedError::Read)? {
            let run = run.map_err(SavedError::Read)?;
            // Within one part, runs may share a place (an importer's runs of one file all start
            // at line 1); across parts, a shared place is the same run twice.
            let key = (source_hash(&run.source), run.line);
            if let Some(other) = seen.insert(key, d).filter(|other| *other != d) {
                return Err(SavedError::Overlap {
                    source: run.source.clone(),
                    line: run.line,
                    run: run.result.head.id.clone(),
                    first_dir: parts
                        .get(other)
                        .map_or_else(|| PathBuf::from("?"), |p| p.dir.clone()),
                    dir: part.dir.clone(),
                });
            }
            fold.add(&run.result);
            ids.add(&run.result.head.id, place(&order, &run));
            if keep_runs {
                // A kept autopsy will be rendered: it must be one.
                if let Some(Err(e)) = run.autopsy.as_ref().map(|a| a.unpack()) {
                    return Err(SavedError::Read(ExportError {
                        path: part.dir.join("results.jsonl"),
                        message: format!(
                            "the autopsy of run {} ({}:{}) is damaged: {e}",
                            run.result.head.id, run.source, run.line
                        ),
                    }));
                }
                runs.push(run);
            }
        }
    }
    let location = |(source, line): (usize, u64)| {
        let path = accounting
            .source_paths
            .get(source)
            .map_or("(unknown source)", String::as_str);
        format!("{path}:{line}")
    };
    let duplicates = ids.duplicates(location);
    Ok(SavedSet {
        parts,
        accounting,
        fold,
        duplicates,
        runs,
    })
}

/// Each source path's index in the corpus order.
fn source_order(accounting: &Accounting) -> HashMap<String, usize> {
    accounting
        .source_paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.clone(), i))
        .collect()
}

/// A run's place in the corpus order: (source index, line).
fn place(order: &HashMap<String, usize>, r: &SavedRun) -> (usize, u64) {
    (
        order.get(r.source.as_str()).copied().unwrap_or(usize::MAX),
        r.line,
    )
}

/// A source path's hash (to tell runs apart by (source, line) without keeping the paths).
fn source_hash(source: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    source.hash(&mut h);
    h.finish()
}
