/**
 * Reverse-mode autodiff over the graph that ops record on their outputs (Tensor.gradNode).
 * Same contract as micrograd's backward(): a reverse topological walk in which a tensor used
 * several times receives the sum of every contribution before its own node runs. Gradients are
 * computed without recording (no higher-order gradients), intermediate gradients are disposed as
 * soon as they are consumed, leaves accumulate into `.grad`, and the graph is freed afterwards.
 */
import { autodiffProbe } from './profile.js';
import { isGradEnabled, noGrad, tidy } from './runtime.js';
import { formatShape, sameShape } from './shape.js';
import { Tensor } from './tensor.js';
import { add } from './ops/elementwise.js';
import { onesLike } from './ops/creation.js';

/** Records how `out` was made so backward() can reach `inputs`; a no-op when no input needs gradients. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: (grad: Tensor) => readonly (Tensor | null)[]): Tensor {
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.gradNode = { op, inputs, backward };
    out.requiresGrad = true;
  }
  return out;
}

export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward(): this tensor does not require gradients (no input had requiresGrad set).');
  if (!seed && root.size !== 1) {
    throw new Error(`backward(): a non-scalar tensor ${formatShape(root.shape)} needs an explicit gradient argument.`);
  }
  if (seed && !sameShape(seed.shape, root.shape)) {
    throw new Error(`backward(): gradient shape ${formatShape(seed.shape)} does not match the tensor's ${formatShape(root.shape)}.`);
  }
  const probe = autodiffProbe();
  probe?.begin();
  try {
    walk(root, seed);
  } finally {
    probe?.end();
  }
}

function walk(root: Tensor, seed: Tensor | undefined): void {
  const order = topologicalOrder(root);
  noGrad(() => {
    const pending = new Map<Tensor, Tensor>([[root, seed ? seed.detach() : onesLike(root)]]);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const grad = pending.get(t);
      if (!grad) continue;
      pending.delete(t);
      const node = t.gradNode;
      if (!node) {
        accumulateLeaf(t, grad);
        continue;
      }
      const inputGrads = tidy(() => node.backward(grad)); // frees the temporaries of the rule
      node.inputs.forEach((input, k) => {
        const g = inputGrads[k];
        if (!g || !input.requiresGrad) return;
        if (!sameShape(g.shape, input.shape)) {
          throw new Error(`backward(): ${node.op} produced a gradient ${formatShape(g.shape)} for an input of shape ${formatShape(input.shape)}.`);
        }
        const alias = g.detach(); // inputs may share one gradient tensor; aliases share its storage
        const previous = pending.get(input);
        if (previous) {
          pending.set(input, add(previous, alias));
          previous.dispose();
          alias.dispose();
        } else pending.set(input, alias);
      });
      for (const g of new Set(inputGrads)) g?.dispose();
      grad.dispose();
    }
  });
  for (const t of order) t.gradNode = null;
}

function accumulateLeaf(leaf: Tensor, grad: Tensor): void {
  if (leaf.isDisposed) return;
  if (leaf.grad) {
    const sum = add(leaf.grad, grad);
    leaf.grad.dispose();
    grad.dispose();
    leaf.grad = sum.keep();
  } else leaf.grad = grad.keep();
}

/** Tensors reachable from root through gradNodes, inputs before the tensors made from them. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { t: Tensor; expanded: boolean }[] = [{ t: root, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.expanded) {
      order.push(top.t);
      continue;
    }
    if (visited.has(top.t)) continue;
    visited.add(top.t);
    stack.push({ t: top.t, expanded: true });
    for (const input of top.t.gradNode?.inputs ?? []) {
      if (input.requiresGrad && !visited.has(input)) stack.push({ t: input, expanded: false });
    }
  }
  return order;
}
