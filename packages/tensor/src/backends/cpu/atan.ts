/**
 * atan2 for the f32 optimiser update: about five times as fast as Math.atan2 in V8 and within
 * 2e-7 relative of it (f32 rounding is 6e-8), enough for an update added to f32 parameters.
 * f64 updates keep Math.atan2.
 *
 * Method (Cephes atanf): atan2(y, x) = sign(y) * atan(|y| / x) for x > 0; atan on [0, Infinity)
 * reduced to |t| <= tan(pi/8) by atan(t) = pi/2 + atan(-1/t) (t > tan(3pi/8)) or
 * pi/4 + atan((t - 1)/(t + 1)) (t > tan(pi/8)), then an odd polynomial of degree 9. Every input
 * outside x > 0 with finite non-zero |y| / x (x <= 0, zeros, infinities, NaN) takes Math.atan2.
 */
const TAN_3PI_8 = 2.414213562373095;
const TAN_PI_8 = 0.414213562373095;

export function atan2F32(y: number, x: number): number {
  const t = (y < 0 ? -y : y) / x;
  if (!(x > 0 && t > 0 && t < Infinity)) return Math.atan2(y, x);
  let base = 0;
  let u = t;
  if (t > TAN_3PI_8) {
    base = Math.PI / 2;
    u = -1 / t;
  } else if (t > TAN_PI_8) {
    base = Math.PI / 4;
    u = (t - 1) / (t + 1);
  }
  const z = u * u;
  const a = base + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * u + u);
  return y < 0 ? -a : a;
}
