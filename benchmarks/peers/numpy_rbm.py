#!/usr/bin/env python3
"""Peer of dbn4j's RBM epochs in plain vectorised numpy (float32): CD-k or PCD-k on a Bernoulli-Bernoulli RBM 784-500,
or the greedy CD-1 pre-training of a DBN (--dbn 784,500,500).

The same algorithm and the same amount of work per mini-batch as dbn4j's RbmTraining:
  h0p = sigmoid(v0 W + c); hs ~ Bernoulli(h0p)           data-driven hidden states are sampled
  PCD: hp = sigmoid(chain W + c); hs ~ Bernoulli(hp)     the chain's hidden states replace them
  k Gibbs steps: vp = sigmoid(hs W^T + b), then          every visible step but CD's last one is sampled
    (not last) vs ~ Bernoulli(vp), hp = sigmoid(vs W + c), hs ~ Bernoulli(hp)
    (last)     v_k = vs (PCD) or vp (CD), hp = sigmoid(v_k W + c); PCD: chain <- vs
  gW = (v0^T h0p - v_k^T hp) / B,  gc, gb likewise (column sums)
  vW = m vW + lr (gW - wc W); W += vW;  vc, vb the same without weight cost
plus, like dbn4j, the squared error of the first reconstruction of each batch and a per-epoch shuffle (one
permutation per epoch; each batch's rows gathered into a batch buffer when it is used, as dbn4j does on the CPU:
np.take with out= and mode="clip", which writes straight into out; the indices are a permutation, always valid).
All GEMMs go through numpy's BLAS (np.dot with out=, transposes passed as flags). Buffers are allocated once; the
loop allocates nothing large. PCD chains start at a Bernoulli sample of the first
mini-batch of the shuffled data.

--dbn SIZES: one RBM per pair of layers, trained with CD-1 for 1 warm-up + --epochs epochs each, bottom first; the
next layer trains on sigmoid(x W + c) of the layer below (computed once, not timed, as in dbn4j). A pre-training
epoch is epoch i of every layer summed.

Prints one line: RESULT peer=numpy workload=rbm-cd1-784-500 | rbm-pcd15-784-500 | dbn-784-500-500-pretrain ...
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
F32 = np.float32


def sigmoid_(a):
    """a <- 1 / (1 + exp(-a)) in place."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += F32(1.0)
    np.reciprocal(a, out=a)


class NumpyRbm:
    """A Bernoulli-Bernoulli RBM nv x nh with its momentum buffers and per-batch work buffers (batch bs)."""

    def __init__(self, x, nh, bs, rng, k=1, persistent=False):
        n, nv = x.shape
        self.x, self.n, self.bs, self.rng, self.k, self.persistent = x, n, bs, rng, k, persistent
        self.w = (rng.standard_normal((nv, nh), dtype=F32) * F32(0.01)).astype(F32)
        self.c = np.zeros(nh, dtype=F32)
        p = np.clip(x.mean(axis=0, dtype=np.float64), 0.001, 0.999)
        self.b = np.log(p / (1 - p)).astype(F32)
        self.vw, self.vc, self.vb = np.zeros_like(self.w), np.zeros_like(self.c), np.zeros_like(self.b)
        self.gw, self.tw = np.empty_like(self.w), np.empty_like(self.w)
        self.xs = np.empty((bs, nv), dtype=F32)
        self.h0p, self.hs, self.hu, self.hp = (np.empty((bs, nh), dtype=F32) for _ in range(4))
        self.vp, self.vs, self.vu, self.dv = (np.empty((bs, nv), dtype=F32) for _ in range(4))
        self.chain = None
        if persistent:
            np.take(x, rng.permutation(n)[:bs], axis=0, out=self.vp)
            self.chain = (rng.random((bs, nv), dtype=F32) < self.vp).astype(F32)

    def _hidden(self, v, out):
        np.dot(v, self.w, out=out)
        out += self.c
        sigmoid_(out)

    def _sample(self, p, u, out):
        self.rng.random(out=u, dtype=F32)
        np.less(u, p, out=out)

    def epoch(self, e):
        """One epoch (shuffle + every mini-batch); returns (seconds, squared error of the first reconstructions)."""
        lr = F32(LR)
        m = F32(MOMENTUM_EARLY if e < MOMENTUM_SWITCH else MOMENTUM_LATE)
        t0 = time.perf_counter()
        perm = self.rng.permutation(self.n)
        err = 0.0
        for start in range(0, self.n, self.bs):
            idx = perm[start:start + self.bs]
            r = idx.shape[0]
            v0 = self.xs[:r]
            np.take(self.x, idx, axis=0, out=v0, mode="clip")
            h0p, hs, hu, hp, vp, vs, vu, dv = (t[:r] for t in (self.h0p, self.hs, self.hu, self.hp, self.vp,
                                                                 self.vs, self.vu, self.dv))
            self._hidden(v0, h0p)
            self._sample(h0p, hu, hs)
            if self.persistent:
                chain = self.chain[:r]
                self._hidden(chain, hp)
                self._sample(hp, hu, hs)
            vk = vp
            for step in range(1, self.k + 1):
                last = step == self.k
                np.dot(hs, self.w.T, out=vp)
                vp += self.b
                sigmoid_(vp)
                if step == 1:
                    np.subtract(vp, v0, out=dv)
                    flat = dv.reshape(-1)
                    err += float(np.dot(flat, flat))
                if not last or self.persistent:
                    self._sample(vp, vu, vs)
                    vk = vs
                else:
                    vk = vp
                self._hidden(vk, hp)
                if not last:
                    self._sample(hp, hu, hs)
            if self.persistent:
                np.copyto(chain, vs)
            # gradient (ascent direction) and momentum updates
            scale = F32(1.0 / r)
            np.dot(v0.T, h0p, out=self.gw)
            np.dot(vk.T, hp, out=self.tw)
            self.gw -= self.tw
            self.gw *= lr * scale
            np.multiply(self.w, lr * F32(WEIGHT_COST), out=self.tw)
            self.gw -= self.tw
            self.vw *= m
            self.vw += self.gw
            self.w += self.vw
            self.vc *= m
            self.vc += (lr * scale) * (h0p.sum(axis=0) - hp.sum(axis=0))
            self.c += self.vc
            self.vb *= m
            self.vb += (lr * scale) * (v0.sum(axis=0) - vk.sum(axis=0))
            self.b += self.vb
        seconds = time.perf_counter() - t0
        if not np.isfinite(err):
            raise SystemExit(f"numpy RBM diverged in epoch {e + 1}")
        return seconds, err / self.n

    def floor_epoch(self):
        """The 5 GEMMs of every CD-1 step alone (same shapes, transposes and buffers; the values do not matter)."""
        t0 = time.perf_counter()
        for start in range(0, self.n, self.bs):
            v0 = self.x[start:start + self.bs]
            r = v0.shape[0]
            np.dot(v0, self.w, out=self.h0p[:r])
            np.dot(self.h0p[:r], self.w.T, out=self.vp[:r])
            np.dot(self.vp[:r], self.w, out=self.hp[:r])
            np.dot(v0.T, self.h0p[:r], out=self.gw)
            np.dot(self.vp[:r].T, self.hp[:r], out=self.tw)
        return time.perf_counter() - t0

    def features(self):
        """sigmoid(x W + c) of every training row: the next DBN layer's data."""
        h = np.dot(self.x, self.w)
        h += self.c
        sigmoid_(h)
        return h


