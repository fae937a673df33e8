"""HRM-ACT in PyTorch, written from the project's specification of the official implementation
(sapientinc/HRM), as an independent oracle for the TypeScript model: same weights, same batch ->
logits, Q values, loss and 1-step gradients. Module and parameter names follow the official state
dict, so a checkpoint loads with load_state_dict(strict=True) once its prefix is stripped.

Computes in float32 (or float64 for diagnostics); the stablemax cross entropy runs in float64 as
in the reference. Halting exploration is optional (off by default) so that runs are deterministic.
"""
import math
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

IGNORE_LABEL_ID = -100
PREFIXES = ("_orig_mod.model.inner.", "model.inner.", "inner.")


@dataclass
class HRMConfig:
    batch_size: int
    seq_len: int
    vocab_size: int
    num_puzzle_identifiers: int
    H_cycles: int
    L_cycles: int
    H_layers: int
    L_layers: int
    hidden_size: int
    num_heads: int
    expansion: float
    pos_encodings: str
    halt_max_steps: int
    halt_exploration_prob: float
    puzzle_emb_ndim: int = 0
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    loss_type: str = "stablemax_cross_entropy"

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    @property
    def puzzle_emb_len(self):
        return -(-self.puzzle_emb_ndim // self.hidden_size)

    @property
    def head_dim(self):
        return self.hidden_size // self.num_heads

    @property
    def intermediate_size(self):
        # Python's round(), as the reference; then up to a multiple of 256.
        return 256 * -(-round(self.expansion * self.hidden_size * 2 / 3) // 256)


def rms_norm(x, eps):
    return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + eps)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope_tables(cfg, dtype):
    """cos, sin [S, head_dim] for positions 0..S-1, in float32 as the reference (float64 models: float64)."""
    d, dtype = cfg.head_dim, torch.promote_types(dtype, torch.float32)
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, d, 2, dtype=dtype) / d))
    t = torch.arange(cfg.seq_len + cfg.puzzle_emb_len, dtype=dtype)
    emb = torch.cat([torch.outer(t, inv_freq)] * 2, dim=-1)
    return emb.cos(), emb.sin()


class Linear(nn.Module):
    def __init__(self, n_in, n_out, bias=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / math.sqrt(n_in))
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Embedding(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.embedding_weight = nn.Parameter(torch.randn(n, dim) / math.sqrt(dim))

    def forward(self, ids):
        return self.embedding_weight[ids.long()]


class PuzzleEmbedding(nn.Module):
    """The table is a buffer; in training the batch's rows become a leaf whose gradient is kept."""

    def __init__(self, n, dim):
        super().__init__()
        self.register_buffer("weights", torch.zeros(n, dim))
        self.local_weights = self.local_ids = None

    def forward(self, ids):
        rows = self.weights[ids.long()]
        if not (self.training and torch.is_grad_enabled()):
            return rows
        self.local_weights, self.local_ids = rows.detach().clone().requires_grad_(True), ids
        return self.local_weights


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.heads, self.head_dim = cfg.num_heads, cfg.head_dim
        self.qkv_proj = Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.o_proj = Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x, cos, sin):
        b, s, _ = x.shape
        qkv = self.qkv_proj(x).view(b, s, 3 * self.heads, self.head_dim)
        q, k, v = qkv.split(self.heads, dim=2)  # rows Q, K, V
        if cos is not None:
            q = q * cos[:, None] + rotate_half(q) * sin[:, None]
            k = k * cos[:, None] + rotate_half(k) * sin[:, None]
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, heads, S, head_dim]
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim)  # non-causal, no mask
        out = scores.softmax(dim=-1) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))


class SwiGLU(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_up_proj = Linear(cfg.hidden_size, 2 * cfg.intermediate_size)
        self.down_proj = Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x):
        gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        return self.down_proj(F.silu(gate) * up)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.eps = cfg.rms_norm_eps
        self.self_attn = Attention(cfg)
        self.mlp = SwiGLU(cfg)

    def forward(self, h, cos, sin):  # post-norm
        h = rms_norm(h + self.self_attn(h, cos, sin), self.eps)
        return rms_norm(h + self.mlp(h), self.eps)


class ReasoningModule(nn.Module):
    def __init__(self, cfg, n_layers):
        super().__init__()
        self.layers = nn.ModuleList([Block(cfg) for _ in range(n_layers)])

    def forward(self, z, injection, cos, sin):
        z = z + injection  # injected once, before the first block
        for layer in self.layers:
            z = layer(z, cos, sin)
        return z


