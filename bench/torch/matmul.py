"""PyTorch side of bench/webgpu-matmul.ts: GFLOP/s of torch.matmul (OpenBLAS / MKL on the CPU) at
the given shapes, median of `runs` timed runs after one warm-up.

Usage: python3 bench/torch/matmul.py '{"shapes": [[m, n, k, transA, transB], ...], "threads": 2, "runs": 5}'
Prints one JSON line: {"torch": version, "threads": n, "gflops": [...]}.
"""
import json
import statistics
import sys
import time

import torch

spec = json.loads(sys.argv[1])
torch.set_num_threads(spec["threads"])
gen = torch.Generator().manual_seed(0)
gflops = []
for m, n, k, trans_a, trans_b in spec["shapes"]:
    a = torch.rand((k, m) if trans_a else (m, k), generator=gen) - 0.5
    b = torch.rand((n, k) if trans_b else (k, n), generator=gen) - 0.5
    op_a = a.t() if trans_a else a
    op_b = b.t() if trans_b else b
    torch.matmul(op_a, op_b)
    times = []
    for _ in range(spec["runs"]):
        start = time.perf_counter()
        torch.matmul(op_a, op_b)
        times.append(time.perf_counter() - start)
    gflops.append(round(2 * m * n * k / statistics.median(times) / 1e9, 2))
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "gflops": gflops}))
