/**
 * Self-contained SVG charts (no dependencies, browser-safe): line charts for learning curves and
 * grouped bar charts for benchmark comparisons. Each returns the SVG document as a string; text is
 * escaped, sizes are in pixels, and what cannot be drawn (NaN, infinities, non-positive values on a
 * log axis) is skipped: a line breaks there, a bar shows "n/a".
 */
import { drawableLinear, formatValue, linearAxis, logAxis, type Axis } from './axis.js';

export interface LineSeries {
  name: string;
  points: [number, number][];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logY?: boolean;
  width?: number;
  height?: number;
}

export interface BarGroup {
  label: string;
  /** Value of each series in this group; a series missing here leaves its slot empty. */
  values: Record<string, number>;
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  groups: BarGroup[];
  logY?: boolean;
  width?: number;
  height?: number;
}

/** Tableau 10; after ten series the colours repeat with a dash pattern. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const DASHES = ['', '6 3', '2 3'];
const FONT_SIZE = 12;
const CHAR_WIDTH = 7; // rough width of one character at FONT_SIZE, for margins
const PLOT_TOP = 44;
const PLOT_BOTTOM_MARGIN = 52;
const LEGEND_ROW = 18;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

const px = (n: number) => String(Math.round(n * 10) / 10);

function element(name: string, attributes: Record<string, string | number>, content?: string): string {
  const attrs = Object.entries(attributes)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => ` ${key}="${typeof value === 'number' ? px(value) : escapeXml(value)}"`)
    .join('');
  return content === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

const text = (x: number, y: number, content: string, attributes: Record<string, string | number> = {}) =>
  element('text', { x, y, ...attributes }, escapeXml(content));

function seriesStyle(index: number): { color: string; dash: string } {
  return { color: PALETTE[index % PALETTE.length]!, dash: DASHES[Math.floor(index / PALETTE.length) % DASHES.length]! };
}

interface LegendEntry {
  name: string;
  /** The series' mark, drawn left of its name with its vertical centre at y. */
  swatch(x: number, y: number): string;
}

interface PlotArea {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Places the plot area: room on the left for the y tick labels, on the right for the legend. */
function plotArea(width: number, height: number, yAxis: Axis, legendNames: string[]): PlotArea {
  const longest = (labels: string[]) => labels.reduce((n, label) => Math.max(n, label.length), 0);
  const left = 36 + longest(yAxis.ticks.map(yAxis.label)) * CHAR_WIDTH;
  const legendWidth = legendNames.length > 0 ? Math.min(width * 0.35, 40 + longest(legendNames) * CHAR_WIDTH) : 0;
  return { left, right: width - 16 - legendWidth, top: PLOT_TOP, bottom: height - PLOT_BOTTOM_MARGIN };
}

/** Background, title, y axis with grid and label, legend, and a note when nothing could be drawn. */
function frame(
  width: number,
  height: number,
  options: { title: string; yLabel: string; legend: LegendEntry[]; empty: boolean },
  plot: PlotArea,
  yAxis: Axis,
): string[] {
  const parts = [
    element('rect', { width, height, fill: 'white' }),
    text(width / 2, 24, options.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }),
  ];
  for (const tick of yAxis.ticks) {
    const y = yAxis.position(tick);
    parts.push(element('line', { x1: plot.left, x2: plot.right, y1: y, y2: y, stroke: '#e5e5e5' }));
    parts.push(text(plot.left - 6, y + 4, yAxis.label(tick), { 'text-anchor': 'end' }));
  }
  const midY = (plot.top + plot.bottom) / 2;
  parts.push(text(14, midY, options.yLabel, { 'text-anchor': 'middle', transform: `rotate(-90 14 ${px(midY)})` }));
  parts.push(
    element('polyline', {
      points: `${px(plot.left)},${px(plot.top)} ${px(plot.left)},${px(plot.bottom)} ${px(plot.right)},${px(plot.bottom)}`,
      fill: 'none',
      stroke: '#333',
    }),
  );
  options.legend.forEach(({ name, swatch }, i) => {
    const y = plot.top + 8 + i * LEGEND_ROW;
    parts.push(swatch(plot.right + 16, y));
    parts.push(text(plot.right + 40, y + 4, name));
  });
  if (options.empty) {
    parts.push(text((plot.left + plot.right) / 2, midY, 'no data', { 'text-anchor': 'middle', fill: '#888' }));
  }
  return parts;
}

