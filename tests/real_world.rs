//! End-to-end tests over recordings made by others (`../shared/data/real`, see its
//! SOURCES.md): every file imports with the runs, calls and outcomes it holds, or is rejected
//! saying why; and no input anywhere in the fixtures or the shared data vanishes.

mod common;
use common::{run, shared_data};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `import --from FORMAT PATHS --out DIR`: the exit code, the output and the traces written.
fn import(format: &str, paths: &[&Path], extra: &[&str]) -> (Output, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["import".into(), "--from".into(), format.into()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--out".into(), dir.path().display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    let mut docs = Vec::new();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "jsonl") {
            for line in std::fs::read_to_string(&p).unwrap().lines() {
                docs.push(serde_json::from_str(line).unwrap());
            }
        }
    }
    (o, docs)
}

/// `analyze ... --format json`: the analysis document.
fn analyze_json(args: &[&str]) -> (Output, Value) {
    let mut a = vec!["analyze"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json"]);
    let o = run(&a);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, v)
}

fn calls(doc: &Value) -> Vec<&Value> {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "tool_call")
        .collect()
}

fn not_understood(analysis: &Value) -> u64 {
    analysis["tables"]["not_understood"]
        .as_array()
        .map_or(0, |rows| {
            rows.iter().map(|r| r["calls"].as_u64().unwrap()).sum()
        })
}

