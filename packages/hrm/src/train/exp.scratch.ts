import { setBackend } from '@hrm-webgpu/tensor';
import { demoSudoku4x4Config } from '../config.js';
import { HRM } from '../model/hrm.js';
import { generateDemoData } from '../commands/demo-data.js';
import { Trainer } from './trainer.js';
import { evaluateDataset } from './evaluate.js';
await setBackend('cpu');
const a = Object.fromEntries(process.argv.slice(2).map((s) => s.split('=')).map(([k, v]) => [k, Number(v)]));
const o = { batch: 32, hidden: 32, lr: 1e-3, steps: 500, H: 2, L: 2, halt: 4, warmup: 50, wd: 0.1, every: 100, train: 3000, heads: 2, exp: 2, minr: 1, ...a };
console.log(JSON.stringify(o));
const t0 = performance.now();
const data = generateDemoData({ trainPuzzles: o.train, testPuzzles: 200, augmentations: 0, seed: 1 });
const arch = demoSudoku4x4Config({ hidden_size: o.hidden, num_heads: o.heads, expansion: o.exp, puzzle_emb_ndim: o.hidden, halt_max_steps: o.halt, H_cycles: o.H, L_cycles: o.L, batch_size: o.batch });
const model = new HRM(arch, { seed: 0 });
const trainer = Trainer.start(model, data.train, { global_batch_size: o.batch, steps: o.steps, lr: o.lr, lr_min_ratio: o.minr, lr_warmup_steps: o.warmup, weight_decay: o.wd, beta1: 0.9, beta2: 0.95, puzzle_emb_lr: o.lr, puzzle_emb_weight_decay: o.wd, seed: 0, eval_every: 0 });
let acc = 0, ex = 0, n = 0, loss = 0;
while (!trainer.done) {
  const r = await trainer.next();
  loss += r.loss!; acc += r.accuracy; ex += r.exact_accuracy; n++;
  if (trainer.step % o.every === 0) {
    const t1 = performance.now();
    const e = await evaluateDataset(model, data.test, { batchSize: 200 });
    console.log(`step ${trainer.step} t=${((t1 - t0) / 1000).toFixed(0)}s loss ${(loss / n).toFixed(3)} train acc ${(acc / n).toFixed(3)} exact ${(ex / n).toFixed(3)} | test acc ${e.metrics.accuracy.toFixed(3)} exact ${e.metrics.exact_accuracy.toFixed(3)} (eval ${((performance.now() - t1) / 1000).toFixed(1)}s)`);
    acc = ex = n = loss = 0;
  }
}
