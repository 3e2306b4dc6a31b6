// Instantiates the CPU kernels (built by scripts/build-wasm.ts) over one wasm memory, with a bump allocator for
// weights and scratch, and typed wrappers for the products and the activation preparation.
import { KERNEL_WASM_BASE64 } from './generated/kernels-wasm.js';
import { BLOCK_BYTES, type LayoutFormat } from './wat/kernels-wat.js';

/** How activations enter the products: quantized to int8 per 32 (fast) or kept f32 (reference mode). */
export type ActivationMode = 'int8' | 'f32';

export interface KernelExports {
  readonly [name: string]: (...args: number[]) => void;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let relaxedSupport: boolean | undefined;

/** True when this engine validates relaxed SIMD (Chromium 114+, Node 22+, Node 20 with --experimental-wasm-relaxed-simd). */
export function supportsRelaxedSimd(): boolean {
  relaxedSupport ??= WebAssembly.validate(decodeBase64(KERNEL_WASM_BASE64.relaxedProbe));
  return relaxedSupport;
}

/** True when plain 128-bit SIMD validates (every current browser); without it there is no CPU path. */
export function supportsSimd(): boolean {
  return WebAssembly.validate(decodeBase64(KERNEL_WASM_BASE64.simd));
}

const PAGE = 65536;
const MAX_PAGES = 65536;

/** Rounds up to 16 bytes in float arithmetic: addresses pass 2 GiB (E4B), where `& ~15` would turn them negative. */
const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** One wasm memory and a bump allocator over it (weights first, then scratch; nothing is freed). */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  private top = 64;

  constructor(shared: boolean, memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
  }

  /** Allocates `bytes` (16-byte aligned), growing the memory; throws a RangeError past 4 GiB. */
  alloc(bytes: number): number {
    const at = align16(this.top);
    const end = at + bytes;
    if (end > MAX_PAGES * PAGE) {
      throw new RangeError(`CPU weights and buffers need ${(end / 2 ** 30).toFixed(2)} GiB, over the 4 GiB a wasm32 memory holds`);
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return at;
  }

  /** Grows the memory once for `bytes` more (many small grows cost seconds over a multi-GB load). */
  reserve(bytes: number): void {
    const end = align16(this.top) + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have && end <= MAX_PAGES * PAGE) this.memory.grow(Math.ceil((end - have) / PAGE));
  }

  get used(): number {
    return this.top;
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }
}

/** A weight matrix repacked into wasm memory. */
export interface WasmWeight {
  readonly format: LayoutFormat;
  readonly rows: number;
  readonly cols: number;
  readonly groups: number;
  readonly ptr: number;
  readonly bytes: number;
}

export interface KernelOptions {
  /** Use the relaxed-SIMD build (default: when the engine supports it). */
  readonly relaxed?: boolean;
}

/** Scratch for one prepared activation matrix [M, K]. */
interface Prepared {
  x: number;
  M: number;
  K: number;
  mode: ActivationMode;
}

export class CpuKernels {
  readonly relaxed: boolean;
  private readonly ex: KernelExports;
  private scratchCap = 0;
  private xq = 0;
  private xs = 0;
  private xsum16 = 0;
  private xsum32 = 0;
  private prepared: Prepared | undefined;

  private constructor(
    readonly arena: WasmArena,
    instance: WebAssembly.Instance,
    relaxed: boolean,
  ) {
    this.ex = instance.exports as unknown as KernelExports;
    this.relaxed = relaxed;
  }

  static async create(arena: WasmArena, options: KernelOptions = {}): Promise<CpuKernels> {
    const relaxed = options.relaxed ?? supportsRelaxedSimd();
    const shared = arena.memory.buffer instanceof (globalThis.SharedArrayBuffer ?? class {});
    const key = `${relaxed ? 'relaxed' : 'simd'}${shared ? 'Shared' : ''}` as keyof typeof KERNEL_WASM_BASE64;
    const module = await WebAssembly.compile(decodeBase64(KERNEL_WASM_BASE64[key]));
    const instance = await WebAssembly.instantiate(module, { env: { memory: arena.memory } });
    return new CpuKernels(arena, instance, relaxed);
  }

  /** Copies a repacked layout into wasm memory. */
  upload(format: LayoutFormat, rows: number, cols: number, fill: (dst: Uint8Array) => void): WasmWeight {
    const groups = Math.ceil(rows / 4);
    const bytes = groups * (cols / 32) * BLOCK_BYTES[format];
    const ptr = this.arena.alloc(bytes);
    fill(this.arena.u8(ptr, bytes));
    return { format, rows, cols, groups, ptr, bytes };
  }

