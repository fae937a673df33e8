"""Fidelity check: the project's `hrm` CLI against the PyTorch reference (hrm_reference.py).

Cases, each traced by `hrm trace` (evaluation segments, and one training segment's loss, metrics
and gradients) and recomputed by the reference from the same checkpoint and batch:
  trained   a checkpoint made by `hrm train` on generated 4x4 Sudoku (RoPE, stablemax, stored config)
  exported  a checkpoint written here as an official export would be: `_orig_mod.model.inner.`
            keys, bf16 H_init/L_init, no stored config (given by --config), learned positions,
            softmax loss, a two-slot puzzle-embedding prefix with padding, several puzzle ids, and
            random non-zero weights everywhere (puzzle table and q_head included)
  exported-bptt  the same checkpoint, training segment only, with the research option
            gradient "bptt" and halt_max_steps 1 (no Q-continue target)
  trained-warmup, exported-warmup  the training segment after two training-mode warm-up segments
            (`hrm trace --train --warmup 2`, one batch per segment): halted slots reset and take
            the new batch's rows, running slots keep theirs, slots reach halt_max_steps (the
            is_last branch of the Q-continue target); the carry's steps and halted flags, going in
            and out, must match exactly
  exported-steps  five full training steps (`hrm trace --train-steps 5`): AdamATan2, sparse
            SignSGD (repeated ids, one table row never touched), warmup-cosine learning rates;
            per step the rates, loss, carry and every weight after the step
Halting exploration is off in every traced configuration (halt_exploration_prob 0): the two sides
draw from different generators. Error per tensor: max |ours - reference| / max |reference|
(integer carry tensors: equal or not). Prints one JSON line; exit code 1 when any error exceeds
the tolerance (or a tensor is missing), 0 otherwise.

Each case runs in float32 (tolerance --tolerance, default 1e-4) and, unless --no-f64, in float64
(`hrm trace --dtype f64` against the reference in float64, tolerance 1e-9): float64 tells real
differences from float32 rounding, which would hide a small slip (an epsilon, a cast) under 1e-4.

Usage: /usr/bin/python3 test/fidelity/run_fidelity.py [--work DIR] [--tolerance 1e-4] [--no-f64]
                                                      [--backend cpu|webgpu]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hrm_reference as ref  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CLI = ["node", "--import", "tsx", "--import", "./scripts/register-wgsl.mjs", "packages/hrm/src/cli.ts"]

TRAINED_ARCH = dict(
    hidden_size=32, num_heads=2, expansion=4, H_layers=1, L_layers=2, H_cycles=2, L_cycles=2,
    halt_max_steps=3, halt_exploration_prob=0.1, puzzle_emb_ndim=32, pos_encodings="rope",
    loss_type="stablemax_cross_entropy",
)
TRAINING = dict(global_batch_size=8, lr=3e-3, puzzle_emb_lr=1e-2, lr_warmup_steps=1, weight_decay=0.1, puzzle_emb_weight_decay=0.1)
TRAIN_STEPS = 6

EXPORTED_ARCH = dict(
    batch_size=6, seq_len=16, vocab_size=6, num_puzzle_identifiers=3,
    hidden_size=32, num_heads=4, expansion=2.5, H_layers=2, L_layers=1, H_cycles=3, L_cycles=2,
    halt_max_steps=2, halt_exploration_prob=0.0, puzzle_emb_ndim=40, pos_encodings="learned",
    rms_norm_eps=1e-5, rope_theta=10000, loss_type="softmax_cross_entropy",
)
EXPORT_PREFIX = "_orig_mod.model.inner."

# `hrm trace --train-steps`: two warmup steps, then the cosine down to 0.1 of the base rate at the last step.
STEPS = 5
STEP_HYPER = dict(lr=3e-3, puzzle_emb_lr=1e-2, weight_decay=0.5, puzzle_emb_weight_decay=0.3, beta1=0.9, beta2=0.95,
                  lr_warmup_steps=2, lr_min_ratio=0.1, steps=STEPS)


def hrm(*args):
    t0 = time.time()
    run = subprocess.run(CLI + [str(a) for a in args], cwd=REPO, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"hrm {' '.join(map(str, args))} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    return time.time() - t0


def rel_error(ours, reference):
    ours, reference = np.asarray(ours, np.float64), np.asarray(reference, np.float64)
    if ours.shape != reference.shape:
        return float("inf")
    scale = np.abs(reference).max() if reference.size else 0.0
    diff = np.abs(ours - reference).max() if reference.size else 0.0
    return float(diff / scale) if scale > 0 else float(diff)


def make_batch(inputs, labels, ids):
    """Six rows: real puzzles, some labels ignored, one padding row (no labels)."""
    inputs, labels, ids = inputs[:6].astype(np.int32).copy(), labels[:6].astype(np.int32).copy(), ids[:6].astype(np.int32).copy()
    labels[labels == 0] = ref.IGNORE_LABEL_ID
    labels[1, ::3] = ref.IGNORE_LABEL_ID
    inputs[5], labels[5], ids[5] = 0, ref.IGNORE_LABEL_ID, 0
    return {"inputs": inputs, "labels": labels, "puzzle_identifiers": ids}


def build_trained(work):
    data, run = os.path.join(work, "data"), os.path.join(work, "run")
    shutil.rmtree(run, ignore_errors=True)
    timings = {"data": hrm("data", "build", "sudoku", "--generate", 48, "--size", 4, "--out", data, "--seed", 0, "--force")}
    with open(os.path.join(work, "train-config.json"), "w") as f:
        json.dump({"arch": TRAINED_ARCH, **TRAINING}, f)
    timings["train"] = hrm("train", "--data", data, "--out", run, "--config", os.path.join(work, "train-config.json"),
                           "--steps", TRAIN_STEPS, "--seed", 1, "--no-progress", "--backend", "cpu")
    checkpoint = os.path.join(run, f"step_{TRAIN_STEPS}.safetensors")
    _, meta = read_safetensors(checkpoint)
    config = json.loads(meta["hrm_config"])
    config["halt_exploration_prob"] = 0.0  # deterministic halting in the traced training segment
    inputs, labels = (np.load(os.path.join(data, "train", f"all__{name}.npy")) for name in ("inputs", "labels"))
    batches = [make_batch(inputs[6 * i :], labels[6 * i :], np.zeros(6, np.int32)) for i in range(3)]
    return checkpoint, config, batches, timings


def build_exported(work):
    cfg = ref.HRMConfig.from_dict(EXPORTED_ARCH)
    torch.manual_seed(7)
    inner = ref.HRMInner(cfg)
    with torch.no_grad():
        inner.puzzle_emb.weights.normal_(0, 0.5)
        inner.q_head.weight.normal_(0, 0.2)
        inner.q_head.bias.copy_(torch.tensor([0.3, -0.4]))

    def export(name):
        path = os.path.join(work, name)
        state = {EXPORT_PREFIX + k: v.numpy() for k, v in inner.state_dict().items()}
        write_safetensors(path, state, {"format": "pt"}, bf16={EXPORT_PREFIX + "H_init", EXPORT_PREFIX + "L_init"})
        return path

    checkpoint = export("exported.safetensors")
    # The same weights with q_halt lowered by 5: slots halt by Q values now and then rather than
    # at once (the warm-up case: halted and running slots mixed, some reaching halt_max_steps).
    with torch.no_grad():
        inner.q_head.bias[0] -= 5
    late_halt = export("exported-late-halt.safetensors")
    rng = np.random.default_rng(3)

    def batch(ids):
        inputs = rng.integers(1, cfg.vocab_size, (6, cfg.seq_len))
        labels = rng.integers(1, cfg.vocab_size, (6, cfg.seq_len))
        return make_batch(inputs, labels, ids(6))

    any_id = lambda n: rng.integers(0, cfg.num_puzzle_identifiers, n)  # noqa: E731
    batches = [batch(any_id) for _ in range(3)]
    # For the optimiser steps: puzzle ids 0 and 2 only (repeated), so that row 1 is never touched.
    step_batches = [batch(lambda n: rng.choice([0, 2], n)) for _ in range(STEPS)]
    return checkpoint, late_halt, dict(EXPORTED_ARCH), batches, step_batches


def write_batches(path, batches):
    """One batch as it is, several stacked ([T, B, ...]: one per segment)."""
    write_safetensors(path, batches[0] if len(batches) == 1 else {k: np.stack([b[k] for b in batches]) for k in batches[0]})


def exact_error(ours, reference):
    """0 when the integer tensors are equal, inf otherwise."""
    return 0.0 if np.array_equal(np.asarray(ours), np.asarray(reference)) else float("inf")


def trace_files(work, tag, config, batches):
    config_file, batch_file = os.path.join(work, f"{tag}-config.json"), os.path.join(work, f"{tag}-batch.safetensors")
    with open(config_file, "w") as f:
        json.dump(config, f)
    write_batches(batch_file, batches)
    return config_file, batch_file


def reference_model(checkpoint, config, dtype):
    state, _ = read_safetensors(checkpoint)
    return ref.load_model(ref.HRMConfig.from_dict(config), state, torch.float64 if dtype == "f64" else torch.float32)


def to_torch(batches, count):
    """`count` torch batches: the single batch repeated, or the given ones."""
    tb = [{k: torch.from_numpy(v) for k, v in b.items()} for b in batches]
    return tb * count if len(tb) == 1 else tb


def compare_case(work, tag, checkpoint, config, batches, dtype, segments, backend, warmup):
    """Traces with the CLI and the reference: `segments` evaluation segments (0: none) on the first
    batch, and the training segment after `warmup` training-mode segments (one batch each when
    several are given). Returns {tensor: relative error} and the timings."""
    config_file, batch_file = trace_files(work, tag, config, batches)
    eval_file, train_file = os.path.join(work, f"{tag}-eval.safetensors"), os.path.join(work, f"{tag}-train.safetensors")
    common = ["--batch", batch_file, "--config", config_file, "--dtype", dtype, "--backend", backend]
    timings = {}
    if segments:
        assert len(batches) == 1, "evaluation traces take one batch"
        timings["trace_eval"] = hrm("trace", checkpoint, *common, "--segments", segments, "--out", eval_file)
    timings["trace_train"] = hrm("trace", checkpoint, *common, "--train", "--warmup", warmup, "--out", train_file)

    t0 = time.time()
    errors = {}
    if segments:
        ours, _ = read_safetensors(eval_file)
        for i, seg in enumerate(ref.trace_segments(reference_model(checkpoint, config, dtype), to_torch(batches, 1)[0], segments)):
            for key, value in seg.items():
                errors[f"segments.{i}.{key}"] = rel_error(ours.pop(f"segments.{i}.{key}"), value.numpy())
        errors.update({f"unexpected {k}": float("inf") for k in ours})

    ours, meta = read_safetensors(train_file)
    loss, metrics, grads, traced = ref.trace_train(reference_model(checkpoint, config, dtype), to_torch(batches, warmup + 1),
                                                   gradient=config.get("gradient", "one-step"))
    errors["loss"] = rel_error(ours.pop("loss"), loss)
    for key, value in traced.items():
        mine = ours.pop(key, None)
        compare = exact_error if key.startswith("carry") else rel_error
        errors[key] = float("inf") if mine is None else compare(mine, value.numpy())
    for key, grad in grads.items():
        mine = ours.pop("model.inner." + key, None)
        errors[f"grad {key}"] = float("inf") if mine is None or grad is None else rel_error(mine, grad.numpy())
    errors.update({f"unexpected {k}": float("inf") for k in ours})
    our_metrics = json.loads(meta.get("metrics", "{}"))
    for key, value in metrics.items():
        errors[f"metric {key}"] = rel_error(our_metrics[key], value) if key in our_metrics else float("inf")
    errors.update({f"unexpected metric {k}": float("inf") for k in our_metrics.keys() - metrics.keys()})
    timings["reference"] = time.time() - t0
    return errors, timings


def compare_steps(work, tag, checkpoint, config, batches, dtype, backend, warmup, hyper):
    """`hrm trace --train-steps` against the reference's optimisers and schedule: per step the
    learning rates, loss, carry and every weight (puzzle table included) after the step."""
    config_file, batch_file = trace_files(work, tag, {**config, **hyper}, batches)
    out_file = os.path.join(work, f"{tag}-steps.safetensors")
    count = len(batches) - warmup
    timings = {"trace_steps": hrm("trace", checkpoint, "--batch", batch_file, "--config", config_file, "--dtype", dtype,
                                  "--backend", backend, "--train-steps", count, "--warmup", warmup, "--out", out_file)}
    t0 = time.time()
    ours, _ = read_safetensors(out_file)
    errors = {}
    for k, step in enumerate(ref.train_steps(reference_model(checkpoint, config, dtype), to_torch(batches, len(batches)), warmup, hyper)):
        at = f"train_steps.{k}."
        for key in ("lr", "puzzle_emb_lr", "loss"):
            errors[at + key] = rel_error(ours.pop(at + key), step[key])
        for key, value in step["carry"].items():
            errors[f"{at}carry.{key}"] = exact_error(ours.pop(f"{at}carry.{key}"), value.numpy())
        for key, value in step["weights"].items():
            mine = ours.pop(at + "model.inner." + key, None)
            errors[f"{at}weight {key}"] = float("inf") if mine is None else rel_error(mine, value.numpy())
    errors.update({f"unexpected {k}": float("inf") for k in ours})
    timings["reference"] = time.time() - t0
    return errors, timings


def summarise(errors):
    groups = {}
    for key, err in errors.items():
        key = re.sub(r"^(segments|train_steps)\.\d+\.", "", key)
        group = key.split(" ")[0]
        groups[group] = max(groups.get(group, 0.0), err)
    return groups


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", help="working folder, kept (default: a temporary one, removed)")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--no-f64", action="store_true", help="skip the float64 traces (tolerance 1e-9)")
    parser.add_argument("--backend", choices=["cpu", "webgpu"], default="cpu", help="backend of `hrm trace` (float64 needs cpu)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    work = args.work or tempfile.mkdtemp(prefix="hrm-fidelity-")
    os.makedirs(work, exist_ok=True)

    checkpoint, config, batches, timings = build_trained(work)
    exported, late_halt, exported_config, exported_batches, step_batches = build_exported(work)
    # (name, checkpoint, config, batches, evaluation segments, warm-up segments before the training one)
    cases = [
        # From the initial carry; evaluation: one segment more than halt_max_steps, so that slots restart.
        ("trained", checkpoint, config, batches[:1], config["halt_max_steps"] + 1, 0),
        ("exported", exported, exported_config, exported_batches[:1], exported_config["halt_max_steps"] + 1, 0),
        # The research option, and a configuration without the Q-continue target (halt_max_steps 1).
        ("exported-bptt", exported, {**exported_config, "gradient": "bptt", "halt_max_steps": 1}, exported_batches[:1], 0, 0),
        # After two warm-up segments on other batches. trained: no slot halts by Q values, so every
        # slot reaches halt_max_steps (is_last) in the traced segment. exported-late-halt: slots
        # halted by Q values take the third batch's rows while the others run on, three of them to
        # halt_max_steps (is_last), with the carry's halted flags and steps mixed in and out.
        ("trained-warmup", checkpoint, config, batches, 0, 2),
        ("exported-warmup", late_halt, {**exported_config, "halt_max_steps": 3}, exported_batches, 0, 2),
    ]
    dtypes = [("f32", args.tolerance)] + ([] if args.no_f64 or args.backend != "cpu" else [("f64", 1e-9)])
    report, failures = {"work": work, "timings": timings, "cases": {}}, []

    def record(tag, tol, errors):
        report["cases"][tag] = {"tolerance": tol, "max_rel_error": summarise(errors), "errors": errors}
        failures.extend(f"{tag} {k}: {e:.3g}" for k, e in errors.items() if not e <= tol)

    for name, ckpt, cfg, b, segments, warmup in cases:
        for dtype, tol in dtypes:
            tag = f"{name}-{dtype}"
            errors, report["timings"][tag] = compare_case(work, tag, ckpt, cfg, b, dtype, segments, args.backend, warmup)
            record(tag, tol, errors)
    for dtype, tol in dtypes:
        tag = f"exported-steps-{dtype}"
        errors, report["timings"][tag] = compare_steps(work, tag, exported, exported_config, step_batches, dtype, args.backend, 0, STEP_HYPER)
        record(tag, tol, errors)
    report["failures"] = failures
    if not args.work:
        shutil.rmtree(work)
        report["work"] = None
    print(json.dumps(report))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
