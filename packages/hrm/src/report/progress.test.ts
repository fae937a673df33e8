import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from './progress.js';

/** A stream that records what is written; `isTTY` decides the mode. */
function capture(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write(chunk: string) {
      chunks.push(String(chunk));
      return true;
    },
    // What readline needs to move the cursor on a terminal.
    cursorTo(_x: number, _y?: number, callback?: () => void) {
      callback?.();
      return true;
    },
    moveCursor(_dx: number, _dy: number, callback?: () => void) {
      callback?.();
      return true;
    },
    clearLine(_dir: number, callback?: () => void) {
      callback?.();
      return true;
    },
    clearScreenDown(callback?: () => void) {
      callback?.();
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WritableStream & { isTTY?: boolean }, text: () => chunks.join('') };
}

describe('createProgress without a terminal', () => {
  it('prints a plain line per interval with rate, ETA and fields, and a final line', () => {
    let clock = 0;
    const out = capture(false);
    const progress = createProgress({
      total: 100,
      label: 'train',
      fields: ['loss', 'exact'],
      stream: out.stream,
      plainIntervalSeconds: 5,
      now: () => clock,
    });
    progress.update(0);
    clock = 2000;
    progress.update(10, { loss: 1.234567 });
    expect(out.text()).toBe(''); // within the interval
    clock = 5000;
    progress.update(25, { loss: 0.5, exact: '12.5%' });
    expect(out.text()).toBe('train 25/100 (25.0%) | 5 it/s | ETA 15s | loss 0.5 | exact 12.5%\n');
    clock = 20_000;
    progress.update(100);
    progress.stop();
    progress.stop();
    progress.update(100, { loss: 9 });
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toEqual([
      'train 25/100 (25.0%) | 5 it/s | ETA 15s | loss 0.5 | exact 12.5%',
      'train 100/100 (100.0%) | 5 it/s | ETA 0s | loss 0.5 | exact 12.5%',
      'train 100/100 (100.0%) | 5 it/s | elapsed 20s | loss 0.5 | exact 12.5%',
    ]);
  });

  it('measures the rate from the first update (resumed runs) and shows ? before it can', () => {
    let clock = 0;
    const out = capture(false);
    const progress = createProgress({ total: 1000, label: 'eval', stream: out.stream, plainIntervalSeconds: 0, now: () => clock });
    progress.update(500);
    clock = 10_000;
    progress.update(600);
    expect(out.text().split('\n')).toEqual(['eval 500/1000 (50.0%) | ? it/s | ETA ?', 'eval 600/1000 (60.0%) | 10 it/s | ETA 40s', '']);
  });

  it('prints nothing when stopped before any update', () => {
    const out = capture(false);
    createProgress({ total: 3, label: 'x', stream: out.stream }).stop();
    expect(out.text()).toBe('');
  });
});

describe('createProgress with plain: true (--no-progress)', () => {
  it('prints plain periodic lines even on a terminal', () => {
    let clock = 0;
    const out = capture(true);
    const progress = createProgress({ total: 10, label: 'train', stream: out.stream, plainIntervalSeconds: 1, now: () => clock, plain: true });
    for (let step = 1; step <= 10; step++) {
      clock = step * 500;
      progress.update(step);
    }
    progress.stop();
    expect(out.text().split('\n')).toEqual([
      'train 2/10 (20.0%) | 2 it/s | ETA 4s',
      'train 4/10 (40.0%) | 2 it/s | ETA 3s',
      'train 6/10 (60.0%) | 2 it/s | ETA 2s',
      'train 8/10 (80.0%) | 2 it/s | ETA 1s',
      'train 10/10 (100.0%) | 2 it/s | ETA 0s',
      'train 10/10 (100.0%) | 2 it/s | elapsed 5s',
      '',
    ]);
  });
});

describe('createProgress on a terminal', () => {
  it('draws a bar with the label, counts and fields, and stops', () => {
    let clock = 0;
    const out = capture(true);
    const progress = createProgress({ total: 40, label: 'train', fields: ['loss'], stream: out.stream, now: () => clock });
    progress.update(0, { loss: 2 });
    clock = 4000;
    progress.update(20, { loss: 1.5 });
    progress.stop();
    const text = out.text();
    expect(text).toContain('train');
    expect(text).toContain('20/40');
    expect(text).toContain('5 it/s');
    expect(text).toContain('ETA 4s');
    expect(text).toContain('loss 1.5');
  });
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatDuration(12.4)).toBe('12s');
    expect(formatDuration(245)).toBe('4m05s');
    expect(formatDuration(7620)).toBe('2h07m');
  });
});
