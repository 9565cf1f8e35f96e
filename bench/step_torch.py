"""PyTorch's side of bench/step.ts: the same training step, float64, one thread.

Reads {"setups": [{"sizes": [...], "batch": N}, ...], "minSeconds": S} on stdin and prints one
JSON object per line: {"sizes": [...], "batch": N, "us": median microseconds per step}, in
process CPU time as bench/step.ts measures its own.
A step is zero_grad + forward + MSE + 0.9 * 0.5 * sum(w^2) over every parameter + backward + SGD.
"""
import json
import math
import sys
import time

import torch


def build(sizes, batch):
    torch.manual_seed(1)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).double()
    x = torch.randn(batch, sizes[0], dtype=torch.float64)
    y = torch.randn(batch, sizes[-1], dtype=torch.float64)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    params = list(model.parameters())

    def step():
        optimizer.zero_grad()
        penalty = sum(p.pow(2).sum() for p in params)
        loss = torch.nn.functional.mse_loss(model(x), y) + 0.9 * (0.5 * penalty)
        loss.backward()
        optimizer.step()

    return step


def measure(step, min_seconds):
    warm_start = time.process_time()
    until = time.perf_counter() + 0.25 * min(1, min_seconds)
    warm_steps = 0
    while warm_steps < 3 or time.perf_counter() < until:
        step()
        warm_steps += 1
    reps = max(1, math.ceil(0.05 / ((time.process_time() - warm_start) / warm_steps)))
    samples = []
    started = time.perf_counter()
    while time.perf_counter() - started < min_seconds or len(samples) < 5:
        t0 = time.process_time()
        for _ in range(reps):
            step()
        samples.append((time.process_time() - t0) * 1e6 / reps)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    torch.set_num_threads(1)
    request = json.load(sys.stdin)
    for setup in request["setups"]:
        us = measure(build(setup["sizes"], setup["batch"]), request["minSeconds"])
        print(json.dumps({"sizes": setup["sizes"], "batch": setup["batch"], "us": us}), flush=True)


if __name__ == "__main__":
    main()
