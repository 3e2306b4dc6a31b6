// Decode matrix-vector product on a packed weight: y[m, :] (+)= W x[m, :] for 1..8 activation rows, one
// dispatch per weight part (row range). Also the argument shape shared by matmul and linear.
import matvecXSubgroupWgsl from '../../shaders/lib/matvec-x-subgroup.wgsl?raw';
import matvecXWgsl from '../../shaders/lib/matvec-x.wgsl?raw';
import matvecWgsl from '../../shaders/matvec.wgsl?raw';
import { createUniformBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { createBindGroup, fixedOp, getPipeline, grid2d, type BoundOp } from '../gpu/kernel.js';
import { granulesPerRow, type GpuWeight } from './weight-layout.js';
import { supportsScaledCodes, weightKernelSource, type KernelExtras } from './weight-shaders.js';

export interface LinearArgs {
  readonly weight: GpuWeight; // [N = rows, K = cols]
  readonly x: GPUBuffer; // f32 [m, K] (row stride xStride) from element xOffset
  readonly y: GPUBuffer; // f32 [m, N] (row stride yStride) from element yOffset; must not alias x
  readonly m: number;
  /** Element offset of x[0, 0] (default 0). */
  readonly xOffset?: number;
  /** Element offset of y[0, 0] (default 0). */
  readonly yOffset?: number;
  /** y += W x instead of y = W x (fused residual). */
  readonly accumulate?: boolean;
  /** Elements between activation rows (default K). */
  readonly xStride?: number;
  /** Elements between output rows (default N). */
  readonly yStride?: number;
}

/** Most activation rows one matvec dispatch handles. */
export const MATVEC_MAX_ROWS = 8;

/** Activation loader variant: vec4 when every activation row starts on a 4-element boundary. */
export function xLoadVariant(a: LinearArgs): 'vec4' | 'f32' {
  const K = a.weight.cols;
  const xs = a.xStride ?? K;
  const xo = a.xOffset ?? 0;
  return K % 4 === 0 && xs % 4 === 0 && xo % 4 === 0 ? 'vec4' : 'f32';
}

export function checkLinearArgs(a: LinearArgs, kernel: string): void {
  const { weight: w, m } = a;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`${kernel} ${w.name}: m must be a positive integer, got ${m}`);
  if (a.x === a.y) throw new RangeError(`${kernel} ${w.name}: x and y must be different buffers`);
  const xs = a.xStride ?? w.cols;
  const ys = a.yStride ?? w.rows;
  if (xs < w.cols || ys < w.rows) throw new RangeError(`${kernel} ${w.name}: row strides ${xs}, ${ys} below [${w.rows}, ${w.cols}]`);
  const xEnd = ((a.xOffset ?? 0) + (m - 1) * xs + w.cols) * 4;
  const yEnd = ((a.yOffset ?? 0) + (m - 1) * ys + w.rows) * 4;
  if (xEnd > a.x.size) throw new RangeError(`${kernel} ${w.name}: x needs ${xEnd} bytes, buffer has ${a.x.size}`);
  if (yEnd > a.y.size) throw new RangeError(`${kernel} ${w.name}: y needs ${yEnd} bytes, buffer has ${a.y.size}`);
}

const pow2floor = (n: number) => 2 ** Math.floor(Math.log2(Math.max(1, n)));
const pow2ceil = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

export interface MatvecShape {
  /** Threads along rows per workgroup. */
  readonly wgRows: number;
  /** Threads per row splitting K (power of two). */
  readonly lanes: number;
  /** Rows per thread (1, 2 or 4): each activation load serves this many rows. */
  readonly rpt: number;
  /**
   * The 4 lanes of a subgroup share each granule's activation loads (lib/matvec-x-subgroup.wgsl). Only with
   * lanes = 1, and only once probeMatvecSubgroups found that it computes correctly on this device.
   */
  readonly subgroupX?: boolean;
}

const subgroupXVerified = new WeakMap<GPUDevice, boolean>();

