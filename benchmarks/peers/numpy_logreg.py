#!/usr/bin/env python3
"""Peer of dbn4j's logistic-regression epoch: multinomial (softmax) logistic regression 784-10 in plain vectorised
numpy (float32), mini-batch SGD with classical momentum 0.9, lr 0.1, no weight decay: dbn4j's
LogisticRegression.multinomial trained by Mlp.fit.

Per epoch one permutation; per batch a gather of its inputs and labels into batch buffers (as dbn4j does on the
CPU), then
  z = x W + b                 (GEMM, batch x 10)
  p = softmax(z)              (max-subtracted, in place); the batch's cross-entropy is summed (dbn4j sums it too)
  dz = (p - onehot(y)) / B
  gW = x^T dz, gb = sum(dz)   (GEMM, 784 x 10)
  v = m v - lr g; W += v      (W and b)
No gradient with respect to the input data is computed. Buffers are allocated once.

Prints one line: RESULT peer=numpy workload=logistic-784-10 ... epoch_s_median=...
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import peerlib  # noqa: E402

CLASSES = 10
LR = 0.1
MOMENTUM = 0.9
F32 = np.float32


def main():
    args = peerlib.parse_args("numpy softmax regression 784-10 epoch timing")
    peerlib.set_openblas_threads(args.threads)
    x, y, desc = peerlib.load_train(args.data, args.seed)
    x, y, desc = peerlib.first_rows(x, y, desc, args.rows)
    n, nv = x.shape
    bs = args.batch
    rng = np.random.default_rng(args.seed)
    w = (rng.standard_normal((nv, CLASSES), dtype=F32) * F32((1.0 / nv) ** 0.5)).astype(F32)
    b = np.zeros(CLASSES, dtype=F32)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    gw = np.empty_like(w)
    xs, ys = np.empty((bs, nv), dtype=F32), np.empty(bs, dtype=y.dtype)
    z = np.empty((bs, CLASSES), dtype=F32)
    zmax = np.empty((bs, 1), dtype=F32)
    zsum = np.empty((bs, 1), dtype=F32)
    rows = np.arange(bs)

    def epoch(e):
        nonlocal w, b, vw, vb, gw
        t0 = time.perf_counter()
        perm = rng.permutation(n)
        loss = 0.0
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            r = idx.shape[0]
            xb, yb = xs[:r], ys[:r]
            # mode="clip" writes straight into out (the default "raise" gathers into a temporary and copies it);
            # the indices are a permutation, always valid.
            np.take(x, idx, axis=0, out=xb, mode="clip")
            np.take(y, idx, out=yb, mode="clip")
            a, amax, asum = z[:r], zmax[:r], zsum[:r]
            np.dot(xb, w, out=a)
            a += b
            np.max(a, axis=1, keepdims=True, out=amax)
            a -= amax
            np.exp(a, out=a)
            np.sum(a, axis=1, keepdims=True, out=asum)
            a /= asum
            picked = a[rows[:r], yb]
            loss -= float(np.log(np.maximum(picked, F32(1e-30))).sum())
            a[rows[:r], yb] -= F32(1.0)
            a *= F32(1.0 / r)
            np.dot(xb.T, a, out=gw)
            vw *= F32(MOMENTUM)
            gw *= F32(LR)
            vw -= gw
            w += vw
            vb *= F32(MOMENTUM)
            vb -= F32(LR) * a.sum(axis=0)
            b += vb
        seconds = time.perf_counter() - t0
        if not np.isfinite(loss):
            raise SystemExit(f"numpy logistic regression diverged in epoch {e + 1}")
        print(f"# numpy logistic epoch {e + 1}: {seconds:.3f} s, train loss {loss / n:.4f}", file=sys.stderr)
        return seconds

    print(f"# data: {desc}; batch {bs}; threads {args.threads}; {peerlib.env_summary()}", file=sys.stderr)
    if args.floor:
        print("# --floor: not implemented for logistic regression (ignored)", file=sys.stderr)
    times = [epoch(e) for e in range(args.epochs + 1)]
    blas = peerlib.blas_field(f"numpy-{np.__version__}")
    print(peerlib.result_line("numpy", "logistic-784-10", bs, args.threads, times[1:], blas, rows=n))


if __name__ == "__main__":
    main()
