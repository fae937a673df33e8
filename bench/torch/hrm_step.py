"""PyTorch side of bench/hrm-step.ts: one HRM training step (one ACT segment with the 1-step
gradient, the bootstrapped Q target, loss, backward, AdamATan2 on the parameters and sparse
SignSGD on the puzzle rows) with the reference model of test/fidelity, on the CPU.

Usage: python3 bench/torch/hrm_step.py '{"configs": [{...HRMConfig fields...}], "threads": 1,
                                          "warmup": 1, "steps": 3}'
Prints one JSON line: {"threads": n, "results": [{"medianMs": ..., "cpuMs": ...}, ...]}.
"""
import json
import math
import os
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fidelity"))
import hrm_reference as ref  # noqa: E402


class AdamATan2:
    """p *= 1 - lr*wd; m, v moments; p -= lr/(1-b1^t) * atan2(m, sqrt(v)/sqrt(1-b2^t)). No epsilon."""

    def __init__(self, params, lr, betas=(0.9, 0.95), weight_decay=1.0):
        self.params, self.lr, self.betas, self.wd, self.t = list(params), lr, betas, weight_decay, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            p.mul_(1 - self.lr * self.wd)
            m.lerp_(p.grad, 1 - b1)
            v.lerp_(p.grad.square(), 1 - b2)
            p.sub_((self.lr / (1 - b1**self.t)) * torch.atan2(m, v.sqrt() / math.sqrt(1 - b2**self.t)))
            p.grad = None


@torch.no_grad()
def sign_sgd_rows(table, ids, row_grads, lr, wd):
    unique, inverse = ids.long().unique(return_inverse=True)
    summed = torch.zeros(len(unique), table.shape[1], dtype=table.dtype).index_add_(0, inverse, row_grads)
    table[unique] = table[unique] * (1 - lr * wd) - lr * summed.sign()


def random_batch(cfg, generator):
    b = cfg.batch_size
    return {
        "inputs": torch.randint(1, cfg.vocab_size, (b, cfg.seq_len), generator=generator, dtype=torch.int32),
        "labels": torch.randint(1, cfg.vocab_size, (b, cfg.seq_len), generator=generator, dtype=torch.int32),
        "puzzle_identifiers": torch.zeros(b, dtype=torch.int32),
    }


def time_config(cfg, warmup, steps):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    inner = ref.HRMInner(cfg)
    adam = AdamATan2(inner.parameters(), lr=1e-4)
    batch = random_batch(cfg, generator)
    carry = ref.ACTCarry(inner, batch)

    def step():
        nonlocal carry
        carry, out = ref.act_step(inner, carry, batch, training=True, generator=generator)
        loss, _ = ref.act_loss(cfg.loss_type, carry, out)
        (loss / cfg.batch_size).backward()
        if cfg.puzzle_emb_ndim > 0:
            sign_sgd_rows(inner.puzzle_emb.weights, carry.data["puzzle_identifiers"], inner.puzzle_emb.local_weights.grad, 1e-4, 1.0)
        adam.step()

    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    wall.sort()
    cpu.sort()
    return {"medianMs": round(wall[len(wall) // 2], 2), "cpuMs": round(cpu[len(cpu) // 2], 2)}


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    results = [time_config(ref.HRMConfig.from_dict(c), spec.get("warmup", 1), spec.get("steps", 3)) for c in spec["configs"]]
    print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
