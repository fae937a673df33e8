/**
 * A tiny WGSL preprocessor for dtype and variant templating.
 *
 * - `${NAME}` is replaced by the define's value (an unknown name is an error, so typos surface).
 * - Lines `#if COND`, `#elif COND`, `#else`, `#endif` keep or drop the lines between them; they
 *   nest. COND is `NAME` (true when the define is neither false, 0 nor ''), `!NAME`,
 *   `NAME == value` or `NAME != value` (compared as strings).
 *
 * WGSL has no includes: `resolveIncludes` first replaces each `#include "name"` line by that entry
 * of a library of shared sources (which may include others), so one kernel source is preprocessed.
 */
export type Defines = Readonly<Record<string, string | number | boolean>>;

export function preprocess(source: string, defines: Defines = {}): string {
  const out: string[] = [];
  // One frame per open #if: whether its current branch is live, and whether any branch was taken.
  const frames: { live: boolean; taken: boolean; parentLive: boolean }[] = [];
  const live = () => frames.length === 0 || frames[frames.length - 1]!.live;
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    const directive = /^\s*#(if|elif|else|endif)\b\s*(.*)$/.exec(line);
    if (!directive) {
      if (live()) out.push(substitute(line, defines, i + 1));
      return;
    }
    const [, kind, rest] = directive;
    const top = frames[frames.length - 1];
    switch (kind) {
      case 'if': {
        const parentLive = live();
        const cond = parentLive && evaluate(rest!, defines, i + 1);
        frames.push({ live: cond, taken: cond, parentLive });
        break;
      }
      case 'elif':
      case 'else': {
        if (!top) throw new Error(`preprocess: #${kind} without #if at line ${i + 1}`);
        const cond = kind === 'else' || evaluate(rest!, defines, i + 1);
        top.live = top.parentLive && !top.taken && cond;
        top.taken ||= top.live;
        break;
      }
      case 'endif':
        if (!frames.pop()) throw new Error(`preprocess: #endif without #if at line ${i + 1}`);
        break;
    }
  });
  if (frames.length > 0) throw new Error('preprocess: unterminated #if');
  return out.join('\n');
}

/** Expands `#include "name"` lines from `library`, recursively (a cycle is an error). */
export function resolveIncludes(source: string, library: Readonly<Record<string, string>>, including: readonly string[] = []): string {
  return source.replace(/^[ \t]*#include[ \t]+"([^"]+)"[ \t]*$/gm, (_, name: string) => {
    if (!Object.hasOwn(library, name)) throw new Error(`preprocess: unknown include "${name}"`);
    if (including.includes(name)) throw new Error(`preprocess: "${name}" includes itself`);
    return resolveIncludes(library[name]!, library, [...including, name]);
  });
}

function substitute(line: string, defines: Defines, lineNo: number): string {
  return line.replace(/\$\{(\w+)\}/g, (_, name: string) => String(lookup(name, defines, lineNo)));
}

function evaluate(cond: string, defines: Defines, lineNo: number): boolean {
  const trimmed = cond.trim();
  const comparison = /^(\w+)\s*(==|!=)\s*(\S+)$/.exec(trimmed);
  if (comparison) {
    const [, name, op, value] = comparison;
    const equal = String(lookup(name!, defines, lineNo)) === value;
    return op === '==' ? equal : !equal;
  }
  const flag = /^(!?)\s*(\w+)$/.exec(trimmed);
  if (!flag) throw new Error(`preprocess: cannot parse condition '${trimmed}' at line ${lineNo}`);
  const value = defines[flag[2]!];
  const truthy = value !== undefined && value !== false && value !== 0 && value !== '';
  return flag[1] === '!' ? !truthy : truthy;
}

function lookup(name: string, defines: Defines, lineNo: number): string | number | boolean {
  const value = defines[name];
  if (value === undefined) throw new Error(`preprocess: '${name}' is not defined (line ${lineNo})`);
  return value;
}
