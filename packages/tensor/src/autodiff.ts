/**
 * Reverse-mode autodiff over the tape that ops record on their outputs (Tensor.gradNode, see
 * tape.ts), with the gradient rules of gradients/. Same contract as micrograd's backward(): a
 * reverse topological walk in which a tensor used several times receives the sum of every
 * contribution before its own rule runs. Gradients are computed without recording (no
 * higher-order gradients), intermediate gradients are disposed as soon as they are consumed,
 * leaves accumulate into `.grad`, and the graph is freed afterwards: a second backward() through
 * the same graph throws, as does one through a graph whose tensors were disposed (by tidy()).
 * The walk sums gradients with backend kernels directly, so it depends on no forward op.
 */
import type { Backend, Storage } from './backend.js';
import { GRADIENTS } from './gradients/index.js';
import { autodiffProbe } from './profile.js';
import { noGrad, tidy } from './runtime.js';
import { formatShape, sameShape } from './shape.js';
import type { GradRule, OpName, TapeNode } from './tape.js';
import { StorageRef, Tensor } from './tensor.js';

export function backward(root: Tensor, seed?: Tensor): void {
  if (root.graphFreedBy === 'backward') {
    throw new Error('backward(): this graph was already differentiated and freed by an earlier backward(); run the forward pass again to differentiate anew.');
  }
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
    const pending = new Map<Tensor, Tensor>([[root, seed ? seed.detach() : wrap(root.backend, root.backend.fill(root.dtype, root.size, 1), root.shape)]]);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const grad = pending.get(t);
      if (!grad) continue;
      pending.delete(t);
      const node = t.gradNode as TapeNode | null;
      if (!node) {
        accumulateLeaf(t, grad);
        continue;
      }
      const rule = GRADIENTS[node.op] as GradRule<OpName>;
      const inputGrads = tidy(() => rule(grad, t, node)); // frees the temporaries of the rule
      for (let k = 0; k < node.inputs.length; k++) {
        const input = node.inputs[k]!;
        const g = inputGrads[k];
        if (!g || !input.requiresGrad) continue;
        if (!sameShape(g.shape, input.shape)) {
          throw new Error(`backward(): ${node.op} produced a gradient ${formatShape(g.shape)} for an input of shape ${formatShape(input.shape)}.`);
        }
        const alias = g.detach(); // inputs may share one gradient tensor; aliases share its storage
        const previous = pending.get(input);
        if (previous) {
          pending.set(input, sum(previous, alias));
          previous.dispose();
          alias.dispose();
        } else pending.set(input, alias);
      }
      for (const g of new Set(inputGrads)) g?.dispose();
      grad.dispose();
    }
  });
  for (const t of order) {
    if (!t.gradNode) continue;
    t.gradNode = null;
    t.graphFreedBy = 'backward';
  }
}

function wrap(backend: Backend, storage: Storage, shape: readonly number[]): Tensor {
  return new Tensor(new StorageRef(backend, storage), shape);
}

/** a + b for two gradients of one tensor (same shape, dtype and backend). */
function sum(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new Error(`backward(): gradients of one tensor disagree in dtype (${a.dtype} and ${b.dtype}).`);
  return wrap(a.backend, a.backend.binary('add', a.storage, a.shape, b.storage, b.shape, a.shape), a.shape);
}

function accumulateLeaf(leaf: Tensor, grad: Tensor): void {
  if (leaf.isDisposed) return;
  if (leaf.grad) {
    const total = sum(leaf.grad, grad);
    leaf.grad.dispose();
    grad.dispose();
    leaf.grad = total.keep();
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
      if (!input.requiresGrad || visited.has(input)) continue;
      if (input.graphFreedBy) throw freedGraphError(input, top.t);
      stack.push({ t: input, expanded: false });
    }
  }
  return order;
}

function freedGraphError(input: Tensor, user: Tensor): Error {
  const what = `backward(): the graph is incomplete: ${user.gradNode!.op} (tensor #${user.id}) takes tensor #${input.id} ${formatShape(input.shape)}`;
  if (input.graphFreedBy === 'backward') {
    return new Error(`${what}, whose part of the graph an earlier backward() already differentiated and freed; run the forward pass again.`);
  }
  return new Error(
    `${what}, which was disposed before backward() ran, so the gradients of the tensors behind it would silently stay null. ` +
      'tidy(fn) disposes every tensor made inside fn except its result: call backward() inside the tidy() scope that ran the forward pass.',
  );
}
