/**
 * Checks a training state read from a file before a trainer resumes from it: every field present
 * with the right type and range, every tensor with the shape and dtype the model and batch need,
 * every float finite. Errors name the file and the field.
 */
import { Rng, Tensor } from '@hrm-webgpu/tensor';
import { modelSeqLen } from '../config.js';
import type { HRM } from '../model/hrm.js';
import { describeValue } from '../schema.js';
import type { TrainerSnapshot } from './trainer.js';

/** The index of the first NaN or infinity in `data`, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

export interface SnapshotExpectations {
  step: number;
  model: HRM;
  batchSize: number;
}

const MAX_COUNT = 2 ** 40;

/** Validates `value` (a decoded training state) as the snapshot of step `expect.step`; returns it typed. */
export async function checkSnapshot(value: unknown, expect: SnapshotExpectations, source: string): Promise<TrainerSnapshot> {
  const fail = (field: string, what: string, found: unknown) =>
    new Error(`${source}: training state field "${field}" must be ${what}, found ${found instanceof Tensor ? 'a tensor' : describeValue(found)}.`);
  const object = (v: unknown, field: string): Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Tensor) throw fail(field, 'an object', v);
    return v as Record<string, unknown>;
  };
  const count = (v: unknown, field: string, min = 0, max = MAX_COUNT): number => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) throw fail(field, `an integer in [${min}, ${max}]`, v);
    return v;
  };
  const rngState = (v: unknown, field: string): number[] => {
    if (!Array.isArray(v)) throw fail(field, 'four 32-bit integers', v);
    try {
      Rng.fromState(v as number[]);
    } catch (e) {
      throw new Error(`${source}: training state field "${field}": ${(e as Error).message}`);
    }
    return v as number[];
  };
  const tensorOf = async (v: unknown, field: string, dtype: Tensor['dtype'], shape: number[], range?: [number, number]): Promise<Tensor> => {
    const want = `a ${dtype} tensor [${shape.join(', ')}]`;
    if (!(v instanceof Tensor)) throw fail(field, want, v);
    if (v.dtype !== dtype || v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${source}: training state field "${field}" must be ${want}, found a ${v.dtype} tensor [${v.shape.join(', ')}].`);
    }
    const data = (await v.data()) as ArrayLike<number>;
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new Error(`${source}: training state field "${field}" holds ${data[bad]} at index ${bad}; a training state must be finite.`);
    if (range) {
      for (let i = 0; i < data.length; i++) {
        if (data[i]! < range[0] || data[i]! > range[1]) {
          throw new Error(`${source}: training state field "${field}" holds ${data[i]} at index ${i}, outside [${range[0]}, ${range[1]}].`);
        }
      }
    }
    return v;
  };

  const { model, batchSize: B } = expect;
  const c = model.config;
  const s = object(value, 'snapshot');
  if (s.step !== expect.step) throw fail('step', `${expect.step} (the checkpoint's step)`, s.step);
  rngState(s.actRng, 'actRng');
  if (s.data !== undefined) {
    const d = object(s.data, 'data');
    count(d.epoch, 'data.epoch');
    count(d.cursor, 'data.cursor');
    if (!(typeof d.seed === 'number' && Number.isSafeInteger(d.seed))) throw fail('data.seed', 'an integer', d.seed);
    rngState(d.rng, 'data.rng');
  }
  if (s.skipped !== undefined) count(s.skipped, 'skipped', 0, expect.step);
  const opt = object(s.optimizer, 'optimizer');
  count(opt.step, 'optimizer.step', 0, expect.step);
  const params = model.trainableParameters();
  for (const name of ['m', 'v'] as const) {
    const moments = opt[name];
    if (!Array.isArray(moments) || moments.length !== params.length) throw fail(`optimizer.${name}`, `a list of ${params.length} tensors`, moments);
    for (const [i, p] of params.entries()) await tensorOf(moments[i], `optimizer.${name}.${i}`, p.dtype, [...p.shape]);
  }
  const carry = object(s.carry, 'carry');
  if (carry.batchSize !== B) throw fail('carry.batchSize', `${B} (global_batch_size)`, carry.batchSize);
  const state = [B, modelSeqLen(c), c.hidden_size];
  await tensorOf(carry.zH, 'carry.zH', model.dtype, state);
  await tensorOf(carry.zL, 'carry.zL', model.dtype, state);
  await tensorOf(carry.steps, 'carry.steps', 'i32', [B], [0, c.halt_max_steps]);
  await tensorOf(carry.halted, 'carry.halted', 'bool', [B]);
  await tensorOf(carry.inputs, 'carry.inputs', 'i32', [B, c.seq_len], [0, c.vocab_size - 1]);
  await tensorOf(carry.labels, 'carry.labels', 'i32', [B, c.seq_len], [-100, c.vocab_size - 1]);
  await tensorOf(carry.puzzleIdentifiers, 'carry.puzzleIdentifiers', 'i32', [B], [0, c.num_puzzle_identifiers - 1]);
  return value as TrainerSnapshot;
}