class HRMInner(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden_size
        self.embed_tokens = Embedding(cfg.vocab_size, h)
        self.lm_head = Linear(h, cfg.vocab_size)
        self.q_head = Linear(h, 2, bias=True)
        if cfg.puzzle_emb_ndim > 0:
            self.puzzle_emb = PuzzleEmbedding(cfg.num_puzzle_identifiers, cfg.puzzle_emb_ndim)
        if cfg.pos_encodings == "learned":
            self.embed_pos = Embedding(cfg.seq_len + cfg.puzzle_emb_len, h)
        elif cfg.pos_encodings != "rope":
            raise ValueError(f"pos_encodings {cfg.pos_encodings!r}")
        self.H_level = ReasoningModule(cfg, cfg.H_layers)
        self.L_level = ReasoningModule(cfg, cfg.L_layers)
        self.register_buffer("H_init", torch.randn(h))
        self.register_buffer("L_init", torch.randn(h))

    def input_embeddings(self, inputs, puzzle_identifiers):
        cfg = self.cfg
        x = self.embed_tokens(inputs)
        if cfg.puzzle_emb_ndim > 0:
            pe = self.puzzle_emb(puzzle_identifiers)
            pe = F.pad(pe, (0, cfg.puzzle_emb_len * cfg.hidden_size - cfg.puzzle_emb_ndim))
            x = torch.cat((pe.view(-1, cfg.puzzle_emb_len, cfg.hidden_size), x), dim=1)
        if cfg.pos_encodings == "learned":
            x = 0.707106781 * (x + self.embed_pos.embedding_weight)
        return math.sqrt(cfg.hidden_size) * x

    def reset_carry(self, reset, z_H, z_L):
        r = reset.view(-1, 1, 1)
        return torch.where(r, self.H_init, z_H), torch.where(r, self.L_init, z_L)

    def forward(self, z_H, z_L, inputs, puzzle_identifiers, gradient="one-step"):
        """One segment. Returns (z_H, z_L) detached, logits [B, seq_len, V], q_halt, q_continue."""
        cfg = self.cfg
        if cfg.pos_encodings == "rope":
            cos, sin = rope_tables(cfg, self.embed_tokens.embedding_weight.dtype)
        else:
            cos = sin = None
        x = self.input_embeddings(inputs, puzzle_identifiers)
        with torch.set_grad_enabled(torch.is_grad_enabled() and gradient == "bptt"):
            for h in range(cfg.H_cycles):
                for l in range(cfg.L_cycles):
                    if not (h == cfg.H_cycles - 1 and l == cfg.L_cycles - 1):
                        z_L = self.L_level(z_L, z_H + x, cos, sin)
                if h != cfg.H_cycles - 1:
                    z_H = self.H_level(z_H, z_L, cos, sin)
        # Only the last L and H calls carry gradients (the 1-step gradient).
        z_L = self.L_level(z_L, z_H + x, cos, sin)
        z_H = self.H_level(z_H, z_L, cos, sin)
        logits = self.lm_head(z_H)[:, cfg.puzzle_emb_len :]
        q = self.q_head(z_H[:, 0])
        q = q.to(torch.promote_types(q.dtype, torch.float32))  # float32 in the reference
        return z_H.detach(), z_L.detach(), logits, q[..., 0], q[..., 1]


class ACTCarry:
    def __init__(self, inner, batch):
        b, s, h = batch["inputs"].shape[0], inner.cfg.seq_len + inner.cfg.puzzle_emb_len, inner.cfg.hidden_size
        dtype = inner.embed_tokens.embedding_weight.dtype
        self.z_H = torch.zeros(b, s, h, dtype=dtype)
        self.z_L = torch.zeros(b, s, h, dtype=dtype)
        self.steps = torch.zeros(b, dtype=torch.int32)
        self.halted = torch.ones(b, dtype=torch.bool)  # every slot resets on the first call
        self.data = {k: torch.zeros_like(v) for k, v in batch.items()}


def act_step(inner, carry, batch, training, generator=None, gradient="one-step"):
    """One ACT call (spec 4): reset halted slots, swap their data, one segment, halting, targets."""
    cfg = inner.cfg
    inner.train(training)
    z_H, z_L = inner.reset_carry(carry.halted, carry.z_H, carry.z_L)
    steps = torch.where(carry.halted, torch.zeros_like(carry.steps), carry.steps)
    data = {k: torch.where(carry.halted.view((-1,) + (1,) * (v.dim() - 1)), batch[k], v) for k, v in carry.data.items()}
    z_H, z_L, logits, q_halt, q_continue = inner(z_H, z_L, data["inputs"], data["puzzle_identifiers"], gradient)
    out = {"logits": logits, "q_halt_logits": q_halt, "q_continue_logits": q_continue}
    with torch.no_grad():
        steps = steps + 1
        is_last = steps >= cfg.halt_max_steps
        halted = is_last
        if training and cfg.halt_max_steps > 1:
            halted = halted | (q_halt > q_continue)
            if cfg.halt_exploration_prob > 0:
                explore = torch.rand(q_halt.shape, generator=generator) < cfg.halt_exploration_prob
                min_halt = explore * torch.randint(2, cfg.halt_max_steps + 1, steps.shape, generator=generator)
                halted = halted & (steps >= min_halt)
            _, _, _, next_halt, next_continue = inner(z_H, z_L, data["inputs"], data["puzzle_identifiers"])
            out["target_q_continue"] = torch.sigmoid(torch.where(is_last, next_halt, torch.maximum(next_halt, next_continue)))
    new = ACTCarry.__new__(ACTCarry)
    new.z_H, new.z_L, new.steps, new.halted, new.data = z_H, z_L, steps, halted, data
    return new, out


def log_stablemax(x):
    s = torch.where(x < 0, 1 / (1 - x + 1e-30), x + 1)
    return torch.log(s / s.sum(dim=-1, keepdim=True))


def token_losses(loss_type, logits, labels):
    """Per-token cross entropy [B, seq], 0 where the label is ignored."""
    valid = labels != IGNORE_LABEL_ID
    safe = torch.where(valid, labels, torch.zeros_like(labels)).long()
    if loss_type == "stablemax_cross_entropy":
        logp = log_stablemax(logits.to(torch.float64))
        return -torch.where(valid, logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1), torch.zeros((), dtype=torch.float64))
    if loss_type == "softmax_cross_entropy":
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))  # float32 in the reference
        flat = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.long().reshape(-1), ignore_index=IGNORE_LABEL_ID, reduction="none")
        return flat.view(labels.shape)
    raise ValueError(f"loss_type {loss_type!r}")


