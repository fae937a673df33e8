"""Writes an HRM state dict the way the official training does, at a tiny size, for the loader's tests.

Usage: write_official_checkpoint.py SPEC.json OUT_DIR. SPEC.json: {"config": {...official arch
fields...}, "shapes": {key: shape}}. Writes, from one set of random weights:
  OUT_DIR/official/checkpoint        torch.save zip, keys `_orig_mod.model.inner.*` (torch.compile),
                                     H_init / L_init in bfloat16, as the released checkpoints
  OUT_DIR/official/all_config.yaml   the reference's all_config.yaml layout (arch under `arch`)
  OUT_DIR/legacy.pt                  the same weights, keys `model.inner.*`, legacy torch.save format
  OUT_DIR/reference.safetensors      the same weights widened to f32, keys `model.inner.*`, with the
                                     configuration in the `hrm_config` metadata (the project's route)
"""
import json
import os
import sys
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fidelity"))
from safetensors_io import write_safetensors  # noqa: E402

spec = json.load(open(sys.argv[1]))
out = sys.argv[2]
os.makedirs(os.path.join(out, "official"), exist_ok=True)
config, shapes = spec["config"], spec["shapes"]

g = torch.Generator().manual_seed(0)
weights = OrderedDict()
for key, shape in shapes.items():
    t = torch.randn(*shape, generator=g) * 0.5
    weights[key] = t.to(torch.bfloat16) if key in ("H_init", "L_init") else t

torch.save(OrderedDict((f"_orig_mod.model.inner.{k}", v) for k, v in weights.items()), os.path.join(out, "official", "checkpoint"))
torch.save(OrderedDict((f"model.inner.{k}", v) for k, v in weights.items()), os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
write_safetensors(
    os.path.join(out, "reference.safetensors"),
    {f"model.inner.{k}": v.float().numpy() for k, v in weights.items()},
    metadata={"hrm_config": json.dumps(config)},
)

arch_keys = ["H_cycles", "H_layers", "L_cycles", "L_layers", "expansion", "halt_exploration_prob", "halt_max_steps", "hidden_size", "num_heads", "pos_encodings", "puzzle_emb_ndim"]
lines = ["arch:"]
for k in arch_keys:
    lines.append(f"  {k}: {config[k]}")
lines += [
    "  loss:",
    f"    loss_type: {config['loss_type']}",
    "    name: losses@ACTLossHead",
    "  name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1",
    "beta1: 0.9",
    "beta2: 0.95",
    "checkpoint_every_eval: true",
    "checkpoint_path: checkpoints/Sudoku-extreme-1k-aug-1000 ACT-torch/HierarchicalReasoningModel_ACTV1 loose-caracal",
    "data_path: data/sudoku-extreme-1k-aug-1000",
    "epochs: 20000",
    "eval_interval: 2000",
    "eval_save_outputs: []",
    "global_batch_size: 384",
    "lr: 7.0e-05",
    "lr_min_ratio: 1.0",
    "lr_warmup_steps: 2000",
    "project_name: Sudoku-extreme-1k-aug-1000 ACT-torch",
    "puzzle_emb_lr: 7.0e-05",
    "puzzle_emb_weight_decay: 1.0",
    "run_name: HierarchicalReasoningModel_ACTV1 loose-caracal",
    "seed: 0",
    "weight_decay: 1.0",
]
with open(os.path.join(out, "official", "all_config.yaml"), "w") as f:
    f.write("\n".join(lines) + "\n")
