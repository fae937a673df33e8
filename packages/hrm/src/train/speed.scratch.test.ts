import { setBackend } from '@hrm-webgpu/tensor';
import { it } from 'vitest';
import { demoSudoku4x4Config } from '../config.js';
import { HRM } from '../model/hrm.js';
import { generateDemoData } from '../commands/demo-data.js';
import { Trainer } from './trainer.js';
import { evaluateDataset } from './evaluate.js';

it('speed', async () => {
  await setBackend('cpu');
  let t = performance.now();
  const data = generateDemoData({ trainPuzzles: 3000, testPuzzles: 500, augmentations: 0, seed: 1 });
  console.log('gen', performance.now() - t);
  for (const [hidden, batch] of [[64, 64], [64, 128], [128, 64]] as const) {
    const arch = demoSudoku4x4Config({ hidden_size: hidden, num_heads: 2, expansion: 2, puzzle_emb_ndim: hidden, halt_max_steps: 4, batch_size: batch });
    const model = new HRM(arch, { seed: 0 });
    const trainer = Trainer.start(model, data.train, { global_batch_size: batch, steps: 1000, lr: 1e-3, lr_min_ratio: 1, lr_warmup_steps: 10, weight_decay: 0.1, beta1: 0.9, beta2: 0.95, puzzle_emb_lr: 1e-3, puzzle_emb_weight_decay: 0.1, seed: 0, eval_every: 0 });
    await trainer.next();
    t = performance.now();
    for (let i = 0; i < 10; i++) await trainer.next();
    const per = (performance.now() - t) / 10;
    t = performance.now();
    await evaluateDataset(model, data.test, { batchSize: 250 });
    console.log(`hidden ${hidden} batch ${batch}: ${per.toFixed(1)} ms/step; eval 500: ${(performance.now() - t).toFixed(0)} ms`);
  }
}, 600000);