def act_loss(loss_type, carry, out):
    """(total loss summed over slots, metrics) as the reference's ACT loss head (spec 5)."""
    labels, logits = carry.data["labels"], out["logits"]
    with torch.no_grad():
        mask = labels != IGNORE_LABEL_ID
        counts = mask.sum(-1)
        divisor = counts.clamp_min(1).unsqueeze(-1)
        correct = mask & (logits.argmax(-1) == labels)
        seq_correct = correct.sum(-1) == counts
        valid = carry.halted & (counts > 0)
        metrics = {
            "count": valid.sum(),
            "accuracy": torch.where(valid, (correct.to(torch.float64) / divisor).sum(-1), 0).sum(),
            "exact_accuracy": (valid & seq_correct).sum(),
            "q_halt_accuracy": (valid & ((out["q_halt_logits"] >= 0) == seq_correct)).sum(),
            "steps": torch.where(valid, carry.steps, 0).sum(),
        }
    lm_loss = (token_losses(loss_type, logits, labels) / divisor).sum()
    q_halt_loss = F.binary_cross_entropy_with_logits(out["q_halt_logits"], seq_correct.to(out["q_halt_logits"].dtype), reduction="sum")
    metrics.update(lm_loss=lm_loss.detach(), q_halt_loss=q_halt_loss.detach())
    q_continue_loss = 0
    if "target_q_continue" in out:
        q_continue_loss = F.binary_cross_entropy_with_logits(out["q_continue_logits"], out["target_q_continue"], reduction="sum")
        metrics["q_continue_loss"] = q_continue_loss.detach()
    return lm_loss + 0.5 * (q_halt_loss + q_continue_loss), {k: float(v) for k, v in metrics.items()}


def strip_prefix(state):
    """Official and project checkpoints: keys under one of PREFIXES (or none)."""
    for prefix in PREFIXES:
        if all(k.startswith(prefix) for k in state):
            return {k[len(prefix) :]: v for k, v in state.items()}, prefix
    return dict(state), ""


def load_model(cfg, state, dtype=torch.float32):
    """An HRMInner with the given {key: ndarray} weights (any official prefix), strictly matched."""
    inner = HRMInner(cfg)
    stripped, _ = strip_prefix(state)
    inner.load_state_dict({k: torch.from_numpy(v.astype("float64")) for k, v in stripped.items()}, strict=True)
    return inner.to(dtype)


def trace_segments(inner, batch, n):
    """n evaluation segments from the initial carry: [(logits, q_halt, q_continue)]."""
    carry, out = ACTCarry(inner, batch), []
    with torch.no_grad():
        for _ in range(n):
            carry, o = act_step(inner, carry, batch, training=False)
            out.append(o)
    return out


def warm_up(inner, batch, batches):
    """The carry after one training-mode segment per batch, without gradients or updates."""
    carry = ACTCarry(inner, batch)
    with torch.no_grad():
        for b in batches:
            carry, _ = act_step(inner, carry, b, training=True)
    return carry


