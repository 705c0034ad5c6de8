#!/usr/bin/env bash
# Breaks `attend train` the way users do, and prints one line per fault with what was left on
# disk: kill -9 at random moments, SIGINT and SIGTERM, a full disk, a folder made read-only
# mid-run, a second run on the same folder, NaN from a huge --lr. Nothing here is a test
# dependency; it is the check a user would make, run by hand:
#
#   swift build -c release && Scripts/fault-test.sh [KILLS]        # KILLS: kill -9 rounds (default 8)
#
# ATTEND picks the binary (default .build/release/attend), DATA the corpus (default Data/reverse).
# The full disk is a small tmpfs and the read-only folder a read-only bind mount, which need
# root; without it they are a file-size limit (ulimit -f) and chmod a-w.
set -uo pipefail
attend=$(realpath "${ATTEND:-.build/release/attend}")
data=$(realpath "${DATA:-Data/reverse}")
kills=${1:-8}
work=$(mktemp -d /tmp/attend-faults.XXXXXX)
mounts=()
cleanup() {
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
    jobs -p | xargs -r kill -9 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
model=(--data "$data" --hidden-dim 32 --embed-dim 16 --batch-size 32 --probes 2)
small=("${model[@]}" --valid-every 25)

# The step a checkpoint holds (the last "step" of its header's training state) and whether
# `attend translate` loads it.
checkpoint() {
    local file=$1/$2.safetensors
    [ -f "$file" ] || { printf 'no %s' "$2"; return; }
    local step
    step=$(head -c 200000 "$file" | grep -ao '\\"step\\":[0-9]*' | tail -1 | grep -o '[0-9]*$')
    if echo 1 | "$attend" translate --model "$file" >/dev/null 2>&1; then
        printf '%s step %s (loads)' "$2" "${step:-?}"
    else
        printf '%s step %s (DOES NOT LOAD)' "$2" "${step:-?}"
    fi
}
left() {
    local temporaries
    temporaries=$(find "$1" -name '*.tmp-*' 2>/dev/null | wc -l)
    echo "$(checkpoint "$1" last), $(checkpoint "$1" best), $temporaries temporary files"
}
logged() { tail -n 1 "$1/metrics.csv" 2>/dev/null | cut -d, -f1; }
wait_for() { for _ in $(seq 600); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
line() { printf '%-34s %s\n' "$1" "$2"; }

# 1. kill -9 at random moments, each round resuming the run the previous one killed.
"$attend" train "${small[@]}" --out kill9 --epochs 1000 2>/dev/null &
pid=$!
for round in $(seq "$kills"); do
    delay=$(awk -v seed="$RANDOM" 'BEGIN { srand(seed); printf "%.1f", 1 + 5 * rand() }')
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    line "kill -9 #$round after ${delay} s" "logged step $(logged kill9); $(left kill9)"
    if [ -f kill9/last.safetensors ]; then
        "$attend" train --resume kill9 2>/dev/null &
    else
        rm -rf kill9
        "$attend" train "${small[@]}" --out kill9 --epochs 1000 2>/dev/null &
    fi
    pid=$!
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

# 2. SIGINT and SIGTERM: finish the step, save last, exit 130 or 143.
for signal in INT TERM; do
    "$attend" train "${small[@]}" --out "sig$signal" --epochs 1000 2>"sig$signal.log" &
    pid=$!
    sleep 4
    kill -s "$signal" "$pid"
    wait "$pid"
    status=$?
    line "SIG$signal after 4 s" "exit $status; logged step $(logged "sig$signal"); $(left "sig$signal"); $(grep -o 'continue with.*' "sig$signal.log")"
done

# 3. A full disk: a tmpfs with room for the first checkpoints only.
size=$(stat -c %s sigINT/last.safetensors)
mkdir full
if mount -t tmpfs -o size=$((size * 5 / 2 + 65536)) tmpfs full 2>/dev/null; then
    mounts+=("$work/full")
    how="tmpfs of $(((size * 5 / 2 + 65536) / 1024)) KiB"
    "$attend" train "${small[@]}" --out full/run --epochs 1000 2>full.log
    status=$?
else
    how="ulimit -f"
    (trap '' XFSZ; ulimit -f $((size * 3 / 2 / 512)); exec "$attend" train "${small[@]}" --out full/run --epochs 1000) 2>full.log
    status=$?
fi
line "full disk ($how)" "exit $status; $(left full/run); $(grep -o 'error: [^;]*' full.log)"

# 4. A folder made read-only mid-run: a read-only bind mount of the run folder onto itself
#    (files already open stay writable, as they would after a chmod; new ones cannot be made).
mkdir readonly
"$attend" train "${small[@]}" --out readonly/run --epochs 1000 2>readonly.log &
pid=$!
wait_for readonly/run/last.safetensors
if mount --bind readonly/run readonly/run 2>/dev/null && mount -o remount,ro,bind readonly/run 2>/dev/null; then
    mounts+=("$work/readonly/run")
    how="read-only bind mount"
elif [ "$(id -u)" != 0 ]; then
    chmod a-w readonly/run
    how="chmod a-w"
else
    how="could not make it read-only; stopped"
    kill -INT "$pid"
fi
wait "$pid"
status=$?
line "read-only folder ($how)" "exit $status; $(left readonly/run); $(grep -o 'error: [^;]*' readonly.log)"

# 5. A second train on a running run: the same --out, and --resume.
"$attend" train "${small[@]}" --out busy --epochs 1000 2>/dev/null &
pid=$!
wait_for busy/last.safetensors
"$attend" train "${small[@]}" --out busy 2>busy-out.log
out_status=$?
"$attend" train --resume busy 2>busy-resume.log
resume_status=$?
kill -INT "$pid"
wait "$pid"
first_status=$?
line "second train, same --out" "exit $out_status; $(head -n 1 busy-out.log)"
line "second train, --resume" "exit $resume_status; $(head -n 1 busy-resume.log)"
line "  the first, after SIGINT" "exit $first_status; $(left busy)"

# 6. NaN from a huge --lr: stop before the step, keep the last validation's checkpoints;
#    with --skip-nonfinite, skip and count such batches.
"$attend" train "${model[@]}" --out nan --lr 1e38 --valid-every 1 --max-steps 50 2>nan.log
line "NaN (--lr 1e38)" "exit $?; $(left nan); $(grep -o 'error: training diverged at step [0-9]* ([^)]*)' nan.log)"
"$attend" train "${model[@]}" --out skip --lr 1e38 --valid-every 10 --max-steps 20 --skip-nonfinite 2>skip.log
line "NaN (--lr 1e38 --skip-nonfinite)" "exit $?; $(left skip); $(grep -c 'skipped (loss' skip.log) batches skipped, $(grep -ci nan skip/metrics.csv) NaN rows in metrics.csv"
