"""PyTorch side of bench/front-end.ts: the same chain of ops on 2x2 tensors with a backward pass,
in eager mode on one CPU thread, timed per forward op.

Usage: python3 bench/torch/front_end.py '{"links": 50, "opsPerLink": 5, "repeats": 400, "runs": 5}'
Prints one JSON line: {"version": ..., "wallUs": ..., "cpuUs": ...}.
"""
import json
import sys
import time

import torch


def main():
    spec = json.loads(sys.argv[1])
    links, repeats, runs = spec["links"], spec["repeats"], spec["runs"]
    ops = repeats * links * spec["opsPerLink"]
    torch.set_num_threads(1)
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = torch.tensor([[0.1, 0.0], [0.0, 0.1]])

    def step():
        h = x
        for _ in range(links):  # matmul, mul by a number, exp, reshape, add
            h = torch.matmul(h, w) * 0.01 + torch.exp(h).reshape(2, 2)
        h.sum().backward()
        w.grad = None

    wall, cpu = [], []
    for run in range(-1, runs):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(repeats):
            step()
        if run < 0:
            continue  # warm-up
        wall.append((time.perf_counter() - t0) * 1e6 / ops)
        cpu.append((time.process_time() - c0) * 1e6 / ops)
    wall.sort()
    cpu.sort()
    print(json.dumps({"version": torch.__version__, "wallUs": round(wall[len(wall) // 2], 2), "cpuUs": round(cpu[len(cpu) // 2], 2)}))


if __name__ == "__main__":
    main()
