//! Hostile and broken input (fixtures/hostile, and the large inputs made here): each costs one
//! clear diagnostic within a bounded cost, never a panic, a hang or a lost run.
//!
//! The bound every case runs under: `ulimit -v` (address space) of `MEMORY_MIB` and a wall
//! clock of `SECONDS` (generous: these machines are shared; the point is that a bomb does not
//! take minutes or gigabytes).

mod common;
use common::tree;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MEMORY_MIB: u64 = 2048;
const SECONDS: u64 = 60;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a test writes to the binary's stdin (from its own thread).
type Feed = Box<dyn FnOnce(&mut dyn Write) + Send>;

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Ran {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Run the binary under the memory and time bound, feeding `stdin` from a thread.
fn bounded(args: &[&str], stdin: Option<Feed>) -> Ran {
    let mut c = Command::new("sh");
    c.current_dir(root())
        .arg("-c")
        .arg(format!(
            "ulimit -v {}; exec \"$0\" \"$@\"",
            MEMORY_MIB * 1024
        ))
        .arg(env!("CARGO_BIN_EXE_kubeautopsy"))
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = c.spawn().expect("sh runs");
    let feeder = stdin.map(|f| {
        let mut pipe = child.stdin.take().expect("piped");
        std::thread::spawn(move || f(&mut pipe))
    });
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(SECONDS) {
            let _ = child.kill();
            panic!("kubeautopsy {args:?} ran longer than {SECONDS} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = String::from_utf8_lossy(&out_t.join().expect("reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().expect("reader")).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "kubeautopsy {args:?} panicked:\n{stderr}"
    );
    Ran {
        code: status.code(),
        stdout,
        stderr,
        elapsed,
    }
}

fn run(args: &[&str]) -> Ran {
    bounded(args, None)
}

fn hostile(name: &str) -> String {
    format!("fixtures/hostile/{name}")
}

#[test]
fn yaml_alias_bomb_in_a_manifest_is_cut_off_by_the_budget() {
    let r = run(&["explain", &hostile("alias-bomb.json")]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(r.stdout.contains("budget breached"), "{}", r.stdout);
    assert!(r.stdout.contains("target unresolved"), "{}", r.stdout);
    // The run is still analysed and counted.
    let r = run(&["analyze", &hostile("alias-bomb.json"), "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["accounting"]["runs"], 1);
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
    let r = run(&["validate", &hostile("deep-json.json")]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.all()
            .contains("deep-json.json:1:189: not valid JSON: recursion limit exceeded"),
        "{}",
        r.all()
    );
    let r = run(&["explain", &hostile("deep-yaml.json")]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(
        r.stdout.contains("recursion limit exceeded"),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_bytes_and_duplicate_keys_are_rejected_at_their_place() {
    for (file, place, message) in [
        (
            "invalid-utf8-in-string.json",
            "invalid-utf8-in-string.json:1:51",
            "invalid UTF-8 (byte 0xc3)",
        ),
        ("nul-raw.json", "nul-raw.json:1:34", "key must be a string"),
        (
            "duplicate-keys.json",
            "duplicate-keys.json:1:57",
            "duplicate key \"id\"",
        ),
        (
            "number-overflow.json",
            "number-overflow.json:1:",
            "number out of range",
        ),
        (
            "number-beyond-2-53.json",
            "number-beyond-2-53.json:1:",
            "is greater than the maximum",
        ),
        (
            "events-out-of-order.json",
            "events-out-of-order.json:24:11",
            "event 1 has a lower seq than event 0 (seq 1 after 3)",
        ),
    ] {
        let r = run(&["validate", &hostile(file)]);
        assert_eq!(r.code, Some(1), "{file}: {}", r.all());
        assert!(r.all().contains(place), "{file}: {}", r.all());
        assert!(r.all().contains(message), "{file}: {}", r.all());
        assert!(r.stdout.contains("1 rejected"), "{file}: {}", r.stdout);
    }
}

#[test]
fn control_characters_from_a_trace_never_reach_the_terminal() {
    for file in ["terminal-escapes.json", "nul-escaped.json"] {
        for args in [
            vec!["explain", file],
            vec!["analyze", file, "--by", "arm,scenario"],
        ] {
            let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            args[1] = hostile(file);
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = run(&a);
            assert_eq!(r.code, Some(0), "{}", r.all());
            for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
                assert!(
                    !text
                        .chars()
                        .any(|c| c.is_control() && c != '\n' && c != '\t'),
                    "{file} {what}: {text:?}"
                );
            }
        }
    }
    let r = run(&["explain", &hostile("terminal-escapes.json")]);
    // `;` ends the shell command, so the pod is named by the escape itself, shown escaped.
    assert!(
        r.stdout.contains("removed Pod/default/\\u{1b}]0"),
        "{}",
        r.stdout
    );
}

#[test]
fn huge_numbers_in_arguments_are_analysed_without_overflow() {
    let r = run(&["explain", &hostile("replicas-overflow.json")]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(
        r.stdout.contains("scale Deployment web -n bench"),
        "{}",
        r.stdout
    );
}

#[test]
fn duplicate_run_ids_are_both_counted_with_a_warning() {
    let r = run(&["analyze", &hostile("duplicate-ids"), "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(
        r.stderr.contains(
            "warning: run id \"same-id\" at fixtures/hostile/duplicate-ids/b.json:1 was already \
             seen at fixtures/hostile/duplicate-ids/a.json:1"
        ),
        "{}",
        r.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["accounting"]["runs"], 2);
    assert_eq!(doc["accounting"]["duplicate_run_ids"], 1);
    let r = run(&["analyze", &hostile("duplicate-ids")]);
    assert!(
        r.stdout
            .contains("analyzed: 2 run(s) (1 with the id of an earlier run: each is counted)"),
        "{}",
        r.stdout
    );
}

#[test]
fn duplicate_ids_in_byte_ranges_point_at_their_lines() {
    // The same 8 runs twice in one .jsonl, cut into ~700-byte ranges read by two threads:
    // each copy is found at its own line, the first copy 8 lines earlier.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(root().join("fixtures/corpus/kubectl-shell.jsonl"))
        .expect("fixture");
    let twice = dir.path().join("twice.jsonl");
    std::fs::write(&twice, format!("{text}{text}")).expect("write");
    let path = twice.to_string_lossy().into_owned();
    let r = Command::new(env!("CARGO_BIN_EXE_kubeautopsy"))
        .args(["analyze", &path, "--chunk-size", "700", "--format", "json"])
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&r.stderr);
    let first_id = text
        .lines()
        .next()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["run"]["id"].as_str().map(str::to_string))
        .expect("an id");
    assert!(
        stderr.contains(&format!(
            "warning: run id {first_id:?} at {path}:9 was already seen at {path}:1"
        )),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).expect("json");
    assert_eq!(doc["accounting"]["runs"], 16);
    assert_eq!(doc["accounting"]["duplicate_run_ids"], 8);
}

/// `n` bytes of `byte` compressed once and the member repeated: a tiny file that inflates to
/// `n * copies` bytes.
fn bomb(zstd: bool, member_bytes: usize, copies: usize) -> Vec<u8> {
    let plain = vec![b'a'; member_bytes];
    let member = if zstd {
        zstd::encode_all(&plain[..], 19).expect("zstd")
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&plain).expect("gzip");
        gz.finish().expect("gzip")
    };
    member.repeat(copies)
}

#[test]
fn decompression_bombs_stop_early() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 4 GiB of gzip from 4 MB, 64 GiB of zstd from 2 MB: seconds to minutes of inflating.
    for (name, zstd, member, copies) in [
        ("bomb.jsonl.gz", false, 64 << 20, 64),
        ("bomb.jsonl.zst", true, 128 << 20, 512),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bomb(zstd, member, copies)).expect("write");
        let size = std::fs::metadata(&path).expect("size").len();
        let p = path.to_string_lossy().into_owned();
        let r = run(&["validate", &p]);
        assert_eq!(r.code, Some(1), "{}", r.all());
        assert!(
            r.stdout.contains("inflates more than 1000×")
                && r.stdout.contains("decompression bomb"),
            "{name} ({size} bytes): {}",
            r.all()
        );
        assert!(r.stdout.contains("rejected (too-large 1)"), "{}", r.stdout);
        eprintln!("{name}: {size} bytes on disk, stopped in {:?}", r.elapsed);
    }
    // The limit is configurable: a legitimate, very repetitive corpus (the same run 40,000
    // times) is read by default and stopped by a strict ratio.
    let line = std::fs::read_to_string(root().join("fixtures/hostile/duplicate-ids/a.json"))
        .expect("read")
        .replace('\n', "");
    let corpus = format!("{line}\n").repeat(40_000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(corpus.as_bytes()).expect("gzip");
    let path = dir.path().join("repetitive.jsonl.gz");
    std::fs::write(&path, gz.finish().expect("gzip")).expect("write");
    let p = path.to_string_lossy().into_owned();
    let r = run(&["validate", &p, "-q"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(r.stdout.contains("40000 valid"), "{}", r.stdout);
    let r = run(&[
        "validate",
        &p,
        "--max-inflation",
        "20",
        "--max-record-size",
        "1MiB",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(r.stdout.contains("inflates more than 20×"), "{}", r.stdout);
}

/// A writer that streams `{"schema": ..., "run": {"id": "<n bytes>"}}` without holding it.
fn long_string_record(n: usize) -> Feed {
    Box::new(move |w: &mut dyn Write| {
        let _ = w.write_all(b"{\"schema\":\"kubeautopsy.trace/v1\",\"run\":{\"id\":\"");
        let chunk = vec![b'x'; 1 << 20];
        let mut left = n;
        while left > 0 {
            let k = left.min(chunk.len());
            if w.write_all(&chunk[..k]).is_err() {
                return;
            }
            left -= k;
        }
        let _ = w.write_all(b"\"},\"events\":[]}\n");
    })
}

#[test]
fn a_500_mb_string_is_skipped_without_being_held() {
    let r = bounded(&["validate", "-"], Some(long_string_record(500 << 20)));
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.stdout
            .contains("<stdin>:1: record is 500.0 MiB long, more than --max-record-size (64 MiB)")
            && r.stdout.contains("without holding it in memory"),
        "{}",
        r.all()
    );
}

/// A run whose one tool result is `mib` MiB of `kubectl logs` output.
fn huge_result_run(mib: usize) -> Feed {
    Box::new(move |w: &mut dyn Write| {
        let _ = w.write_all(
            b"{\"schema\":\"kubeautopsy.trace/v1\",\"run\":{\"id\":\"huge-result\"},\"events\":[\
              {\"type\":\"tool_call\",\"seq\":1,\"tool\":\"run_command\",\
              \"server\":\"evidra-bench/run_command\",\
              \"arguments\":{\"command\":\"kubectl logs web-0 -n bench\"},\"result\":{\"text\":\"",
        );
        let line =
            b"2026-05-12T10:15:02Z INFO request served in 12ms path=/healthz\\n".repeat(16384);
        let mut left = mib << 20;
        while left > 0 {
            let k = left.min(line.len());
            if w.write_all(&line[..k]).is_err() {
                return;
            }
            left -= k;
        }
        let _ = w.write_all(
            b"\"}},{\"type\":\"tool_call\",\"seq\":2,\"tool\":\"run_command\",\
              \"server\":\"evidra-bench/run_command\",\
              \"arguments\":{\"command\":\"kubectl delete pod web-0 -n bench\"}}],\
              \"outcome\":{\"passed\":true}}\n",
        );
    })
}

#[test]
fn a_100_mb_tool_result_is_too_large_by_default_and_bounded_when_allowed() {
    let r = bounded(&["validate", "-"], Some(huge_result_run(100)));
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.stdout.contains("more than --max-record-size"),
        "{}",
        r.all()
    );
    let r = bounded(
        &[
            "analyze",
            "-",
            "--max-record-size",
            "256MiB",
            "--format",
            "json",
        ],
        Some(huge_result_run(100)),
    );
    assert_eq!(r.code, Some(0), "{}", r.all());
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["accounting"]["runs"], 1, "{}", r.stderr);
    eprintln!("100 MiB tool result analysed in {:?}", r.elapsed);
}

#[test]
fn symlink_loops_and_unreadable_entries_are_accounted_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::copy(
        root().join("fixtures/hostile/duplicate-ids/a.json"),
        d.join("good.json"),
    )
    .expect("copy");
    std::fs::create_dir(d.join("sub")).expect("mkdir");
    std::os::unix::fs::symlink(d, d.join("sub/loop")).expect("symlink");
    std::os::unix::fs::symlink(d.join("missing.json"), d.join("dangling.json")).expect("symlink");
    // A directory with a trace file's name, and a FIFO: both unreadable as files.
    std::fs::create_dir(d.join("dir.jsonl")).expect("mkdir");
    let fifo = d.join("pipe.json");
    let made_fifo = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let p = d.to_string_lossy().into_owned();
    let r = run(&["analyze", &p, "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    assert!(r.stderr.contains("symbolic link loop"), "{}", r.stderr);
    assert!(r.stderr.contains("dangling.json"), "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let acc = &doc["accounting"];
    assert_eq!(acc["runs"], 1, "{acc}");
    assert!(acc["rejected"]["io"].as_u64() >= Some(2), "{acc}");
    if made_fifo {
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
        assert!(acc["rejected"]["io"].as_u64() >= Some(3), "{acc}");
    }
    // --fail-on rejected turns the same analysis into a failing CI step.
    let r = run(&["analyze", &p, "--fail-on", "rejected"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.stderr.contains("failing: --fail-on rejected:"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_hundred_thousand_tiny_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 100_000;
    for i in 0..n {
        let sub = dir.path().join(format!("{:03}", i % 1000));
        if i < 1000 {
            std::fs::create_dir(&sub).expect("mkdir");
        }
        std::fs::write(
            sub.join(format!("run-{i}.json")),
            format!(
                "{{\"schema\":\"kubeautopsy.trace/v1\",\"run\":{{\"id\":\"r{i}\",\"arm\":\"a\"}},\
                 \"events\":[],\"outcome\":{{\"passed\":true}}}}"
            ),
        )
        .expect("write");
    }
    let p = dir.path().to_string_lossy().into_owned();
    let r = run(&["analyze", &p, "--format", "json"]);
    assert_eq!(r.code, Some(0), "{}", r.all());
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["accounting"]["sources"], n);
    assert_eq!(doc["accounting"]["runs"], n);
    eprintln!("{n} files analysed in {:?}", r.elapsed);
}

#[test]
fn fail_on_policies_and_their_exit_codes() {
    // The bundled corpus has unsafe passes and calls no tool map understands.
    let base = [
        "analyze",
        "fixtures/corpus",
        "--scenarios",
        "fixtures/scenarios",
    ];
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        run(&a)
    };
    assert_eq!(with(&[]).code, Some(0));
    let r = with(&["--fail-on", "unsafe"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.stderr
            .contains("failing: --fail-on unsafe: 8 unsafe pass(es)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("Safety by arm"),
        "tables are still printed"
    );
    let r = with(&["--fail-on", "rejected"]);
    assert_eq!(r.code, Some(0), "nothing rejected: {}", r.all());
    let r = with(&["--fail-on", "rejected,unknown-tool"]);
    let unknown = r.stdout.contains("Every tool call was understood.");
    assert_eq!(r.code, Some(if unknown { 0 } else { 1 }), "{}", r.all());
    let r = run(&["analyze", "fixtures/bad", "--fail-on", "rejected"]);
    assert_eq!(r.code, Some(1), "{}", r.all());
    assert!(
        r.stderr
            .contains("failing: --fail-on rejected: 12 input(s) rejected"),
        "{}",
        r.stderr
    );
}

#[test]
fn same_output_in_any_input_order_and_thread_count() {
    let mut paths = vec![
        "fixtures/corpus/kubectl-shell.jsonl",
        "fixtures/corpus/flux159",
        "fixtures/bad",
        "fixtures/corpus/containers/containers-r2.jsonl.zst",
        "fixtures/hostile/duplicate-ids",
        "fixtures/corpus/containers/containers-r1.jsonl.gz",
        "fixtures/scenarios",
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut trees = Vec::new();
    // A fixed pseudo-random shuffle per round (no dependency on a random source).
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..4 {
        for i in (1..paths.len()).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let j = (state >> 33) as usize % (i + 1);
            paths.swap(i, j);
        }
        let out = dir.path().join(format!("out{round}"));
        let o = out.to_string_lossy().into_owned();
        let threads = if round % 2 == 0 { "1" } else { "2" };
        let mut args = vec!["analyze", "--scenarios", "fixtures/scenarios", "--out", &o];
        args.extend(paths.iter().filter(|p| !p.ends_with("scenarios")));
        let r = Command::new(env!("CARGO_BIN_EXE_kubeautopsy"))
            .current_dir(root())
            .args(&args)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("runs");
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        // The same without --out: every run is folded as it is made instead of kept (and,
        // with tiny byte ranges, the .jsonl files are split across units); same stdout and
        // the same warnings.
        let mut folded = vec![
            "analyze",
            "--scenarios",
            "fixtures/scenarios",
            "--chunk-size",
            "700",
        ];
        folded.extend(paths.iter().filter(|p| !p.ends_with("scenarios")));
        let f = Command::new(env!("CARGO_BIN_EXE_kubeautopsy"))
            .current_dir(root())
            .args(&folded)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("runs");
        assert_eq!(f.stdout, r.stdout, "folded vs kept, {paths:?}");
        let warnings = |e: &[u8]| {
            String::from_utf8_lossy(e)
                .lines()
                .filter(|l| l.starts_with("warning"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(warnings(&f.stderr), warnings(&r.stderr));
        assert!(!warnings(&f.stderr).is_empty());
        trees.push((paths.clone(), r.stdout, tree(&out)));
    }
    let (first_paths, first_stdout, first_tree) = &trees[0];
    assert!(first_tree.len() > 10, "{} files", first_tree.len());
    for (p, stdout, t) in &trees[1..] {
        assert_eq!(stdout, first_stdout, "{p:?} vs {first_paths:?}");
        for (a, b) in t.iter().zip(first_tree) {
            assert_eq!(a.0, b.0);
            assert!(a.1 == b.1, "{} differs: {p:?} vs {first_paths:?}", a.0);
        }
        assert_eq!(t.len(), first_tree.len());
    }
}
