#!/usr/bin/env bash
# A real corpus against PyTorch: the same biGRU + Bahdanau model (embeddings 256, 256 per encoder
# direction, decoder 256) trained for the same wall-clock budget by `attend train` (in fp32 and,
# where the CPU has it, bf16) and by ../shared/reference/train_ref.py, on ../shared/data/tatoeba-en-fr:
#   Scripts/tatoeba-vs-torch.sh [BUDGET_SECONDS]     # default 300
# Prints each program's training throughput (target tokens per second of training, validation
# excluded) and the test BLEU of its best-by-dev weights at the end of the budget, then Attend's
# speed-ups. PyTorch runs in fp32 and in bf16 (its training forward passes under autocast,
# through Scripts/torch-amp-bf16.py, as torch_bench.py --amp-bf16 does). Runs go to
# runs/tatoeba-budget-*; PYTHON picks the Python that has torch (default ../.venv-ref/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-300}
attend=${ATTEND:-.build/release/attend}
data=../shared/data/tatoeba-en-fr
python=${PYTHON:-../.venv-ref/bin/python}
[ -x "$attend" ] || { echo "error: no Attend binary at $attend: run 'swift build -c release' first" >&2; exit 1; }
[ -d "$data" ] || { echo "error: $data is missing" >&2; exit 1; }
mkdir -p runs
model=(--embed-dim 256 --hidden-dim 256 --encoder-hidden-dim 256 --dropout 0.3 --clip 1 --batch-size 64 --lr 0.001)

# Attend's target tokens per second of training: metrics.csv's tokens over the time between
# consecutive steps, leaving out the gaps that hold a validation (the step after each validated one).
attend_tokens_per_second() {
  awk -F, 'NR == FNR { if (FNR > 1) validated[$1] = 1; next }
           FNR > 1 { if (previous != "" && !validated[$1 - 1]) { tokens += $4; seconds += $6 - previous } previous = $6 }
           END { printf "%.0f", tokens / seconds }' "$1/validation.csv" "$1/metrics.csv"
}

echo "cpu: $(Scripts/cpu-name.sh); budget ${budget} s"
printf '%-22s %12s %10s\n' program "tokens/s" "test BLEU"
declare -A rate  # tokens per second by program
precisions=(fp32)
if "$attend" bench gemm --m 8 --n 8 --k 8 --repeat 1 --precision bf16 >/dev/null 2>&1; then precisions+=(bf16); fi
for precision in "${precisions[@]}"; do
  run=runs/tatoeba-budget-$budget-$precision
  rm -rf "$run"
  "$attend" train --data "$data" --src-ext en --tgt-ext fr "${model[@]}" --best-metric bleu --epochs 1000 \
    --time-limit "$budget" --precision "$precision" --out "$run" 2>"$run.log"
  bleu=$("$attend" eval --model "$run/best.safetensors" --src "$data/test.en" --ref "$data/test.fr" |
    sed -n 's/^BLEU = \([0-9.]*\).*/\1/p')
  rate["attend $precision"]=$(attend_tokens_per_second "$run")
  printf '%-22s %12s %10s\n' "attend $precision" "${rate["attend $precision"]}" "$bleu"
done
if "$python" -c 'import torch' 2>/dev/null; then
  for precision in fp32 bf16; do
    out=runs/tatoeba-budget-$budget-torch-$precision
    reference=(../shared/reference/train_ref.py)
    [ "$precision" = fp32 ] || reference=(Scripts/torch-amp-bf16.py --model-class GRUBahdanau "${reference[@]}")
    "$python" "${reference[@]}" --train "$data/train.en" "$data/train.fr" --dev "$data/dev.en" "$data/dev.fr" \
      --test "$data/test.en" "$data/test.fr" --min-freq 1 --dropout 0.3 --budget "$budget" --threads 2 --out "$out" >"$out.log" 2>&1 ||
      { echo "error: train_ref.py failed (its log, $out.log, ends:)" >&2; tail -n 3 "$out.log" >&2; exit 1; }
    rate["torch $precision"]=$(sed -n 's/.*budget reached: .* train \([0-9.]*\)s, .* tokens \([0-9]*\).*/\2 \1/p' "$out.log" |
      awk '{ printf "%.0f", $1 / $2 }')
    bleu=$(sed -n 's/.*TEST \[\(best\|final\)\] BLEU \([0-9.]*\).*/\2/p' "$out.log" | tail -n 1)
    printf '%-22s %12s %10s\n' "pytorch $precision" "${rate["torch $precision"]}" "$bleu"
  done
  # Speed-ups: Attend's tokens per second over PyTorch's.
  for pair in "attend bf16:torch fp32" "attend bf16:torch bf16" "attend fp32:torch fp32"; do
    a=${pair%%:*} t=${pair#*:}
    [ -n "${rate[$a]:-}" ] && printf '%s vs %s: %s\n' "$a" "$t" "$(awk -v a="${rate[$a]}" -v t="${rate[$t]}" 'BEGIN { printf "%.2fx", a / t }')"
  done
else
  echo "pytorch: not measured (no torch for $python)" >&2
fi