function svgDocument(width: number, height: number, parts: string[]): string {
  const open =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="${FONT_SIZE}">`;
  return [open, ...parts, '</svg>'].join('\n') + '\n';
}

/** Consecutive drawable points of a series; a point that cannot be drawn ends a run. */
function runs(points: [number, number][], drawable: (p: [number, number]) => boolean): [number, number][][] {
  const result: [number, number][][] = [[]];
  for (const point of points) {
    if (drawable(point)) result[result.length - 1]!.push(point);
    else if (result[result.length - 1]!.length > 0) result.push([]);
  }
  return result.filter((run) => run.length > 0);
}

/** Learning curves: one line per series (a lone point is drawn as a dot), optional log y axis. */
export function lineChart(options: LineChartOptions): string {
  const { width = 720, height = 420, series } = options;
  const points = series.flatMap((s) => s.points);
  const yRange: [number, number] = [height - PLOT_BOTTOM_MARGIN, PLOT_TOP];
  const yAxis = options.logY
    ? logAxis(
        points.map((p) => p[1]),
        yRange,
      )
    : linearAxis(
        points.map((p) => p[1]),
        yRange,
      );
  const drawable = ([x, y]: [number, number]) => drawableLinear(x) && yAxis.accepts(y);
  const drawn = points.filter(drawable);
  const plot = plotArea(
    width,
    height,
    yAxis,
    series.map((s) => s.name),
  );
  const xAxis = linearAxis(
    drawn.map((p) => p[0]),
    [plot.left, plot.right],
  );

  const legend = series.map(({ name }, i): LegendEntry => {
    const { color, dash } = seriesStyle(i);
    const stroke = { stroke: color, 'stroke-width': 2, 'stroke-dasharray': dash };
    return { name, swatch: (x, y) => element('line', { x1: x, x2: x + 18, y1: y, y2: y, ...stroke }) };
  });
  const parts = frame(width, height, { ...options, legend, empty: drawn.length === 0 }, plot, yAxis);
  for (const tick of xAxis.ticks) {
    const x = xAxis.position(tick);
    parts.push(element('line', { x1: x, x2: x, y1: plot.bottom, y2: plot.bottom + 5, stroke: '#333' }));
    parts.push(text(x, plot.bottom + 18, xAxis.label(tick), { 'text-anchor': 'middle' }));
  }
  parts.push(text((plot.left + plot.right) / 2, height - 10, options.xLabel, { 'text-anchor': 'middle' }));

  series.forEach((s, i) => {
    const { color, dash } = seriesStyle(i);
    for (const run of runs(s.points, drawable)) {
      const at = run.map(([x, y]): [number, number] => [xAxis.position(x), yAxis.position(y)]);
      if (at.length === 1) {
        parts.push(element('circle', { cx: at[0]![0], cy: at[0]![1], r: 2.5, fill: color }));
      } else {
        const points = at.map(([x, y]) => `${px(x)},${px(y)}`).join(' ');
        parts.push(element('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 1.5, 'stroke-dasharray': dash }));
      }
    }
  });
  return svgDocument(width, height, parts);
}

/** Benchmark comparisons: one cluster of bars per group, one bar per series, values written above. */
export function barChart(options: BarChartOptions): string {
  const { width = 720, height = 420, groups } = options;
  const names = [...new Set(groups.flatMap((g) => Object.keys(g.values)))];
  const values = groups.flatMap((g) => Object.values(g.values));
  const yRange: [number, number] = [height - PLOT_BOTTOM_MARGIN, PLOT_TOP];
  const yAxis = options.logY ? logAxis(values, yRange) : linearAxis(values, yRange, true);
  const plot = plotArea(width, height, yAxis, names);
  const legend = names.map(
    (name, i): LegendEntry => ({
      name,
      swatch: (x, y) => element('rect', { x, y: y - 5, width: 18, height: 10, fill: seriesStyle(i).color }),
    }),
  );
  const parts = frame(width, height, { ...options, legend, empty: !values.some(yAxis.accepts) }, plot, yAxis);

  const groupWidth = (plot.right - plot.left) / Math.max(1, groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, names.length);
  const baseline = options.logY ? plot.bottom : yAxis.position(0);
  groups.forEach((group, g) => {
    const groupLeft = plot.left + g * groupWidth + groupWidth * 0.1;
    parts.push(text(groupLeft + groupWidth * 0.4, plot.bottom + 18, group.label, { 'text-anchor': 'middle' }));
    names.forEach((name, i) => {
      if (!Object.hasOwn(group.values, name)) return;
      const value = group.values[name];
      const centre = groupLeft + (i + 0.5) * barWidth;
      if (!yAxis.accepts(value!)) {
        parts.push(text(centre, baseline - 4, 'n/a', { 'text-anchor': 'middle', 'font-size': 10, fill: '#888' }));
        return;
      }
      const top = yAxis.position(value!);
      const y = Math.min(top, baseline);
      parts.push(element('rect', { x: centre - barWidth / 2, y, width: barWidth, height: Math.abs(baseline - top), fill: seriesStyle(i).color }));
      const labelY = top <= baseline ? top - 4 : top + 12;
      parts.push(text(centre, labelY, formatValue(value!), { 'text-anchor': 'middle', 'font-size': 10 }));
    });
  });
  return svgDocument(width, height, parts);
}
