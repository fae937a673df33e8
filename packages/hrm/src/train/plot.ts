/**
 * The learning curves of a run as one SVG document: training loss, and exact accuracy (training,
 * averaged over windows of steps, and evaluation) against the step.
 */
import { lineChart } from '../report/svg.js';
import type { MetricsRecord } from './metrics.js';

type Point = [number, number];

/** Averages consecutive points into at most `maxPoints` windows, so long runs stay readable. */
export function windowMeans(points: Point[], maxPoints = 200): Point[] {
  const size = Math.max(1, Math.ceil(points.length / maxPoints));
  const out: Point[] = [];
  for (let i = 0; i < points.length; i += size) {
    const window = points.slice(i, i + size);
    const mean = window.reduce((s, p) => s + p[1], 0) / window.length;
    out.push([window[window.length - 1]![0], mean]);
  }
  return out;
}

export function learningCurveSvg(records: readonly MetricsRecord[]): string {
  const train = records.filter((r) => r.kind === 'train');
  const evals = records.filter((r) => r.kind === 'eval');
  const loss = lineChart({
    title: 'Training loss',
    xLabel: 'step',
    yLabel: 'loss',
    series: [{ name: 'train loss', points: windowMeans(train.map((r) => [r.step, r.loss ?? NaN])) }],
  });
  const accuracy = lineChart({
    title: 'Exact accuracy',
    xLabel: 'step',
    yLabel: 'exact accuracy',
    series: [
      { name: 'train (halted sequences)', points: windowMeans(train.filter((r) => r.count > 0).map((r) => [r.step, r.exact_accuracy])) },
      ...(evals.length > 0 ? [{ name: 'test', points: evals.map((r): Point => [r.step, r.exact_accuracy]) }] : []),
    ],
  });
  return stackSvgs([loss, accuracy]);
}

/** Places complete SVG documents one above the other in one document. */
export function stackSvgs(svgs: string[]): string {
  const sizes = svgs.map((s) => ({
    width: Number(/width="([\d.]+)"/.exec(s)?.[1] ?? 640),
    height: Number(/height="([\d.]+)"/.exec(s)?.[1] ?? 360),
  }));
  const width = Math.max(...sizes.map((s) => s.width));
  const height = sizes.reduce((h, s) => h + s.height, 0);
  let y = 0;
  const parts = svgs.map((s, i) => {
    const body = s.replace(/^<\?xml[^>]*>\s*/, '').replace(/^<svg/, `<svg y="${y}"`);
    y += sizes[i]!.height;
    return body;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${parts.join('\n')}\n</svg>\n`;
}
