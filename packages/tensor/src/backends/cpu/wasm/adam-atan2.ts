/**
 * adam_atan2(p, g, m, v, n, decay, mRate, vRate, stepSize, vScale): AdamATan2 (HRM spec section 6)
 * on n f32 elements in the module's memory, in place on p, m and v, four lanes at a time:
 *   m += mRate (g - m);  v += vRate (g^2 - v);  p = p decay - stepSize atan2(m, sqrt(v) / vScale)
 * with atan2 by the method of atan2F32 (atan.ts, Cephes atanf) without its branches: the three
 * reductions of |m| / x are computed and selected per lane. x = sqrt(v) / vScale is never
 * negative; x = 0 gives t = Infinity (atan = pi/2, the sign of m's) or, with m = 0, NaN, which is
 * taken as 0 (atan2(0, 0)). The caller runs the tail (n mod 4) through the TypeScript update.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from './emitter.js';
import { f32x4 } from './exp-f32x4.js';

const TAN_3PI_8 = 2.414213562373095;
const TAN_PI_8 = 0.414213562373095;
const POLY = [8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1];

const PARAMS = ['i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32'] as const;

export function adamAtan2Function(module: ModuleBuilder): void {
  module.addFunction({ params: PARAMS }, body, 'adam_atan2');
}

function body(f: FunctionBuilder<typeof PARAMS>): void {
  const [p, g, m, v, n, decay, mRate, vRate, stepSize, vScale] = f.params;
  const vec = () => f.local('v128');
  const [gi, mi, vi, t, u, base, big, mid, a, z] = [vec(), vec(), vec(), vec(), vec(), vec(), vec(), vec(), vec(), vec()];
  const [decayV, mRateV, vRateV, stepV, vScaleV] = [vec(), vec(), vec(), vec(), vec()];
  const [i, end] = [f.local('i32'), f.local('i32')];
  const splat = (x: Local<'f32'>, to: Local<'v128'>) => f.get(x).f32x4.splat().set(to);
  splat(decay, decayV);
  splat(mRate, mRateV);
  splat(vRate, vRateV);
  splat(stepSize, stepV);
  splat(vScale, vScaleV);
  const at = (base: Local<'i32'>) => f.get(base).get(i).i32.add();
  f.get(n).i32.const(2).i32.shl().set(end);
  f.forRange(
    i,
    () => f.i32.const(0),
    () => f.get(end),
    16,
    () => {
      at(g);
      f.v128.load(0, 2).set(gi);
      // m += mRate (g - m); v += vRate (g g - v)
      at(m);
      f.v128.load(0, 2).tee(mi).get(mRateV).get(gi).get(mi).f32x4.sub().f32x4.mul().f32x4.add().set(mi);
      at(v);
      f.v128.load(0, 2).tee(vi).get(vRateV).get(gi).get(gi).f32x4.mul().get(vi).f32x4.sub().f32x4.mul().f32x4.add().set(vi);
      at(m);
      f.get(mi).v128.store(0, 2);
      at(v);
      f.get(vi).v128.store(0, 2);
      // t = |m| / x, x = sqrt(v) / vScale
      f.get(mi).f32x4.abs().get(vi).f32x4.sqrt().get(vScaleV).f32x4.div().f32x4.div().set(t);
      f.get(t).v128.const(f32x4(TAN_3PI_8)).f32x4.gt().set(big);
      f.get(t).v128.const(f32x4(TAN_PI_8)).f32x4.gt().get(big).v128.andnot().set(mid);
      // u = big ? -1/t : mid ? (t-1)/(t+1) : t; base = big ? pi/2 : mid ? pi/4 : 0
      f.v128.const(f32x4(-1)).get(t).f32x4.div();
      f.get(t).v128.const(f32x4(1)).f32x4.sub().get(t).v128.const(f32x4(1)).f32x4.add().f32x4.div();
      f.get(t).get(mid).v128.bitselect();
      f.get(big).v128.bitselect().set(u);
      f.v128
        .const(f32x4(Math.PI / 2))
        .v128.const(f32x4(Math.PI / 4))
        .get(mid)
        .v128.and()
        .get(big)
        .v128.bitselect()
        .set(base);
      // a = base + (poly(z) z u + u), z = u^2
      f.get(u).get(u).f32x4.mul().set(z);
      f.v128.const(f32x4(POLY[0]!));
      for (const c of POLY.slice(1)) f.get(z).f32x4.mul().v128.const(f32x4(c)).f32x4.add();
      f.get(z).f32x4.mul().get(u).f32x4.mul().get(u).f32x4.add().get(base).f32x4.add().set(a);
      // 0/0 (m = v = 0) is atan2(0, 0) = 0: NaN lanes to 0; then m's sign.
      f.get(a).get(a).f32x4.eq().get(a).v128.and().set(a);
      f.get(a).f32x4.neg().get(a).get(mi).v128.const(f32x4(0)).f32x4.lt().v128.bitselect().set(a);
      // p = p decay - stepSize a
      at(p);
      at(p);
      f.v128.load(0, 2).get(decayV).f32x4.mul().get(stepV).get(a).f32x4.mul().f32x4.sub().v128.store(0, 2);
    },
  );
}