def main():
    parser = peerlib.argument_parser("numpy RBM 784-500 (CD-k / PCD-k) or DBN pre-training epoch timing")
    parser.add_argument("--k", type=int, default=1, help="Gibbs steps per update (default 1)")
    parser.add_argument("--persistent", action="store_true", help="PCD-k instead of CD-k")
    parser.add_argument("--dbn", default=None, help="DBN layer sizes, e.g. 784,500,500: CD-1 pre-training of "
                                                    "every layer (ignores --k, --persistent, --floor)")
    args = peerlib.parse_args(None, parser=parser)
    peerlib.set_openblas_threads(args.threads)
    x, _, desc = peerlib.load_train(args.data, args.seed)
    x, _, desc = peerlib.first_rows(x, None, desc, args.rows)
    bs = args.batch
    rng = np.random.default_rng(args.seed)
    print(f"# data: {desc}; batch {bs}; threads {args.threads}; {peerlib.env_summary()}", file=sys.stderr)
    blas = peerlib.blas_field(f"numpy-{np.__version__}")

    if args.dbn:
        sizes = [int(s) for s in args.dbn.split(",")]
        if sizes[0] != x.shape[1] or len(sizes) < 2:
            raise SystemExit(f"--dbn {args.dbn}: the first size must be {x.shape[1]}, and at least two sizes")
        totals = [0.0] * args.epochs
        data = x
        for layer, nh in enumerate(sizes[1:]):
            rbm = NumpyRbm(data, nh, bs, rng)
            for e in range(args.epochs + 1):
                seconds, err = rbm.epoch(e)
                print(f"# numpy dbn layer {layer} epoch {e + 1}: {seconds:.3f} s, reconstruction error {err:.3f}",
                      file=sys.stderr)
                if e > 0:
                    totals[e - 1] += seconds
            if layer + 2 < len(sizes):
                data = rbm.features()
        workload = "dbn-" + "-".join(map(str, sizes)) + "-pretrain"
        print(peerlib.result_line("numpy", workload, bs, args.threads, totals, blas, rows=x.shape[0]))
        return

    if args.k < 1:
        raise SystemExit("--k must be >= 1")
    floor = args.floor and args.k == 1 and not args.persistent
    if args.floor and not floor:
        print("# --floor: only for CD-1 (ignored)", file=sys.stderr)
    rbm = NumpyRbm(x, HIDDEN, bs, rng, args.k, args.persistent)
    name = f"{'pcd' if args.persistent else 'cd'}{args.k}"
    times = []
    floors = []
    for e in range(args.epochs + 1):
        seconds, err = rbm.epoch(e)
        times.append(seconds)
        print(f"# numpy rbm {name} epoch {e + 1}: {seconds:.3f} s, reconstruction error {err:.3f}", file=sys.stderr)
        if floor:
            # Interleaved with the epochs, so that both see the same machine noise.
            floors.append(rbm.floor_epoch())
            print(f"# numpy rbm GEMM-only epoch: {floors[-1]:.3f} s", file=sys.stderr)
    extra = f"gemm_floor_s_median={statistics.median(floors[1:]):.4f}" if floor else ""
    print(peerlib.result_line("numpy", f"rbm-{name}-784-{HIDDEN}", bs, args.threads, times[1:], blas, extra,
                              rows=x.shape[0]))


if __name__ == "__main__":
    main()
