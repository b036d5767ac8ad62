#!/usr/bin/env bash
# Builds and runs the embedding library's C-side tests and its C, C++ and Python examples on a
# tiny run trained here with the real commands (simulate, train-teacher, distill; a few
# seconds). Called by scripts/test.sh; exits non-zero on any failure.
#
# Needs a C and a C++ compiler (CC, CXX; default cc, c++), python3 and the HDF5 headers (the C
# test reads the reference showers that `caloflow generate` writes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

work=$(mktemp -d -t caloflow-embedding.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc=${CC:-cc}
cxx=${CXX:-c++}
for tool in "$cc" "$cxx" python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "test-embedding: error: '$tool' not found" >&2; exit 1; }
done

bash scripts/install-library.sh "$work/install" >/dev/null
prefix="$work/install"
caloflow="$(swift build -c release --show-bin-path)/caloflow"

echo "test-embedding: training a tiny run (Flow I, teacher, student)"
cp embedding/tiny-run-config.json "$work/config.json"
"$caloflow" simulate -p eplus -n 2000 -o "$work/eplus.h5" --seed 21 -j 2 -q
"$caloflow" train-teacher --data "$work/eplus.h5" --config "$work/config.json" --run "$work/run" --seed 5 -j 2 -q
"$caloflow" distill --run "$work/run" --data "$work/eplus.h5" --seed 6 -j 2 -q
seed=17
"$caloflow" generate --model "$work/run" -n 48 --seed "$seed" --batch-size 20 --format flat -o "$work/reference.h5" -q

flags=(-I"$prefix/include" -L"$prefix/lib" -lcaloflow -Wl,-rpath,"$prefix/lib")
hdf5=$(pkg-config --cflags --libs hdf5 2>/dev/null || echo "-I/usr/include/hdf5/serial -lhdf5_serial")
echo "test-embedding: building the C test and the examples"
# shellcheck disable=SC2086
"$cc" -std=c11 -O1 -Wall -Wextra -Werror embedding/tests/capi_test.c -o "$work/capi_test" "${flags[@]}" $hdf5 \
    -I/usr/include/x86_64-linux-gnu -lpthread -lm -ldl
"$cc" -std=c11 -O2 -Wall -Wextra -Werror embedding/examples/showers.c -o "$work/showers" "${flags[@]}"
"$cxx" -std=c++17 -O2 -Wall -Wextra -Werror embedding/examples/fast_simulation.cpp -o "$work/fast_simulation" "${flags[@]}" -pthread

echo "test-embedding: C test"
"$work/capi_test" "$work/run" "$work/reference.h5" "$seed"
echo "test-embedding: C example"
"$work/showers" "$work/run" 10 50 90
echo "test-embedding: C++ fast-simulation example (2 threads, one context each)"
"$work/fast_simulation" "$work/run" 100 2
echo "test-embedding: Python ctypes example"
python3 embedding/examples/showers.py "$prefix/lib/libcaloflow.so" "$work/run" 10 50

echo "test-embedding: a tiny CaloChallenge dataset-1 pion run (533 cells, 7 polar layers) in the C and Python examples"
"$caloflow" simulate --geometry ds1-pions -n 600 --energy-range 1,20 -o "$work/ds1-pions.h5" --seed 21 -j 2 -q
"$caloflow" train-teacher --data "$work/ds1-pions.h5" --config "$work/config.json" --run "$work/ds1-run" --seed 5 -j 2 -q
"$caloflow" distill --run "$work/ds1-run" --data "$work/ds1-pions.h5" --seed 6 -j 2 -q
"$work/showers" "$work/ds1-run" 2 10 | tee "$work/ds1-showers.txt"
grep -q "geometry ds1-pions: 533 cells in 7 layers" "$work/ds1-showers.txt"
python3 embedding/examples/showers.py "$prefix/lib/libcaloflow.so" "$work/ds1-run" 5
echo "test-embedding: passed"
