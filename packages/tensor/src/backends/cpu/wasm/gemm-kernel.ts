/**
 * The f32 gemm micro-kernel in WebAssembly SIMD, emitted for a register tile chosen at run time.
 * The module exports two functions of the same signature,
 *
 *   blockPacked / blockRows(a, aPanel, b, c, ldc, rows, cols, kc, accumulate)
 *
 * computing C[rows x cols] (=|+=) A[rows x kc] * B[kc x cols] from operands in the module's memory
 * (offsets and strides in bytes; rows and cols are multiples of the tile's MR and NR: the caller
 * pads). B is packed in NR-column panels, B(kk, j) at b + panel*kc*NR*4 + (kk*NR + j%NR)*4. They
 * differ in how A is laid out, so that the caller can copy A rather than repack it:
 * - blockPacked: MR-row panels, A(r, kk) at a + panel*aPanel + (kk*MR + r)*4 (aPanel = kc*MR*4);
 * - blockRows: a copy of A's rows at the kernel's fixed row stride, A(r, kk) at
 *   a + r*aRowBytes + 4kk (one pointer serves every row at constant offsets; aPanel = MR*aRowBytes).
 *
 * For each NR-wide panel of B (which stays in L1) it runs down every MR-row panel of A, holding
 * the MR x NR tile in MR * NR/4 f32x4 accumulators. Each accumulator sums its k products in order
 * from zero and is then stored (or added to C when `accumulate` is non-zero), so the result does
 * not depend on how the rows are split over calls or threads.
 *
 * It also exports, for each of the tile's widths W that is a multiple of 4 (MR for A, NR for B),
 *
 *   packLanesW(src, ld, dst, kc, panels)
 *
 * which packs a block copied into the module's memory with its lanes (B's columns, Aᵀ's rows)
 * contiguous, element (kk, lane) at src + kk*ld + 4*lane, into `panels` W-lane panels at dst,
 * panel p's (kk, l) at dst + (p*kc*W + kk*W + l)*4: W/4 vector copies a k step, where a JavaScript
 * loop over the elements cost up to a fifth of a product (README).
 */
import { type FunctionBuilder, type Local, ModuleBuilder, type ValueType } from './emitter.js';

export interface GemmKernelShape {
  /** Rows of the register tile (rows of an A panel). */
  mr: number;
  /** Columns of the register tile (columns of a B panel), a multiple of 4. */
  nr: number;
  /** Use relaxed SIMD's fused multiply-add (only where `relaxedSimdSupported()`). */
  fma: boolean;
  /** blockRows: bytes between the rows of A's copy. */
  aRowBytes: number;
}

/** The module's imported memory (`env.memory`), in 64 KiB pages. */
export interface KernelMemory {
  pages: number;
  shared: boolean;
}

export type ALayout = 'packed' | 'rows';

const PARAMS = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const;
type Params = typeof PARAMS;

/** The bytes of a module exporting blockPacked and blockRows for this tile and memory. */
export function gemmKernelModule(shape: GemmKernelShape, memory: KernelMemory): Uint8Array<ArrayBuffer> {
  if (shape.nr % 4 !== 0 || shape.nr < 4 || shape.mr < 1) throw new Error(`gemm kernel: unsupported tile ${shape.mr}x${shape.nr}`);
  const module = new ModuleBuilder();
  module.importMemory('env', 'memory', { initial: memory.pages, maximum: memory.pages, shared: memory.shared });
  module.addFunction({ params: PARAMS }, (f) => blockBody(f, shape, 'packed'), 'blockPacked');
  module.addFunction({ params: PARAMS }, (f) => blockBody(f, shape, 'rows'), 'blockRows');
  for (const width of new Set([shape.mr, shape.nr])) {
    if (width % 4 === 0) module.addFunction({ params: PACK_PARAMS }, (f) => packLanesBody(f, width), `packLanes${width}`);
  }
  module.addFunction({ params: RESTRIDE_PARAMS }, restrideBody, 'restride');
  return module.build();
}

const RESTRIDE_PARAMS = ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const;

/**
 * restride(src, srcStride, dst, dstStride, rows, vectors): copies the first `vectors` 16-byte
 * vectors of each of `rows` rows (strides in bytes). A's contiguous rows come in with one block
 * copy and are spread to the kernel's row stride here: a JavaScript copy per row cost more than
 * the copying itself for short rows.
 */
function restrideBody(f: FunctionBuilder<typeof RESTRIDE_PARAMS>): void {
  const [src, srcStride, dst, dstStride, rows, vectors] = f.params;
  const [from, to, row, v] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  f.get(src).set(from);
  f.get(dst).set(to);
  f.forRange(
    row,
    () => f.i32.const(0),
    () => f.get(rows),
    1,
    () => {
      f.forRange(
        v,
        () => f.i32.const(0),
        () => f.get(vectors),
        1,
        () => {
          f.get(to).get(v).i32.const(4).i32.shl().i32.add();
          f.get(from).get(v).i32.const(4).i32.shl().i32.add().v128.load(0, 2);
          f.v128.store(0, 2);
        },
      );
      f.get(from).get(srcStride).i32.add().set(from);
      f.get(to).get(dstStride).i32.add().set(to);
    },
  );
}

const PACK_PARAMS = ['i32', 'i32', 'i32', 'i32', 'i32'] as const;

