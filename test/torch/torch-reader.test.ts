/**
 * The `torch.save` reader against files PyTorch wrote (zip and legacy formats, every storage
 * type a checkpoint uses, strided views), hostile pickles (refused by name, nothing runs), and
 * random mutations of a valid file (a load or a clear error, never a crash of another kind).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { PickleError, SafetensorsError, TorchFileError, parseStateDictFile, parseTorchStateDict } from '@hrm-webgpu/tensor';
import { runTorchScript, runTorchTests, tempDir, warnIfSkipped } from './python.js';

warnIfSkipped('torch.save reader tests against PyTorch-written files');

const ENGINE_DTYPE: Record<string, string> = {
  float32: 'f32',
  bfloat16: 'f32',
  float16: 'f32',
  float64: 'f64',
  int64: 'i32',
  int32: 'i32',
  uint8: 'i32',
  bool: 'i32',
};

/** A pickle assembled from opcode text and bytes. */
const pickle = (...parts: (string | number[])[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...strToU8(p, true)] : p)));
/** A torch zip archive holding `data.pkl` (and any storages). */
const archive = (pkl: Uint8Array, extra: Record<string, Uint8Array> = {}) => zipSync({ 'archive/data.pkl': pkl, ...extra }, { level: 0 });

describe('hostile pickles', () => {
  const refused: [string, Uint8Array, RegExp][] = [
    ['GLOBAL os.system + REDUCE', pickle('\x80\x02cos\nsystem\nq\x00X', [5, 0, 0, 0], 'touchq\x01\x85q\x02Rq\x03.'), /refused global os\.system/],
    ['GLOBAL posix.system', pickle('cposix\nsystem\n(S"id"\ntR.'), /refused global posix\.system/],
    ['GLOBAL builtins.eval', pickle('\x80\x02cbuiltins\neval\nX', [4, 0, 0, 0], '1+1\x85R.'), /refused global builtins\.eval/],
    ['STACK_GLOBAL subprocess.Popen', pickle('\x80\x04\x8c\x0asubprocess\x94\x8c\x05Popen\x94\x93\x94.'), /refused global subprocess\.Popen/],
    ['torch global outside the list', pickle('\x80\x02ctorch\nload\n.'), /refused global torch\.load/],
    ['INST', pickle('(ios\nsystem\n.'), /refused pickle opcode INST/],
    ['NEWOBJ', pickle('\x80\x02)\x81.'), /refused pickle opcode NEWOBJ/],
    ['EXT1', pickle('\x80\x02\x82\x01.'), /refused pickle opcode EXT1/],
    ['unknown opcode', pickle('\x80\x02\xff.'), /unknown pickle opcode 0xff/],
    ['REDUCE on a non-callable', pickle('\x80\x02K\x01)R.'), /REDUCE on number 1, which is not an allowed callable/],
    ['BUILD on a plain value', pickle('\x80\x02K\x01}b.'), /BUILD on number 1, which accepts no state/],
    ['truncated string', pickle('\x80\x02X', [100, 0, 0, 0], 'ab'), /truncated/],
  ];
  for (const [name, bytes, message] of refused) {
    it(`refuses ${name}, inside a torch archive too`, () => {
      expect(() => parseTorchStateDict(archive(bytes), 'evil.pt')).toThrow(message);
      expect(() => parseTorchStateDict(archive(bytes), 'evil.pt')).toThrow(PickleError);
    });
  }

  it('refuses a pickle that is not a dict of tensors, naming what it holds', () => {
    expect(() => parseTorchStateDict(archive(pickle('\x80\x02]q\x00.')), 'x.pt')).toThrow('x.pt: the pickled object is a list of 0, not a state dict');
    expect(() => parseTorchStateDict(archive(pickle('\x80\x02}X', [1, 0, 0, 0], 'aK\x05s.')), 'x.pt')).toThrow(
      "state dict entry 'a' is number 5, not a tensor",
    );
  });

  it('refuses archives without one data.pkl, and non-torch bytes', () => {
    expect(() => parseTorchStateDict(zipSync({ 'a/other': new Uint8Array(1) }), 'x.pt')).toThrow('expected one <folder>/data.pkl in the archive, found none');
    expect(() => parseTorchStateDict(new Uint8Array([1, 2, 3]), 'x.pt')).toThrow(TorchFileError);
  });

  it.skipIf(!runTorchTests)('refuses a torch.save file whose unpickling would run a command, and nothing runs', () => {
    const dir = tempDir('hrm-torch-hostile-');
    const marker = join(dir, 'ran');
    runTorchScript('hostile.py', [join(dir, 'evil.pt'), marker]);
    const bytes = readFileSync(join(dir, 'evil.pt'));
    expect(() => parseStateDictFile(bytes, 'evil.pt')).toThrow(/refused global (posix|os)\.system: loading a checkpoint never imports or runs code/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe.skipIf(!runTorchTests)('files written by torch.save', () => {
  const dir = tempDir('hrm-torch-files-');
  if (runTorchTests) runTorchScript('write_state_dicts.py', [dir]);
  const expected = runTorchTests
    ? (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { dtype: string; shape: number[]; values: number[] }>)
    : {};

  for (const format of ['zip', 'legacy']) {
    it(`reads every tensor of the ${format} format exactly (bf16/f16 widened, views gathered)`, () => {
      const map = parseStateDictFile(readFileSync(join(dir, `${format}.pt`)), `${format}.pt`);
      expect([...map.keys()]).toEqual(Object.keys(expected));
      for (const [name, want] of Object.entries(expected)) {
        const got = map.get(name)!;
        expect(got.shape, name).toEqual(want.shape);
        expect(got.dtype, name).toBe(ENGINE_DTYPE[want.dtype]);
        expect(Array.from(got.data), name).toEqual(want.values);
      }
      expect(map.get('bf16')!.fileDtype).toBe('BF16');
      expect(map.get('f16')!.fileDtype).toBe('F16');
    });
  }

  it('mutated files load or fail with a clear error naming the file', () => {
    const valid = new Uint8Array(readFileSync(join(dir, 'zip.pt')));
    const files = unzipSync(valid);
    const pklName = Object.keys(files).find((n) => n.endsWith('/data.pkl'))!;
    const clear = (e: unknown) =>
      (e instanceof PickleError || e instanceof TorchFileError || e instanceof SafetensorsError) && (e as Error).message.startsWith('mutant.pt');
    const mutation = fc.record({
      target: fc.constantFrom('pickle', 'file', 'storage'),
      edits: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete', 'truncate') }), {
        minLength: 1,
        maxLength: 4,
      }),
    });
    const apply = (bytes: Uint8Array, edits: { at: number; byte: number; kind: string }[]) => {
      let out = [...bytes];
      for (const { at, byte, kind } of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        if (kind === 'set') out[i] = byte;
        else if (kind === 'insert') out.splice(i, 0, byte);
        else if (kind === 'delete') out.splice(i, 1);
        else out = out.slice(0, i);
      }
      return Uint8Array.from(out);
    };
    fc.assert(
      fc.property(mutation, ({ target, edits }) => {
        let bytes: Uint8Array;
        if (target === 'file') bytes = apply(valid, edits);
        else {
          const name = target === 'pickle' ? pklName : Object.keys(files).find((n) => /\/data\/\d+$/.test(n))!;
          bytes = zipSync({ ...files, [name]: apply(files[name]!, edits) }, { level: 0 });
        }
        try {
          const map = parseStateDictFile(bytes, 'mutant.pt');
          expect(map).toBeInstanceOf(Map);
        } catch (e) {
          expect(clear(e), `unclear error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
