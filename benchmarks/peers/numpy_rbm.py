#!/usr/bin/env python3
"""Peer of dbn4j's RBM epoch: CD-1 on a Bernoulli-Bernoulli RBM 784-500 in plain vectorised numpy (float32).

The same algorithm and the same amount of work per mini-batch as dbn4j's RbmTraining with k=1:
  h0p = sigmoid(v0 W + c); h0s = (u < h0p)              5 GEMMs per batch, all float32 through numpy's BLAS
  v1p = sigmoid(h0s W^T + b)                             (np.dot with out=, transposes passed to BLAS as flags)
  h1p = sigmoid(v1p W + c)
  gW = (v0^T h0p - v1p^T h1p) / B,  gc, gb likewise (column sums)
  vW = m vW + lr (gW - wc W); W += vW;  vc, vb the same without weight cost
plus, like dbn4j, the squared reconstruction error of each batch and a per-epoch shuffle (one gather of the data
into a shuffled copy). Buffers are allocated once; the loop allocates nothing large.

Prints one line: RESULT peer=numpy workload=rbm-cd1-784-500 ... epoch_s_median=...
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import peerlib  # noqa: E402

HIDDEN = 500
LR = 0.05
WEIGHT_COST = 2e-4
MOMENTUM_EARLY, MOMENTUM_SWITCH, MOMENTUM_LATE = 0.5, 5, 0.9


def sigmoid_(a):
    """a <- 1 / (1 + exp(-a)) in place."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += np.float32(1.0)
    np.reciprocal(a, out=a)


def main():
    args = peerlib.parse_args("numpy CD-1 RBM 784-500 epoch timing")
    peerlib.set_openblas_threads(args.threads)
    x, _, desc = peerlib.load_train(args.data, args.seed)
    n, nv = x.shape
    nh = HIDDEN
    bs = args.batch
    f32 = np.float32
    rng = np.random.default_rng(args.seed)

    w = (rng.standard_normal((nv, nh), dtype=f32) * f32(0.01)).astype(f32)
    c = np.zeros(nh, dtype=f32)
    p = np.clip(x.mean(axis=0, dtype=np.float64), 0.001, 0.999)
    b = np.log(p / (1 - p)).astype(f32)

    vw = np.zeros_like(w)
    vc = np.zeros_like(c)
    vb = np.zeros_like(b)
    gw = np.empty_like(w)
    tw = np.empty_like(w)
    xs = np.empty_like(x)
    h0p = np.empty((bs, nh), dtype=f32)
    hs = np.empty((bs, nh), dtype=f32)
    u = np.empty((bs, nh), dtype=f32)
    hp = np.empty((bs, nh), dtype=f32)
    vp = np.empty((bs, nv), dtype=f32)
    dv = np.empty((bs, nv), dtype=f32)

    def epoch(e):
        nonlocal w, c, b, vw, vc, vb, gw
        lr = f32(LR)
        m = f32(MOMENTUM_EARLY if e < MOMENTUM_SWITCH else MOMENTUM_LATE)
        t0 = time.perf_counter()
        np.take(x, rng.permutation(n), axis=0, out=xs)
        err = 0.0
        for start in range(0, n, bs):
            v0 = xs[start:start + bs]
            r = v0.shape[0]
            a_h0p, a_hs, a_u, a_hp, a_vp, a_dv = (t[:r] for t in (h0p, hs, u, hp, vp, dv))
            # positive phase and a sample of the hidden states
            np.dot(v0, w, out=a_h0p)
            a_h0p += c
            sigmoid_(a_h0p)
            rng.random(out=a_u, dtype=f32)
            np.less(a_u, a_h0p, out=a_hs)
            # reconstruction (probabilities) and its hidden probabilities
            np.dot(a_hs, w.T, out=a_vp)
            a_vp += b
            sigmoid_(a_vp)
            np.subtract(a_vp, v0, out=a_dv)
            flat = a_dv.reshape(-1)
            err += float(np.dot(flat, flat))
            np.dot(a_vp, w, out=a_hp)
            a_hp += c
            sigmoid_(a_hp)
            # gradient (ascent direction) and momentum updates
            scale = f32(1.0 / r)
            np.dot(v0.T, a_h0p, out=gw)
            np.dot(a_vp.T, a_hp, out=tw)
            gw -= tw
            gw *= lr * scale
            np.multiply(w, lr * f32(WEIGHT_COST), out=tw)
            gw -= tw
            vw *= m
            vw += gw
            w += vw
            vc *= m
            vc += (lr * scale) * (a_h0p.sum(axis=0) - a_hp.sum(axis=0))
            c += vc
            vb *= m
            vb += (lr * scale) * (v0.sum(axis=0) - a_vp.sum(axis=0))
            b += vb
        seconds = time.perf_counter() - t0
        if not np.isfinite(err):
            raise SystemExit(f"numpy RBM diverged in epoch {e + 1}")
        print(f"# numpy rbm epoch {e + 1}: {seconds:.3f} s, reconstruction error {err / n:.3f}", file=sys.stderr)
        return seconds

    def floor_epoch():
        """The 5 GEMMs of every CD-1 step alone (same shapes, transposes and buffers; the values do not matter)."""
        t0 = time.perf_counter()
        for start in range(0, n, bs):
            v0 = xs[start:start + bs]
            r = v0.shape[0]
            np.dot(v0, w, out=h0p[:r])
            np.dot(h0p[:r], w.T, out=vp[:r])
            np.dot(vp[:r], w, out=hp[:r])
            np.dot(v0.T, h0p[:r], out=gw)
            np.dot(vp[:r].T, hp[:r], out=tw)
        return time.perf_counter() - t0

    print(f"# data: {desc}; batch {bs}; threads {args.threads}; {peerlib.env_summary()}", file=sys.stderr)
    times = []
    floors = []
    for e in range(args.epochs + 1):
        times.append(epoch(e))
        if args.floor:
            # Interleaved with the epochs, so that both see the same machine noise.
            floors.append(floor_epoch())
            print(f"# numpy rbm GEMM-only epoch: {floors[-1]:.3f} s", file=sys.stderr)
    blas = peerlib.blas_field(f"numpy-{np.__version__}")
    extra = f"gemm_floor_s_median={statistics.median(floors[1:]):.4f}" if args.floor else ""
    print(peerlib.result_line("numpy", "rbm-cd1-784-500", bs, args.threads, times[1:], blas, extra))


if __name__ == "__main__":
    main()
