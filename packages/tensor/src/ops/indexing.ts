/** Index selection by i32 ids (gather / embedding); its scatter-add gradient is in gradients/indexing.ts. */
import { formatShape, normalizeAxis, shapeSize } from '../shape.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage } from './creation.js';

/**
 * Selects entries of x along `axis` by ids: out.shape = x.shape[:axis] + ids.shape + x.shape[axis+1:].
 * Ids must lie in [0, x.shape[axis]); repeated ids receive the sum of their gradients.
 */
export function gather(x: Tensor, ids: Tensor, axis = 0): Tensor {
  if (ids.dtype !== 'i32') throw new Error(`gather: ids must be i32, found ${ids.dtype}.`);
  if (ids.backend !== x.backend) throw new Error('gather: ids and table live on different backends.');
  const a = normalizeAxis(axis, x.rank, 'gather');
  const outer = shapeSize(x.shape.slice(0, a));
  const n = x.shape[a]!;
  const inner = shapeSize(x.shape.slice(a + 1));
  const outShape = [...x.shape.slice(0, a), ...ids.shape, ...x.shape.slice(a + 1)];
  const out = fromStorage(x.backend, x.backend.gather(x.storage, ids.storage, outer, n, inner), outShape);
  return record(out, 'gather', [x], { ids, outer, n, inner });
}

/** Rows of table [n, dim] for every id: ids.shape + [dim]. */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  if (table.rank !== 2) throw new Error(`embedding: the table must be [n, dim], found ${formatShape(table.shape)}.`);
  return gather(table, ids, 0);
}
