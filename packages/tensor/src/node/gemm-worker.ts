/**
 * A gemm worker thread: waits for the main thread's next job on the shared control words,
 * claims row blocks of it until none are left, reports done. See cpu-threads.ts.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { computeBlocks, type PanelJob } from '../backends/cpu/gemm.js';
import { type InstantiatedKernel, instantiateKernel, type WasmGemmKernel, type WasmPanelJob } from '../backends/cpu/wasm/gemm-f32.js';
import { doneSlot, type F64Buffers, JobKind, Slot, spinWhile, type WorkerSetup } from './gemm-protocol.js';

const { control, thread, port } = workerData as WorkerSetup;
const words = new Int32Array(control);
let version = 0;
/** What the jobs run on, as last announced. */
const current: { f64: F64Buffers | null; wasm: InstantiatedKernel | null } = { f64: null, wasm: null };
let seen = Atomics.load(words, Slot.generation);
parentPort?.postMessage('ready');

/** Takes in the buffer and kernel announcements up to the announced version. */
function receiveUpTo(announced: number): void {
  while (version !== announced) {
    const received = receiveMessageOnPort(port);
    if (!received) throw new Error(`gemm worker ${thread}: buffers version ${announced} was announced but never sent`);
    const message = received.message as { version: number; f64?: F64Buffers; wasm?: WasmGemmKernel };
    version = message.version;
    if (message.f64) current.f64 = message.f64;
    // Instantiating the module on the shared memory takes a moment: once per kernel.
    if (message.wasm) current.wasm = instantiateKernel(message.wasm);
  }
}

const claim = () => Atomics.add(words, Slot.nextBlock, 1);

for (;;) {
  spinWhile(() => Atomics.load(words, Slot.generation) === seen);
  Atomics.wait(words, Slot.generation, seen);
  seen = Atomics.load(words, Slot.generation);
  if (Atomics.load(words, Slot.stop) !== 0) break;
  receiveUpTo(Atomics.load(words, Slot.buffersVersion));
  const shape = {
    m: words[Slot.m]!,
    nc: words[Slot.nc]!,
    kc: words[Slot.kc]!,
    ldc: words[Slot.ldc]!,
    cBase: words[Slot.cBase]!,
    blockRows: words[Slot.blockRows]!,
  };
  const { f64, wasm } = current;
  if (words[Slot.kind] === JobKind.wasm) {
    if (!wasm) throw new Error(`gemm worker ${thread}: a WebAssembly job came before its kernel`);
    const job: WasmPanelJob = {
      kind: 'wasm',
      kernel: wasm,
      layout: words[Slot.layout] === 1 ? 'rows' : 'packed',
      a: words[Slot.aBase]!,
      aPanel: words[Slot.aPanel]!,
      b: words[Slot.bBase]!,
      c: shape.cBase,
      rows: shape.m,
      cols: shape.nc,
      kc: shape.kc,
      ldc: shape.ldc,
      accumulate: words[Slot.accumulate]!,
      blockRows: shape.blockRows,
    };
    wasm.run(job, claim);
  } else {
    if (!f64) throw new Error(`gemm worker ${thread}: a job came before its buffers`);
    const job: PanelJob = { kind: 'f64', ...f64, ...shape };
    computeBlocks(job, claim);
  }
  Atomics.store(words, doneSlot(thread), seen);
  Atomics.notify(words, doneSlot(thread));
}
port.close();
