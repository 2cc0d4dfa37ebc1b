#!/usr/bin/env python3
"""Peer of dbn4j's MLP epoch: 784-500-500-10 ReLU, softmax cross-entropy, SGD with momentum 0.9, in PyTorch (CPU,
float32, eager mode).

The loop is the plain one a PyTorch user writes, over tensors made once before timing (no DataLoader): per epoch
one randperm and one gather of inputs and labels into shuffled copies (as dbn4j does), then for every batch of the
shuffled copy zero_grad, forward through an nn.Sequential, nn.CrossEntropyLoss (log-softmax + NLL fused),
backward, optim.SGD step, and the batch loss read back (dbn4j sums the batch losses too). Like dbn4j, no gradient
with respect to the input data is computed.

Prints one line: RESULT peer=torch workload=mlp-784-500-500-10-relu ... epoch_s_median=...
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import peerlib  # noqa: E402

LR = 0.05
MOMENTUM = 0.9


def parallel_summary(torch):
    """A space-free summary of torch.__config__.parallel_info(): backend and thread counts."""
    backend = "?"
    for line in torch.__config__.parallel_info().splitlines():
        if line.startswith("ATen parallel backend:"):
            backend = line.split(":", 1)[1].strip().replace(" ", "")
    return f"aten-{backend}:intra={torch.get_num_threads()}:interop={torch.get_num_interop_threads()}"


def main():
    args = peerlib.parse_args("PyTorch MLP 784-500-500-10 epoch timing")
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    x, y, desc = peerlib.load_train(args.data, args.seed)
    peerlib.set_openblas_threads(args.threads)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    n = xt.shape[0]
    bs = args.batch

    model = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 500), nn.ReLU(), nn.Linear(500, 10))
    # Same initial scales as dbn4j (He normal for ReLU layers, sqrt(1/in) for the output, zero biases); the epoch
    # time does not depend on them, the loss sanity print does a little.
    with torch.no_grad():
        for i, layer in enumerate(m for m in model if isinstance(m, nn.Linear)):
            std = (2.0 / layer.in_features) ** 0.5 if i < 2 else (1.0 / layer.in_features) ** 0.5
            layer.weight.normal_(0.0, std)
            layer.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    def epoch(e):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        xs = xt.index_select(0, perm)
        ys = yt.index_select(0, perm)
        total = 0.0
        for start in range(0, n, bs):
            xb = xs[start:start + bs]
            yb = ys[start:start + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        seconds = time.perf_counter() - t0
        print(f"# torch mlp epoch {e + 1}: {seconds:.3f} s, train loss {total / n:.4f}", file=sys.stderr)
        return seconds

    sizes = [784, 500, 500, 10]
    acts = [torch.rand(bs, s) * 0.01 for s in sizes]
    weights = [layer.weight.detach().clone() for layer in model if isinstance(layer, nn.Linear)]  # (out, in)
    grads = [torch.empty_like(wt) for wt in weights]

    def floor_epoch():
        """The 8 GEMMs of every step alone (3 forward, 3 weight gradients, 2 input gradients; dbn4j's floor)."""
        t0 = time.perf_counter()
        with torch.no_grad():
            for _ in range(0, n, bs):
                for i in range(3):
                    torch.mm(acts[i], weights[i].t(), out=acts[i + 1])
                for i in (2, 1, 0):
                    torch.mm(acts[i + 1].t(), acts[i], out=grads[i])
                    if i > 0:
                        torch.mm(acts[i + 1], weights[i], out=acts[i])
        return time.perf_counter() - t0

    print(f"# data: {desc}; batch {bs}; threads {args.threads}; {peerlib.env_summary()}", file=sys.stderr)
    times = []
    floors = []
    for e in range(args.epochs + 1):
        times.append(epoch(e))
        if args.floor:
            # Interleaved with the epochs, so that both see the same machine noise.
            floors.append(floor_epoch())
            print(f"# torch mlp GEMM-only epoch: {floors[-1]:.3f} s", file=sys.stderr)
    blas = peerlib.blas_field(f"torch-{torch.__version__}") + ":" + parallel_summary(torch)
    extra = f"gemm_floor_s_median={statistics.median(floors[1:]):.4f}" if args.floor else ""
    print(peerlib.result_line("torch", "mlp-784-500-500-10-relu", bs, args.threads, times[1:], blas, extra))


if __name__ == "__main__":
    main()
