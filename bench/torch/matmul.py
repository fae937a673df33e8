"""PyTorch side of bench/cpu-matmul.ts: f32 matrix products on the CPU (OpenBLAS or whatever BLAS
this PyTorch was built with), each operand stored transposed when asked, as ours and tfjs are.

Usage: python3 bench/torch/matmul.py '{"shapes": [{"m": .., "n": .., "k": .., "transA": false,
                                        "transB": false, "runs": 5}], "threads": 1, "warmup": 2}'
Prints one JSON line: {"threads": n, "blas": "...", "results": [{"medianMs": .., "medianCpuMs": ..}, ...]}.
"""
import json
import statistics
import sys
import time

import torch

sys.dont_write_bytecode = True


def operand(rows, cols, transposed, generator):
    # Stored [cols, rows] and viewed transposed: the BLAS call takes the transpose flag.
    if transposed:
        return (torch.rand(cols, rows, generator=generator) - 0.5).t()
    return torch.rand(rows, cols, generator=generator) - 0.5


def time_shape(shape, warmup, generator):
    a = operand(shape["m"], shape["k"], shape["transA"], generator)
    b = operand(shape["k"], shape["n"], shape["transB"], generator)
    for _ in range(warmup):
        torch.mm(a, b)
    wall, cpu = [], []
    for _ in range(shape["runs"]):
        c0, t0 = time.process_time(), time.perf_counter()
        torch.mm(a, b)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"medianMs": statistics.median(wall), "medianCpuMs": statistics.median(cpu)}


def loaded_blas():
    """The BLAS libraries this process has mapped (Debian's torch calls libblas.so.3, an alternative)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return sorted(paths)
    except OSError:
        return []


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    generator = torch.Generator().manual_seed(0)
    results = [time_shape(s, spec["warmup"], generator) for s in spec["shapes"]]
    print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "blas": loaded_blas(), "results": results}))


main()
