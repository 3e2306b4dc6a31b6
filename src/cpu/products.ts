// The forward pass's view of the matrix products: prepare one activation matrix, then run one or more weights
// on it. This is the seam where threads split row groups (cpu/threads.ts); this file is the one-thread version.
import { CpuKernels, WasmArena, type ActivationMode, type KernelOptions, type WasmWeight } from './wasm-kernels.js';

export interface ProductOptions extends KernelOptions {
  /** 'int8' (fast, default) or 'f32' (reference mode: activations stay f32). */
  readonly activations?: ActivationMode;
}

export interface Products {
  readonly arena: WasmArena;
  readonly kernels: CpuKernels;
  readonly mode: ActivationMode;
  /** Worker threads taking part (1 = this thread only). */
  readonly threads: number;
  /** Reserves activation scratch for M * K values. */
  reserve(elements: number): void;
  /** Prepares x ([M, K] f32 at ptr x) for the next run(). */
  prepare(x: number, M: number, K: number): void;
  /** ys[i] = ws[i] x for the prepared x. */
  run(ws: readonly WasmWeight[], ys: readonly number[]): void;
  /** Attention for the parameter block at `params` (cpu/wasm-small-ops.ts), heads split over the threads. */
  attend(params: number, heads: number): void;
}

export async function createProducts(options: ProductOptions = {}): Promise<Products> {
  const arena = new WasmArena(false);
  const kernels = await CpuKernels.create(arena, options);
  const mode = options.activations ?? 'int8';
  return {
    arena,
    kernels,
    mode,
    threads: 1,
    reserve: (elements) => kernels.reserve(elements),
    prepare: (x, M, K) => kernels.prepare(x, M, K, mode),
    run(ws, ys) {
      for (let i = 0; i < ws.length; i++) kernels.matvec(ws[i], ys[i]);
    },
    attend(params, heads) {
      kernels.exports.attend_job(params, 0, 0, 0, 0, 0, 0, heads, 0, 0);
    },
  };
}
