/**
 * The Deno side of test/deno.test.ts, bundled into one ESM file and run with
 * `deno run --unstable-webgpu --allow-read=DIR main.js CHECKPOINT TOKENS`: the ops of ops.ts on
 * the CPU backend (plain and WebAssembly SIMD kernels) and on Deno's WebGPU, and one HRM forward
 * (every segment) through HRMSession on the CPU and WebGPU. Prints one JSON line.
 */
import { cpuSimdEnabled, setBackend, probeAdapter } from '@hrm-webgpu/tensor';
import { HRMSession } from '@hrm-webgpu/hrm';
import { opOutputs } from './ops.js';

declare const Deno: { args: string[]; readFile(path: string): Promise<Uint8Array>; version: { deno: string } };

async function hrmForward(bytes: Uint8Array, tokens: number[], backend: 'cpu' | 'webgpu') {
  const session = await HRMSession.create(bytes, { backend });
  const segments = await session.solve(tokens);
  const adapter = session.adapter;
  session.dispose();
  return { adapter, segments: segments.map((s) => ({ prediction: Array.from(s.prediction), qHalt: s.qHaltLogit, qContinue: s.qContinueLogit })) };
}

const [checkpoint, tokenText] = Deno.args;
const bytes = await Deno.readFile(checkpoint!);
const tokens = tokenText!.split(',').map(Number);
const report: Record<string, unknown> = { deno: Deno.version.deno };

// The plain TypeScript kernels are the same code in both runtimes; the WebAssembly SIMD ones may
// round differently where the engine fuses multiply-adds.
await setBackend('cpu', { simd: false });
report.cpu = { ops: await opOutputs(), hrm: await hrmForward(bytes, tokens, 'cpu') };
await setBackend('cpu', { simd: true });
report.cpuSimd = { simd: cpuSimdEnabled(), ops: await opOutputs() };

const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
const probe = await probeAdapter(gpu);
if (!probe) report.webgpu = { unavailable: 'no WebGPU adapter (navigator.gpu missing or no adapter)' };
else {
  // Timing the matmul variants takes a minute under wgpu on lavapipe; a fixed choice is as correct.
  await setBackend('webgpu', { gpu, tuneMatmul: false });
  report.webgpu = { adapter: probe.description, ops: await opOutputs(), hrm: await hrmForward(bytes, tokens, 'webgpu') };
}
console.log(JSON.stringify(report));
