// Shared helpers for GPU kernel tests (browser): one context per test file, random data, upload, compare.
import { uploadStorageBuffer, createStorageBuffer } from '../gpu/buffers.js';
import { createGpuContext, type GpuContext, type GpuContextOptions } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import type { BoundOp } from '../gpu/kernel.js';
import { submitOps } from '../gpu/recorder.js';

export async function testContext(options: GpuContextOptions = {}): Promise<GpuContext> {
  return createGpuContext(options); // throws NO_WEBGPU / NO_ADAPTER: a GPU test without WebGPU fails
}

/** Seeded uniform/normal random numbers (mulberry32). */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, normal, array: (n: number, scale = 1) => Float32Array.from({ length: n }, () => normal() * scale) };
}

export const upload = (ctx: GpuContext, data: ArrayBufferView, label = 'test') => uploadStorageBuffer(ctx, data, label);
export const empty = (ctx: GpuContext, bytes: number, label = 'test out') => createStorageBuffer(ctx, bytes, label);

/** Submits ops and reads `count` floats of `out`. */
export async function runAndRead(ctx: GpuContext, ops: BoundOp[], out: GPUBuffer, count: number): Promise<Float32Array> {
  submitOps(ctx, ops);
  return readF32(ctx, out, 0, count);
}

/** Max |gpu - ref| / (atol + rtol * |ref|) — below 1 means within tolerance. Returns the worst ratio and index. */
export function toleranceRatio(gpu: ArrayLike<number>, ref: ArrayLike<number>, atol: number, rtol: number) {
  if (gpu.length !== ref.length) throw new Error(`length ${gpu.length} vs ${ref.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.abs(gpu[i] - ref[i]) / (atol + rtol * Math.abs(ref[i]));
    if (!(r <= worst)) {
      worst = Number.isNaN(r) ? Infinity : r;
      at = i;
    }
  }
  return { worst, at, gpu: gpu[at], ref: ref[at] };
}
