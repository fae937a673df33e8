/**
 * A subset of the engine's ops on fixed-seed inputs, run on whichever backend is active: the same
 * module runs in Node (the reference outputs) and, bundled, under Deno on both backends.
 */
import { embedding, matmul, nn, randn, sum, tensor, tidy, type Tensor } from '@hrm-webgpu/tensor';

const checks: Record<string, () => Tensor[]> = {
  // Sizes off every tile.
  matmul: () => [matmul(randn([2, 37, 19], { seed: 1 }), randn([2, 19, 45], { seed: 2 }))],
  softmax: () => [nn.softmax(randn([13, 77], { seed: 3 }))],
  rmsNorm: () => [nn.rmsNorm(randn([9, 64], { seed: 4 }), 1e-5)],
  attention: () => {
    const [q, k, v] = [5, 6, 7].map((seed) => randn([2, 3, 17, 8], { seed }));
    return [nn.attention(q!, k!, v!)];
  },
  embeddingSum: () => {
    const table = randn([11, 24], { seed: 8 });
    const ids = tensor(
      [
        [3, 0, 10, 7],
        [1, 1, 2, 9],
      ],
      { dtype: 'i32' },
    );
    return [sum(embedding(table, ids), 1)];
  },
};

export const OP_NAMES = Object.keys(checks);

/** Every check's outputs, flattened to plain numbers. */
export async function opOutputs(): Promise<Record<string, number[][]>> {
  const out: Record<string, number[][]> = {};
  for (const [name, check] of Object.entries(checks)) {
    const tensors = tidy(() => check().map((t) => t.keep()));
    out[name] = await Promise.all(tensors.map(async (t) => Array.from((await t.data()) as ArrayLike<number>)));
    for (const t of tensors) t.dispose();
  }
  return out;
}
