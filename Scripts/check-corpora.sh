#!/usr/bin/env bash
# Regenerates the corpora into a temporary folder and compares them with Data/ byte for byte
# (Data/*/README.md is written by hand, not by the generator). Exits non-zero on any difference.
# The same check runs as CorpusTests.testGeneratorRebuildsDataByteForByte in `swift test`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
swift "$root/Scripts/generate-corpora.swift" --out "$scratch"
diff -r -x README.md "$scratch" "$root/Data"
echo "Data/ matches Scripts/generate-corpora.swift"
