#!/usr/bin/env bash
# Scaling benchmark: `analyze` (2 threads) over a small and a 10× larger generated corpus, back
# to back, each read once beforehand so both come from the page cache. Prints wall time, CPU
# time (user + system: less sensitive to a busy shared machine than wall time) and peak RSS of
# each, and the large/small ratios (target: ≤ 10.5 for 10×; peak RSS ≤ 200 MB for both). With
# `perf` installed, also the instructions executed (user space), which noise does not change.
#
#   bench/scale.sh [SMALL] [LARGE]      default 1GB 10GB (jsonl, seed 1, as bench/ingest.sh)
set -euo pipefail
small=${1:-1GB}
large=${2:-10GB}
seed=${SEED:-1}
threads=${THREADS:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release/kubeautopsy
(cd "$root" && cargo build --release --quiet)

declare -A wall cpu ins
perf_ok=false
# Hardware counters are often missing in virtual machines ("<not supported>"): then no column.
if command -v perf >/dev/null \
  && perf stat -x, -e instructions:u -- true 2>&1 >/dev/null | grep -q '^[0-9]'; then
  perf_ok=true
fi
echo "| corpus | runs | threads | wall s | CPU s | instructions (10^9) | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|"
for size in "$small" "$large"; do
  dir=${BENCH_DIR:-$root/target/bench}/corpus-$size-jsonl-$seed
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    echo "generating $size (jsonl, seed $seed) in $dir ..." >&2
    "$bin" gen --out "$dir" --size "$size" --seed "$seed" --format jsonl >&2
    touch "$dir/.complete"
  fi
  cat "$dir"/*.jsonl >/dev/null
  tfile=$(mktemp)
  pfile=$(mktemp)
  wrap=()
  if $perf_ok; then wrap=(perf stat -x, -e instructions:u -o "$pfile" --); fi
  out=$(RAYON_NUM_THREADS=$threads "${wrap[@]}" /usr/bin/time -f '%e %U %S %M' -o "$tfile" "$bin" analyze --quiet "$dir" --format json)
  read -r secs user sys kb <"$tfile"
  ins[$size]=$(awk -F, '/instructions/ {printf "%.1f", $1 / 1e9}' "$pfile")
  rm -f "$tfile" "$pfile"
  runs=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accounting"]["runs"])')
  wall[$size]=$secs
  cpu[$size]=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
  echo "| $size | $runs | $threads | $secs | ${cpu[$size]} | ${ins[$size]:-n/a} | $((kb / 1024)) |"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (a > 0 ? b / a : 0)}'; }
echo
echo "$large / $small: wall $(ratio "${wall[$small]}" "${wall[$large]}")×, CPU $(ratio "${cpu[$small]}" "${cpu[$large]}")×, instructions $(ratio "${ins[$small]:-0}" "${ins[$large]:-0}")× (target ≤ 10.5 for 10×)"
