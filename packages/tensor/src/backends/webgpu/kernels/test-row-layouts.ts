/** Test helper: run a describe block under each row layout of the row kernels (nn-common.ts). */
import { KERNEL_VARIANTS } from '../variants.js';
import { useVariant } from '../test-utils.js';

export const ROW_LAYOUTS = KERNEL_VARIANTS.rows;

/** Forces the row layout for the enclosing describe block. */
export function useRowLayout(layout: (typeof ROW_LAYOUTS)[number]): void {
  useVariant('rows', layout);
}
