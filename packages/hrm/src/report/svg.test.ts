import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatValue, linearAxis, logAxis, niceStep } from './axis.js';
import { barChart, escapeXml, lineChart } from './svg.js';

/**
 * A small XML well-formedness check: one root element, tags balanced and properly nested,
 * attributes quoted and unique, and only the five predefined or numeric entities.
 * Returns the element names in document order.
 */
function checkXml(xml: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  let roots = 0;
  let i = 0;
  const fail = (message: string): never => {
    throw new Error(`${message} at ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const isNameChar = (c: string) => c !== '' && !' \t\r\n/>=<"\''.includes(c);
  const readName = () => {
    const start = i;
    while (isNameChar(xml[i] ?? '')) i++;
    if (i === start) fail('expected a name');
    return xml.slice(start, i);
  };
  const checkText = (content: string) => {
    if (content.includes('<')) fail('raw < in text');
    for (const [, entity] of content.matchAll(/&([^;]*);?/g)) {
      if (!['amp', 'lt', 'gt', 'quot', 'apos'].includes(entity!) && !/^#(\d+|x[0-9a-f]+)$/i.test(entity!)) {
        fail(`bad entity &${entity}`);
      }
    }
    if ((content.match(/&/g) ?? []).length !== (content.match(/&[^&;]*;/g) ?? []).length) fail('unterminated entity');
  };
  const skipSpace = () => {
    while (' \t\r\n'.includes(xml[i] ?? 'x')) i++;
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt === -1 ? xml.length : lt;
    const content = xml.slice(i, textEnd);
    if (open.length === 0 && content.trim() !== '') fail('text outside the root');
    checkText(content);
    i = textEnd;
    if (i >= xml.length) break;
    i++;
    if (xml[i] === '/') {
      i++;
      const name = readName();
      if (open.pop() !== name) fail(`unexpected </${name}>`);
      skipSpace();
      if (xml[i++] !== '>') fail('expected >');
      continue;
    }
    const name = readName();
    names.push(name);
    if (open.length === 0) roots++;
    const seen = new Set<string>();
    for (;;) {
      skipSpace();
      if (xml.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (xml[i] === '>') {
        i++;
        open.push(name);
        break;
      }
      const attribute = readName();
      if (seen.has(attribute)) fail(`duplicate attribute ${attribute}`);
      seen.add(attribute);
      if (xml[i++] !== '=') fail('expected =');
      const quote = xml[i++];
      if (quote !== '"' && quote !== "'") fail('unquoted attribute');
      const end = xml.indexOf(quote!, i);
      if (end === -1) fail('unterminated attribute');
      checkText(xml.slice(i, end));
      i = end + 1;
    }
  }
  if (open.length > 0) fail(`unclosed <${open.join('>, <')}>`);
  if (roots !== 1) fail(`expected one root element, found ${roots}`);
  return names;
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('checkXml (the test helper itself)', () => {
  it('rejects malformed documents', () => {
    expect(() => checkXml('<a><b></a></b>')).toThrow('unexpected </a>');
    expect(() => checkXml('<a x=1/>')).toThrow('unquoted attribute');
    expect(() => checkXml('<a>1 < 2</a>')).toThrow();
    expect(() => checkXml('<a>&nbsp;</a>')).toThrow('bad entity');
    expect(() => checkXml('<a/><b/>')).toThrow('one root');
    expect(checkXml('<a x="&amp;"><b/>t &lt; u</a>')).toEqual(['a', 'b']);
  });
});

describe('lineChart', () => {
  const base = { title: 'Loss <train & "eval">', xLabel: 'step', yLabel: 'loss' };

  it('draws a well-formed chart with a line and legend entry per series', () => {
    const svg = lineChart({
      ...base,
      series: [
        {
          name: 'train <loss>',
          points: [
            [1, 2.5],
            [2, 1.2],
            [3, 0.7],
          ],
        },
        {
          name: "eval 'exact'",
          points: [
            [1, 0.1],
            [3, 0.4],
          ],
        },
      ],
    });
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(count(names, 'polyline')).toBe(1 + 2); // the axes, then one per series
    expect(svg).toContain('train &lt;loss&gt;');
    expect(svg).toContain('eval &apos;exact&apos;');
    expect(svg).toContain('Loss &lt;train &amp; &quot;eval&quot;&gt;');
  });

  it('breaks lines at NaN, draws lone points as dots, and survives empty series', () => {
    const svg = lineChart({
      ...base,
      series: [
        {
          name: 'gappy',
          points: [
            [0, 1],
            [1, 2],
            [2, NaN],
            [3, 4],
            [4, Infinity],
            [5, 3],
            [6, 2],
          ],
        },
        { name: 'single', points: [[2, 5]] },
        { name: 'empty', points: [] },
      ],
    });
    const names = checkXml(svg);
    expect(count(names, 'polyline')).toBe(1 + 2);
    expect(count(names, 'circle')).toBe(2); // [3, 4] between two gaps, and the single point
    expect(svg).toContain('>empty</text>');
    expect(svg).not.toContain('NaN');
  });

  it('handles all-equal values, no data at all, and log axes', () => {
    const flat = lineChart({
      ...base,
      series: [
        {
          name: 'flat',
          points: [
            [1, 3],
            [2, 3],
            [3, 3],
          ],
        },
      ],
    });
    checkXml(flat);
    expect(flat).not.toContain('NaN');
    const nothing = lineChart({ ...base, series: [{ name: 'none', points: [[1, NaN]] }] });
    checkXml(nothing);
    expect(nothing).toContain('no data');
    const log = lineChart({
      ...base,
      logY: true,
      series: [
        {
          name: 'loss',
          points: [
            [1, 100],
            [2, 0],
            [3, 0.01],
            [4, 0.001],
          ],
        },
      ],
    });
    checkXml(log);
    expect(log).toContain('>100</text>');
    expect(log).toContain('>0.001</text>');
    expect(log).not.toContain('NaN');
  });

  it('never writes NaN or Infinity coordinates for any input', () => {
    const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, 0));
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), value), { maxLength: 6 }), { maxLength: 4 }),
        fc.boolean(),
        (series, logY) => {
          const svg = lineChart({ ...base, logY, series: series.map((points, i) => ({ name: `s${i}`, points })) });
          checkXml(svg);
          expect(svg).not.toMatch(/="[^"]*(NaN|Infinity)/);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('barChart', () => {
  it('draws grouped bars with value labels and a legend', () => {
    const svg = barChart({
      title: 'matmul 512',
      yLabel: 'GFLOP/s',
      groups: [
        { label: 'cpu', values: { ours: 3.2, tfjs: 1.05 } },
        { label: 'webgpu', values: { ours: 10, tfjs: 5, torch: 290 } },
      ],
    });
    const names = checkXml(svg);
    expect(count(names, 'rect')).toBe(1 + 3 + 5); // background, legend swatches, bars
    for (const label of ['>ours</text>', '>tfjs</text>', '>torch</text>', '>3.2</text>', '>1.05</text>', '>290</text>']) {
      expect(svg).toContain(label);
    }
  });

  it('handles negative, missing, NaN, equal and log values', () => {
    const mixed = barChart({
      title: 't',
      yLabel: 'y',
      groups: [
        { label: 'a', values: { x: -2, y: NaN } },
        { label: 'b', values: { x: 3 } },
      ],
    });
    const names = checkXml(mixed);
    expect(count(names, 'rect')).toBe(1 + 2 + 2);
    expect(mixed).toContain('>n/a</text>');
    expect(mixed).toContain('>-2</text>');
    checkXml(barChart({ title: 't', yLabel: 'y', groups: [{ label: 'a', values: { x: 5, y: 5 } }] }));
    const log = barChart({ title: 't', yLabel: 'y', logY: true, groups: [{ label: 'a', values: { x: 0.5, y: 300, z: 0 } }] });
    checkXml(log);
    expect(log).toContain('>n/a</text>');
    const empty = barChart({ title: 't', yLabel: 'y', groups: [] });
    checkXml(empty);
    expect(empty).toContain('no data');
  });
});

describe('axes', () => {
  it('picks 1-2-5 steps', () => {
    expect(niceStep(10)).toBe(2);
    expect(niceStep(1)).toBe(0.2);
    expect(niceStep(7)).toBe(1);
    expect(niceStep(300)).toBe(50);
  });

  it('covers the data with ticks and labels them without float noise', () => {
    const axis = linearAxis([0.13, 0.71], [0, 100]);
    expect(axis.ticks.map(axis.label)).toEqual(['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8']);
    expect(axis.position(axis.ticks[0]!)).toBe(0);
    expect(axis.position(axis.ticks[axis.ticks.length - 1]!)).toBe(100);
    const zero = linearAxis([3, 4], [0, 1], true);
    expect(zero.ticks[0]).toBe(0);
  });

  it('places log ticks at powers of ten', () => {
    const axis = logAxis([0.02, 300, -1], [0, 100]);
    expect(axis.ticks.map(axis.label)).toEqual(['0.01', '0.1', '1', '10', '100', '1000']);
    expect(axis.accepts(-1)).toBe(false);
  });

  it('formats values to three significant digits', () => {
    expect(formatValue(3.14159)).toBe('3.14');
    expect(formatValue(1234.5)).toBe('1230');
    expect(formatValue(2.5e-7)).toBe('2.5e-7');
    expect(formatValue(12_000_000)).toBe('1.2e7');
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
  });
});

describe('lineChart edge values', () => {
  it('draws a series whose values differ only by a denormal (found by the property above)', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, 5e-324]] }] });
    expect(svg).not.toMatch(/="[^"]*(NaN|Infinity)/);
  });
});