/** while (ptr < end) { body } */
function whileBelowIn(f: FunctionBuilder<readonly ValueType[]>, ptr: Local<'i32'>, end: Local<'i32'>, body: () => void): void {
  f.block((exit) =>
    f.loop((again) => {
      f.get(ptr).get(end).i32.ge_u().brIf(exit);
      body();
      f.br(again);
    }),
  );
}

function packLanesBody(f: FunctionBuilder<typeof PACK_PARAMS>, width: number): void {
  const [src, ld, dst, kc, panels] = f.params;
  const [panel, panelEnd, from, out, outEnd] = Array.from({ length: 5 }, () => f.local('i32'));
  f.get(src).set(panel!);
  f.get(src)
    .get(panels)
    .i32.const(4 * width)
    .i32.mul()
    .i32.add()
    .set(panelEnd!);
  f.get(dst).set(out!);
  whileBelowIn(f, panel!, panelEnd!, () => {
    f.get(panel!).set(from!);
    f.get(out!)
      .get(kc)
      .i32.const(4 * width)
      .i32.mul()
      .i32.add()
      .set(outEnd!);
    whileBelowIn(f, out!, outEnd!, () => {
      for (let v = 0; v < width / 4; v++)
        f.get(out!)
          .get(from!)
          .v128.load(16 * v)
          .v128.store(16 * v);
      f.get(from!).get(ld).i32.add().set(from!);
      f.get(out!)
        .i32.const(4 * width)
        .i32.add()
        .set(out!);
    });
    f.get(panel!)
      .i32.const(4 * width)
      .i32.add()
      .set(panel!);
  });
}

function blockBody(f: FunctionBuilder<Params>, shape: GemmKernelShape, layout: ALayout): void {
  const { mr, nr, fma, aRowBytes } = shape;
  const vectors = nr / 4;
  const [a, aPanelBytes, b, c, ldc, rows, cols, kc, accumulate] = f.params;
  const acc = Array.from({ length: mr }, () => Array.from({ length: vectors }, () => f.local('v128')));
  const bv = Array.from({ length: vectors }, () => f.local('v128'));
  const av = f.local('v128');
  const [bPanelBytes, bPanel, bPanelEnd, cColumn, aPanel, aEnd, cRow, tileStart, pb, pbEnd] = Array.from({ length: 10 }, () => f.local('i32'));
  const pa = f.local('i32');

  const whileBelow = (ptr: Local<'i32'>, end: Local<'i32'>, body: () => void) => whileBelowIn(f, ptr, end, body);
  const addTo = (local: Local<'i32'>, amount: () => void) => {
    f.get(local);
    amount();
    f.i32.add().set(local);
  };

  /** One k step of the tile: acc[r][v] += A(r, kk) * B(kk, 4v..4v+3), then the pointers move on. */
  const kStep = () => {
    for (let v = 0; v < vectors; v++)
      f.get(pb!)
        .v128.load(16 * v)
        .set(bv[v]!);
    for (let r = 0; r < mr; r++) {
      f.get(pa)
        .v128.load32_splat(layout === 'packed' ? 4 * r : aRowBytes * r)
        .set(av);
      for (let v = 0; v < vectors; v++) {
        if (fma) f.get(av).get(bv[v]!).get(acc[r]![v]!).f32x4.relaxed_madd();
        else f.get(acc[r]![v]!).get(av).get(bv[v]!).f32x4.mul().f32x4.add();
        f.set(acc[r]![v]!);
      }
    }
    addTo(pa, () => f.i32.const(layout === 'packed' ? 4 * mr : 4));
    addTo(pb!, () => f.i32.const(4 * nr));
  };

  /** Stores the tile at cRow, adding C's current values when `adding`. */
  const storeTile = (adding: boolean) => {
    for (let r = 0; r < mr; r++) {
      for (let v = 0; v < vectors; v++) {
        f.get(cRow!).get(acc[r]![v]!);
        if (adding)
          f.get(cRow!)
            .v128.load(16 * v)
            .f32x4.add();
        f.v128.store(16 * v);
      }
      if (r < mr - 1) addTo(cRow!, () => f.get(ldc));
    }
  };

  f.get(kc)
    .i32.const(4 * nr)
    .i32.mul()
    .set(bPanelBytes!);
  f.get(b).set(bPanel!);
  f.get(b).get(cols).i32.const(nr).i32.div_u().get(bPanelBytes!).i32.mul().i32.add().set(bPanelEnd!);
  f.get(c).set(cColumn!);
  f.get(a).get(rows).i32.const(mr).i32.div_u().get(aPanelBytes).i32.mul().i32.add().set(aEnd!);
  whileBelow(bPanel!, bPanelEnd!, () => {
    f.get(a).set(aPanel!);
    f.get(cColumn!).set(cRow!);
    whileBelow(aPanel!, aEnd!, () => {
      for (const row of acc) for (const x of row) f.v128.const(new Uint8Array(16)).set(x);
      f.get(aPanel!).set(pa);
      f.get(bPanel!).tee(pb!).get(bPanelBytes!).i32.add().set(pbEnd!);
      whileBelow(pb!, pbEnd!, kStep);
      f.get(cRow!).set(tileStart!);
      f.get(accumulate).if(
        () => storeTile(true),
        () => storeTile(false),
      );
      // Next A panel: mr rows further down C.
      f.get(tileStart!).get(ldc).i32.const(mr).i32.mul().i32.add().set(cRow!);
      addTo(aPanel!, () => f.get(aPanelBytes));
    });
    addTo(bPanel!, () => f.get(bPanelBytes!));
    addTo(cColumn!, () => f.i32.const(nr * 4));
  });
}
