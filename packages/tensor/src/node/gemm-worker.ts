/**
 * A gemm worker thread: waits for the main thread's next job on the shared control words,
 * claims row blocks of it until none are left, reports done. See cpu-threads.ts.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { computeBlocks } from '../backends/cpu/gemm.js';
import { type BuffersMessage, Slot, spinWhile, type WorkerSetup } from './gemm-protocol.js';

const { control, thread, port } = workerData as WorkerSetup;
const words = new Int32Array(control);
let buffers: BuffersMessage | null = null;
let seen = Atomics.load(words, Slot.generation);
parentPort?.postMessage('ready');

for (;;) {
  spinWhile(() => Atomics.load(words, Slot.generation) === seen);
  Atomics.wait(words, Slot.generation, seen);
  seen = Atomics.load(words, Slot.generation);
  if (Atomics.load(words, Slot.stop) !== 0) break;
  const version = Atomics.load(words, Slot.buffersVersion);
  while (buffers?.version !== version) {
    const received = receiveMessageOnPort(port);
    if (!received) throw new Error(`gemm worker ${thread}: buffers version ${version} was announced but never sent`);
    buffers = received.message as BuffersMessage;
  }
  const job = {
    aPack: buffers.aPack,
    bPack: buffers.bPack,
    c: buffers.c,
    cBase: words[Slot.cBase]!,
    ldc: words[Slot.ldc]!,
    m: words[Slot.m]!,
    nc: words[Slot.nc]!,
    kc: words[Slot.kc]!,
    blockRows: words[Slot.blockRows]!,
  };
  computeBlocks(job, () => Atomics.add(words, Slot.nextBlock, 1));
  if (Atomics.sub(words, Slot.pending, 1) === 1) Atomics.notify(words, Slot.pending);
}
port.close();
