#!/usr/bin/env bash
# HTML report benchmark: the report of a generated corpus of about 10,000 runs, its size, and
# how long headless Chromium takes to load it and dump the DOM (one run, wall clock).
#
#   bench/html.sh [SIZE]      SIZE of the generated traces, default 170MB (about 10,000 runs)
#
# Needs Debian's chromium (/usr/bin/chromium). Figures go to stdout.
set -euo pipefail
size=${1:-170MB}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-$root/target/bench}/html-$size
bin=$root/target/release/kubeautopsy
(cd "$root" && cargo build --release --quiet)
rm -rf "$dir" && mkdir -p "$dir"
"$bin" gen --out "$dir/corpus" --size "$size" --seed 1 --format jsonl >/dev/null
start=$(date +%s.%N)
"$bin" -q analyze "$dir/corpus" --html "$dir/report.html" --format json > "$dir/analysis.json"
end=$(date +%s.%N)
runs=$(python3 -c "import json,sys; print(json.load(open('$dir/analysis.json'))['accounting']['runs'])")
bytes=$(stat -c %s "$dir/report.html")
profile=$(mktemp -d)
t0=$(date +%s.%N)
/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --dump-dom "file://$dir/report.html" > "$dir/dom.html"
t1=$(date +%s.%N)
rm -rf "$profile"
printf '| runs | analyze --html s | report bytes | MB | chromium load + dump-dom s | details in DOM |\n|---|---|---|---|---|---|\n'
printf '| %s | %.1f | %s | %.2f | %.2f | %s |\n' "$runs" "$(echo "$end - $start" | bc)" "$bytes" \
  "$(echo "$bytes / 1000000" | bc -l)" "$(echo "$t1 - $t0" | bc)" "$(grep -o '<details id="run-' "$dir/dom.html" | wc -l)"
