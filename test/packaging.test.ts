/**
 * What publishing needs, checked on the packages as they are: the license, the package.json
 * fields, the bin, `hrm --version`, and type dependencies for every global type the built
 * declarations use (npm test builds first).
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../packages/hrm/src/commands/main.js';

const root = new URL('..', import.meta.url).pathname;
const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Record<string, any>;
const PACKAGES = ['packages/tensor', 'packages/hrm'];

/** A registry version range (`^0.1.74`, `>=20`), not a missing entry, a tag or a local link. */
const VERSION_RANGE = /^(\^|~|>=)?\d+(\.\d+){0,2}$/;

describe('packages ready to publish', () => {
  for (const dir of PACKAGES) {
    it(`${dir}: MIT license file and the registry fields`, () => {
      const pkg = readJson(`${dir}/package.json`);
      expect(pkg.license).toBe('MIT');
      expect(readFileSync(join(root, dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
      expect(readFileSync(join(root, dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
      expect(pkg.repository).toMatchObject({ type: 'git', directory: dir });
      expect(pkg.engines).toEqual({ node: '>=20' });
      expect(Array.isArray(pkg.sideEffects)).toBe(true);
      expect(pkg.keywords.length).toBeGreaterThan(3);
      expect(pkg.files).toContain('dist');
    });

    it.skipIf(!existsSync(join(root, dir, 'dist')))(
      `${dir}: every global type the declarations use comes from a declared dependency, and no source map ships`,
      () => {
        const pkg = readJson(`${dir}/package.json`);
        const declared = { ...pkg.dependencies, ...pkg.peerDependencies };
        const files = readdirSync(join(root, dir, 'dist'));
        expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
        const dts = files
          .filter((f) => f.endsWith('.d.ts'))
          .map((f) => readFileSync(join(root, dir, 'dist', f), 'utf8'))
          .join('\n');
        if (/\bGPU[A-Z]\w*\b/.test(dts)) {
          expect(declared['@webgpu/types'], 'declarations name WebGPU types').toMatch(VERSION_RANGE);
          expect(dts).toContain('/// <reference types="@webgpu/types" />');
        }
        if (/\bNodeJS\./.test(dts)) expect(declared['@types/node'], 'declarations name NodeJS types').toMatch(VERSION_RANGE);
      },
    );
  }

  it('the hrm bin is a committed, executable file that runs the built CLI', () => {
    const pkg = readJson('packages/hrm/package.json');
    const bin = join(root, 'packages/hrm', pkg.bin.hrm);
    accessSync(bin, constants.X_OK);
    expect(readFileSync(bin, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n[\s\S]*import '\.\.\/dist\/cli\.js';/);
    expect(pkg.files).toContain('bin');
    // The root depends on the workspace package, so that `npm ci` links the bin for `npx hrm`.
    expect(readJson('package.json').dependencies['@hrm-webgpu/hrm']).toBe(pkg.version);
  });

  it('hrm --version prints the package version', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      expect(await main(['--version'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(lines).toEqual([`hrm ${readJson('packages/hrm/package.json').version}`]);
  });
});
