#!/usr/bin/env bash
# Builds the embedding library (release) and installs it as PREFIX/lib/libcaloflow.so with its
# header PREFIX/include/caloflow.h (default PREFIX: .build/embedding).
#
# SwiftPM names the product's file libcaloflow-embed.so (the product name "caloflow" belongs to
# the executable); this step gives it the name C and C++ builds expect (-lcaloflow). The library
# finds the Swift runtime through its RUNPATH (the toolchain's lib/swift/linux); on a machine
# without that toolchain, put the Swift runtime libraries on LD_LIBRARY_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${1:-.build/embedding}
swift build -c release --product caloflow-embed
bin=$(swift build -c release --show-bin-path)
mkdir -p "$prefix/lib" "$prefix/include"
# Copy to a temporary name and rename: a host running the old library keeps its mapping.
cp "$bin/libcaloflow-embed.so" "$prefix/lib/.libcaloflow.so.tmp"
mv -f "$prefix/lib/.libcaloflow.so.tmp" "$prefix/lib/libcaloflow.so"
cp Sources/CCaloflowAPI/include/caloflow.h "$prefix/include/caloflow.h"
echo "install-library: $prefix/lib/libcaloflow.so and $prefix/include/caloflow.h"
