#!/usr/bin/env bash
# Ingestion benchmark: generate a synthetic corpus with `kubeautopsy gen`, then time `validate`
# and `analyze` over it with 1 and 2 threads and report throughput and peak memory.
#
#   bench/ingest.sh [SIZE] [FORMAT]      e.g. bench/ingest.sh 1GB jsonl
#
# SIZE defaults to 1GB, FORMAT to jsonl (also json, jsonl.gz, jsonl.zst). The corpus is written
# under ${BENCH_DIR:-target/bench} and reused when it already exists with the same size, format
# and seed. Figures go to stdout as a Markdown table.
set -euo pipefail
size=${1:-1GB}
format=${2:-jsonl}
seed=${SEED:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-$root/target/bench}/corpus-$size-$format-$seed
bin=$root/target/release/kubeautopsy

(cd "$root" && cargo build --release --quiet)
if [ ! -f "$dir/.complete" ]; then
  rm -rf "$dir"
  echo "generating $size ($format, seed $seed) in $dir ..." >&2
  "$bin" gen --out "$dir" --size "$size" --seed "$seed" --format "$format"
  touch "$dir/.complete"
fi
bytes=$(find "$dir" -type f ! -name .complete -printf '%s\n' | awk '{s+=$1} END {print s}')
runs_file=$(mktemp)
trap 'rm -f "$runs_file"' EXIT

runs=0
declare -A took rss
measure() { # key name threads command...
  local key=$1 name=$2 threads=$3; shift 3
  local tfile; tfile=$(mktemp)
  RAYON_NUM_THREADS=$threads /usr/bin/time -f '%e %M' -o "$tfile" "$@" >"$runs_file" 2>/dev/null || true
  read -r secs kb <"$tfile"; rm -f "$tfile"
  took[$key]=$secs
  rss[$key]=$((kb / 1024))
  if [ "$runs" = 0 ] && grep -qo '[0-9]* run(s)' "$runs_file"; then
    runs=$(grep -o '[0-9]* run(s)' "$runs_file" | head -1 | cut -d' ' -f1)
  fi
  local mbs rps
  mbs=$(awk -v b="$bytes" -v s="$secs" 'BEGIN {printf "%.0f", (s > 0 ? b / 1e6 / s : 0)}')
  rps=$(awk -v r="$runs" -v s="$secs" 'BEGIN {printf "%.0f", (s > 0 && r > 0 ? r / s : 0)}')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$threads" "$secs" "$mbs" "$rps" "$((kb / 1024))"
}
ratio() { awk -v a="${took[$1]:-0}" -v b="${took[$2]:-0}" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}'; }

echo
echo "corpus: $dir ($(awk -v b="$bytes" 'BEGIN {printf "%.1f MB", b / 1e6}') on disk, $format)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); kubeautopsy $("$bin" --version | cut -d' ' -f2)"
echo
echo "| command | threads | seconds | MB/s (on-disk bytes) | runs/s | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
# validate first: it prints the run count the runs/s column uses.
for t in 1 2; do measure "validate$t" "validate" "$t" "$bin" validate --quiet "$dir"; done
for t in 1 2; do measure "floor$t" "typed parse (floor)" "$t" "$bin" bench-parse "$dir"; done
for t in 1 2; do measure "analyze$t" "analyze" "$t" "$bin" analyze --quiet "$dir"; done
# A saved analysis (every run's rows and autopsy written), an HTML report and --strict: spooled,
# flat in memory.
out_dir=$(mktemp -d)
measure out2 "analyze --out" 2 "$bin" analyze --quiet "$dir" --out "$out_dir/saved"
measure html2 "analyze --html" 2 "$bin" analyze --quiet "$dir" --html "$out_dir/report.html"
measure strict2 "analyze --strict" 2 "$bin" analyze --quiet --strict "$dir"
out_bytes=$(du -sb "$out_dir/saved" | cut -f1)
rm -rf "$out_dir"
if command -v jq >/dev/null && [ "$format" = jsonl ]; then
  measure jq "jq -c . (reference)" 1 sh -c "cat $dir/*.jsonl | jq -c . >/dev/null"
fi
if [ "$format" = jsonl ]; then
  measure python "python json (reference)" 1 python3 "$root/bench/reference.py" "$dir"
fi
echo
echo "ratios (time of the other / time of analyze, same run):"
echo "- analyze / typed-parse floor throughput: 1 thread $(ratio analyze1 floor1), 2 threads $(ratio analyze2 floor2) (target ≥ 0.33, aim 0.5)"
echo "- analyze 2 threads / 1 thread: $(ratio analyze2 analyze1)× (target ≥ 1.8)"
[ -n "${took[jq]:-}" ] && echo "- analyze (2 threads) vs jq -c .: $(ratio analyze2 jq)× (target ≥ 3)"
[ -n "${took[python]:-}" ] && echo "- analyze (2 threads) vs the Python reference: $(ratio analyze2 python)× (target ≥ 4)"
echo "- analyze --out / analyze (2 threads): $(ratio analyze2 out2)× the time; the saved analysis is $(awk -v b="$out_bytes" 'BEGIN {printf "%.1f MB", b / 1e6}')"
echo "- peak RSS (2 threads): analyze ${rss[analyze2]} MiB, analyze --out ${rss[out2]} MiB, --html ${rss[html2]} MiB, --strict ${rss[strict2]} MiB (target ≤ 200 MB each)"
tfile=$(mktemp)
/usr/bin/time -f '%e' -o "$tfile" sh -c "'$bin' rules check --deny-warnings >/dev/null && cd '$root' && '$bin' rules test >/dev/null"
echo
echo "rules check + rules test (the default pack and its fixtures): $(cat "$tfile") s"
rm -f "$tfile"
