/**
 * move_heads: moves attention heads between the token-major layout of a fused projection and the
 * head-major layout the attention kernel reads, rotating each row by RoPE or its adjoint on the
 * way (the packed attention of nn/packed-attention.ts). In the module's memory, byte addresses:
 *
 *   move_heads(tokens, heads, batch, seq, nHeads, d, groups, group, toHeads, cos, sin, mode)
 *
 * tokens is [batch, seq, groups, nHeads, d] (group `group` is the one moved), heads is
 * [batch * nHeads, seq, d]; toHeads = 1 copies tokens -> heads, 0 heads -> tokens. mode 0 copies
 * the rows, 1 applies RoPE with the tables cos/sin [seq, d], 2 its adjoint. RoPE is computed in
 * f64 from the f32 operands and rounded once, as the TypeScript rotateRow does, so both give the
 * same bits (each product of two f32 values is exact in f64).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from './emitter.js';

type I = Local<'i32'>;

const PARAMS = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const;

export function moveHeadsFunction(module: ModuleBuilder): void {
  module.addFunction({ params: PARAMS }, moveHeadsBody, 'move_heads');
}

function moveHeadsBody(f: FunctionBuilder<typeof PARAMS>): void {
  const [tokens, heads, batch, seq, nHeads, d, groups, group, toHeads, cos, sin, mode] = f.params;
  const i32 = () => f.local('i32');
  const [b, head, t, jb, tokenRow, headRow, tokenStride, rowBytes, halfBytes, tab, src, dst, sinLow, sinHigh] = Array.from({ length: 14 }, i32);
  const sign = f.local('f64');

  f.get(d).i32.const(2).i32.shl().set(rowBytes!);
  f.get(rowBytes!).i32.const(1).i32.shr_u().set(halfBytes!);
  f.get(groups).get(nHeads).i32.mul().get(rowBytes!).i32.mul().set(tokenStride!);
  // The adjoint multiplies each half by its partner's sin entry, with the opposite sign.
  f.get(mode)
    .i32.const(2)
    .i32.eq()
    .if(
      () => {
        f.f64.const(-1).set(sign);
        f.get(halfBytes!).set(sinLow!);
        f.i32.const(0).set(sinHigh!);
      },
      () => {
        f.f64.const(1).set(sign);
        f.i32.const(0).set(sinLow!);
        f.get(halfBytes!).set(sinHigh!);
      },
    );
  f.get(heads).set(headRow!);
  f.forRange(
    b!,
    () => f.i32.const(0),
    () => f.get(batch),
    1,
    () => {
      f.forRange(
        head!,
        () => f.i32.const(0),
        () => f.get(nHeads),
        1,
        () => {
          // tokens + ((b * seq * groups + group) * nHeads + head) * rowBytes
          f.get(tokens)
            .get(b!)
            .get(seq)
            .i32.mul()
            .get(groups)
            .i32.mul()
            .get(group)
            .i32.add()
            .get(nHeads)
            .i32.mul()
            .get(head!)
            .i32.add()
            .get(rowBytes!)
            .i32.mul()
            .i32.add()
            .set(tokenRow!);
          f.i32.const(0).set(tab!);
          f.forRange(
            t!,
            () => f.i32.const(0),
            () => f.get(seq),
            1,
            () => {
              f.get(tokenRow!).get(headRow!).get(toHeads).select().set(src!);
              f.get(headRow!).get(tokenRow!).get(toHeads).select().set(dst!);
              f.get(mode).if(
                () => rotateRow(f, { src: src!, dst: dst!, jb: jb!, halfBytes: halfBytes!, tab: tab!, cos, sin, sinLow: sinLow!, sinHigh: sinHigh!, sign }),
                () =>
                  f.forRange(
                    jb!,
                    () => f.i32.const(0),
                    () => f.get(rowBytes!),
                    4,
                    () => {
                      f.get(dst!).get(jb!).i32.add();
                      f.get(src!).get(jb!).i32.add().f32.load();
                      f.f32.store();
                    },
                  ),
              );
              f.get(tokenRow!).get(tokenStride!).i32.add().set(tokenRow!);
              f.get(headRow!).get(rowBytes!).i32.add().set(headRow!);
              f.get(tab!).get(rowBytes!).i32.add().set(tab!);
            },
          );
        },
      );
    },
  );
}

interface RowLocals {
  src: I;
  dst: I;
  jb: I;
  halfBytes: I;
  tab: I;
  cos: I;
  sin: I;
  sinLow: I;
  sinHigh: I;
  sign: Local<'f64'>;
}

/** dst[j] = x1 c[j] - (sign x2) s[sinLow + j], dst[j + half] = x2 c[j + half] + (sign x1) s[sinHigh + j], in f64. */
function rotateRow(f: FunctionBuilder<typeof PARAMS>, l: RowLocals): void {
  const loadF64 = (base: I, extra: I | null, offset: I | null) => {
    f.get(base).get(l.jb).i32.add();
    if (extra) f.get(extra).i32.add();
    if (offset) f.get(offset).i32.add();
    f.f32.load().f64.promote_f32();
  };
  const x1 = f.local('f64');
  const x2 = f.local('f64');
  f.forRange(
    l.jb,
    () => f.i32.const(0),
    () => f.get(l.halfBytes),
    4,
    () => {
      loadF64(l.src, null, null);
      f.set(x1);
      loadF64(l.src, l.halfBytes, null);
      f.set(x2);
      // low half
      f.get(l.dst).get(l.jb).i32.add();
      f.get(x1);
      loadF64(l.cos, l.tab, null);
      f.f64.mul();
      f.get(l.sign).get(x2).f64.mul();
      loadF64(l.sin, l.tab, l.sinLow);
      f.f64.mul().f64.sub().f32.demote_f64().f32.store();
      // high half
      f.get(l.dst).get(l.jb).i32.add().get(l.halfBytes).i32.add();
      f.get(x2);
      loadF64(l.cos, l.tab, l.halfBytes);
      f.f64.mul();
      f.get(l.sign).get(x1).f64.mul();
      loadF64(l.sin, l.tab, l.sinHigh);
      f.f64.mul().f64.add().f32.demote_f64().f32.store();
    },
  );
}
