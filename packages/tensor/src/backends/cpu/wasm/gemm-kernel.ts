/**
 * The f32 gemm micro-kernel in WebAssembly SIMD, emitted for a register blocking chosen at run
 * time. The module exports one function,
 *
 *   block(a, b, c, rows, cols, kc, ldcBytes, accumulate)
 *
 * which computes C[rows x cols] (=|+=) A[rows x kc] * B[kc x cols] from packed panels in the
 * module's memory: A as rows/MR panels laid out [panel][kk][MR] and B as cols/NR panels laid out
 * [panel][kk][NR] (both zero-padded by the caller, so rows and cols are multiples of MR and NR),
 * and C row-major with a row stride of ldcBytes. For each NR-wide panel of B (which stays in L1)
 * it runs down every MR-row panel of A, holding the MR x NR tile in MR * NR/4 f32x4 accumulators.
 * Each accumulator sums its k products in order from zero and is then stored (or added to C when
 * `accumulate` is non-zero), so the result does not depend on how the rows are split over calls.
 */
import { type FunctionBuilder, type Local, ModuleBuilder } from './emitter.js';

export interface GemmKernelShape {
  /** Rows of the register tile (rows of an A panel). */
  mr: number;
  /** Columns of the register tile (columns of a B panel), a multiple of 4. */
  nr: number;
  /** k steps per loop iteration. */
  unroll: number;
  /** Use relaxed SIMD's fused multiply-add (only where `relaxedSimdSupported()`). */
  fma: boolean;
}

/** The module's imported memory (`env.memory`), in 64 KiB pages. */
export interface KernelMemory {
  pages: number;
  shared: boolean;
}

type Params = readonly ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'];

/** The bytes of a module exporting `block` for this tile shape and memory. */
export function gemmKernelModule(shape: GemmKernelShape, memory: KernelMemory): Uint8Array<ArrayBuffer> {
  const { mr, nr, unroll } = shape;
  if (nr % 4 !== 0 || mr < 1 || unroll < 1) throw new Error(`gemm kernel: unsupported tile ${mr}x${nr} (unroll ${unroll})`);
  const module = new ModuleBuilder();
  module.importMemory('env', 'memory', { initial: memory.pages, maximum: memory.pages, shared: memory.shared });
  const params: Params = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'];
  module.addFunction({ params }, (f) => blockBody(f, shape), 'block');
  return module.build();
}

function blockBody(f: FunctionBuilder<Params>, shape: GemmKernelShape): void {
  const { mr, nr, unroll, fma } = shape;
  const vectors = nr / 4;
  const [a, b, c, rows, cols, kc, ldc, accumulate] = f.params;
  const acc = Array.from({ length: mr }, () => Array.from({ length: vectors }, () => f.local('v128')));
  const bv = Array.from({ length: vectors }, () => f.local('v128'));
  const av = f.local('v128');
  const [aPanelBytes, bPanelBytes, bPanel, bPanelEnd, cColumn, aPanel, aEnd, cRow, tileStart, pa, pb, pbEnd] = Array.from({ length: 12 }, () =>
    f.local('i32'),
  );

  /** while (ptr < end) { body } */
  const whileBelow = (ptr: Local<'i32'>, end: Local<'i32'>, body: () => void) =>
    f.block((exit) =>
      f.loop((again) => {
        f.get(ptr).get(end).i32.ge_u().brIf(exit);
        body();
        f.br(again);
      }),
    );
  const addTo = (local: Local<'i32'>, bytes: () => void) => {
    f.get(local);
    bytes();
    f.i32.add().set(local);
  };

  /** One k step of the tile, reading at constant offsets `step` steps past pa and pb. */
  const kStep = (step: number) => {
    for (let v = 0; v < vectors; v++) f.get(pb).v128.load(4 * (step * nr + 4 * v)).set(bv[v]!);
    for (let r = 0; r < mr; r++) {
      f.get(pa).v128.load32_splat(4 * (step * mr + r)).set(av);
      for (let v = 0; v < vectors; v++) {
        if (fma) f.get(av).get(bv[v]!).get(acc[r]![v]!).f32x4.relaxed_madd();
        else f.get(acc[r]![v]!).get(av).get(bv[v]!).f32x4.mul().f32x4.add();
        f.set(acc[r]![v]!);
      }
    }
  };

  /** Stores the tile at cRow, adding C's current values when `adding`. */
  const storeTile = (adding: boolean) => {
    for (let r = 0; r < mr; r++) {
      for (let v = 0; v < vectors; v++) {
        f.get(cRow).get(acc[r]![v]!);
        if (adding) f.get(cRow).v128.load(16 * v).f32x4.add();
        f.v128.store(16 * v);
      }
      if (r < mr - 1) addTo(cRow, () => f.get(ldc));
    }
  };

  f.get(kc).i32.const(4 * mr).i32.mul().set(aPanelBytes);
  f.get(kc).i32.const(4 * nr).i32.mul().set(bPanelBytes);
  f.get(b).set(bPanel);
  f.get(b).get(cols).i32.const(nr).i32.div_u().get(bPanelBytes).i32.mul().i32.add().set(bPanelEnd);
  f.get(c).set(cColumn);
  f.get(a).get(rows).i32.const(mr).i32.div_u().get(aPanelBytes).i32.mul().i32.add().set(aEnd);
  whileBelow(bPanel, bPanelEnd, () => {
    f.get(a).set(aPanel);
    f.get(cColumn).set(cRow);
    whileBelow(aPanel, aEnd, () => {
      for (const row of acc) for (const x of row) f.v128.const(new Uint8Array(16)).set(x);
      f.get(aPanel).set(pa);
      f.get(bPanel).set(pb);
      // Unrolled steps while a whole group is left, then single steps.
      f.get(bPanel).get(kc).i32.const(unroll).i32.div_u().i32.const(unroll * nr * 4).i32.mul().i32.add().set(pbEnd);
      whileBelow(pb, pbEnd, () => {
        for (let step = 0; step < unroll; step++) kStep(step);
        addTo(pa, () => f.i32.const(unroll * mr * 4));
        addTo(pb, () => f.i32.const(unroll * nr * 4));
      });
      f.get(bPanel).get(bPanelBytes).i32.add().set(pbEnd);
      whileBelow(pb, pbEnd, () => {
        kStep(0);
        addTo(pa, () => f.i32.const(mr * 4));
        addTo(pb, () => f.i32.const(nr * 4));
      });
      f.get(cRow).set(tileStart);
      f.get(accumulate).if(
        () => storeTile(true),
        () => storeTile(false),
      );
      // Next A panel: mr rows further down C.
      f.get(tileStart).get(ldc).i32.const(mr).i32.mul().i32.add().set(cRow);
      addTo(aPanel, () => f.get(aPanelBytes));
    });
    addTo(bPanel, () => f.get(bPanelBytes));
    addTo(cColumn, () => f.i32.const(nr * 4));
  });
}