def carry_state(carry):
    return {"steps": carry.steps.clone(), "halted": carry.halted.to(torch.int32)}


def trace_train(inner, batches, global_batch_size=None, gradient="one-step"):
    """Training-mode warm-up segments on batches[:-1] (no gradients, no updates), then one training
    segment on batches[-1]: (summed loss, metrics, {key: gradient of loss / B}, {name: tensor}
    with the segment's outputs and the carry going in and out)."""
    carry_in = warm_up(inner, batches[0], batches[:-1])
    inner.zero_grad(set_to_none=True)
    carry, out = act_step(inner, carry_in, batches[-1], training=True, gradient=gradient)
    loss, metrics = act_loss(inner.cfg.loss_type, carry, out)
    (loss / (global_batch_size or batches[-1]["inputs"].shape[0])).backward()
    grads = {k: p.grad for k, p in inner.named_parameters()}
    if inner.cfg.puzzle_emb_ndim > 0:
        grads["puzzle_emb.local_weights"] = inner.puzzle_emb.local_weights.grad
    traced = {k: v.detach() for k, v in out.items()}
    traced.update({f"carry_in.{k}": v for k, v in carry_state(carry_in).items()})
    traced.update({f"carry_out.{k}": v for k, v in carry_state(carry).items()})
    return float(loss), metrics, grads, traced


# Optimisers and schedule (spec section 6)


def cosine_schedule_lr(step, base_lr, warmup_steps, total_steps, min_ratio):
    """pretrain.py's warmup-cosine rate at optimiser step `step` (counted from 1)."""
    if step < warmup_steps:
        return base_lr * step / max(1, warmup_steps)
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return base_lr * (min_ratio + max(0.0, (1 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))))


class AdamATan2:
    """imoneoi/adam-atan2: decoupled decay, moments by lerp, atan2 instead of division, no epsilon."""

    def __init__(self, params, betas, weight_decay):
        self.params, self.betas, self.weight_decay, self.t = list(params), betas, weight_decay, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, lr):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            p.mul_(1 - lr * self.weight_decay)
            m.lerp_(p.grad, 1 - b1)
            v.lerp_(p.grad.square(), 1 - b2)
            denom = v.sqrt() / math.sqrt(1 - b2**self.t)
            p.add_(torch.atan2(m, denom), alpha=-lr / (1 - b1**self.t))


@torch.no_grad()
def sparse_sign_sgd(table, ids, row_grads, lr, weight_decay):
    """SignSGD on the touched rows only; gradients of repeated ids are summed first."""
    unique, inverse = torch.unique(ids.long(), return_inverse=True)
    summed = torch.zeros(unique.shape[0], table.shape[1], dtype=row_grads.dtype).index_add_(0, inverse, row_grads)
    table[unique] = table[unique] * (1 - lr * weight_decay) - lr * torch.sign(summed)


def train_steps(inner, batches, warmup, hyper, keep_weights=True):
    """`warmup` training-mode segments without updates, then one training step (segment, loss,
    backward of loss / B, SignSGD on the puzzle rows, AdamATan2) per remaining batch. Returns per
    step: lr, puzzle_emb_lr, loss, metrics (sums), carry and, with keep_weights, the weights
    {key: tensor} after the step."""
    carry = warm_up(inner, batches[0], batches[:warmup])
    adam = AdamATan2(inner.parameters(), (hyper["beta1"], hyper["beta2"]), hyper["weight_decay"])
    schedule = lambda step, base: cosine_schedule_lr(step, base, hyper["lr_warmup_steps"], hyper["steps"], hyper["lr_min_ratio"])  # noqa: E731
    out = []
    for step, batch in enumerate(batches[warmup:], start=1):
        lr, emb_lr = schedule(step, hyper["lr"]), schedule(step, hyper["puzzle_emb_lr"])
        inner.zero_grad(set_to_none=True)
        carry, o = act_step(inner, carry, batch, training=True)
        loss, metrics = act_loss(inner.cfg.loss_type, carry, o)
        (loss / batch["inputs"].shape[0]).backward()
        if inner.cfg.puzzle_emb_ndim > 0:
            pe = inner.puzzle_emb
            sparse_sign_sgd(pe.weights, pe.local_ids, pe.local_weights.grad, emb_lr, hyper["puzzle_emb_weight_decay"])
        adam.step(lr)
        record = {"lr": lr, "puzzle_emb_lr": emb_lr, "loss": float(loss), "metrics": metrics, "carry": carry_state(carry)}
        if keep_weights:
            record["weights"] = {k: v.detach().clone() for k, v in inner.state_dict().items()}
        out.append(record)
    return out
