// Helpers shared by the rope / kv-write / attention GPU tests: RoPE frequency tables like the real layers', the
// Step uniform, and float comparison with a readable failure message.
import type { GpuContext } from '../gpu/context.js';
import { createStepBuffer, writeStep } from './step.js';
import { toleranceRatio } from './test-helpers.js';

/** Sliding layers: base^(-2j/headDim) for all pairs. Full layers ("proportional"): the first quarter of the
 * pairs rotate (base 1e6), the rest have frequency ~1e-30 (divided by 1e30, as llama.cpp's rope_freqs). */
export function invFreqTable(headDim: number, kind: 'sliding' | 'proportional'): Float32Array {
  const half = headDim / 2;
  const base = kind === 'sliding' ? 10000 : 1e6;
  const rotated = kind === 'sliding' ? half : Math.max(1, Math.floor(half / 4));
  return Float32Array.from({ length: half }, (_, j) => Math.pow(base, (-2 * j) / headDim) / (j < rotated ? 1 : 1e30));
}

export function stepBuffer(ctx: GpuContext, startPos: number): GPUBuffer {
  const step = createStepBuffer(ctx);
  writeStep(ctx, step, { startPos, step: 0, seed: 0 });
  return step;
}

export function setStartPos(ctx: GpuContext, step: GPUBuffer, startPos: number): void {
  writeStep(ctx, step, { startPos, step: 0, seed: 0 });
}

/** Throws with the worst element when any |gpu - ref| > atol + rtol · |ref|. */
export function expectClose(gpu: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number, what = ''): void {
  const t = toleranceRatio(gpu, ref, atol, rtol);
  if (!(t.worst < 1)) {
    throw new Error(`${what}: element ${t.at} gpu ${t.gpu} ref ${t.ref} (${t.worst.toFixed(2)}× the tolerance atol ${atol} rtol ${rtol})`);
  }
}
