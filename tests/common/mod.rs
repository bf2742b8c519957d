//! Helpers shared by the end-to-end tests.

use std::path::Path;
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
