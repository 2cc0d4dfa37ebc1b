"""Shared helpers of the Python peers: arguments, Fashion-MNIST loading, OpenBLAS identification, result line.

Only the standard library and numpy; importable by both numpy_rbm.py and torch_mlp.py (they put this folder on
sys.path themselves, so they run from any working directory).
"""

import argparse
import ctypes
import gzip
import os
import statistics
import sys

import numpy as np

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
ROWS = 60000
COLS = 784


def parse_args(description, default_threads=1, parser=None):
    """Parses the common arguments (and any a peer added to `parser`, from argument_parser)."""
    p = parser or _parser(description, default_threads)
    a = p.parse_args()
    if a.epochs < 1 or a.batch < 1 or a.threads < 1 or a.rows < 1:
        p.error("--epochs, --batch, --threads and --rows must be >= 1")
    return a


def argument_parser(description, default_threads=1):
    """The common arguments' parser, for a peer that adds its own arguments before parse_args(parser=...)."""
    return _parser(description, default_threads)


def _parser(description, default_threads):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=3, help="measured epochs (after 1 warm-up epoch)")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--threads", type=int, default=default_threads,
                   help="thread count; the runner also sets OMP/OPENBLAS/MKL_NUM_THREADS to it before start")
    p.add_argument("--data", default=DEFAULT_DATA, help="directory with train-images-idx3-ubyte.gz (and labels)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rows", type=int, default=ROWS, help="train on the first ROWS images only (default all)")
    p.add_argument("--floor", action="store_true",
                   help="after each epoch also time the same GEMMs alone (same shapes, no other work) and report "
                        "their median as gemm_floor_s_median: the peer's own BLAS floor")
    return p


def _idx(path, magic):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    got = int.from_bytes(raw[0:4], "big")
    if got != magic:
        raise ValueError(f"{path}: magic {got:#x}, expected {magic:#x}")
    return raw


def load_train(directory, seed):
    """(x float32 (60000, 784) in [0, 1] as x / 255, y int64 (60000,), description).

    The Fashion-MNIST training set where it is readable, else random binary images and labels of the same shape
    (a notice is printed; the epoch times of these dense GEMM workloads do not depend on the pixel values)."""
    images = os.path.join(directory, "train-images-idx3-ubyte.gz")
    labels = os.path.join(directory, "train-labels-idx1-ubyte.gz")
    try:
        raw = _idx(images, 2051)
        n = int.from_bytes(raw[4:8], "big")
        h = int.from_bytes(raw[8:12], "big")
        w = int.from_bytes(raw[12:16], "big")
        if h * w != COLS:
            raise ValueError(f"{images}: {h}x{w} images, expected 28x28")
        x = np.frombuffer(raw, dtype=np.uint8, count=n * COLS, offset=16).reshape(n, COLS)
        x = x.astype(np.float32) / np.float32(255.0)
        rawl = _idx(labels, 2049)
        y = np.frombuffer(rawl, dtype=np.uint8, count=n, offset=8).astype(np.int64)
        return x, y, f"Fashion-MNIST train {n} x {COLS}"
    except (OSError, ValueError) as e:
        print(f"NOTICE: Fashion-MNIST not readable in {directory} ({e}); using random binary data "
              f"{ROWS} x {COLS} instead", file=sys.stderr)
        r = np.random.default_rng(seed)
        x = (r.random((ROWS, COLS), dtype=np.float32) < 0.25).astype(np.float32)
        y = r.integers(0, 10, ROWS, dtype=np.int64)
        return x, y, f"random binary {ROWS} x {COLS} (Fashion-MNIST not installed)"


def openblas_libraries():
    """Paths of every OpenBLAS (or other libblas) shared object mapped into this process."""
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 6:
                    continue
                path = parts[5]
                base = os.path.basename(path).lower()
                if ("openblas" in base or base.startswith("libblas")) and path not in found:
                    found.append(path)
    except OSError:
        pass
    return found


def _call(lib, names, restype):
    for n in names:
        try:
            fn = getattr(lib, n)
        except AttributeError:
            continue
        fn.restype = restype
        fn.argtypes = []
        return fn()
    return None


def openblas_info():
    """(core name, thread count, config string, library file name) of the first mapped OpenBLAS that answers."""
    for path in openblas_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        core = _call(lib, ["openblas_get_corename", "scipy_openblas_get_corename64_",
                           "scipy_openblas_get_corename"], ctypes.c_char_p)
        if core is None:
            continue
        threads = _call(lib, ["openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
                              "scipy_openblas_get_num_threads"], ctypes.c_int)
        config = _call(lib, ["openblas_get_config", "scipy_openblas_get_config64_",
                             "scipy_openblas_get_config"], ctypes.c_char_p)
        return (core.decode(), threads, (config or b"").decode().strip(), os.path.basename(path))
    return None


def set_openblas_threads(n):
    """Sets the thread count of every mapped OpenBLAS (the environment variables already did at load time; this
    makes --threads win if they disagree). Returns how many libraries took it."""
    done = 0
    for path in openblas_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ["openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                     "scipy_openblas_set_num_threads"]:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = None
                fn.argtypes = [ctypes.c_int]
                fn(n)
                done += 1
                break
    return done


def blas_field(prefix):
    """A space-free blas=... value: <prefix>:openblas-<version>:core=<name>:threads=<n>:<library file>."""
    info = openblas_info()
    if info is None:
        libs = ",".join(os.path.basename(p) for p in openblas_libraries()) or "none-mapped"
        return f"{prefix}:not-openblas:libs={libs}"
    core, threads, config, lib = info
    version = config.split()[1] if config.startswith("OpenBLAS ") and len(config.split()) > 1 else "?"
    return f"{prefix}:openblas-{version}:core={core}:threads={threads}:{lib}"


def env_summary():
    keys = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]
    return " ".join(f"{k}={os.environ.get(k, '<unset>')}" for k in keys)


def first_rows(x, y, desc, rows):
    """The first `rows` rows of (x, y) and their description (all of them when there are no more)."""
    if rows >= x.shape[0]:
        return x, y, desc
    return x[:rows], None if y is None else y[:rows], f"{desc}, first {rows} rows"


def result_line(peer, workload, batch, threads, measured, blas, extra="", rows=None):
    """One RESULT line; `rows` (the training rows of one epoch) is printed as rows=N when given."""
    med = statistics.median(measured)
    times = ",".join(f"{t:.3f}" for t in measured)
    line = (f"RESULT peer={peer} workload={workload} batch={batch} threads={threads} epoch_s_median={med:.4f} "
            f"epochs={len(measured)} epoch_s={times} blas={blas}")
    if rows is not None:
        line += f" rows={rows}"
    if extra:
        line += " " + extra
    return line
