#!/usr/bin/env python3
"""Peer of dbn4j's MLP epoch: scikit-learn's MLPClassifier 784-500-500-10 ReLU, softmax cross-entropy, SGD with
classical momentum 0.9 (nesterovs_momentum=False), lr 0.05 constant, batch 100, alpha=0, float32.

One timed epoch = one MLPClassifier.partial_fit(X, y) over the whole 60,000 images (classes= on the first call):
with solver='sgd' that is one pass of its mini-batch loop, which shuffles the sample indices itself (shuffle=True)
and gathers each batch as X[idx]; per batch it runs forward, the softmax log-loss, backprop (weight gradients and
the deltas of the two hidden layers; no gradient for the input data) and the momentum update. Also inside the time,
as scikit-learn always does them: per partial_fit call input validation (check_X_y, float32 kept) and the label
binarisation of all 60,000 labels; per batch the L2 term (alpha=0, still computed) and the loss value.
max_iter=1 and warm_start=True as a fit() user would set them; partial_fit runs exactly one epoch regardless.

Prints one line: RESULT peer=sklearn workload=mlp-784-500-500-10-relu ... epoch_s_median=...
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import peerlib  # noqa: E402
import sklearn_common  # noqa: E402

LR = 0.05
MOMENTUM = 0.9


def main():
    args, limiter, version, x, y, desc = sklearn_common.setup(
        "scikit-learn MLPClassifier 784-500-500-10 epoch timing")
    from sklearn.neural_network import MLPClassifier

    n = x.shape[0]
    bs = args.batch
    classes = np.arange(10, dtype=y.dtype)
    mlp = MLPClassifier(hidden_layer_sizes=(500, 500), activation="relu", solver="sgd", alpha=0.0, batch_size=bs,
                        learning_rate="constant", learning_rate_init=LR, momentum=MOMENTUM,
                        nesterovs_momentum=False, max_iter=1, warm_start=True, shuffle=True,
                        random_state=args.seed, early_stopping=False, verbose=False)

    def epoch(e):
        t0 = time.perf_counter()
        if e == 0:
            mlp.partial_fit(x, y, classes=classes)
        else:
            mlp.partial_fit(x, y)
        seconds = time.perf_counter() - t0
        loss = float(mlp.loss_curve_[-1])
        if not np.isfinite(loss):
            raise SystemExit(f"sklearn MLP diverged in epoch {e + 1}")
        print(f"# sklearn mlp epoch {e + 1}: {seconds:.3f} s, train loss {loss:.4f}, weights "
              f"{mlp.coefs_[0].dtype}", file=sys.stderr)
        return seconds

    print(f"# data: {desc}; batch {bs}; threads {args.threads}; {peerlib.env_summary()}", file=sys.stderr)
    if args.floor:
        print("# --floor: not implemented for the sklearn peers (ignored)", file=sys.stderr)
    times = [epoch(e) for e in range(args.epochs + 1)]
    blas = sklearn_common.blas_field(version, limiter)
    print(peerlib.result_line("sklearn", "mlp-784-500-500-10-relu", bs, args.threads, times[1:], blas,
                              rows=n))


if __name__ == "__main__":
    main()
