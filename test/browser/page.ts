/**
 * The in-browser half of the browser test. Bundled for the browser and loaded by a test page, it
 * exposes `runBrowserChecks()`, which runs each check below once on the CPU backend and once on
 * WebGPU (navigator.gpu) and hands both sets of outputs back to the test, which compares them.
 * It imports only the package's public entry, as a web application would.
 */
import { AdamATan2, matmul, memory, mul, nn, randn, relu, setBackend, sum, tensor, tidy, type BackendName, type Tensor } from '@hrm-webgpu/tensor';

export interface BackendRun {
  /** Every output of the check, flattened. */
  outputs: number[][];
  ms: number;
}

export interface CheckResult {
  name: string;
  cpu: BackendRun;
  /** Absent when WebGPU threw; `error` says why. */
  webgpu?: BackendRun;
  error?: string;
}

export type BrowserReport =
  | { available: false; reason: string; userAgent: string }
  | { available: true; adapter: string; userAgent: string; checks: CheckResult[]; liveTensorsAfter: number };

/** A check builds its inputs from fixed seeds and returns the tensors to read back. */
type Check = () => Tensor[];

const randnGrad = (shape: number[], seed: number) => randn(shape, { seed, requiresGrad: true });

/** Reverse pass of sum(y * w) for a fixed random w, so every gradient element is exercised. */
function backwardThrough(y: Tensor, seed: number): void {
  sum(mul(y, randn([...y.shape], { seed }))).backward();
}

/** A leaf's gradient as a tensor that outlives the leaf (disposing a leaf disposes its grad). */
const gradOf = (leaf: Tensor): Tensor => leaf.grad!.detach();

const checks: Record<string, Check> = {
  matmul: () => {
    // Sizes that are not multiples of any tile, batched, with both gradients.
    const a = randnGrad([2, 33, 65], 1);
    const b = randnGrad([2, 65, 17], 2);
    const y = matmul(a, b);
    backwardThrough(y, 3);
    return [y, gradOf(a), gradOf(b)];
  },
  softmax: () => {
    const x = randnGrad([7, 50], 4);
    const y = nn.softmax(x);
    backwardThrough(y, 5);
    return [y, gradOf(x)];
  },
  rmsNorm: () => {
    const x = randnGrad([5, 64], 6);
    const y = nn.rmsNorm(x);
    backwardThrough(y, 7);
    return [y, gradOf(x)];
  },
  attention: () => {
    const [q, k, v] = [8, 9, 10].map((seed) => randnGrad([2, 3, 9, 8], seed)) as [Tensor, Tensor, Tensor];
    const o = nn.attention(q, k, v);
    backwardThrough(o, 11);
    return [o, gradOf(q), gradOf(k), gradOf(v)];
  },
  mlpTraining: () => {
    // A two-layer MLP, five AdamATan2 steps; the losses and the trained weights are compared.
    const x = randn([16, 6], { seed: 12 });
    const labels = tensor(
      Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 3),
      { shape: [16] },
    );
    const w1 = randn([24, 6], { seed: 13, std: 0.4, requiresGrad: true });
    const w2 = randn([3, 24], { seed: 14, std: 0.2, requiresGrad: true });
    const opt = new AdamATan2([w1, w2], { lr: 0.01, weightDecay: 0.1 });
    const losses = Array.from({ length: 5 }, () =>
      tidy(() => {
        const loss = nn.crossEntropy(nn.linear(relu(nn.linear(x, w1)), w2), labels);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        return loss;
      }),
    );
    opt.dispose();
    return [...losses, w1, w2];
  },
};

async function run(backend: BackendName, check: Check): Promise<BackendRun> {
  await setBackend(backend);
  const start = performance.now();
  const tensors = tidy(check);
  const outputs = await Promise.all(tensors.map(async (t) => Array.from(await t.data())));
  const ms = performance.now() - start;
  for (const t of tensors) t.dispose();
  return { outputs, ms };
}

async function runBrowserChecks(): Promise<BrowserReport> {
  const userAgent = navigator.userAgent;
  let adapter: string;
  try {
    const backend = await setBackend('webgpu');
    adapter = (backend as { description?: string }).description ?? 'unknown adapter';
  } catch (error) {
    return { available: false, reason: (error as Error).message, userAgent };
  }
  const results: CheckResult[] = [];
  for (const [name, check] of Object.entries(checks)) {
    const cpu = await run('cpu', check);
    try {
      results.push({ name, cpu, webgpu: await run('webgpu', check) });
    } catch (error) {
      results.push({ name, cpu, error: (error as Error).message });
    }
  }
  return { available: true, adapter, userAgent, checks: results, liveTensorsAfter: memory().tensors };
}

(globalThis as { runBrowserChecks?: typeof runBrowserChecks }).runBrowserChecks = runBrowserChecks;
