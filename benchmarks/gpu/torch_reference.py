#!/usr/bin/env python3
"""PyTorch reference numbers for the CUDA issue's table, measured on the same card in the same GPU check.

Workloads (FP32, TF32 off, data resident on the device, fixed seed): RBM CD-1 784-500 at batch 100 and 1000
(samples/s), RBM CD-1 4096-4096 at batch 4096 (TFLOP/s of its 5 GEMMs), MLP 784-500-500-10 ReLU with SGD momentum at
batch 100 (samples/s); each eager and, on CUDA, captured once as a CUDA graph and replayed. Prints one
`RESULT peer=torch-<mode> workload=... value=... unit=...` line per measurement.

    python3 torch_reference.py [--device cuda|cpu] [--steps N]
"""
import argparse
import time

import torch


def rbm_step(v0, w, b, c, vw, lr=0.05, mom=0.5):
    """One CD-1 update (probabilities for the reconstruction, sampled hidden states from the data)."""
    h0 = torch.sigmoid(v0 @ w + c)
    hs = (torch.rand_like(h0) < h0).to(v0.dtype)
    v1 = torch.sigmoid(hs @ w.t() + b)
    h1 = torch.sigmoid(v1 @ w + c)
    grad = (v0.t() @ h0 - v1.t() @ h1) / v0.shape[0]
    vw.mul_(mom).add_(grad, alpha=lr)
    w.add_(vw)
    b.add_((v0 - v1).mean(0), alpha=lr)
    c.add_((h0 - h1).mean(0), alpha=lr)


def timed(fn, steps, device, reps=5):
    """Warm-up, then reps repetitions of steps calls, each ended by a device synchronisation: the median seconds
    per call (as dbn4j.bench.GpuBench measures)."""
    for _ in range(5):
        fn()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    sync()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        sync()
        t.append((time.perf_counter() - t0) / steps)
    return sorted(t)[reps // 2]


def graphed(fn, device):
    """fn captured once as a CUDA graph (after warm-up on a side stream), or None off CUDA."""
    if device != "cuda":
        return None
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return g.replay


def rbm(device, nv, nh, batch, steps):
    g = torch.Generator(device=device).manual_seed(1)
    v0 = (torch.rand(batch, nv, device=device, generator=g) < 0.3).float()
    w = 0.01 * torch.randn(nv, nh, device=device, generator=g)
    b = torch.zeros(nv, device=device)
    c = torch.zeros(nh, device=device)
    vw = torch.zeros_like(w)
    step = lambda: rbm_step(v0, w, b, c, vw)
    out = {"eager": timed(step, steps, device)}
    replay = graphed(step, device)
    if replay is not None:
        out["graph"] = timed(replay, steps, device)
    return out


def mlp(device, batch, steps):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 500),
                                torch.nn.ReLU(), torch.nn.Linear(500, 10)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = torch.rand(batch, 784, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    out = {"eager": timed(step, steps, device)}
    if device == "cuda":
        # Graph capture of a whole training step needs static inputs and set_to_none=False, as above.
        out["graph"] = timed(graphed(step, device), steps, device)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--steps", type=int, default=200)
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    name = torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu"
    print(f"# torch {torch.__version__} on {name}, FP32, TF32 off")
    for batch in (100, 1000):
        for mode, sec in rbm(a.device, 784, 500, batch, a.steps).items():
            print(f"RESULT peer=torch-{mode} workload=rbm-cd1-784-500-b{batch} value={batch / sec:.4g} unit=samples/s")
    big_steps = max(3, a.steps // 20) if a.device == "cuda" else 2
    n = 4096 if a.device == "cuda" else 1024
    flops = 5 * 2 * n * n * n
    for mode, sec in rbm(a.device, n, n, n, big_steps).items():
        print(f"RESULT peer=torch-{mode} workload=rbm-cd1-{n}-{n}-b{n} value={flops / sec / 1e12:.4g} unit=TFLOP/s")
    for mode, sec in mlp(a.device, 100, a.steps).items():
        print(f"RESULT peer=torch-{mode} workload=mlp-784-500-500-10-b100 value={100 / sec:.4g} unit=samples/s")


if __name__ == "__main__":
    main()