  /** Reserves activation scratch for up to `elements` = M * K values (call before weights stop growing memory). */
  reserve(elements: number): void {
    if (elements <= this.scratchCap) return;
    this.scratchCap = elements;
    this.xq = this.arena.alloc(elements);
    this.xs = this.arena.alloc(elements / 8);
    this.xsum16 = this.arena.alloc(elements / 4);
    this.xsum32 = this.arena.alloc(elements / 8);
  }

  /** Prepares x ([M, K] f32 at ptr `x`) for the following products: int8 codes and sums, or f32 sums. */
  prepare(x: number, M: number, K: number, mode: ActivationMode): void {
    if (K % 32 !== 0) throw new RangeError(`activation length ${K} is not a multiple of 32`);
    this.reserve(M * K);
    if (mode === 'int8') this.ex.quantize_rows(x, M, K, this.xq, this.xs, this.xsum16, this.xsum32);
    else this.ex.sum_rows(x, M, K, this.xsum16, this.xsum32);
    this.prepared = { x, M, K, mode };
  }

  /** y[m, r] = W[r, :] . x[m, :] for the prepared x, row groups [g0, g1) (default all); y row stride 4 * groups. */
  matvec(w: WasmWeight, y: number, g0 = 0, g1 = w.groups): void {
    const { name, args } = this.kernelArgs(w, y, g0, g1);
    this.ex[name](...args);
  }

  /**
   * The export and its arguments (w, x, xs, xsum, y, K, g0, g1, M, ystride) for a product on the prepared
   * activations: threads run the same call on their own group ranges.
   */
  kernelArgs(w: WasmWeight, y: number, g0 = 0, g1 = w.groups): { name: string; args: number[] } {
    const p = this.prepared;
    if (!p) throw new Error('matvec before prepare');
    if (p.K !== w.cols) throw new RangeError(`matvec: activations have ${p.K} columns, the weight ${w.cols}`);
    const stride = 4 * w.groups;
    const sums = w.format === 'u8g16' ? this.xsum16 : this.xsum32;
    if (w.format === 'f32') return { name: 'matvec_f32_f32', args: [w.ptr, p.x, 0, 0, y, p.K, g0, g1, p.M, stride] };
    if (p.mode === 'int8') return { name: `matvec_${w.format}_int`, args: [w.ptr, this.xq, this.xs, sums, y, p.K, g0, g1, p.M, stride] };
    return { name: `matvec_${w.format}_f32`, args: [w.ptr, p.x, 0, sums, y, p.K, g0, g1, p.M, stride] };
  }

  /** The module's exports (the small ops' wrapper, cpu/wasm-small-ops.ts, calls them directly). */
  get exports(): KernelExports {
    return this.ex;
  }

  /** Copies f32 values (norm weights) into wasm memory; returns their address. */
  uploadF32(values: Float32Array): number {
    const ptr = this.arena.alloc(4 * Math.max(values.length, 4));
    this.arena.f32(ptr, values.length).set(values);
    return ptr;
  }

  /** Calls a kernel export by name (threads.ts). */
  call(name: string, args: readonly number[]): void {
    this.ex[name](...args);
  }

  /** Sums `bytes` (a multiple of 64) at ptr with i32x4 adds: the streaming-read roofline of the benchmarks. */
  streamRead(ptr: number, bytes: number): number {
    return (this.ex.stream_read as unknown as (p: number, n: number) => number)(ptr, bytes);
  }

  /** The int8 codes, scales and sums of the last prepare (tests). */
  preparedInt8(): { q: Int8Array; d: Float32Array; sum16: Float32Array; sum32: Float32Array } {
    const p = this.prepared!;
    const n = p.M * p.K;
    const buf = this.arena.memory.buffer;
    return {
      q: new Int8Array(buf, this.xq, n),
      d: new Float32Array(buf, this.xs, n / 32),
      sum16: new Float32Array(buf, this.xsum16, n / 16),
      sum32: new Float32Array(buf, this.xsum32, n / 32),
    };
  }

  /** Overwrites the prepared int8 activations (tests feed the TypeScript quantizer's output). */
  setPreparedInt8(q: Int8Array, d: Float32Array, sum16: Float32Array, sum32: Float32Array): void {
    const t = this.preparedInt8();
    t.q.set(q);
    t.d.set(d);
    t.sum16.set(sum16);
    t.sum32.set(sum32);
  }
}
