#!/usr/bin/env python3
"""Checks with h5py that a shower file written by caloflow has the CaloGAN layout.

    python3 scripts/check-shower-file.py showers.h5

Verifies dataset names, shapes (N,1) (N,3,96) (N,12,12) (N,12,6) (N,3), dtype float32,
chunking + gzip + shuffle, finite non-negative values, and the root attributes; prints them.
Exit status 0 when everything holds.
"""
import sys
import numpy as np
import h5py

SHAPES = {"energy": (1,), "layer_0": (3, 96), "layer_1": (12, 12), "layer_2": (12, 6), "overflow": (3,)}
ATTRS = ["units", "particle", "generator", "seed", "app_version", "created"]


def main(path):
    ok = True
    with h5py.File(path, "r") as f:
        names = sorted(f.keys())
        if names != sorted(SHAPES):
            print(f"datasets {names}, expected {sorted(SHAPES)}"); ok = False
        n = f["energy"].shape[0]
        for name, shape in SHAPES.items():
            d = f[name]
            print(f"{name:9s} shape {d.shape} dtype {d.dtype} chunks {d.chunks} {d.compression} {d.compression_opts} shuffle={d.shuffle}")
            if d.shape != (n,) + shape or d.dtype != np.float32 or d.compression != "gzip" or not d.shuffle:
                print(f"  wrong: expected shape {(n,) + shape}, float32, gzip + shuffle"); ok = False
            for start in range(0, n, 20000):
                a = d[start:start + 20000]
                if not np.all(np.isfinite(a)) or np.any(a < 0):
                    print(f"  non-finite or negative values in rows {start}..{start + len(a)}"); ok = False
                    break
        for key in ATTRS:
            if key not in f.attrs:
                print(f"attribute {key} missing"); ok = False
        for key, value in f.attrs.items():
            print(f"attr {key} = {value!r} ({type(value).__name__})")
        if not isinstance(f.attrs.get("units"), str):
            print("units is not read as str (variable-length UTF-8 expected)"); ok = False
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
