#!/usr/bin/env python3
"""Peer of dbn4j's MLP epoch: 784-500-500-10 ReLU, softmax cross-entropy, SGD with momentum 0.9, in PyTorch (CPU,
float32, eager mode). The same loop also times dbn4j's other feed-forward workloads (--model):
  logistic       multinomial logistic regression 784-10 (one Linear layer), lr 0.1, momentum 0.9
  dbn-finetune   a DBN's fine-tuning (--sizes 784,500,500): sigmoid hidden layers and a 10-way softmax output,
                 lr 0.1, momentum 0.9 (dbn4j starts from the pre-trained RBM weights; the epoch time does not
                 depend on the values)

The loop is the plain one a PyTorch user writes, over tensors made once before timing (no DataLoader): per epoch
one randperm, then for every batch a gather of its inputs and labels into batch buffers (as dbn4j does on the
CPU), zero_grad, forward through an nn.Sequential, nn.CrossEntropyLoss (log-softmax + NLL fused),
backward, optim.SGD step, and the batch loss read back (dbn4j sums the batch losses too). Like dbn4j, no gradient
with respect to the input data is computed.

Prints one line: RESULT peer=torch workload=mlp-784-500-500-10-relu | logistic-784-10 | dbn-...-10-finetune ...
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
    parser = peerlib.argument_parser("PyTorch MLP 784-500-500-10 (or logistic regression, DBN fine-tuning) epoch "
                                     "timing")
    parser.add_argument("--model", choices=("mlp", "logistic", "dbn-finetune"), default="mlp")
    parser.add_argument("--sizes", default="784,1000,1000,1000", help="DBN layer sizes for --model dbn-finetune")
    args = peerlib.parse_args(None, parser=parser)
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    x, y, desc = peerlib.load_train(args.data, args.seed)
    x, y, desc = peerlib.first_rows(x, y, desc, args.rows)
    peerlib.set_openblas_threads(args.threads)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    n = xt.shape[0]
    bs = args.batch

    if args.model == "mlp":
        sizes, act, lr, workload = [784, 500, 500, 10], nn.ReLU, LR, "mlp-784-500-500-10-relu"
    elif args.model == "logistic":
        sizes, act, lr, workload = [784, 10], None, 0.1, "logistic-784-10"
    else:
        sizes = [int(s) for s in args.sizes.split(",")] + [10]
        act, lr, workload = nn.Sigmoid, 0.1, "dbn-" + "-".join(map(str, sizes)) + "-finetune"
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(act())
    model = nn.Sequential(*layers)
    # Same initial scales as dbn4j's MLP (He normal for ReLU layers, sqrt(1/in) for the output, zero biases); the
    # epoch time does not depend on them, the loss sanity print does a little.
    with torch.no_grad():
        linear = [m for m in model if isinstance(m, nn.Linear)]
        for i, layer in enumerate(linear):
            std = (2.0 / layer.in_features) ** 0.5 if i + 1 < len(linear) else (1.0 / layer.in_features) ** 0.5
            layer.weight.normal_(0.0, std)
            layer.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    xbuf = torch.empty(bs, xt.shape[1], dtype=xt.dtype)
    ybuf = torch.empty(bs, dtype=yt.dtype)

    def epoch(e):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        total = 0.0
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            xb = torch.index_select(xt, 0, idx, out=xbuf[:idx.shape[0]])
            yb = torch.index_select(yt, 0, idx, out=ybuf[:idx.shape[0]])
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        seconds = time.perf_counter() - t0
        print(f"# torch {args.model} epoch {e + 1}: {seconds:.3f} s, train loss {total / n:.4f}", file=sys.stderr)
        return seconds

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
    floor = args.floor and args.model == "mlp"
    if args.floor and not floor:
        print("# --floor: only for the MLP (ignored)", file=sys.stderr)
    for e in range(args.epochs + 1):
        times.append(epoch(e))
        if floor:
            # Interleaved with the epochs, so that both see the same machine noise.
            floors.append(floor_epoch())
            print(f"# torch mlp GEMM-only epoch: {floors[-1]:.3f} s", file=sys.stderr)
    blas = peerlib.blas_field(f"torch-{torch.__version__}") + ":" + parallel_summary(torch)
    extra = f"gemm_floor_s_median={statistics.median(floors[1:]):.4f}" if floor else ""
    print(peerlib.result_line("torch", workload, bs, args.threads, times[1:], blas, extra, rows=n))


if __name__ == "__main__":
    main()
