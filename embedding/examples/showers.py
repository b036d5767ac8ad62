#!/usr/bin/env python3
"""Generates showers with libcaloflow through ctypes (no packages beyond the standard library).

    python3 showers.py LIBCALOFLOW_SO RUN_DIR [ENERGY_GEV ...]
"""
import ctypes
import sys
from array import array


def load(path):
    lib = ctypes.CDLL(path)
    P = ctypes.c_void_p
    lib.caloflow_abi_version.restype = ctypes.c_int
    lib.caloflow_last_error.restype = ctypes.c_char_p
    lib.caloflow_status_name.restype = ctypes.c_char_p
    lib.caloflow_status_name.argtypes = [ctypes.c_int]
    lib.caloflow_model_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_double, ctypes.POINTER(P)]
    lib.caloflow_model_close.argtypes = [P]
    lib.caloflow_model_close.restype = None
    lib.caloflow_model_describe.argtypes = [P]
    lib.caloflow_model_describe.restype = ctypes.c_char_p
    lib.caloflow_model_cell_count.argtypes = [P]
    lib.caloflow_model_layer_count.argtypes = [P]
    lib.caloflow_model_geometry.argtypes = [P]
    lib.caloflow_model_geometry.restype = ctypes.c_char_p
    lib.caloflow_model_energy_range.argtypes = [P, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]
    lib.caloflow_model_layer.argtypes = [P, ctypes.c_int] + [ctypes.POINTER(ctypes.c_int)] * 3 + [ctypes.c_void_p] * 4
    lib.caloflow_context_create.argtypes = [P, ctypes.c_int, ctypes.POINTER(P)]
    lib.caloflow_context_destroy.argtypes = [P]
    lib.caloflow_context_destroy.restype = None
    lib.caloflow_generate.argtypes = [P, ctypes.POINTER(ctypes.c_double), ctypes.c_size_t, ctypes.c_uint64,
                                      ctypes.c_uint64, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t]
    return lib


class CaloflowError(RuntimeError):
    pass


def check(lib, status, what):
    if status != 0:
        name = lib.caloflow_status_name(status).decode()
        raise CaloflowError(f"{what}: {name}: {lib.caloflow_last_error().decode()}")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    lib = load(sys.argv[1])
    # Versions only add functions: this script needs version 2's (caloflow_model_geometry).
    assert lib.caloflow_abi_version() >= 2, "this script needs libcaloflow ABI version 2 or later"
    model = ctypes.c_void_p()
    check(lib, lib.caloflow_model_open(sys.argv[2].encode(), 0, -1.0, ctypes.byref(model)), "open")
    context = ctypes.c_void_p()
    try:
        print(lib.caloflow_model_describe(model).decode())
        print(f"geometry {lib.caloflow_model_geometry(model).decode()}: {lib.caloflow_model_cell_count(model)} cells "
              f"in {lib.caloflow_model_layer_count(model)} layers")
        lo, hi = ctypes.c_double(), ctypes.c_double()
        check(lib, lib.caloflow_model_energy_range(model, ctypes.byref(lo), ctypes.byref(hi)), "range")
        energies = array("d", [1000.0 * float(e) for e in sys.argv[3:]] or [10000.0, 50000.0])  # GeV -> MeV
        cells = lib.caloflow_model_cell_count(model)
        check(lib, lib.caloflow_context_create(model, len(energies), ctypes.byref(context)), "context")
        out = (ctypes.c_float * (cells * len(energies)))()
        e_ptr = (ctypes.c_double * len(energies)).from_buffer(energies)
        check(lib, lib.caloflow_generate(context, e_ptr, len(energies), 42, 0, out, len(out)), "generate")
        for s, e in enumerate(energies):
            layers = []
            for layer in range(lib.caloflow_model_layer_count(model)):
                first, nx, ny = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
                check(lib, lib.caloflow_model_layer(model, layer, ctypes.byref(first), ctypes.byref(nx),
                                                    ctypes.byref(ny), None, None, None, None), "layer")
                start = s * cells + first.value
                layers.append(sum(out[start:start + nx.value * ny.value]))
            print(f"shower {s}, E_inc {e / 1000:.1f} GeV: layers " + ", ".join(f"{v:.1f}" for v in layers)
                  + f" MeV, total {sum(layers) / e:.3f} of E_inc")
        # Errors come back as status codes with a message; nothing aborts the interpreter.
        bad = (ctypes.c_double * 1)(float("nan"))
        status = lib.caloflow_generate(context, bad, 1, 42, 0, out, len(out))
        print(f"NaN energy: {lib.caloflow_status_name(status).decode()}: {lib.caloflow_last_error().decode()}")
        print(f"training range {lo.value:.0f}-{hi.value:.0f} MeV")
    finally:
        lib.caloflow_context_destroy(context)
        lib.caloflow_model_close(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
