"""Helpers shared by sklearn_rbm.py and sklearn_mlp.py: thread pinning through threadpoolctl and the blas= field."""

import sys
import warnings

import numpy as np

import peerlib


def pop_mode(choices, default):
    """Removes --mode X from sys.argv (before peerlib.parse_args sees it) and returns X."""
    mode = default
    argv = sys.argv
    if "--mode" in argv:
        i = argv.index("--mode")
        if i + 1 >= len(argv) or argv[i + 1] not in choices:
            raise SystemExit(f"--mode takes one of {', '.join(choices)}")
        mode = argv[i + 1]
        del argv[i:i + 2]
    return mode


def limit_threads(threads):
    """Pins the BLAS (and OpenMP) pools to `threads`: threadpoolctl where installed (kept alive by the caller),
    plus openblas_set_num_threads on every mapped OpenBLAS. The runner has already set OMP/OPENBLAS/MKL_NUM_THREADS."""
    limiter = None
    try:
        import sklearn  # noqa: F401  (loads numpy's BLAS and sklearn's OpenMP runtime, so that both are limited)
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=threads)
    except ImportError:
        print("# threadpoolctl not installed: threads pinned by the environment and openblas_set_num_threads only",
              file=sys.stderr)
    peerlib.set_openblas_threads(threads)
    return limiter


def _pools():
    """A space-free summary of threadpoolctl's view: api-version-core-threads for every pool, joined with +."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "tpc=none"
    parts = []
    for p in threadpool_info():
        name = p.get("internal_api") or p.get("user_api") or "?"
        bits = [name, p.get("version") or "?"]
        if p.get("architecture"):
            bits.append(p["architecture"])
        if p.get("threading_layer"):
            bits.append(p["threading_layer"])
        bits.append(f"t{p.get('num_threads')}")
        parts.append("-".join(str(b).replace(" ", "").replace(":", "") for b in bits))
    return "tpc=" + ("+".join(parts) if parts else "no-pools")


def blas_field(sklearn_version, limiter=None):
    return peerlib.blas_field(f"sklearn-{sklearn_version}:numpy-{np.__version__}") + ":" + _pools()


def setup(description):
    """The start of every scikit-learn peer: parses the common arguments, pins the threads, silences
    ConvergenceWarning (one epoch per call is the point), loads the training data (--rows of it).
    Returns (args, thread limiter to keep alive, scikit-learn version, x, y, description)."""
    args = peerlib.parse_args(description)
    limiter = limit_threads(args.threads)
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    x, y, desc = peerlib.load_train(args.data, args.seed)
    x, y, desc = peerlib.first_rows(x, y, desc, args.rows)
    return args, limiter, sklearn.__version__, x, y, desc
