#!/usr/bin/env python3
"""Writes the small h5py-made HDF5 fixtures of Tests/CaloDataTests/Fixtures/.

They stand for files made by other tools (h5py defaults: float64, gzip + shuffle, chunked,
variable-length UTF-8 string attributes). Default h5py file settings only: a file written with
libver='latest' by a wheel bundling HDF5 2.x cannot be opened by Debian's HDF5 1.10.

    python3 scripts/make-test-fixtures.py   # rewrites the fixtures (deterministic content)

valid-f64-gzip.h5   20 events; event i has energy 1 + i GeV, voxel (layer l, ix, iy) =
                    sparse_pattern(i, l, ix, iy) (see `pattern` below; the Swift test recomputes it),
                    overflow = (i, 2i, 3i) * 0.5 MeV; attributes of every kind.
missing-overflow.h5, wrong-rank.h5, wrong-shape.h5, count-mismatch.h5, int-dtype.h5:
                    layout errors; nan-layer1.h5, inf-energy.h5, negative-overflow.h5: content errors.
                    These hold 4 events of the same pattern, float32, contiguous (h5py's default
                    without compression), so both storage layouts are covered.
"""
import os
import numpy as np
import h5py

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "CaloDataTests", "Fixtures")
SHAPES = {"layer_0": (3, 96), "layer_1": (12, 12), "layer_2": (12, 6)}


def pattern(n):
    """Deterministic sparse showers: value (i + 1) * 0.25 * (l + 1) MeV where (ix*ny + iy + i) % 7 == 0."""
    out = {}
    for l, (name, (nx, ny)) in enumerate(SHAPES.items()):
        a = np.zeros((n, nx, ny), dtype=np.float64)
        for i in range(n):
            for ix in range(nx):
                for iy in range(ny):
                    if (ix * ny + iy + i) % 7 == 0:
                        a[i, ix, iy] = (i + 1) * 0.25 * (l + 1)
        out[name] = a
    return out


def datasets(n):
    d = {"energy": (1.0 + np.arange(n, dtype=np.float64)).reshape(n, 1)}
    d.update(pattern(n))
    d["overflow"] = np.stack([np.arange(n) * 0.5, np.arange(n) * 1.0, np.arange(n) * 1.5], axis=1).astype(np.float64)
    return d


def write(name, data, attrs=None, skip=(), compress=True):
    path = os.path.join(OUT, name)
    with h5py.File(path, "w") as f:
        for k, v in data.items():
            if k in skip:
                continue
            if compress:
                f.create_dataset(k, data=v, compression="gzip", shuffle=True)
            else:  # h5py's default: contiguous; float32 keeps the fixture small
                f.create_dataset(k, data=v if v.dtype.kind != "f" else v.astype(np.float32))
        for k, v in (attrs or {}).items():
            f.attrs[k] = v
    print(path, os.path.getsize(path), "bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    attrs = {
        "particle": "eplus",                       # variable-length UTF-8 (h5py str)
        "generator": "h5py fixture, größe ✓",      # non-ASCII
        "seed": 1234,                              # int64 scalar
        "threshold": 0.5,                          # float64 scalar
        "weights": np.array([1.5, 2.5, -3.0]),     # float64 array
        "bins": np.array([1, 2, 3], dtype=np.int32),  # int32 array (reads as Int64)
        "fixed": np.bytes_("fixed-length ascii"),  # fixed-length string
        "units": "energy: GeV; layer_*, overflow: MeV",
    }
    write("valid-f64-gzip.h5", datasets(20), attrs)

    small = datasets(4)
    write("missing-overflow.h5", small, skip=("overflow",), compress=False)
    bad = dict(small); bad["layer_1"] = small["layer_1"].reshape(4, 144)
    write("wrong-rank.h5", bad, compress=False)
    bad = dict(small); bad["layer_2"] = np.zeros((4, 12, 7))
    write("wrong-shape.h5", bad, compress=False)
    bad = dict(small); bad["layer_1"] = small["layer_1"][:3]
    write("count-mismatch.h5", bad, compress=False)
    bad = dict(small); bad["layer_0"] = small["layer_0"].astype(np.int32)
    write("int-dtype.h5", bad, compress=False)
    bad = {k: v.copy() for k, v in small.items()}; bad["layer_1"][2, 5, 7] = np.nan
    write("nan-layer1.h5", bad, compress=False)
    bad = {k: v.copy() for k, v in small.items()}; bad["energy"][3, 0] = np.inf
    write("inf-energy.h5", bad, compress=False)
    bad = {k: v.copy() for k, v in small.items()}; bad["overflow"][1, 2] = -0.75
    write("negative-overflow.h5", bad, compress=False)


if __name__ == "__main__":
    main()
