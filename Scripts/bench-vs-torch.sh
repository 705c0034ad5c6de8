#!/usr/bin/env bash
# Training speed of Attend against the PyTorch reference (../shared/reference/torch_bench.py),
# the same models and shapes (batch 64, source and target length 20, vocabulary 1000, width 256),
# one program after the other: Attend in fp32 and (where the CPU has a bf16 path) bf16, PyTorch
# in fp32 and with bf16 autocast (--amp-bf16):
#   Scripts/bench-vs-torch.sh [--threads T] [--steps N] [--warmup N] [--rounds R] [--dropout P]
#   (defaults: 2, 30, 5, 1, 0; with P > 0 both models train with dropout P where each program's
#   models put it; torch_bench.py's nn.Transformer also drops attention weights)
# With R rounds the programs take turns R times and the table shows each one's median over the
# rounds, so that a slow spell of the machine falls on both sides.
# It builds nothing: run `swift build -c release` first. ATTEND (default .build/release/attend)
# and PYTHON (default ../.venv-ref/bin/python if it exists, else python3) pick the programs;
# TORCH_BENCH the reference script. Paths are relative to the repository's root.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: Scripts/bench-vs-torch.sh [--threads T] [--steps N] [--warmup N] [--rounds R] [--dropout P]" >&2; exit 2; }
threads=2 steps=30 warmup=5 rounds=1 dropout=0
while [ $# -gt 0 ]; do
  case $1 in
    --threads) [ $# -ge 2 ] || usage; threads=$2; shift 2 ;;
    --steps) [ $# -ge 2 ] || usage; steps=$2; shift 2 ;;
    --warmup) [ $# -ge 2 ] || usage; warmup=$2; shift 2 ;;
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
    --dropout) [ $# -ge 2 ] || usage; dropout=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
done
[[ $threads =~ ^[1-9][0-9]*$ && $steps =~ ^[1-9][0-9]*$ && $warmup =~ ^[0-9]+$ && $rounds =~ ^[1-9][0-9]*$ ]] ||
  { echo "error: --threads, --steps and --rounds must be positive integers, --warmup a non-negative one" >&2; exit 2; }
[[ $dropout =~ ^(0+(\.[0-9]*)?|\.[0-9]+)$ ]] || { echo "error: --dropout must be a number at least 0 and below 1" >&2; exit 2; }

attend=${ATTEND:-.build/release/attend}
reference=${TORCH_BENCH:-../shared/reference/torch_bench.py}
if [ -z "${PYTHON:-}" ]; then
  if [ -x ../.venv-ref/bin/python ]; then PYTHON=../.venv-ref/bin/python; else PYTHON=python3; fi
fi
[ -x "$attend" ] || { echo "error: no Attend binary at $attend: run 'swift build -c release' first (or set ATTEND)" >&2; exit 1; }

# Why the reference cannot run, or nothing when it can.
torch_problem=""
if [ ! -f "$reference" ]; then
  torch_problem="the reference script $reference is missing (set TORCH_BENCH)"
elif ! command -v "$PYTHON" >/dev/null 2>&1; then
  torch_problem="no Python at '$PYTHON' (set PYTHON)"
elif ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
  torch_problem="PyTorch is not installed for $PYTHON; set PYTHON to a Python that has it, or create
  the reference venv (../shared/reference/README.md):
      python3 -m venv ../.venv-ref && ../.venv-ref/bin/pip install \"torch==2.13.0+cpu\" numpy"
fi

[ -z "$torch_problem" ] || echo "torch: not available, so only Attend is measured (why: at the end)" >&2

# The median step time in ms from a line 'step median X ms' (both programs print one).
median_ms() { sed -n 's/.*step median \([0-9.]*\) ms.*/\1/p' | head -n 1; }

# Attend in bf16 only where the CPU has a bf16 path (auto picks it; fp32 otherwise).
attend_precisions=(fp32)
if "$attend" bench gemm --m 8 --n 8 --k 8 --repeat 1 --precision bf16 >/dev/null 2>&1; then attend_precisions+=(bf16); fi

echo "cpu: $(Scripts/cpu-name.sh); threads $threads; dropout $dropout"
models=(gru-bahdanau transformer)
declare -A ms  # [model,program,precision]: the medians of the rounds, space-separated
torch_failed=0
for ((round = 1; round <= rounds; round++)); do
  [ "$rounds" = 1 ] || echo "round $round of $rounds"
  for model in "${models[@]}"; do
    for precision in fp32 bf16; do
      if [[ " ${attend_precisions[*]} " == *" $precision "* ]]; then
        line=$("$attend" bench train --model "$model" --threads "$threads" --steps "$steps" --warmup "$warmup" --precision "$precision" --dropout "$dropout")
        echo "attend $line"
        ms[$model,attend,$precision]+=" $(median_ms <<<"$line")"
      fi
      if [ -z "$torch_problem" ]; then
        amp=(); [ "$precision" = bf16 ] && amp=(--amp-bf16)
        if output=$("$PYTHON" "$reference" --model "$model" --threads "$threads" --steps "$steps" --warmup "$warmup" --dropout "$dropout" "${amp[@]}" 2>&1); then
          line=$(grep 'step median' <<<"$output" || true)
          echo "torch  $line"
          ms[$model,torch,$precision]+=" $(median_ms <<<"$line")"
        else
          echo "torch  $model $precision: torch_bench.py failed; its last lines:" >&2
          echo "$output" | tail -n 5 >&2
          torch_failed=1
        fi
      fi
    done
  done
done

# The median of a space-separated list of numbers, or nothing for an empty one.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# t / a as "N.NNx", or "-" when either is missing.
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$2" -v t="$1" 'BEGIN { printf "%.2fx", t / a }'; else echo "-"; fi; }

echo
printf '%-14s %11s %11s %11s %11s   %-26s %-26s %-26s\n' model "attend bf16" "attend fp32" "torch fp32" "torch bf16" \
  "attend bf16 vs torch fp32" "attend bf16 vs torch bf16" "attend fp32 vs torch fp32"
for model in "${models[@]}"; do
  ab=$(median "${ms[$model,attend,bf16]:-}") af=$(median "${ms[$model,attend,fp32]:-}")
  tf=$(median "${ms[$model,torch,fp32]:-}") tb=$(median "${ms[$model,torch,bf16]:-}")
  printf '%-14s %11s %11s %11s %11s   %-26s %-26s %-26s\n' "$model" "${ab:--}" "${af:--}" "${tf:--}" "${tb:--}" \
    "$(ratio "$tf" "$ab")" "$(ratio "$tb" "$ab")" "$(ratio "$tf" "$af")"
done
echo "(median ms per step of $steps steps after $warmup warm-up steps$([ "$rounds" = 1 ] || echo ", the median of $rounds rounds"); a speed-up is torch ms / attend ms: above 1, Attend trains faster;"
echo " torch bf16 is torch_bench.py --amp-bf16, autocast on the forward pass and loss)"

if [ -n "$torch_problem" ]; then
  echo >&2
  echo "torch: not measured: $torch_problem" >&2
  exit 1
fi
[ "$torch_failed" = 0 ] || exit 1
