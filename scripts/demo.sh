#!/usr/bin/env bash
# The main job on the built-in default, end to end, from a fresh checkout: install the system
# libraries, build the release binary, then
#   1. simulate 20k e+ training showers and 20k independent reference showers (GFlash-style),
#   2. train Flow I and the MAF teacher (configs/demo.json),
#   3. distill the IAF student from the teacher,
#   4. generate 20k showers with the student at the reference showers' incident energies,
#   5. evaluate them against the reference: classifier AUC, shower shapes, layer images.
# Ends with the path of the HTML report. Everything is seeded (seeds below) and reproducible
# for the same thread count. Takes minutes on 2 cores; outputs go to datasets/, runs/ and reports/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
swift build -c release
bin=.build/release/caloflow
run=runs/demo-eplus
report=reports/demo-eplus
start=$(date +%s)

"$bin" --version
mkdir -p datasets runs reports

echo "== 1/5 simulate"
"$bin" simulate --particle eplus --events 20000 --seed 7 --output datasets/eplus.h5 --force
"$bin" simulate --particle eplus --events 20000 --seed 8 --output datasets/eplus-reference.h5 --force
"$bin" info datasets/eplus.h5

echo "== 2/5 train-teacher"
rm -rf "$run"   # the demo always starts over; real runs continue with --resume
"$bin" train-teacher --data datasets/eplus.h5 --config configs/demo.json --run "$run" --seed 1

echo "== 3/5 distill"
"$bin" distill --run "$run" --seed 1

echo "== 4/5 generate"
"$bin" generate --model "$run" --events 20000 --energies-from datasets/eplus-reference.h5 \
    --output "$run/generated-student.h5" --seed 2 --force

echo "== 5/5 evaluate"
"$bin" evaluate --reference datasets/eplus-reference.h5 --generated "$run/generated-student.h5" \
    --model "$run" --output "$report" --seed 3

# The figures a physicist looks at first, kept in plots/demo-eplus/ (committed, so the README's
# numbers can be seen without running anything; this run replaces them).
elapsed=$(( $(date +%s) - start ))
figures=plots/demo-eplus
rm -rf "$figures.tmp" && mkdir -p "$figures.tmp"
cp "$report"/images/*.png "$figures.tmp/"
for f in E_0 E_1 E_2 E_tot_over_E_inc shower_depth eta_width_1 phi_width_1 sparsity_0 sparsity_1 sparsity_2 \
         brightest_1_layer_2 voxel_energy latent_calibration classifier_low_run1_validation; do
    if [ -f "$report/plots/$f.svg" ]; then cp "$report/plots/$f.svg" "$figures.tmp/"; fi
done
cp "$report/report.json" "$figures.tmp/"
cat > "$figures.tmp/SOURCE.txt" <<EOF
Made by scripts/demo.sh (configs/demo.json; simulate seeds 7 and 8, train and distill seed 1,
generate seed 2, evaluate seed 3) from commit $(git describe --always --dirty 2>/dev/null || echo "unknown")
on $(date -u +%Y-%m-%d) ($("$bin" version 2>/dev/null | head -2 | paste -sd, -); $(nproc) cores). The demo took ${elapsed} s.
The full report (all 51 feature histograms, classifier curves, HTML) is in reports/demo-eplus/.
EOF
rm -rf "$figures" && mv "$figures.tmp" "$figures"

echo
echo "demo finished in ${elapsed} s"
echo "report: $report/report.html (key figures copied to $figures/)"
