//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[allow(dead_code)]
/// Run the binary as a user does, from the repository root.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubeautopsy"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("the binary runs")
}

// Not every test binary uses every helper.
#[allow(dead_code)]
#[path = "../../src/testdata.rs"]
mod testdata;
#[allow(unused_imports)]
pub use testdata::{shared_data, skip};

#[allow(dead_code)]
/// Every file under `dir` (recursively) as (path relative to `dir`, contents), sorted by path.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).expect("inside").display().to_string();
                files.push((name, std::fs::read(&p).expect("read")));
            }
        }
    }
    files.sort();
    files
}

/// Headless Chromium for the browser tests: required in CI (`.ci/run` installs Debian's
/// `chromium`), skipped with a note on a machine without it.
#[allow(dead_code)]
pub fn chromium(test: &str) -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        skip(
            test,
            "no chromium on this machine (.ci/run installs Debian's)",
        );
    }
    found
}

#[allow(dead_code)]
/// Run headless Chromium with a profile of its own.
pub fn headless(chromium: &Path, profile: &Path, args: &[&str]) -> Output {
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

#[allow(dead_code)]
/// The DOM of `page` after headless Chromium rendered it (a profile of its own under `profile`).
pub fn rendered_dom(chromium: &Path, page: &Path, profile: &Path) -> String {
    let url = format!("file://{}", page.display());
    let dom = headless(chromium, profile, &["--dump-dom", &url]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    String::from_utf8_lossy(&dom.stdout).into_owned()
}
