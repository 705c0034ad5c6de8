#!/usr/bin/env bash
# What to run first on a CPU with AMX-BF16 (Intel Sapphire Rapids on): where the AMX kernel was
# written it only ran against an emulation of tdpbf16ps. In order, stopping at the first failure:
#   1. the bf16 GEMM tests, now with the AMX test live (not skipped);
#   2. the ceilings (attend bench amx);
#   3. products of the training steps' shapes on the AMX tiles and on the AVX512-BF16 tile
#      (each checked against the naive loop), and the tile the dispatcher picks: where the
#      AVX512-BF16 tile wins on shapes the dispatcher gives to AMX, or the reverse, change
#      GEMM.amxMinimumExtent (Sources/Autograd/Kernels/GEMMBF16.swift);
#   4. both training benchmarks with --ops and --products (each product shape's in-step rate on the
#      tile it ran on), then Scripts/bench-vs-torch.sh --rounds 3.
#   Scripts/amx-check.sh [--threads T]   (default 2; run `swift build -c release` first)
# On a CPU without AMX it says so and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2
case "${1:-}" in
  --threads) threads=$2 ;;
  "") ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
attend=${ATTEND:-.build/release/attend}
[ -x "$attend" ] || { echo "error: no Attend binary at $attend: run 'swift build -c release' first" >&2; exit 1; }
echo "cpu: $(Scripts/cpu-name.sh)"
if ! why=$(ATTEND_ISA=amx "$attend" bench gemm --m 8 --n 8 --k 8 --repeat 1 2>&1); then
  echo "no AMX here: $(echo "$why" | head -1)"
  exit 0
fi

echo "== 1. bf16 GEMM tests with the AMX path live"
swift test -c release --filter BF16GEMMTests 2>&1 | grep -E "skipped|error|Executed" | sort -u

echo "== 2. ceilings"
"$attend" bench amx

echo "== 3. shapes on both tiles, $threads threads (GFLOP/s; m×n×k as C = A·B, B transposed as a Linear's weight)"
printf '%-16s %10s %12s  %s\n' shape amx avx512bf16 dispatcher
for shape in 20x20x64 20x64x20 20x20x16 20x16x20 32x32x32 64x64x64 64x768x256 64x256x768 64x768x768 \
             64x256x256 1280x768x256 1280x1024x256 1280x256x1024 1280x1000x256 256x768x1280; do
  IFS=x read -r m n k <<<"$shape"
  rates=()
  for tile in amx avx512bf16; do
    line=$(ATTEND_ISA=amx "$attend" bench gemm --m "$m" --n "$n" --k "$k" --transpose-b --threads "$threads" --tile "$tile")
    rates+=("$(echo "$line" | sed -nE 's/.*: ([0-9.]+) GFLOP\/s.*/\1/p' | head -1)")
  done
  picked=$(ATTEND_ISA=amx "$attend" bench gemm --m "$m" --n "$n" --k "$k" --transpose-b --threads "$threads" --repeat 1 \
           | head -1 | grep -q 'AVX512-BF16) tile' && echo avx512bf16 || echo amx)
  printf '%-16s %10s %12s  %s\n' "$shape" "${rates[0]}" "${rates[1]}" "$picked"
done

echo "== 4. training steps"
for model in gru-bahdanau transformer; do
  ATTEND_ISA=amx "$attend" bench train --model "$model" --threads "$threads" --ops --products
done
Scripts/bench-vs-torch.sh --threads "$threads" --rounds 3
