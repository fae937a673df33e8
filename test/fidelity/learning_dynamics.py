"""PyTorch side of test/fidelity/learning-dynamics.ts: trains the reference model (hrm_reference.py)
from given initial weights on given batches, one training step per batch (ACT segment, loss,
backward of loss / B, sparse SignSGD on the puzzle rows, AdamATan2, warmup-cosine rates), in
float32 (or float64) on one thread, and prints per step the learning rate, the summed loss and
the metric sums.

Usage: python3 test/fidelity/learning_dynamics.py --checkpoint FILE --config FILE --batches FILE
                                                  [--dtype f32|f64]
  --checkpoint  safetensors with the initial weights (any official prefix)
  --config      JSON: the model fields under "arch", the training fields (lr, puzzle_emb_lr,
                weight_decay, puzzle_emb_weight_decay, beta1, beta2, lr_warmup_steps, lr_min_ratio,
                steps) beside it
  --batches     safetensors with inputs, labels [T, B, seq_len] and puzzle_identifiers [T, B]
Prints one JSON line: {"steps": [{"lr", "loss", "metrics": {...sums}}, ...], "seconds": s}.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hrm_reference as ref  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--batches", required=True)
    parser.add_argument("--dtype", choices=["f32", "f64"], default="f32")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(args.config) as f:
        config = json.load(f)
    state, _ = read_safetensors(args.checkpoint)
    inner = ref.load_model(ref.HRMConfig.from_dict(config["arch"]), state, torch.float64 if args.dtype == "f64" else torch.float32)
    stacked, _ = read_safetensors(args.batches)
    batches = [{k: torch.from_numpy(v[t].astype("int32")) for k, v in stacked.items()} for t in range(stacked["inputs"].shape[0])]
    t0 = time.time()
    steps = ref.train_steps(inner, batches, 0, config, keep_weights=False)
    seconds = time.time() - t0
    print(json.dumps({"steps": [{"lr": s["lr"], "loss": s["loss"], "metrics": s["metrics"]} for s in steps], "seconds": seconds}))


if __name__ == "__main__":
    main()
