/**
 * Progress for long commands (training, evaluation, dataset builds, benchmarks), Node only.
 * On a terminal: a cli-progress bar with done/total, rate, ETA and named fields (loss, accuracy).
 * Elsewhere (CI, pipes, files): one plain line every few seconds and a final one, so logs stay
 * readable. Writes to stderr by default, keeping stdout for results.
 */
import cliProgress from 'cli-progress';

export type FieldValue = string | number;

/** Where progress goes: process.stderr or anything that takes text the same way. */
export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  total: number;
  label: string;
  /** Fields shown after the rate and ETA, in this order; '-' until first given. */
  fields?: string[];
  /** Default process.stderr. A stream without `isTTY` gets plain lines. */
  stream?: TextStream;
  /** Plain lines even on a terminal (`--no-progress`). */
  plain?: boolean;
  /** Seconds between plain lines (default 5). */
  plainIntervalSeconds?: number;
  /** Clock in milliseconds (default performance.now), replaceable in tests. */
  now?: () => number;
}

export interface Progress {
  /** Reports `done` of `total` and updates the given fields (others keep their last value). */
  update(done: number, fields?: Record<string, FieldValue>): void;
  /** Draws the final state and releases the terminal; later calls do nothing. */
  stop(): void;
}

/** The rate is measured from the first update, so start-up work and resumed steps do not skew it. */
class Meter {
  private first?: { done: number; at: number };
  done = 0;
  readonly fields = new Map<string, string>();

  constructor(
    readonly total: number,
    fieldNames: string[],
    private readonly now: () => number,
  ) {
    for (const name of fieldNames) this.fields.set(name, '-');
  }

  record(done: number, fields: Record<string, FieldValue>): void {
    this.first ??= { done, at: this.now() };
    this.done = done;
    for (const [name, value] of Object.entries(fields)) this.fields.set(name, formatField(value));
  }

  get started(): boolean {
    return this.first !== undefined;
  }

  /** Items per second since the first update; undefined until measurable. */
  rate(): number | undefined {
    if (!this.first) return undefined;
    const seconds = (this.now() - this.first.at) / 1000;
    const items = this.done - this.first.done;
    return seconds > 0 && items > 0 ? items / seconds : undefined;
  }

  /** Display strings; the names avoid cli-progress's own `eta` and `rate`-like tokens. */
  describe(): { speed: string; remaining: string; fields: string } {
    const rate = this.rate();
    return {
      speed: rate === undefined ? '?' : String(Number(rate.toPrecision(3))),
      remaining: rate === undefined ? '?' : formatDuration(Math.max(0, this.total - this.done) / rate),
      fields: [...this.fields].map(([name, value]) => `${name} ${value}`).join(' | '),
    };
  }
}

function formatField(value: FieldValue): string {
  return typeof value === 'number' ? String(Number(value.toPrecision(4))) : value;
}

/** 12s, 4m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const meter = new Meter(options.total, options.fields ?? [], options.now ?? (() => performance.now()));
  return stream.isTTY && options.plain !== true ? terminalProgress(options.label, stream, meter) : plainProgress(options, stream, meter);
}

function terminalProgress(label: string, stream: TextStream, meter: Meter): Progress {
  const bar = new cliProgress.SingleBar({
    // A terminal is a Node stream; the option's type says so.
    stream: stream as NodeJS.WritableStream,
    format: `${label} {bar} {value}/{total} {percentage}% | {speed} it/s | ETA {remaining} | {fields}`,
    barsize: 24,
    fps: 5,
  });
  let stopped = false;
  return {
    update(done, fields = {}) {
      if (stopped) return;
      const wasStarted = meter.started;
      meter.record(done, fields);
      if (wasStarted) bar.update(done, meter.describe());
      else bar.start(meter.total, done, meter.describe());
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (meter.started) {
        bar.update(meter.done, meter.describe());
        bar.stop();
      }
    },
  };
}

function plainProgress(options: ProgressOptions, stream: TextStream, meter: Meter): Progress {
  const intervalMs = (options.plainIntervalSeconds ?? 5) * 1000;
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  let lastPrinted = startedAt;
  let stopped = false;
  const print = (final: boolean) => {
    const { speed, remaining, fields } = meter.describe();
    const percent = meter.total > 0 ? ` (${((100 * meter.done) / meter.total).toFixed(1)}%)` : '';
    const timing = final ? `elapsed ${formatDuration((now() - startedAt) / 1000)}` : `ETA ${remaining}`;
    const tail = fields === '' ? '' : ` | ${fields}`;
    stream.write(`${options.label} ${meter.done}/${meter.total}${percent} | ${speed} it/s | ${timing}${tail}\n`);
  };
  return {
    update(done, fields = {}) {
      if (stopped) return;
      meter.record(done, fields);
      if (now() - lastPrinted >= intervalMs) {
        lastPrinted = now();
        print(false);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (meter.started) print(true);
    },
  };
}