#[test]
fn mcpchecker_results_give_one_run_per_task_with_its_outcome() {
    let Some(dir) = shared_data("mcpchecker", "real/kubernetes-mcp-server-mcpchecker") else {
        return;
    };
    for (file, runs, passed, total_calls, report, arm) in [
        (
            "builtin-openai-core-latest@072e25f9.json",
            32,
            30,
            204,
            "2026-08-17@072e25f9",
            "core+config",
        ),
        (
            "openai-agent-latest@c61bca35.json",
            29,
            22,
            171,
            "2026-06-08@c61bca35",
            "core",
        ),
    ] {
        let path = dir.join(file);
        let (o, docs) = import("mcpchecker", &[&path], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_eq!(docs.len(), runs, "{file}");
        let pass = docs
            .iter()
            .filter(|d| d["outcome"]["passed"] == true)
            .count();
        assert_eq!(pass, passed, "{file}");
        assert!(
            docs.iter().all(|d| d["outcome"].is_object()),
            "every task has taskPassed"
        );
        assert_eq!(
            docs.iter().map(|d| calls(d).len()).sum::<usize>(),
            total_calls
        );
        // The report is the evaluation (the earliest call's date, the commit in the name), the
        // arm the suites the file ran; the MCP server stays on every call.
        assert!(docs.iter().all(|d| d["run"]["report"] == report), "{file}");
        assert!(docs.iter().all(|d| d["run"]["arm"] == arm), "{file}");
        assert!(
            docs.iter()
                .flat_map(calls)
                .all(|c| c["server"] == "kubernetes")
        );
        assert!(docs.iter().all(|d| d["run"]["model"] == "openai:gpt-5"));
        assert!(
            docs[0]["meta"]["mcp_servers"][0]["tools"]
                .as_array()
                .unwrap()
                .len()
                > 10
        );
        let (o, a) = analyze_json(&[
            "--from",
            "gevals",
            path.to_str().unwrap(),
            "--fail-on",
            "rejected,unknown-tool",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_eq!(a["accounting"]["runs"], runs as u64);
        assert_eq!(not_understood(&a), 0, "every call understood");
    }
    // The whole history: 643 task runs, 4,051 calls, all understood.
    let (o, a) = analyze_json(&[
        "--from",
        "mcpchecker",
        dir.join("history").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(a["accounting"]["runs"], 643);
    assert_eq!(a["accounting"]["rejected_total"], 0);
    assert_eq!(not_understood(&a), 0);
}

#[test]
fn sregym_sessions_import_with_every_call_and_their_results_files_are_read() {
    let Some(dir) = shared_data("sregym", "real/sregym-agent-traces") else {
        return;
    };
    let (o, docs) = import("auto", &[&dir], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("3 SREGym results file(s)"), "{out}");
    assert!(
        out.contains(
            "read as: anthropic 1, codex 1, copilot-cli 1, gemini-cli 1, langchain 1, opencode 1"
        ),
        "{out}"
    );
    let by_format = |f: &str| {
        docs.iter()
            .find(|d| d["meta"]["imported_from"] == f)
            .unwrap_or_else(|| panic!("no {f} run"))
    };
    // (importer, calls recorded in the session, the harness as the arm, a results file beside it)
    for (format, n, arm, results) in [
        ("anthropic", 16, Some("claude-code"), true),
        ("codex", 33, Some("codex"), true),
        ("gemini-cli", 34, Some("gemini-cli"), false),
        ("opencode", 18, Some("opencode"), true),
        ("copilot-cli", 10, Some("copilot-cli"), false),
        ("langchain", 30, None, false),
    ] {
        let d = by_format(format);
        let cs = calls(d);
        assert_eq!(cs.len(), n, "{format}");
        assert!(
            cs.iter().all(|c| c["result"].is_object()),
            "{format}: every call answered"
        );
        assert_eq!(d["run"]["arm"].as_str(), arm, "{format}");
        // SREGym's `success` is the agent's exit status: noted, never taken as a pass.
        assert!(d.get("outcome").is_none(), "{format}");
        let note = d["run"]["labels"]["outcome_note"].as_str();
        assert_eq!(note.is_some(), results, "{format}");
        if results {
            assert!(note.unwrap().contains("exit status"), "{format}");
            assert_eq!(
                d["run"]["scenario"],
                "service_port_conflict_hotel_reservation"
            );
        }
    }
    // Codex: the kubectl patch, its exit code from "Process exited with code 0"; a command
    // still running after its yield gets the exit code of the write_stdin poll that saw it end.
    let codex = calls(by_format("codex"));
    let patch = codex
        .iter()
        .find(|c| {
            c["arguments"]["cmd"]
                .as_str()
                .is_some_and(|c| c.starts_with("kubectl patch"))
        })
        .unwrap();
    assert_eq!(patch["result"]["exit_code"], 0);
    assert_eq!(codex[0]["result"]["exit_code"], 0, "{}", codex[0]);
    // Gemini CLI: "Exit Code: 1" taken out of the output.
    let gemini = calls(by_format("gemini-cli"));
    assert!(gemini.iter().any(|c| c["result"]["exit_code"] == 1));
    // Every call of every session is understood or shown to have changed nothing: Claude
    // Code's first submission is broken shell (an apostrophe ends its single quote), which bash
    // rejected (exit 2, syntax error): it ran nothing, so it is not counted as not understood
    // and `--fail-on unknown-tool` passes.
    let (o, a) = analyze_json(&[
        "--from",
        "auto",
        dir.to_str().unwrap(),
        "--fail-on",
        "unknown-tool",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(a["accounting"]["runs"], 6);
    assert_eq!(not_understood(&a), 0, "{}", a["tables"]["not_understood"]);
    assert_eq!(a["accounting"]["rejected_total"], 0);
}

#[test]
fn a_session_read_with_the_wrong_importer_is_rejected_not_lost() {
    let Some(dir) = shared_data("wrong importer", "real/sregym-agent-traces") else {
        return;
    };
    // Stratus with the anthropic importer: no run at all.
    let o = run(&[
        "analyze",
        "--from",
        "anthropic",
        dir.join("stratus_run").to_str().unwrap(),
        "--fail-on",
        "rejected",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("no run: the anthropic importer found only records it does not read")
    );
    // Codex with the openai importer: a session of 0 calls beside 33 function_call records.
    let o = run(&[
        "analyze",
        "--from",
        "openai",
        dir.join("codex_run/sessions").to_str().unwrap(),
        "--fail-on",
        "rejected,unknown-tool",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("no tool call read, but line 11 holds tool records"),
        "{t}"
    );
    assert!(t.contains("function_call"), "{t}");
}

#[test]
fn kubectl_ai_sessions_and_atif_trajectories() {
    let Some(dir) = shared_data("kubectl-ai", "real/kubectl-ai/sessions") else {
        return;
    };
    let (o, docs) = import("auto", &[&dir], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d["run"]["model"], "gemini-2.5-pro", "from metadata.yaml");
    let cs = calls(d);
    assert_eq!(cs.len(), 5);
    assert_eq!(cs[0]["arguments"]["command"], "kubectl get namespaces");
    assert_eq!(cs[0]["result"]["exit_code"], 1);
    assert_eq!(cs[2]["result"]["exit_code"], 127);
    let (_, a) = analyze_json(&[dir.to_str().unwrap(), "--from", "kubectl-ai"]);
    assert_eq!(not_understood(&a), 0);
    // ATIF (the trajectory SREGym converts its agents' sessions into): the bundled sample.
    let (o, docs) = import(
        "auto",
        &[Path::new("fixtures/import/atif/codex-trajectory.json")],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(docs[0]["meta"]["imported_from"], "atif");
    assert_eq!(docs[0]["run"]["arm"], "codex");
    let cs = calls(&docs[0]);
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[1]["result"]["exit_code"], 0);
}

#[test]
fn k8s_ai_bench_reports_pass_rates_and_no_safety() {
    let Some(file) = shared_data(
        "k8s-ai-bench",
        "real/kubectl-ai/k8s-ai-bench-combined_results.jsonl",
    ) else {
        return;
    };
    let (o, v) = analyze_json(&["--from", "k8s-ai-bench", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(v["records"], 1080);
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 9);
    let pro = models
        .iter()
        .find(|m| m["model"] == "gemini-2.5-pro")
        .unwrap();
    assert_eq!(pro["tasks"], 24);
    assert!((pro["pass_at_1"]["value"].as_f64().unwrap() - 0.95).abs() < 1e-9);
    let k5 = &pro["pass_k"][4];
    assert_eq!(k5["k"], 5);
    // The leaderboard's mean (c/n)^5 and the unbiased C(c,5)/C(n,5) (= the share of tasks
    // all five of whose runs passed, with n = 5).
    assert!(
        (k5["leaderboard"].as_f64().unwrap() - 0.885).abs() < 0.001,
        "{k5}"
    );
    assert!(
        (k5["unbiased"]["value"].as_f64().unwrap() - 0.875).abs() < 1e-9,
        "{k5}"
    );
    let table = run(&["analyze", "--from", "k8s-ai-bench", file.to_str().unwrap()]);
    assert!(text(&table).contains("safety cannot be judged"));
    // Importing it gives no run, and says why.
    let (o, docs) = import("k8s-ai-bench", &[&file], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(docs.is_empty());
    assert!(text(&o).contains("outcomes only"));
}

#[test]
fn every_audit_file_imports_or_says_why_not() {
    let Some(real) = shared_data("audit files", "real") else {
        return;
    };
    // (file, kept calls: their operations)
    for (file, ops) in [
        (
            "elastic-integrations-k8s-audit/test-audit.log",
            vec!["read", "read", "replace"],
        ),
        (
            "elastic-integrations-k8s-audit/test-kube-audit.log",
            vec!["replace"],
        ),
        (
            "evidra-bench-testdata/k8s-audit.json",
            vec!["patch", "delete"],
        ),
    ] {
        let (o, docs) = import("auto", &[&real.join(file)], &[]);
        assert_eq!(o.status.code(), Some(0), "{file}: {}", text(&o));
        assert!(text(&o).contains("read as: k8s-audit 1"), "{file}");
        let got: Vec<&str> = calls(&docs[0])
            .iter()
            .map(|c| c["arguments"]["operation"].as_str().unwrap())
            .collect();
        assert_eq!(got, ops, "{file}");
    }
    // The GKE record: methodName and resourceName as verb and object.
    let (_, docs) = import(
        "k8s-audit",
        &[&real.join("elastic-integrations-k8s-audit/test-audit.log")],
        &[],
    );
    assert!(
        calls(&docs[0])
            .iter()
            .any(|c| c["arguments"]["user"] == "system:gke-master-healthcheck")
    );
    // An MCP access-log record names a tool but holds no call: rejected, saying so.
    let (o, docs) = import(
        "auto",
        &[&real.join("evidra-bench-testdata/mcp-call.json")],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(docs.is_empty());
    assert!(text(&o).contains("no arguments or result"), "{}", text(&o));
}

#[test]
fn outcomes_recorded_elsewhere_are_attached_and_say_so() {
    let Some(dir) = shared_data("outcomes", "real/sregym-agent-traces/codex_run") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("grades.csv");
    std::fs::write(
        &csv,
        "source,passed,checks,message\n\
         codex_run/sessions/2026/06/29/rollout-2026-06-29T16-58-06-019f1451-1903-7092-b4ca-73a57d9bdd9d.jsonl,true,mitigated=pass,graded by hand\n\
         nowhere/else.jsonl,false,,\n",
    )
    .unwrap();
    let (o, docs) = import("auto", &[&dir], &["--outcomes", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 of 2 row(s)"), "{}", text(&o));
    let d = &docs[0];
    assert_eq!(d["outcome"]["passed"], true);
    assert_eq!(d["outcome"]["checks"][0]["name"], "mitigated");
    assert!(
        d["run"]["labels"]["outcome_from"]
            .as_str()
            .unwrap()
            .ends_with("grades.csv:2")
    );
    // explain says where the outcome came from.
    let trace = tmp.path().join("run.json");
    std::fs::write(&trace, serde_json::to_vec(d).unwrap()).unwrap();
    let o = run(&["explain", trace.to_str().unwrap()]);
    let t = text(&o);
    assert!(
        t.contains("outcome attached from") && t.contains("grades.csv:2"),
        "{t}"
    );
    // A bad row is an error that points at it.
    std::fs::write(&csv, "run,passed\nr1,perhaps\n").unwrap();
    let (o, _) = import("auto", &[&dir], &["--outcomes", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("grades.csv:2:1"), "{}", text(&o));
}

/// Every file of the fixtures and of ../shared/data, imported alone with `--from auto`, gives a
/// run, a scenario or a rejection: nothing ends "0 runs, 0 rejected".
#[test]
fn no_input_anywhere_vanishes() {
    let Some(shared) = shared_data("no input vanishes", ".") else {
        return;
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for root in [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        shared,
    ] {
        for e in walkdir::WalkDir::new(root).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() {
                files.push(e.path().to_path_buf());
            }
        }
    }
    assert!(files.len() > 200, "{}", files.len());
    let mut vanished = Vec::new();
    for f in &files {
        let dir = tempfile::tempdir().unwrap();
        let o = run(&[
            "import",
            f.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ]);
        let out = text(&o);
        let number = |label: &str| -> u64 {
            out.lines()
                .find_map(|l| l.strip_prefix(label))
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        let scenarios = out.contains("scenario definition");
        if number("analyzed: ") == 0 && number("rejected: ") == 0 && !scenarios {
            vanished.push(format!("{}: {out}", f.display()));
        }
    }
    assert!(vanished.is_empty(), "{}", vanished.join("\n"));
}

/// The hand review of 226 real runs (fixtures/labels/kubernetes-mcp-server-mcpchecker.yaml,
/// docs/real-world.md): every run agrees with its label (no run the review calls safe is an
/// unsafe pass, every unsafe pass it found is found, incomplete where the review says the
/// effect is not recorded).
#[test]
fn the_reviewed_mcpchecker_runs_keep_their_precision() {
    let Some(dir) = shared_data("mcpchecker review", "real/kubernetes-mcp-server-mcpchecker")
    else {
        return;
    };
    let labels = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/labels/kubernetes-mcp-server-mcpchecker.yaml");
    let mut args: Vec<String> = vec![
        "rules".into(),
        "eval".into(),
        "-q".into(),
        "--from".into(),
        "mcpchecker".into(),
    ];
    args.push(dir.join("history").display().to_string());
    args.extend([
        "--labels".into(),
        labels.display().to_string(),
        "--format".into(),
        "json".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let ev: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ev["labelled"], 226);
    assert_eq!(ev["unmatched_labels"].as_array().unwrap().len(), 0);
    let overall = &ev["overall"];
    assert_eq!(
        overall["fp"], 0,
        "a run the review calls safe is unsafe: {overall}"
    );
    assert_eq!(overall["tp"], 16, "{overall}");
    assert_eq!(
        overall["fn"], 0,
        "an unsafe pass of the review is missed: {overall}"
    );
    // Every run agrees with its label: verdict and, where the label names them, the rules.
    let disagree: Vec<String> = ev["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["label"] != r["verdict"]
                || !r["missing_rules"].as_array().unwrap().is_empty()
                || !r["unexpected_rules"].as_array().unwrap().is_empty()
        })
        .map(|r| r.to_string())
        .collect();
    assert!(
        disagree.is_empty(),
        "disagreements with the review:\n{}",
        disagree.join("\n")
    );
    assert_eq!(ev["agreeing"], 226);
    // The rules that find the review's unsafe passes each keep their precision.
    for rule in [
        "KA-OS-005",
        "KA-RL-002",
        "KA-BP-005",
        "KA-UC-003",
        "KA-DS-002",
    ] {
        let c = &ev["rules"][rule];
        assert_eq!(c["fp"], 0, "{rule}: {c}");
        assert!(c["tp"].as_u64().unwrap() >= 1, "{rule}: {c}");
    }
}

/// Every weekly result of kubernetes-mcp-server's CI, file by file: its runs and calls, the
/// report (date@commit) and arm (suites) each run is labelled with, and one run id per task
/// and week.
const HISTORY: [(&str, usize, usize, &str); 21] = [
    (
        "2026-03-09-8128369d-openai-agent-latest",
        24,
        0,
        "kubernetes",
    ),
    (
        "2026-03-16-15bf5d1f-openai-agent-latest",
        24,
        177,
        "kubernetes",
    ),
    (
        "2026-03-23-3c32bf47-openai-agent-latest",
        24,
        179,
        "kubernetes",
    ),
    (
        "2026-04-07-9756ab9d-openai-agent-latest",
        25,
        148,
        "kubernetes",
    ),
    (
        "2026-04-13-2928d675-openai-agent-latest",
        25,
        170,
        "kubernetes",
    ),
    (
        "2026-04-20-213ebace-openai-agent-latest",
        25,
        173,
        "kubernetes",
    ),
    ("2026-06-02-0c0f5a5e-openai-agent-latest", 29, 206, "core"),
    ("2026-06-08-c61bca35-openai-agent-latest", 29, 171, "core"),
    ("2026-06-16-6d13f048-openai-agent-latest", 29, 197, "core"),
    ("2026-06-22-664e8e9f-openai-agent-latest", 29, 211, "core"),
    ("2026-06-29-97b84a34-openai-agent-latest", 29, 181, "core"),
    ("2026-07-06-9cf861ac-openai-agent-latest", 29, 238, "core"),
    ("2026-07-13-550dcf07-openai-agent-latest", 29, 256, "core"),
    (
        "2026-07-27-b8277c54-builtin-openai-core-latest",
        32,
        167,
        "core+config",
    ),
    (
        "2026-08-04-72870f86-builtin-openai-core-latest",
        32,
        244,
        "core+config",
    ),
    (
        "2026-08-10-0ad04fa8-builtin-openai-core-latest",
        32,
        246,
        "core+config",
    ),
    (
        "2026-08-17-072e25f9-builtin-openai-core-latest",
        32,
        204,
        "core+config",
    ),
    (
        "2026-08-17-072e25f9-builtin-openai-helm-latest",
        35,
        226,
        "core+config+helm",
    ),
    (
        "2026-08-17-072e25f9-builtin-openai-kubevirt-latest",
        51,
        227,
        "core+config+kubevirt",
    ),
    (
        "2026-08-17-072e25f9-builtin-openai-netobserv-latest",
        36,
        232,
        "core+config+netobserv",
    ),
    (
        "2026-08-17-072e25f9-builtin-openai-tekton-latest",
        43,
        198,
        "core+config+tekton",
    ),
];

#[test]
fn the_mcpchecker_history_imports_file_by_file_with_its_labels() {
    let Some(dir) = shared_data(
        "mcpchecker history",
        "real/kubernetes-mcp-server-mcpchecker/history",
    ) else {
        return;
    };
    let (o, docs) = import("mcpchecker", &[&dir], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut ids = std::collections::BTreeSet::new();
    for (stem, runs, n_calls, arm) in HISTORY {
        let of_file: Vec<&Value> = docs
            .iter()
            .filter(|d| d["run"]["id"].as_str().unwrap().split('#').next() == Some(stem))
            .collect();
        assert_eq!(of_file.len(), runs, "{stem}: runs");
        assert_eq!(
            of_file.iter().map(|d| calls(d).len()).sum::<usize>(),
            n_calls,
            "{stem}: calls"
        );
        // DATE-COMMIT-NAME → report DATE@COMMIT.
        let report = format!("{}@{}", &stem[..10], &stem[11..19]);
        for d in &of_file {
            assert_eq!(d["run"]["report"], report.as_str(), "{stem}");
            assert_eq!(d["run"]["arm"], arm, "{stem}");
            assert!(
                ids.insert(d["run"]["id"].as_str().unwrap().to_string()),
                "one id per task and week"
            );
            if stem > "2026-04-20" {
                assert_eq!(d["run"]["model"], "openai:gpt-5", "{stem}");
            }
        }
    }
    assert_eq!(docs.len(), 643);
    assert_eq!(docs.iter().map(|d| calls(d).len()).sum::<usize>(), 4051);
    // A user's labels win over the derived ones.
    let one = dir.join("2026-03-16-15bf5d1f-openai-agent-latest.json");
    let (o, docs) = import(
        "mcpchecker",
        &[&one],
        &["--report", "week 11", "--arm", "core"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        docs.iter()
            .all(|d| d["run"]["report"] == "week 11" && d["run"]["arm"] == "core")
    );
}

/// The history's core files, one a week (the toolset suites of 2026-08-17 left out).
fn core_weeks(dir: &Path) -> Vec<String> {
    HISTORY
        .iter()
        .filter(|(stem, ..)| stem.ends_with("openai-agent-latest") || stem.ends_with("core-latest"))
        .map(|(stem, ..)| dir.join(format!("{stem}.json")).display().to_string())
        .collect()
}

#[test]
fn the_weekly_safety_table_is_in_report_order_whatever_the_input_order_and_threads() {
    let Some(dir) = shared_data(
        "mcpchecker weeks",
        "real/kubernetes-mcp-server-mcpchecker/history",
    ) else {
        return;
    };
    let weeks = core_weeks(&dir);
    assert_eq!(weeks.len(), 17);
    let tables = |files: &[String], threads: &str| {
        let mut args: Vec<&str> = vec![
            "-q",
            "-j",
            threads,
            "--from",
            "mcpchecker",
            "--by",
            "report",
        ];
        args.extend(files.iter().map(String::as_str));
        let (o, a) = analyze_json(&args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        a["tables"].clone()
    };
    let forward = tables(&weeks, "1");
    let mut backward = weeks.clone();
    backward.reverse();
    assert_eq!(tables(&backward, "2"), forward, "input order and threads");
    let groups = forward["safety"].as_array().unwrap();
    let reports: Vec<&str> = groups
        .iter()
        .map(|g| g["report"].as_str().unwrap())
        .collect();
    let mut sorted = reports.clone();
    sorted.sort_unstable();
    assert_eq!(reports, sorted, "weeks in order");
    assert_eq!(reports.len(), 17 + 1, "17 weeks and the total: {reports:?}");
    let week = |r: &str| groups.iter().find(|g| g["report"] == r).unwrap();
    // 2026-03-09's run failed before any call; the latest week (docs/real-world.md).
    assert_eq!(week("2026-03-09@8128369d")["fail"], 24);
    let latest = week("2026-08-17@072e25f9");
    assert_eq!(
        (
            latest["safe_pass"].as_u64(),
            latest["unsafe_pass"].as_u64(),
            latest["fail"].as_u64()
        ),
        (Some(25), Some(5), Some(2)),
        "{latest}"
    );
}

#[test]
fn the_history_report_draws_the_trend_over_the_weeks() {
    let Some(dir) = shared_data(
        "mcpchecker trend",
        "real/kubernetes-mcp-server-mcpchecker/history",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("history.html");
    let mut args: Vec<String> = [
        "analyze",
        "-q",
        "--from",
        "mcpchecker",
        "--by",
        "report",
        "--html",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(page.display().to_string());
    args.extend(core_weeks(&dir));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("id=\"trend-chart\""));
    // One point per week and series that has an outcome (all 17), with its interval.
    assert_eq!(html.matches("data-series=\"safe pass\"><line").count(), 17);
    assert_eq!(html.matches("data-series=\"final pass\"><line").count(), 17);
    assert!(html.contains("2026-08-17@072e25f9: safe pass 25/32 78.1% [61.2–89.0]"));
    assert!(html.contains("<td>2026-07-13@550dcf07</td><td class=\"n\">29</td><td class=\"n\">29/29 100.0% [88.3–100.0]</td>"));

    let Some(chromium) = common::chromium("the_history_report_draws_the_trend_over_the_weeks")
    else {
        return;
    };
    let dom = common::rendered_dom(&chromium, &page, &tmp.path().join("profile"));
    assert!(dom.contains("id=\"trend-chart\"") && dom.contains("id=\"trend-table\""));
    assert_eq!(dom.matches("<polyline").count(), 2, "two series");
    assert!(dom.contains("2026-03-09@8128369d: final pass 0/24 0.0% [0.0–13.8]"));
}

#[test]
fn two_weeks_differ_by_task_with_the_rules_that_changed_their_verdict() {
    let Some(dir) = shared_data(
        "mcpchecker diff",
        "real/kubernetes-mcp-server-mcpchecker/history",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut saved = Vec::new();
    for (week, stem) in [
        ("old", "2026-08-10-0ad04fa8-builtin-openai-core-latest"),
        ("new", "2026-08-17-072e25f9-builtin-openai-core-latest"),
    ] {
        let out = tmp.path().join(week).display().to_string();
        let file = dir.join(format!("{stem}.json")).display().to_string();
        let o = run(&[
            "analyze",
            "-q",
            "--from",
            "mcpchecker",
            &file,
            "--out",
            &out,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        saved.push(out);
    }
    let o = run(&[
        "diff", &saved[0], &saved[1], "--match", "scenario", "--format", "markdown",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Verdict changes: 6 of 32 run(s) in both analyses"),
        "{out}"
    );
    // Each run carries only its own findings (an mcpchecker file is one input line).
    assert!(
        out.lines()
            .any(|l| l.starts_with("| fix-crashloop ") && l.contains("+KA-DS-002@3 high")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("| fix-probes ") && l.contains("-KA-UC-003@2 medium")),
        "{out}"
    );
    assert!(!out.contains("| ahoy "), "ahoy did not change: {out}");
    // By id, two weeks share no run.
    let o = run(&["diff", &saved[0], &saved[1]]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("0 of 0 run(s)") && out.contains("--match scenario"),
        "{out}"
    );
}
