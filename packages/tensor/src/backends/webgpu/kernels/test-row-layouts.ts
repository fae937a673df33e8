/** Test helper: run a describe block under each row layout of the row kernels (nn-common.ts). */
import { afterAll, beforeAll } from 'vitest';
import type { RowLayout } from './nn-common.js';

export const ROW_LAYOUTS: readonly RowLayout[] = ['workgroup', 'thread'];

/** Forces `layout` (HRM_ROW_LAYOUT) for the enclosing describe block. */
export function useRowLayout(layout: RowLayout): void {
  beforeAll(() => {
    process.env.HRM_ROW_LAYOUT = layout;
  });
  afterAll(() => {
    delete process.env.HRM_ROW_LAYOUT;
  });
}
