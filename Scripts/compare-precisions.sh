#!/usr/bin/env bash
# Does bf16 learn as well as fp32? Trains the same model with the same seed and the same number
# of steps in both precisions on each named corpus, then scores both best checkpoints on the
# test set (in fp32, so that only training differs):
#   Scripts/compare-precisions.sh [reverse] [toy-translation] [tatoeba]   # default: all three
# Runs go to runs/precision-CORPUS-{fp32,bf16} (an existing folder is reused, not retrained).
# SEEDS="1 2 3" trains each precision once per seed (folders ...-seedN) and adds each
# precision's mean and spread: how far apart two seeds end, to weigh the precisions' gap by.
# Extra options for every `attend train` can be given in TRAIN_OPTIONS. Needs a CPU with a bf16
# path (AMX-BF16 or AVX512-BF16) and `swift build -c release` done.
set -euo pipefail
cd "$(dirname "$0")/.."
attend=${ATTEND:-.build/release/attend}
[ -x "$attend" ] || { echo "error: no Attend binary at $attend: run 'swift build -c release' first" >&2; exit 1; }
corpora=("$@")
[ ${#corpora[@]} -gt 0 ] || corpora=(reverse toy-translation tatoeba)

# The data and training options of each corpus (the README's results-table commands).
options() {
  case $1 in
    reverse) echo "--data Data/reverse" ;;
    toy-translation) echo "--data Data/toy-translation" ;;
    tatoeba) echo "--data ../shared/data/tatoeba-en-fr --src-ext en --tgt-ext fr --dropout 0.3 --best-metric bleu" ;;
    *) echo "error: unknown corpus '$1' (reverse, toy-translation or tatoeba)" >&2; exit 2 ;;
  esac
}
# The test data of each corpus, as `attend eval --model` takes it.
test_data() {
  case $1 in
    tatoeba) echo "--src ../shared/data/tatoeba-en-fr/test.en --ref ../shared/data/tatoeba-en-fr/test.fr" ;;
    *) echo "--data Data/$1" ;;
  esac
}

mkdir -p runs
read -r -a seeds <<<"${SEEDS:-}"
printf '%-16s %-9s %5s %10s %8s %8s %12s\n' corpus precision seed "train time" BLEU chrF "exact match"
for corpus in "${corpora[@]}"; do
  read -r -a train_options <<<"$(options "$corpus")"
  for precision in fp32 bf16; do
    scored=()  # "BLEU exact" per seed
    for seed in "${seeds[@]:-default}"; do
      run=runs/precision-$corpus-$precision seed_options=()
      if [ "$seed" != default ]; then run+=-seed$seed seed_options=(--seed "$seed"); fi
      if [ ! -f "$run/best.safetensors" ]; then
        # shellcheck disable=SC2086
        "$attend" train "${train_options[@]}" ${TRAIN_OPTIONS:-} "${seed_options[@]}" --precision "$precision" --out "$run" 2>"$run.log" ||
          { echo "error: training $run failed; see $run.log" >&2; exit 1; }
      fi
      time=$(sed -n 's/^attend: stopped after step [0-9]*, \([0-9:]*\):.*/\1/p' "$run.log" | tail -n 1)
      read -r -a test_options <<<"$(test_data "$corpus")"
      scores=$("$attend" eval --model "$run/best.safetensors" "${test_options[@]}" --precision fp32)
      bleu=$(sed -n 's/^BLEU = \([0-9.]*\).*/\1/p' <<<"$scores")
      chrf=$(sed -n 's/^chrF2 = \([0-9.]*\).*/\1/p' <<<"$scores")
      exact=$(sed -n 's/^exact match = \([0-9.]*%\).*/\1/p' <<<"$scores")
      printf '%-16s %-9s %5s %10s %8s %8s %12s\n' "$corpus" "$precision" "$seed" "${time:--}" "$bleu" "$chrf" "$exact"
      scored+=("$bleu ${exact%\%}")
    done
    if [ ${#scored[@]} -gt 1 ]; then
      printf '%s\n' "${scored[@]}" | awk -v c="$corpus" -v p="$precision" '
        { b[NR] = $1; e[NR] = $2; sb += $1; se += $2 }
        END { lb = hb = b[1]; le = he = e[1]
              for (i = 2; i <= NR; i++) { if (b[i] < lb) lb = b[i]; if (b[i] > hb) hb = b[i]; if (e[i] < le) le = e[i]; if (e[i] > he) he = e[i] }
              printf "%-16s %-9s %5s %10s %8.2f %8s %11.2f%%   (spread over seeds: BLEU %.2f, exact %.1f points)\n", c, p, "mean", "", sb / NR, "", se / NR, hb - lb, he - le }'
    fi
  done
done
