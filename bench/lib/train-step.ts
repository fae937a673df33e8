/**
 * What the training-step benchmarks share: a random batch, and a model with its optimisers and
 * ACT carry trained step by step on it (AdamATan2 and SignSGD at the reference's settings).
 */
import { AdamATan2, Rng, SignSGD } from '@hrm-webgpu/tensor';
import { HRM, type HRMConfig, disposeCarry, initialCarry, trainStep } from '@hrm-webgpu/hrm';

export type PuzzleBatch = Parameters<typeof trainStep>[3];

/** A batch of random tokens (labels too) for `config`, from `seed`. */
export function randomBatch(config: HRMConfig, seed: number): PuzzleBatch {
  const rng = new Rng(seed);
  const n = config.batch_size * config.seq_len;
  const tokens = () => Int32Array.from({ length: n }, () => rng.int(1, config.vocab_size - 1));
  return { size: config.batch_size, seqLen: config.seq_len, inputs: tokens(), labels: tokens(), puzzleIdentifiers: new Int32Array(config.batch_size) };
}

/** Runs `use` with a function that takes one training step (the carry kept between steps); frees everything after. */
export async function withTrainer<T>(config: HRMConfig, use: (step: () => Promise<void>) => Promise<T>): Promise<T> {
  const model = new HRM(config, { seed: 0 });
  const optimizers = {
    optimizer: new AdamATan2(model.trainableParameters(), { lr: 1e-4, betas: [0.9, 0.95], weightDecay: 1 }),
    sparse: new SignSGD({ lr: 1e-4, weightDecay: 1 }),
  };
  const batch = randomBatch(config, 1);
  const rng = new Rng(2);
  let carry = initialCarry(model, config.batch_size);
  try {
    return await use(async () => {
      carry = (await trainStep(model, optimizers, carry, batch, { lr: 1e-4, puzzleEmbLr: 1e-4, rng })).carry;
    });
  } finally {
    disposeCarry(carry);
    optimizers.optimizer.dispose();
    model.dispose();
  }
}
