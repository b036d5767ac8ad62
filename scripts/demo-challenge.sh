#!/usr/bin/env bash
# The whole chain on one CaloChallenge geometry with the built-in simulator, at demo scale:
#   bash scripts/demo-challenge.sh ds1-photons|ds1-pions|ds2|ds3
# 1. simulate training and independent reference showers in the geometry,
# 2. train Flow I and the teacher (configs/calochallenge-<geometry>.json; CaloFlow for dataset 1,
#    iCaloFlow's layer flow for datasets 2 and 3),
# 3. distill the student, 4. generate as many showers as the reference at its incident energies,
# 5. evaluate against the reference (classifier AUCs, CaloChallenge FPD/KPD, histograms, images).
# Seeded and reproducible for the same thread count; outputs go to datasets/, runs/ and reports/.
# Minutes on 2 cores (dataset 3 the longest); prints the report's path at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

geometry=${1:-}
case "$geometry" in
    ds1-photons) train=6000; reference=2000 ;;
    ds1-pions)   train=6000; reference=2000 ;;
    ds2)         train=3000; reference=2000 ;;
    ds3)         train=1000; reference=1000 ;;
    *) echo "usage: bash scripts/demo-challenge.sh ds1-photons|ds1-pions|ds2|ds3" >&2; exit 2 ;;
esac

bash scripts/setup.sh
swift build -c release
bin=.build/release/caloflow
config=configs/calochallenge-$geometry.json
data=datasets/$geometry.h5
test=datasets/$geometry-reference.h5
run=runs/challenge-$geometry
report=reports/challenge-$geometry
start=$(date +%s)
mkdir -p datasets runs reports

echo "== 1/5 simulate ($geometry)"
"$bin" simulate --geometry "$geometry" --events "$train" --seed 1 --output "$data" --force
"$bin" simulate --geometry "$geometry" --events "$reference" --seed 2 --output "$test" --force
"$bin" info "$data"

echo "== 2/5 train-teacher"
rm -rf "$run"   # the demo always starts over; real runs continue with --resume
"$bin" train-teacher --data "$data" --config "$config" --run "$run" --seed 5

echo "== 3/5 distill"
"$bin" distill --run "$run" --seed 5

echo "== 4/5 generate"
"$bin" generate --model "$run" --events "$reference" --energies-from "$test" --output "$run/generated-student.h5" --seed 6 --force

echo "== 5/5 evaluate"
"$bin" evaluate --reference "$test" --generated "$run/generated-student.h5" --model "$run" --output "$report" --seed 3

echo "demo-challenge $geometry: $(( $(date +%s) - start )) s; report: $report/report.html"
