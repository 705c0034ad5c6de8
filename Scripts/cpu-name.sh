#!/usr/bin/env bash
# Prints the CPU a measurement ran on, for the first line of the benchmark scripts: the model
# name, and since virtual machines often report only "AMD EPYC" or "Intel Xeon", the family and
# model numbers and whether the bf16 instructions are there, e.g.
#   AMD EPYC (family 25, model 17; avx512_bf16, no amx_bf16)
set -uo pipefail
info=/proc/cpuinfo
name=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
[ -r "$info" ] || { echo "${name:-unknown CPU}"; exit 0; }
family=$(sed -n 's/^cpu family[[:space:]]*: *//p' "$info" | head -n 1)
model=$(sed -n 's/^model[[:space:]]*: *//p' "$info" | head -n 1)
flags=" $(sed -n 's/^flags[[:space:]]*: *//p' "$info" | head -n 1) "
has() { if [[ $flags == *" $1 "* ]]; then echo "$1"; else echo "no $1"; fi; }
echo "${name:-$(sed -n 's/^model name[[:space:]]*: *//p' "$info" | head -n 1)} (family $family, model $model; $(has avx512_bf16), $(has amx_bf16))"
