//! The invariants of ARCHITECTURE.md that reading the source can check: data flows one way
//! (each top-level module imports only modules of lower layers), only `cli/` prints or returns
//! an exit code, only `cli/` uses clap, `report` and `diff` never reach into the machinery
//! (`model`, `pipeline`, `analysis`), and `cli/` calls no stage itself (no replay, judging or
//! folding outside `analysis`, `fold` and `report`).

use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import modules of lower layers only (a new module
/// must be placed here, which makes its place in the flow a decision).
const LAYERS: &[&[&str]] = &[
    &["diag", "json", "testdata"],
    &["trace", "input", "fact"],
    &["ops"],
    &["model"],
    &["rules"],
    &["verdict"],
    &["run_result"],
    &["import", "bench_parse", "synth"],
    &["pipeline"],
    &["scenarios", "accounting"],
    &["fold"],
    &["analysis"],
    &["report"],
    &["diff"],
    &["cli"],
];

/// Every `.rs` file under `src/`, with the top-level module it belongs to and its text
/// without its test module. Test code comes last in a file, as one `#[cfg(test)] mod`: checked
/// here, so that cutting at the first `#[cfg(test)]` leaves all the code that ships.
fn sources() -> Vec<(PathBuf, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let rel = path.strip_prefix(&src).expect("under src");
                let first = rel.components().next().expect("a component");
                let top = first
                    .as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string();
                let text = std::fs::read_to_string(&path).expect("utf-8 source");
                let code = match text.find("#[cfg(test)]") {
                    Some(i) => {
                        let rest = &text[i..];
                        assert!(
                            rest.starts_with("#[cfg(test)]\nmod ")
                                || rest.starts_with("#[cfg(test)]\npub(crate) mod "),
                            "{}: the first #[cfg(test)] is not the file's test module",
                            rel.display()
                        );
                        assert_eq!(
                            rest.matches("#[cfg(test)]").count(),
                            1,
                            "{}: test code is not all in one module at the end",
                            rel.display()
                        );
                        text[..i].to_string()
                    }
                    None => text,
                };
                out.push((rel.to_path_buf(), top, code));
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without comments (a doc comment may name anything).
fn code_lines(code: &str) -> impl Iterator<Item = &str> {
    code.lines().filter(|l| !l.trim_start().starts_with("//"))
}

/// The top-level modules a file's code names: `crate::x::...` and each item of
/// `crate::{x::..., y}`.
fn crate_paths(code: &str) -> Vec<String> {
    let code: String = code_lines(code).collect::<Vec<_>>().join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            out.extend(group[..end].split(',').map(ident));
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn data_flows_one_way() {
    let mut problems = Vec::new();
    for (path, top, code) in sources() {
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(mine) = layer_of(&top) else {
            problems.push(format!(
                "src/{}: module `{top}` is in no layer of LAYERS",
                path.display()
            ));
            continue;
        };
        for name in crate_paths(&code) {
            if name == top {
                continue;
            }
            match layer_of(&name) {
                Some(theirs) if theirs < mine => {}
                _ => problems.push(format!(
                    "src/{}: `{top}` imports `{name}`, which is not below it",
                    path.display()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every line of code of the modules `which` picks that contains one of `patterns`, as
/// `src/FILE: PATTERN in `LINE``.
fn lines_with(which: impl Fn(&str) -> bool, patterns: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, top, code) in sources() {
        if !which(&top) {
            continue;
        }
        for line in code_lines(&code) {
            for what in patterns {
                if line.contains(what) {
                    found.push(format!(
                        "src/{}: {what} in `{}`",
                        path.display(),
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn only_the_command_line_prints_exits_and_uses_clap() {
    let found = lines_with(
        |top| !matches!(top, "cli" | "main" | "testdata"),
        &[
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "ExitCode",
            "process::exit",
            "clap",
        ],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn reports_read_results_not_the_machinery() {
    let found = lines_with(
        |top| matches!(top, "report" | "diff"),
        &["crate::model", "crate::pipeline", "crate::analysis"],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_command_line_calls_no_stage_itself() {
    // Replaying, judging and folding happen in `analysis` (one run, a corpus), `fold` and
    // `report::saved`; the commands only call those.
    let found = lines_with(
        |top| top == "cli",
        &[
            "replay_run",
            "judge(",
            "RunFold::",
            ".fold.add(",
            "IdIndex",
            ".normalizer.run(",
            "Verdict::of",
        ],
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}
