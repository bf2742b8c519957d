#!/usr/bin/env bash
# Seed and run every fuzz target for SECONDS each (default 30): `fuzz/run.sh 600`.
# Seeds come from the repository's fixtures (fuzz/corpus/ is not committed); crashes are
# written to fuzz/artifacts/<target>/ and make this script fail. Needs `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
seed_arg=()
[ -n "${FUZZ_SEED:-}" ] && seed_arg=(-seed="$FUZZ_SEED")
root=..
python3 - "$root" <<'PY'
import gzip, json, os, sys, hashlib
root = sys.argv[1]
def put(target, data):
    d = os.path.join("corpus", target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb").write(data)
def records(path):
    raw = open(path, "rb").read()
    if path.endswith(".gz"): raw = gzip.decompress(raw)
    if path.endswith(".zst"): return []
    return [raw] if path.endswith(".json") else [l for l in raw.split(b"\n") if l.strip()]
runs = []
for d, _, fs in os.walk(os.path.join(root, "fixtures/corpus")):
    for f in sorted(fs):
        for r in records(os.path.join(d, f)): runs.append(r)
for r in runs[:12]: put("record", r)
# The forms real agents write (sh -c, loops, printed results): seeds for the command target.
runs += records(os.path.join(root, "fixtures/forms/forms.jsonl"))
for f in sorted(os.listdir(os.path.join(root, "fixtures/bad"))):
    p = os.path.join(root, "fixtures/bad", f)
    put("record", open(p, "rb").read()[:4096]); put("decompress", open(p, "rb").read()[:65536])
commands = set()
for r in runs:
    try: t = json.loads(r)
    except Exception: continue
    for e in t.get("events", []):
        a = e.get("arguments")
        if isinstance(a, dict) and isinstance(a.get("command"), str):
            res = (e.get("result") or {}).get("text") or ""
            commands.add(a["command"] + "\0" + res[:2000])
for c in sorted(commands)[:80]: put("command", c)
for d, _, fs in os.walk(os.path.join(root, "fixtures/scenarios")):
    for f in fs:
        s = json.load(open(os.path.join(d, f)))
        for o in (s.get("initial_state") or [])[:3]:
            import textwrap
            put("manifest", json.dumps(o))
put("manifest", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: b\ndata:\n  k: \"v\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n")
put("patch", '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"a"}]}}}}\n{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"b"}]}}}}')
put("patch", '{"a":[1,2,3]}\n[{"op":"replace","path":"/a/1","value":5},{"op":"remove","path":"/a/0"}]')
for d, _, fs in os.walk(os.path.join(root, "rules")):
    for f in fs:
        if f.endswith(".yaml") and "fixtures" not in d:
            put("rules", open(os.path.join(d, f), "rb").read())
# The index of each format in ImportFormat::ALL (0 is `auto`: the format told from the content).
formats = {"k8s-audit": 17, "mcp": 4, "anthropic": 6, "openai": 7, "inspect": 15, "otel": 16, "atif": 14}
for fmt, i in formats.items():
    d = os.path.join(root, "fixtures/import", fmt)
    for f in sorted(os.listdir(d)):
        data = open(os.path.join(d, f), "rb").read()
        if len(data) < 200_000:
            put("import", bytes([i]) + data)
            put("import", bytes([0]) + data)
for f in ["containers/containers-r1.jsonl.gz", "containers/containers-r2.jsonl.zst"]:
    put("decompress", open(os.path.join(root, "fixtures/corpus", f), "rb").read())
PY
targets="record command manifest patch rules import decompress"
cargo fuzz build -s none --release
status=0
for t in $targets; do
  echo "== fuzz $t for ${secs}s"
  mkdir -p "artifacts/$t"
  if ! cargo fuzz run -s none --release "$t" "corpus/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 "${seed_arg[@]}" 2>"artifacts/$t.log"; then
    status=1
    tail -40 "artifacts/$t.log"
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "artifacts/$t.log" | tail -3
done
exit $status