/** Records the start-up probe's verdict on the subgroup activation variant (src/kernels/matvec-probe.ts). */
export function setMatvecSubgroupX(ctx: GpuContext, verified: boolean): void {
  subgroupXVerified.set(ctx.device, verified);
}

export function matvecSubgroupXEnabled(ctx: GpuContext): boolean {
  return subgroupXVerified.get(ctx.device) === true;
}

const PLAIN_X: KernelExtras = { variant: 'x', snippets: [matvecXWgsl] };
const SUBGROUP_X: KernelExtras = {
  variant: 'x-subgroup',
  // The main loop is uniform whenever this variant is used (lanes = 1); the analysis cannot see that.
  header: 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);',
  snippets: [matvecXSubgroupWgsl],
};

/**
 * Workgroup shape for a part of `rows` rows and `granules` 32-element granules per row.
 * CPU adapters (SwiftShader): every storage load is a per-lane gather and activation loads would outnumber weight
 * loads ~7:1 (Q4_0), so 4 rows per thread share each one; 64 threads x 4 rows per workgroup, no lanes, no
 * barriers (it pays per workgroup and per barrier).
 * GPUs: 256 threads, one row per thread, enough lanes along K (reduced once in workgroup memory) that the part
 * fills >= ~256 workgroups; adjacent threads read adjacent 16-byte units of the same plane.
 */
export function matvecShape(ctx: GpuContext, rows: number, granules: number): MatvecShape {
  if (isCpuAdapter(ctx)) return { wgRows: 64, lanes: 1, rpt: 4, subgroupX: matvecSubgroupXEnabled(ctx) };
  const threads = Math.min(256, ctx.limits.maxInvocationsPerWorkgroup);
  const lanes = Math.max(1, Math.min(pow2ceil(65536 / rows), 64, pow2floor(granules), threads / 4));
  return { wgRows: threads / lanes, lanes, rpt: 1 };
}

export function isCpuAdapter(ctx: GpuContext): boolean {
  return ctx.adapterInfo.isFallback || ctx.adapterInfo.architecture === 'swiftshader';
}

/** Binds y (+)= W x for m <= 8 activation rows; one op per weight part. `shape` overrides matvecShape (benchmarks). */
export function bindMatvec(ctx: GpuContext, a: LinearArgs, shape?: MatvecShape): BoundOp[] {
  const w = a.weight;
  checkLinearArgs(a, 'matvec');
  if (a.m > MATVEC_MAX_ROWS) throw new RangeError(`matvec ${w.name}: m = ${a.m} > ${MATVEC_MAX_ROWS}; use bindMatmul or bindLinear`);
  const ng = granulesPerRow(w.type, w.cols);
  return w.parts.map((part) => {
    const { wgRows, lanes, rpt, subgroupX } = shape ?? matvecShape(ctx, part.rowCount, ng);
    if (subgroupX && lanes !== 1) throw new RangeError(`matvec ${w.name}: the subgroup activation variant needs lanes = 1`);
    const source = weightKernelSource('matvec', matvecWgsl, w.type, xLoadVariant(a), subgroupX ? SUBGROUP_X : PLAIN_X);
    const pipeline = getPipeline(ctx, source, {
      WG_ROWS: wgRows,
      LANES: lanes,
      RPT: rpt,
      MULTI: a.m > 1 ? 1 : 0,
      TAIL: w.cols % 32 !== 0 ? 1 : 0,
      SCALED: supportsScaledCodes(w.type) ? 1 : 0,
    });
    const params = createUniformBuffer(
      ctx,
      [w.cols, part.rowCount, ng, a.xOffset ?? 0, a.xStride ?? w.cols, a.yOffset ?? 0, a.yStride ?? w.rows, part.firstRow, a.m, a.accumulate ? 1 : 0],
      'uuuuuuuuuu',
      `matvec ${w.name} params`,
    );
    const bindGroup = createBindGroup(ctx, pipeline, [params, a.x, a.y, ...part.buffers], `matvec ${w.name}`);
    return fixedOp(`matvec ${w.name}`, pipeline, bindGroup, grid2d(ctx, Math.ceil(part.rowCount / (wgRows * rpt))));
  });
}
