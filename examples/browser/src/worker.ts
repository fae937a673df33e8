/** Inference off the page's thread: one HRMSession, driven by messages (see protocol.ts). */
import { HRMSession, sudokuBoardFromTokens, sudokuTokens } from '@hrm-webgpu/hrm';
import type { FromWorker, ToWorker } from './protocol.js';

let session: HRMSession | undefined;
const post = (message: FromWorker) => (self as unknown as Worker).postMessage(message);

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'load') {
    session?.dispose();
    session = undefined;
    session = await HRMSession.create(message.source, {
      backend: message.backend,
      name: message.name,
      ...(message.configYaml !== undefined ? { configYaml: message.configYaml } : {}),
      onProgress: (progress) => post({ type: 'progress', progress }),
    });
    const { config } = session;
    post({
      type: 'loaded',
      info: {
        backend: session.backend,
        adapter: session.adapter,
        seqLen: config.seq_len,
        haltMaxSteps: config.halt_max_steps,
        parameters: `hidden ${config.hidden_size}, ${config.H_layers}+${config.L_layers} layers, ${config.H_cycles}x${config.L_cycles} cycles, ${config.pos_encodings} positions`,
      },
    });
    return;
  }
  if (!session) throw new Error('load a checkpoint first');
  const start = performance.now();
  await session.solve(sudokuTokens(Int32Array.from(message.board)), {
    onSegment: (s) =>
      post({
        type: 'segment',
        segment: {
          segment: s.segment,
          board: Array.from(sudokuBoardFromTokens(s.prediction)),
          haltProbability: s.haltProbability,
          qHaltLogit: s.qHaltLogit,
          qContinueLogit: s.qContinueLogit,
          wouldHalt: s.wouldHalt,
        },
      }),
  });
  post({ type: 'solved', ms: performance.now() - start });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  handle(event.data).catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
};
