/**
 * Chart axes: a domain with "nice" ticks (1, 2 or 5 times a power of ten; powers of ten on a log
 * axis) mapped onto a pixel range, and the number formats for tick and value labels.
 */

export interface Axis {
  /** Pixel position of a data value. */
  position(value: number): number;
  ticks: number[];
  /** Label for a tick: as many decimals as the tick step needs, exponents for very large or small. */
  label(tick: number): string;
  /** Whether a value can be drawn on this axis (finite and within +-1e300; positive on a log axis). */
  accepts(value: number): boolean;
}

const TARGET_TICKS = 5;
/** Magnitudes beyond this are not drawn: tick arithmetic near the float64 limits would overflow. */
const LIMIT = 1e300;
/** Whether a value can be placed on a linear axis. */
export const drawableLinear = (v: number) => Number.isFinite(v) && Math.abs(v) <= LIMIT;
const drawableLog = (v: number) => v >= 1 / LIMIT && v <= LIMIT;
/** Spans below this are treated as a single value (padded), far above the denormal range. */
const MIN_SPAN = 1e-280;
const MAX_LOG_TICKS = 8;

/** 1, 2 or 5 times a power of ten, close to span / target. */
export function niceStep(span: number, target = TARGET_TICKS): number {
  const raw = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const factor = normalised < 1.5 ? 1 : normalised < 3 ? 2 : normalised < 7 ? 5 : 10;
  return factor * magnitude;
}

/**
 * A linear axis whose domain covers `values` (those it cannot draw ignored) and is widened to whole
 * ticks; `includeZero` keeps 0 inside (bar charts). No finite values give [0, 1]; equal values
 * are padded so that they sit mid-axis.
 */
export function linearAxis(values: number[], range: [number, number], includeZero = false): Axis {
  const finite = values.filter(drawableLinear);
  if (includeZero) finite.push(0);
  let [lo, hi] = finite.length > 0 ? extent(finite) : [0, 1];
  if (hi - lo < MIN_SPAN) {
    // Equal values, or a span so small (denormals) that tick arithmetic would underflow.
    const mid = (lo + hi) / 2;
    const pad = Math.abs(mid) < MIN_SPAN ? 1 : Math.abs(mid) / 2;
    lo = mid - pad;
    hi = mid + pad;
  }
  const step = niceStep(hi - lo);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => (first + i) * step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return {
    position: project(ticks[0]!, ticks[ticks.length - 1]!, range),
    ticks,
    label: (tick) => formatTick(tick, decimals),
    accepts: drawableLinear,
  };
}

/** A log10 axis over the positive `values`, from the power of ten below to the one above. */
export function logAxis(values: number[], range: [number, number]): Axis {
  const positive = values.filter(drawableLog);
  const [min, max] = positive.length > 0 ? extent(positive) : [1, 10];
  let lo = Math.floor(Math.log10(min));
  let hi = Math.ceil(Math.log10(max));
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const every = Math.ceil((hi - lo) / MAX_LOG_TICKS);
  const ticks: number[] = [];
  for (let power = lo; power <= hi; power += every) ticks.push(10 ** power);
  const toPixel = project(lo, hi, range);
  return {
    position: (value) => toPixel(Math.log10(value)),
    ticks,
    label: (tick) => formatTick(tick, Math.max(0, -Math.round(Math.log10(tick)))),
    accepts: drawableLog,
  };
}

/** Min and max without spreading (learning curves can hold more points than a call takes arguments). */
function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function project(lo: number, hi: number, [from, to]: [number, number]): (value: number) => number {
  return (value) => from + ((value - lo) / (hi - lo)) * (to - from);
}

function formatTick(value: number, decimals: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return formatValue(value);
  return value.toFixed(Math.min(decimals, 20));
}

/** Three significant digits, trailing zeros dropped, exponent form outside [1e-4, 1e6). */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) {
    const [mantissa, exponent] = value.toExponential(2).split('e');
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(3)));
}
