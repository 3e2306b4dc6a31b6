// Buffer helpers: storage buffers from typed data, uniform buffers for kernel parameters, a byte-size guard.
import type { GpuContext } from './context.js';
import { GpuError } from './errors.js';

/** GPUBufferUsage values (the spec's numbers; the global is missing in Node until Dawn is loaded). */
export const BufferUsage = { MAP_READ: 0x01, COPY_SRC: 0x04, COPY_DST: 0x08, UNIFORM: 0x40, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** A storage buffer of `byteSize` bytes (rounded up to 4), usable as a copy source and target. */
export function createStorageBuffer(ctx: GpuContext, byteSize: number, label: string): GPUBuffer {
  const size = Math.max(4, align4(byteSize));
  if (size > ctx.limits.maxBufferSize) {
    throw new GpuError('TOO_LARGE', `Buffer "${label}" needs ${size} bytes; the device allows ${ctx.limits.maxBufferSize}.`, {
      label,
      size,
    });
  }
  return ctx.createBuffer({ label, size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
}

/** A storage buffer initialised with `data`. */
export function uploadStorageBuffer(ctx: GpuContext, data: ArrayBufferView, label: string): GPUBuffer {
  const buffer = createStorageBuffer(ctx, data.byteLength, label);
  writeBuffer(ctx, buffer, 0, data);
  return buffer;
}

/** queue.writeBuffer that pads the data to a multiple of 4 bytes, as WebGPU requires. */
export function writeBuffer(ctx: GpuContext, buffer: GPUBuffer, offset: number, data: ArrayBufferView): void {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 === 0) {
    ctx.device.queue.writeBuffer(buffer, offset, bytes);
  } else {
    const padded = new Uint8Array(align4(bytes.byteLength));
    padded.set(bytes);
    ctx.device.queue.writeBuffer(buffer, offset, padded);
  }
}

/** A uniform buffer holding 32-bit words (u32/i32/f32 packed by the caller's field order). */
export function createUniformBuffer(ctx: GpuContext, words: ArrayLike<number>, types: string, label: string): GPUBuffer {
  const data = packWords(words, types);
  const buffer = ctx.createBuffer({ label, size: Math.max(16, align16(data.byteLength)), usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  ctx.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** Packs numbers as 32-bit words; types is one letter per word: u (u32), i (i32), f (f32). */
export function packWords(words: ArrayLike<number>, types: string): Uint8Array {
  if (types.length !== words.length) throw new Error(`packWords: ${words.length} words, ${types.length} types`);
  const buf = new ArrayBuffer(align16(words.length * 4) || 16);
  const view = new DataView(buf);
  for (let i = 0; i < words.length; i++) {
    const t = types[i];
    if (t === 'u') view.setUint32(i * 4, words[i], true);
    else if (t === 'i') view.setInt32(i * 4, words[i], true);
    else if (t === 'f') view.setFloat32(i * 4, words[i], true);
    else throw new Error(`packWords: unknown type ${t}`);
  }
  return new Uint8Array(buf);
}
