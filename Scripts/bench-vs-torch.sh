#!/usr/bin/env bash
# Training speed of Attend against the PyTorch reference (../shared/reference/torch_bench.py),
# the same models and shapes (batch 64, source and target length 20, vocabulary 1000, width 256),
# one program after the other:
#   Scripts/bench-vs-torch.sh [--threads T] [--steps N] [--warmup N]    # defaults: 2, 30, 5
# It builds nothing: run `swift build -c release` first. ATTEND (default .build/release/attend)
# and PYTHON (default ../.venv-ref/bin/python if it exists, else python3) pick the programs;
# TORCH_BENCH the reference script. Paths are relative to the repository's root.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: Scripts/bench-vs-torch.sh [--threads T] [--steps N] [--warmup N]" >&2; exit 2; }
threads=2 steps=30 warmup=5
while [ $# -gt 0 ]; do
  case $1 in
    --threads) [ $# -ge 2 ] || usage; threads=$2; shift 2 ;;
    --steps) [ $# -ge 2 ] || usage; steps=$2; shift 2 ;;
    --warmup) [ $# -ge 2 ] || usage; warmup=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
done
[[ $threads =~ ^[1-9][0-9]*$ && $steps =~ ^[1-9][0-9]*$ && $warmup =~ ^[0-9]+$ ]] ||
  { echo "error: --threads and --steps must be positive integers, --warmup a non-negative one" >&2; exit 2; }

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

models=(gru-bahdanau transformer)
declare -A attend_ms torch_ms
torch_failed=0
for model in "${models[@]}"; do
  line=$("$attend" bench train --model "$model" --threads "$threads" --steps "$steps" --warmup "$warmup")
  echo "attend $line"
  attend_ms[$model]=$(median_ms <<<"$line")
  if [ -z "$torch_problem" ]; then
    if output=$("$PYTHON" "$reference" --model "$model" --threads "$threads" --steps "$steps" --warmup "$warmup" 2>&1); then
      line=$(grep 'step median' <<<"$output" || true)
      echo "torch  $line"
      torch_ms[$model]=$(median_ms <<<"$line")
    else
      echo "torch  $model: torch_bench.py failed; its last lines:" >&2
      echo "$output" | tail -n 5 >&2
      torch_failed=1
    fi
  fi
done

echo
printf '%-14s %8s %12s %12s %10s\n' model threads "attend ms" "torch ms" "speed-up"
for model in "${models[@]}"; do
  a=${attend_ms[$model]:-} t=${torch_ms[$model]:-}
  if [ -n "$a" ] && [ -n "$t" ]; then
    ratio=$(awk -v a="$a" -v t="$t" 'BEGIN { printf "%.2fx", t / a }')
  else
    ratio="-"
  fi
  printf '%-14s %8s %12s %12s %10s\n' "$model" "$threads" "${a:--}" "${t:--}" "$ratio"
done
echo "(speed-up = torch ms / attend ms per step: above 1, Attend trains faster; median of $steps steps after $warmup warm-up steps)"

if [ -n "$torch_problem" ]; then
  echo >&2
  echo "torch: not measured: $torch_problem" >&2
  exit 1
fi
[ "$torch_failed" = 0 ] || exit 1
