/**
 * Adam-family optimisers over dense parameters, each step one fused backend update per tensor.
 * AdamATan2 is the HRM reference optimiser (spec section 6): decoupled weight decay first, then
 * p -= lr/(1-b1^t) * atan2(m, sqrt(v)/sqrt(1-b2^t)), with no epsilon. AdamW is the usual one.
 */
import type { AdamHyper, Backend, Storage } from '../backend.js';
import { zerosLike } from '../ops/creation.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { refuseDisposed } from './disposed.js';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  weightDecay?: number;
}

/** Optimiser state as tensors (for checkpoints): one first and one second moment per parameter. */
export interface AdamState {
  step: number;
  m: Tensor[];
  v: Tensor[];
}

abstract class AdamBase {
  lr: number;
  readonly betas: [number, number];
  readonly weightDecay: number;
  /** Number of step() calls made so far (the bias-correction step t is stepCount after a step). */
  stepCount = 0;
  private readonly m: Tensor[];
  private readonly v: Tensor[];

  constructor(
    readonly params: readonly Tensor[],
    opts: AdamOptions,
    defaultBetas: [number, number],
  ) {
    for (const p of params) if (!p.requiresGrad) throw new Error(`optimizer: parameter ${p} does not require gradients.`);
    this.lr = opts.lr;
    this.betas = opts.betas ?? defaultBetas;
    this.weightDecay = opts.weightDecay ?? 0;
    this.m = params.map((p) => zerosLike(p).keep());
    this.v = params.map((p) => zerosLike(p).keep());
  }

  protected abstract update(backend: Backend, p: Storage, g: Storage, m: Storage, v: Storage, h: AdamHyper): void;

  /** Applies one update to every parameter that has a gradient; a disposed parameter is an error. */
  step(): void {
    this.params.forEach((p, i) => refuseDisposed(`${this.constructor.name}.step`, `parameter ${i}`, p));
    this.stepCount++;
    const h: AdamHyper = { lr: this.lr, weightDecay: this.weightDecay, beta1: this.betas[0], beta2: this.betas[1], step: this.stepCount };
    this.params.forEach((p, i) => {
      if (p.grad) this.update(p.backend, p.storage, p.grad.storage, this.m[i]!.storage, this.v[i]!.storage, h);
    });
  }

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The live state tensors (not copies): read them, don't dispose them. */
  stateDict(): AdamState {
    return { step: this.stepCount, m: [...this.m], v: [...this.v] };
  }

  /** Copies saved moments into this optimiser (shapes must match the parameters). */
  loadStateDict(state: AdamState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new Error(`optimizer: state has ${state.m.length} moments for ${this.params.length} parameters.`);
    }
    this.params.forEach((p, i) => {
      for (const [name, saved, own] of [
        ['m', state.m[i]!, this.m[i]!],
        ['v', state.v[i]!, this.v[i]!],
      ] as const) {
        if (!sameShape(saved.shape, p.shape)) throw new Error(`optimizer: moment ${name}[${i}] is [${saved.shape}], parameter is [${p.shape}].`);
        own.assign(saved);
      }
    });
    this.stepCount = state.step;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

export class AdamATan2 extends AdamBase {
  constructor(params: readonly Tensor[], opts: AdamOptions) {
    super(params, opts, [0.9, 0.95]);
  }
  protected update(backend: Backend, p: Storage, g: Storage, m: Storage, v: Storage, h: AdamHyper): void {
    backend.adamATan2Update(p, g, m, v, h);
  }
}

export class AdamW extends AdamBase {
  readonly eps: number;
  constructor(params: readonly Tensor[], opts: AdamOptions & { eps?: number }) {
    super(params, opts, [0.9, 0.999]);
    this.eps = opts.eps ?? 1e-8;
  }
  protected update(backend: Backend, p: Storage, g: Storage, m: Storage, v: Storage, h: AdamHyper): void {
    backend.adamWUpdate(p, g, m, v, { ...h, eps: this.eps });
  }
}
