/**
 * The published API works from a plain Node script importing the built packages (npm test
 * builds first), not only through the test runner's source aliases.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const script = `
import { tensor, nn, tidy, memory, AdamATan2, matmul, sum, setBackend } from '@hrm-webgpu/tensor';
import { initBackend } from '@hrm-webgpu/tensor/node';
await setBackend('cpu');
const w = tensor([[0.5, -0.5], [0.25, 1]], { requiresGrad: true });
const opt = new AdamATan2([w], { lr: 0.01 });
const x = tensor([[1, 2], [3, 4]]);
const labels = tensor(new Int32Array([0, 1]), { shape: [2] });
const losses = [];
for (let i = 0; i < 20; i++) {
  losses.push(await tidy(() => {
    const loss = nn.crossEntropy(matmul(x, w), labels);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    return loss;
  }).item());
}
console.log(JSON.stringify({ first: losses[0], last: losses.at(-1), tensors: memory().tensors, backend: typeof initBackend }));
`;

// The CPU backend's gemm workers as the build ships them (dist/gemm-worker.js beside dist/node.js).
const threadsScript = `
import { randn, matmul } from '@hrm-webgpu/tensor';
import { initBackend, cpuThreadCount, stopCpuThreads } from '@hrm-webgpu/tensor/node';
await initBackend('cpu');
const threads = cpuThreadCount();
const a = randn([300, 200], { seed: 1 });
const b = randn([200, 100], { seed: 2 });
const threaded = await matmul(a, b).data();
await stopCpuThreads();
const single = await matmul(a, b).data();
console.log(JSON.stringify({ threads, identical: threaded.every((v, i) => Object.is(v, single[i])), finite: threaded.every(Number.isFinite) }));
`;

describe('built packages', () => {
  it('train a model from a plain Node script', () => {
    expect(existsSync('packages/tensor/dist/index.js'), 'run `npm run build` first').toBe(true);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.last).toBeLessThan(result.first);
    expect(result.backend).toBe('function');
  });

  it('run the CPU backend products on worker threads, with the same results as one thread', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', threadsScript], {
      encoding: 'utf8',
      env: { ...process.env, HRM_CPU_THREADS: '2' },
    });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ threads: 2, identical: true, finite: true });
  });
});
