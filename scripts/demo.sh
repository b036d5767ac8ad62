#!/usr/bin/env bash
# The main job, end to end, from a fresh checkout: install the system libraries, build the
# release binary, simulate a reference data set and summarise it.
#
# Today the pipeline stops after the simulated data set; the lead extends this script as the
# commands land (train-teacher, distill, generate, evaluate, bench).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
swift build -c release
bin=.build/release/caloflow

"$bin" --version

for command in simulate info; do
    if ! "$bin" help "$command" >/dev/null 2>&1; then
        echo "demo: this build has no '$command' command yet; stopping here." >&2
        exit 1
    fi
done

mkdir -p datasets
# 20000 positron showers, 1-100 GeV, from the built-in GFlash-style simulator.
"$bin" simulate --particle eplus --events 20000 --seed 7 --output datasets/eplus.h5
"$bin" info datasets/eplus.h5
