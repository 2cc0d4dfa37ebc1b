#!/usr/bin/env python3
"""Peer of dbn4j's RBM epoch: scikit-learn's BernoulliRBM 784-500 (n_components=500, batch_size=100, float32).

BernoulliRBM trains with PCD-1 (persistent contrastive divergence, "stochastic maximum likelihood"), not CD-1: per
mini-batch it computes h_pos = sigmoid(v W^T + c), samples the visibles of its persistent negative particles
(v_neg ~ Bernoulli(sigmoid(h_samples W + b))), h_neg = sigmoid(v_neg W^T + c), updates W and both biases with
learning_rate / B (no momentum, no weight cost), and samples new persistent hidden states from h_neg. That is the
same five GEMMs per batch as CD-1 (3 forward-type, 2 gradient), but sampled negative visibles, no reconstruction
error, no momentum. The workload is therefore named rbm-pcd1-784-500; run-peers.sh sets it beside dbn4j's CD-1
epoch with a "(PCD-1 vs CD-1)" note and no pass/fail bar.

Timed epoch (default, --mode fit): one permutation and one gather of the data into a shuffled copy (like the other
peers; BernoulliRBM.fit does not shuffle), then BernoulliRBM(n_iter=1).fit(shuffled), which validates the input
once, (re)initialises the weights (random normal 500 x 784; the timing does not depend on the values) and runs 600
mini-batches of 100 in float32. --mode partial_fit instead calls partial_fit once per mini-batch of the shuffled
copy (the incremental API; scikit-learn 1.2's partial_fit converts every batch to float64 and validates it on every
call, so it measures a float64 RBM plus per-call overhead).

Prints one line: RESULT peer=sklearn workload=rbm-pcd1-784-500 ... epoch_s_median=...
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import peerlib  # noqa: E402
import sklearn_common  # noqa: E402

HIDDEN = 500
LR = 0.05


def main():
    mode = sklearn_common.pop_mode(("fit", "partial_fit"), "fit")
    args, limiter, version, x, _, desc = sklearn_common.setup(
        "scikit-learn BernoulliRBM (PCD-1) 784-500 epoch timing")
    from sklearn.neural_network import BernoulliRBM

    n = x.shape[0]
    bs = args.batch
    rng = np.random.default_rng(args.seed)
    xs = np.empty_like(x)
    rbm = BernoulliRBM(n_components=HIDDEN, learning_rate=LR, batch_size=bs, n_iter=1, random_state=args.seed,
                       verbose=0)

    def epoch(e):
        t0 = time.perf_counter()
        np.take(x, rng.permutation(n), axis=0, out=xs)
        if mode == "fit":
            rbm.fit(xs)
        else:
            for start in range(0, n, bs):
                rbm.partial_fit(xs[start:start + bs])
        seconds = time.perf_counter() - t0
        w = rbm.components_
        if not np.all(np.isfinite(w)):
            raise SystemExit(f"sklearn RBM diverged in epoch {e + 1}")
        print(f"# sklearn rbm ({mode}) epoch {e + 1}: {seconds:.3f} s, weights {w.dtype}, |W| mean "
              f"{float(np.abs(w).mean()):.4f}", file=sys.stderr)
        return seconds

    print(f"# data: {desc}; batch {bs}; threads {args.threads}; mode {mode}; {peerlib.env_summary()}",
          file=sys.stderr)
    if args.floor:
        print("# --floor: not implemented for the sklearn peers (ignored)", file=sys.stderr)
    times = [epoch(e) for e in range(args.epochs + 1)]
    blas = sklearn_common.blas_field(version, limiter) + f":mode={mode}"
    print(peerlib.result_line("sklearn", "rbm-pcd1-784-500", bs, args.threads, times[1:], blas,
                              rows=n))


if __name__ == "__main__":
    main()
