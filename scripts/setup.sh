#!/usr/bin/env bash
# Installs the Debian packages caloflow builds against: HDF5, libpng, OpenBLAS and pkgconf, and
# Open MPI (libopenmpi-dev, openmpi-bin) for training across processes with mpirun (caloflow
# loads libmpi only in a process mpirun started; without mpirun it needs no MPI at all).
# Swift itself must already be installed (swift.org toolchain). Safe to run repeatedly:
# packages already present are skipped, and nothing is fetched when all are present.
# Works as root; otherwise uses sudo when available.
set -euo pipefail

packages=(libhdf5-dev libpng-dev libopenblas-dev pkgconf libopenmpi-dev openmpi-bin)

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: warning: 'swift' is not on PATH; install a Swift 6 toolchain from swift.org" >&2
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "setup: system packages present (${packages[*]})"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    run_as_root=()
elif command -v sudo >/dev/null 2>&1; then
    run_as_root=(sudo)
else
    echo "setup: error: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"
"${run_as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${run_as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
