#!/usr/bin/env bash
# Exact match of a model's greedy translations of DATA/test.src, split at source length N:
# the sentences no longer than the longest training sentence, and the longer ones.
#   Scripts/exact-by-length.sh runs/reverse-gru-bahdanau/best.safetensors Data/reverse 25 [--beam K]
set -euo pipefail
model=$1 data=$2 limit=$3
shift 3
attend=${ATTEND:-.build/release/attend}
"$attend" translate --model "$model" --input "$data/test.src" "$@" |
  paste "$data/test.src" - "$data/test.tgt" |
  awk -F'\t' -v n="$limit" '{
      k = split($1, words, " ") <= n ? "within" : "beyond"; total[k]++; if ($2 == $3) right[k]++
    } END {
      for (k in total) printf "%s %d: %d/%d exact (%.1f%%)\n", k, n, right[k], total[k], 100 * right[k] / total[k]
    }' | sort -r
