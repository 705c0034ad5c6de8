#!/usr/bin/env bash
# Renders a run's `attend report` page with headless Chromium, as a person would see it, and
# saves a screenshot. Chromium is a tool of this script only (Debian: apt-get install chromium),
# not a dependency of the project.
#
#   Scripts/report-screenshot.sh RUN_FOLDER [OUT.png] [WIDTHxHEIGHT]     # default docs/report.png, 1400x2000
#
# ATTEND picks the binary (default .build/release/attend).
set -euo pipefail
run=${1:?usage: Scripts/report-screenshot.sh RUN_FOLDER [OUT.png] [WIDTHxHEIGHT]}
out=${2:-docs/report.png}
size=${3:-1400x2000}
attend=${ATTEND:-.build/release/attend}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "no chromium found: apt-get install -y chromium" >&2
    exit 1
fi
page=$(mktemp --suffix=.html)
profile=$(mktemp -d)
trap 'rm -rf "$page" "$profile"' EXIT
"$attend" report "$run" --out "$page"
# --no-sandbox: Chromium refuses to run as root with its sandbox; the page is our own file.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --window-size="${size/x/,}" --screenshot="$(realpath -m "$out")" "file://$page" 2>/dev/null
echo "screenshot of $run's report: $out ($size)" >&2
