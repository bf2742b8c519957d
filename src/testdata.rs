//! Test data beside the checkout: `../shared/data`, which CI always has. A test that reads it
//! skips with one line on stderr saying what it skipped and why when it is absent (a fresh
//! clone), and fails when it is absent under `CI=true`. The end-to-end tests include this file
//! too (`tests/common`), so the rule is written once.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// `../shared/data/<rel>`, or `None` (after saying so) when it is not there.
pub fn shared_data(test: &str, rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{test}: {} is missing, and CI=true runs always have ../shared beside the checkout",
        path.display()
    );
    // Written to the stream itself, not through `eprintln!`, which the test harness captures.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {} is not beside this checkout (../shared comes with CI)",
        path.display()
    );
    None
}
