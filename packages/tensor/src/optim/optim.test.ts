import { describe, expect, it } from 'vitest';
import { setBackend } from '../backends.js';
import { tensor, zeros } from '../ops/creation.js';
import { AdamATan2, AdamW } from './adam.js';
import { SignSGD } from './sign-sgd.js';

await setBackend('cpu');

describe('optimisers refuse disposed tensors', () => {
  for (const Optimizer of [AdamATan2, AdamW]) {
    it(`${Optimizer.name}.step throws on a disposed parameter instead of skipping it`, () => {
      const kept = tensor([1, 2], { requiresGrad: true });
      const freed = tensor([[1, 2, 3]], { requiresGrad: true });
      const opt = new Optimizer([kept, freed], { lr: 0.1 });
      kept.grad = tensor([1, 1]).keep();
      freed.dispose();
      expect(() => opt.step()).toThrow(`${Optimizer.name}.step: parameter 1 [1, 3] was disposed`);
      expect(opt.stepCount).toBe(0);
    });
  }

  it('SignSGD.stepRows throws on a disposed table', () => {
    const table = tensor([
      [1, 1],
      [2, 2],
    ]);
    table.dispose();
    expect(() => new SignSGD({ lr: 0.5 }).stepRows(table, tensor(new Int32Array([0])), tensor([[1, 1]]))).toThrow(
      'SignSGD.stepRows: the table [2, 2] was disposed',
    );
  });
});

describe('tensor creation', () => {
  it('refuses shapes too large for one tensor with a size error', () => {
    expect(() => zeros([1e6, 1e6])).toThrow(/full: shape \[1000000, 1000000\] holds 1\.000e\+12 elements; a tensor holds at most/);
  });
});
