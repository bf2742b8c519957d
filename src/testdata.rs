//! What tests need beside the checkout: `../shared/data`, which CI always has, and programs
//! `.ci/run` installs (Chromium, PySpark). A test without them skips with one line on stderr
//! saying what it skipped and why (a fresh clone), and fails under `CI=true`. The end-to-end tests include this file
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
    skip(
        test,
        &format!(
            "{} is not beside this checkout (../shared comes with CI)",
            path.display()
        ),
    );
    None
}

/// Say on stderr that `test` did not run and why; under `CI=true`, where everything a test
/// needs is there (`.ci/run` installs it), fail instead.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{test} cannot run under CI=true: {why}"
    );
    // Written to the stream itself, not through `eprintln!`, which the test harness captures.
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
}
