#!/usr/bin/env bash
# Translation throughput, greedy and beam search, in fp32 and (where the CPU has a bf16 path) bf16:
#   Scripts/bench-translate.sh MODEL [SOURCE_FILE] [BEAM]   # defaults: Data/toy-translation/test.src, 5
# Each configuration translates the whole file three times; the fastest run counts (noise only
# adds time). Prints sentences per second and whether bf16 translated the same as fp32.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
model=$1 source=${2:-Data/toy-translation/test.src} beam=${3:-5}
attend=${ATTEND:-.build/release/attend}
[ -x "$attend" ] || { echo "error: no Attend binary at $attend: run 'swift build -c release' first" >&2; exit 1; }
[ -f "$model" ] && [ -f "$source" ] || { echo "error: $model or $source does not exist" >&2; exit 1; }
sentences=$(wc -l <"$source")
precisions=(fp32)
if "$attend" bench gemm --m 8 --n 8 --k 8 --repeat 1 --precision bf16 >/dev/null 2>&1; then precisions+=(bf16); fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "cpu: $(Scripts/cpu-name.sh); $sentences sentences from $source"
printf '%-8s %-6s %14s %s\n' search precision "sentences/s" "same output as fp32"
for search in greedy "beam $beam"; do
  width=1; [ "$search" = greedy ] || width=$beam
  for precision in "${precisions[@]}"; do
    best=""
    for _ in 1 2 3; do
      start=$(date +%s.%N)
      "$attend" translate --model "$model" --input "$source" --beam "$width" --precision "$precision" >"$out/$precision-$width.txt"
      seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
      best=$(awk -v b="${best:-1e9}" -v s="$seconds" 'BEGIN { print (s < b ? s : b) }')
    done
    same="-"
    [ "$precision" = fp32 ] || same="$(paste -d '\n' "$out/fp32-$width.txt" "$out/$precision-$width.txt" |
      awk 'NR % 2 { a = $0; next } { total++; if (a == $0) n++ } END { printf "%d of %d lines", n, total }')"
    printf '%-8s %-9s %11.1f  %s\n' "$search" "$precision" "$(awk -v n="$sentences" -v s="$best" 'BEGIN { print n / s }')" "$same"
  done
done
