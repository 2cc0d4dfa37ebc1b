#!/usr/bin/env python3
"""scikit-learn's nearest thing to dbn4j's logistic-regression epoch: SGDClassifier(loss="log_loss") on 784
features and 10 classes, one epoch per partial_fit call.

It is not the same algorithm, and the workload is named for what it is (logistic-sgd-ovr-784-10): SGDClassifier
trains one binary logistic regression per class (one-vs-rest, 10 x 784 weights, like dbn4j's 784 x 10 but without a
softmax coupling them) by per-sample SGD (batch 1: 60,000 updates of each of the 10 classifiers per epoch, in its
Cython loop, float64), learning_rate="constant", eta0=0.1, alpha=0 (no regularisation), no momentum, n_jobs=1.
scikit-learn has no mini-batch softmax regression (LogisticRegression is a full-batch solver: lbfgs, newton-cg,
sag, saga), so run-peers.sh sets this beside dbn4j's batch-100 epoch as information only, without a bar.

Timed epoch: one permutation and one gather of the data into a shuffled copy (as the other peers), then one
partial_fit over the shuffled copy (input validation, the float32 -> float64 conversion of the 60,000 x 784 input and
the label encoding are inside the time, as a partial_fit user gets them).

Prints one line: RESULT peer=sklearn workload=logistic-sgd-ovr-784-10 ... epoch_s_median=...
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import peerlib  # noqa: E402
import sklearn_common  # noqa: E402

LR = 0.1


def main():
    args, limiter, version, x, y, desc = sklearn_common.setup(
        "scikit-learn SGDClassifier (log loss, one-vs-rest, per-sample SGD) epoch timing")
    from sklearn.linear_model import SGDClassifier

    n = x.shape[0]
    rng = np.random.default_rng(args.seed)
    xs, ys = np.empty_like(x), np.empty_like(y)
    classes = np.arange(10, dtype=y.dtype)
    clf = SGDClassifier(loss="log_loss", penalty="l2", alpha=0.0, learning_rate="constant", eta0=LR, shuffle=False,
                        n_jobs=1, random_state=args.seed)

    def epoch(e):
        t0 = time.perf_counter()
        perm = rng.permutation(n)
        np.take(x, perm, axis=0, out=xs)
        np.take(y, perm, out=ys)
        clf.partial_fit(xs, ys, classes=classes if e == 0 else None)
        seconds = time.perf_counter() - t0
        if not np.all(np.isfinite(clf.coef_)):
            raise SystemExit(f"sklearn SGDClassifier diverged in epoch {e + 1}")
        print(f"# sklearn logistic (SGDClassifier OvR) epoch {e + 1}: {seconds:.3f} s, weights {clf.coef_.dtype} "
              f"{clf.coef_.shape}", file=sys.stderr)
        return seconds

    print(f"# data: {desc}; batch 1 (per-sample SGD; --batch {args.batch} ignored); threads {args.threads}; "
          f"{peerlib.env_summary()}", file=sys.stderr)
    if args.floor:
        print("# --floor: not implemented for the sklearn peers (ignored)", file=sys.stderr)
    times = [epoch(e) for e in range(args.epochs + 1)]
    blas = sklearn_common.blas_field(version, limiter)
    print(peerlib.result_line("sklearn", "logistic-sgd-ovr-784-10", 1, args.threads, times[1:], blas, rows=n))


if __name__ == "__main__":
    main()
