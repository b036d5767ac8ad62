#!/usr/bin/env bash
# The built-in simulator's cell-energy spectrum before and after issue #14, for the README and
# plots/simulator/. Rerunnable from a clone with its git history (about a minute on 2 cores):
#   1. before: datasets/sample-eplus-1k.h5 as committed at e36d273 (1,000 e+, seed 11, total
#      lead + argon deposits, equal-energy spots of ~11 MeV), taken from git;
#   2. after, same quantity: `simulate --deposit total` with the same seed;
#   3. after, the new default: `simulate` (liquid-argon deposits), same seed.
# `caloflow evaluate --classifier none` histograms all cell energies of two files on shared log
# bins; its "reference" is the first file, "generated" the second.
set -euo pipefail
cd "$(dirname "$0")/.."
before=e36d273
bin=.build/release/caloflow
[ -x "$bin" ] || swift build -c release
tmp=$(mktemp -d -t caloflow-spectrum.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

git show "$before:datasets/sample-eplus-1k.h5" > "$tmp/before-total.h5"
"$bin" simulate -p eplus -n 1000 --seed 11 --deposit total -o "$tmp/after-total.h5" -q
"$bin" simulate -p eplus -n 1000 --seed 11 -o "$tmp/after-active.h5" -q

"$bin" evaluate -r "$tmp/before-total.h5" -g "$tmp/after-total.h5" --classifier none -o "$tmp/total" -q
"$bin" evaluate -r "$tmp/after-total.h5" -g "$tmp/after-active.h5" --classifier none -o "$tmp/active" -q 2>/dev/null

out=plots/simulator
mkdir -p "$out"
cp "$tmp/total/plots/voxel_energy.svg" "$out/voxel-spectrum-total-before-after.svg"
cp "$tmp/active/plots/voxel_energy.svg" "$out/voxel-spectrum-active-vs-total.svg"
cat > "$out/SOURCE.txt" <<TXT
Made by scripts/voxel-spectrum.sh from commit $(git describe --always --dirty 2>/dev/null || echo unknown) on $(date -u +%Y-%m-%d).
voxel-spectrum-total-before-after.svg: all cell energies of 1,000 e+ (1-100 GeV, seed 11),
  total (lead + argon) deposits; reference = the simulator before issue #14 (commit $before,
  equal-energy spots), generated = after (importance-sampled spot pairs).
voxel-spectrum-active-vs-total.svg: the same showers after issue #14; reference = total
  deposits, generated = liquid-argon (active) deposits, the new default.
TXT
echo "wrote $out/voxel-spectrum-total-before-after.svg and $out/voxel-spectrum-active-vs-total.svg"
