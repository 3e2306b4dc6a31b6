// Loads a Gemma 4 GGUF's decode weights into wasm memory, repacked for the CPU kernels (row chunks at a time, so
// the transient copy stays small), or copied from a cached packed image of an earlier load (cpu/packed-image.ts),
// which skips the repack; any damage in the image falls back to repacking from the file. Norm weights are f32 in
// wasm memory too (addresses: the small ops read them there); the per-layer-embedding table stays in the file (rows are
// read per token, never into wasm memory), and the token embedding is read back from the packed tied head.
import { dequantize } from '../gguf/dequantize.js';
import { GgufError } from '../gguf/errors.js';
import { ggmlTypeTraits } from '../gguf/ggml-types.js';
import { readTensorBytes, readTensorRows } from '../gguf/tensor-data.js';
import type { ByteSource, GgufHeader, GgufTensorInfo } from '../gguf/types.js';
import type { GemmaConfig } from '../model/config.js';
import { packGgml, unpackRows } from './layouts.js';
import type { CpuKernels, WasmWeight } from './wasm-kernels.js';
import { layoutFormatOf } from './ggml-codes.js';
import { BLOCK_BYTES } from './wat/kernels-wat.js';
import {
  PackedImageReader,
  checkManifest,
  writePackedImage,
  type PackedImageIdentity,
  type PackedImageSourceTensor,
  type PackedImageStore,
} from './packed-image.js';

/** Where the packed weights of a load are cached, for this file. */
export interface PackedCacheOptions {
  readonly store: PackedImageStore;
  readonly identity: PackedImageIdentity;
  /** Write the image after a load that repacked (default true); the write runs after the load returns. */
  readonly save?: boolean;
  /** Where cache problems are reported (they never fail a load); default console.warn. */
  readonly log?: (message: string) => void;
  /** Checked between parts of a write: set it to stop writing (the partial image is dropped). */
  readonly signal?: { readonly aborted: boolean };
  /** Bytes per stored part (default PACKED_PART_BYTES; tests use small parts). */
  readonly partBytes?: number;
  /**
   * Awaited before each part of the write: resolves when the caller is idle, so the write never competes with an
   * answer being generated (the engine resolves it when no request runs). Default: write at once.
   */
  readonly whenIdle?: () => Promise<void>;
}

export interface PackedCacheReport {
  /** hit: every matrix came from the image; miss: there was no usable image; fallback: the image broke during the load. */
  readonly state: 'hit' | 'miss' | 'fallback';
  /** Why the image was not (fully) used. */
  readonly reason?: string;
  readonly tensorsFromCache: number;
  /** Settles after the background write: true when an image was written, false when none was (or it failed). */
  readonly saved: Promise<boolean>;
}

export interface CpuLayerWeights {
  readonly attnNorm: number;
  readonly q: WasmWeight;
  readonly k: WasmWeight | undefined;
  readonly v: WasmWeight | undefined;
  readonly qNorm: number;
  readonly kNorm: number | undefined;
  readonly o: WasmWeight;
  readonly postAttnNorm: number;
  readonly ffnNorm: number;
  readonly gate: WasmWeight;
  readonly up: WasmWeight;
  readonly down: WasmWeight;
  readonly postFfnNorm: number;
  readonly pleGate: WasmWeight | undefined;
  readonly pleProj: WasmWeight | undefined;
  readonly plePostNorm: number | undefined;
}

export interface CpuWeights {
  readonly layers: readonly CpuLayerWeights[];
  readonly output: WasmWeight;
  /** Norm weights: addresses of f32 vectors in wasm memory. */
  readonly outputNorm: number;
  readonly pleModelProj: WasmWeight | undefined;
  readonly pleProjNorm: number | undefined;
  /** Row `token` of token_embd, unscaled. */
  embeddingRow(token: number): Promise<Float32Array>;
  /** Row `token` of per_layer_token_embd ([L*P]), unscaled; read from the file. */
  pleRow(token: number): Promise<Float32Array>;
  /** Bytes of packed weights in wasm memory. */
  readonly packedBytes: number;
  /** Matrices this load repacked from the file (0 when all came from the packed cache). */
  readonly repackedTensors: number;
  /** What the packed cache did, when one was given. */
  readonly packedCache?: PackedCacheReport;
}

const layerName = (layer: number, suffix: string) => `blk.${layer}.${suffix}.weight`;

/** Rows decoded and packed per step: bounds the transient JS memory of a load (codes + scales of this many rows). */
const CHUNK_ELEMENTS = 1 << 22;

export async function loadCpuWeights(
  kernels: CpuKernels,
  source: ByteSource,
  header: GgufHeader,
  config: GemmaConfig,
  cache?: PackedCacheOptions,
): Promise<CpuWeights> {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  let packedBytes = 0;
  let repackedTensors = 0;
  let fromCache = 0;
  const log = cache?.log ?? ((m: string) => console.warn(m));
  let reader: PackedImageReader | undefined;
  let cacheReason: string | undefined;
  if (cache) {
    let manifest: unknown;
    try {
      manifest = await cache.store.readManifest();
    } catch (e) {
      manifest = undefined;
      cacheReason = `the packed cache could not be read (${(e as Error)?.name ?? e})`;
    }
    const checked = checkManifest(manifest, cache.identity);
    if (typeof checked === 'string') cacheReason ??= checked;
    else reader = new PackedImageReader(cache.store, checked);
  }
  const hadImage = reader !== undefined;
  const loaded: PackedImageSourceTensor[] = [];
  const must = (name: string): GgufTensorInfo => {
    const t = byName.get(name);
    if (!t) throw new GgufError('MISSING_TENSOR', `Tensor "${name}" is missing; the CPU path needs it.`, { tensor: name });
    return t;
  };
  const vector = async (name: string) => {
    const t = must(name);
    const values = dequantize(t.type, await readTensorBytes(source, header, t), t.elementCount, undefined, t.name);
    return kernels.uploadF32(values);
  };
  const matrix = async (name: string): Promise<WasmWeight> => {
    const t = must(name);
    const [cols, rows] = t.dims;
    if (rows % 4 !== 0 || cols % 32 !== 0) {
      throw new GgufError(
        'BAD_TENSOR_SHAPE',
        `Tensor "${name}" is [${cols}, ${rows}]; the CPU kernels need rows in multiples of 4 and columns in multiples of 32.`,
        { tensor: name, dims: [...t.dims] },
      );
    }
    const format = layoutFormatOf(t.type);
    const w = kernels.upload(format, rows, cols, () => {});
    loaded.push({ name, format, rows, cols, bytes: w.bytes, view: () => kernels.arena.u8(w.ptr, w.bytes) });
    packedBytes += w.bytes;
    if (reader && (await reader.readInto(name, format, rows, cols, () => kernels.arena.u8(w.ptr, w.bytes)))) {
      fromCache++;
      return w;
    }
    if (reader) {
      // The image broke: never read it again (a later load repacks until it is rewritten after this one).
      cacheReason = reader.failure;
      reader.close();
      reader = undefined;
      log(`Cached packed CPU weights are unusable (${cacheReason}); repacking from the model file.`);
      await cache!.store.drop().catch(() => undefined);
    }
    repackedTensors++;
    const traits = ggmlTypeTraits(t.type)!;
    const rowBytes = (cols / traits.blockSize) * traits.typeSize;
    const step = Math.max(4, Math.floor(CHUNK_ELEMENTS / cols / 4) * 4);
    const groupBytes = (cols / 32) * BLOCK_BYTES[format];
    for (let r = 0; r < rows; r += step) {
      const n = Math.min(step, rows - r);
      const bytes = await readTensorRows(source, header, t, r, n);
      packGgml(t.type, bytes.subarray(0, n * rowBytes), n, cols, kernels.arena.u8(w.ptr + (r / 4) * groupBytes, (n / 4) * groupBytes));
    }
    return w;
  };

  // Grow wasm memory once for every matrix this load packs (16 bytes of alignment slack each).
  const packedNames = header.tensors.filter((t) => t.dims.length === 2 && t.name !== 'per_layer_token_embd.weight');
  let total = 0;
  for (const t of packedNames) {
    const shared = /^blk\.(\d+)\.attn_[kv]\./.exec(t.name);
    if (shared && !config.layers[Number(shared[1])].ownsKv) continue;
    if (t.name === 'token_embd.weight' && byName.has('output.weight')) continue;
    total += Math.ceil(t.dims[1] / 4) * (t.dims[0] / 32) * BLOCK_BYTES[layoutFormatOf(t.type)] + 16;
  }
  for (const t of header.tensors) if (t.dims.length === 1) total += 4 * Math.max(t.elementCount, 4) + 16; // norms
  kernels.arena.reserve(total);

  const layers: CpuLayerWeights[] = [];
  const P = config.pleWidth;
  for (const layer of config.layers) {
    const n = (s: string) => layerName(layer.index, s);
    layers.push({
      attnNorm: await vector(n('attn_norm')),
      q: await matrix(n('attn_q')),
      k: layer.ownsKv ? await matrix(n('attn_k')) : undefined,
      // attn_v is optional (gguf-gemma4.md): without it V is the K projection before k_norm (forward.ts reuses it).
      v: layer.ownsKv && byName.has(n('attn_v')) ? await matrix(n('attn_v')) : undefined,
      qNorm: await vector(n('attn_q_norm')),
      kNorm: layer.ownsKv ? await vector(n('attn_k_norm')) : undefined,
      o: await matrix(n('attn_output')),
      postAttnNorm: await vector(n('post_attention_norm')),
      ffnNorm: await vector(n('ffn_norm')),
      gate: await matrix(n('ffn_gate')),
      up: await matrix(n('ffn_up')),
      down: await matrix(n('ffn_down')),
      postFfnNorm: await vector(n('post_ffw_norm')),
      pleGate: P > 0 ? await matrix(n('inp_gate')) : undefined,
      pleProj: P > 0 ? await matrix(n('proj')) : undefined,
      plePostNorm: P > 0 ? await vector(n('post_norm')) : undefined,
    });
  }

  const embd = must('token_embd.weight');
  const tied = !byName.has('output.weight');
  const output = await matrix(tied ? 'token_embd.weight' : 'output.weight');
  const embeddingRow = tied
    ? async (token: number) =>
        unpackRows(
          { format: output.format, rows: output.rows, cols: output.cols, groups: output.groups, bytes: kernels.arena.u8(output.ptr, output.bytes) },
          token,
          1,
        )
    : async (token: number) => {
        const bytes = await readTensorRows(source, header, embd, token, 1);
        return dequantize(embd.type, bytes, embd.dims[0], undefined, embd.name);
      };
  const pleInfo = byName.get('per_layer_token_embd.weight');
  const pleRow = async (token: number) => {
    if (!pleInfo) return new Float32Array(0);
    const bytes = await readTensorRows(source, header, pleInfo, token, 1);
    return dequantize(pleInfo.type, bytes, pleInfo.dims[0], undefined, pleInfo.name);
  };

  const outputNorm = await vector('output_norm.weight');
  const pleModelProj = P > 0 ? await matrix('per_layer_model_proj.weight') : undefined;
  const pleProjNorm = P > 0 ? await vector('per_layer_proj_norm.weight') : undefined;
  reader?.close();

  let packedCache: PackedCacheReport | undefined;
  if (cache) {
    const state = repackedTensors === 0 ? 'hit' : hadImage ? 'fallback' : 'miss';
    packedCache = { state, reason: cacheReason, tensorsFromCache: fromCache, saved: state === 'hit' || cache.save === false ? Promise.resolve(false) : savePackedImage(cache, loaded, log) };
  }
  return { layers, output, outputNorm, pleModelProj, pleProjNorm, embeddingRow, pleRow, packedBytes, repackedTensors, packedCache };
}

/** Writes the image of a load that repacked, after the load (never fails it): on any error the partial image is dropped. */
async function savePackedImage(cache: PackedCacheOptions, tensors: readonly PackedImageSourceTensor[], log: (m: string) => void): Promise<boolean> {
  // Let the caller finish its load (and start answering) before the first part is copied.
  await new Promise((r) => setTimeout(r, 0));
  try {
    await writePackedImage(cache.store, cache.identity, tensors, { signal: cache.signal, partBytes: cache.partBytes, beforePart: cache.whenIdle });
    return true;
  } catch (e) {
    log(`Could not cache the packed CPU weights (${(e as Error)?.name ?? 'error'}: ${(e as Error)?.message ?? e}); the next load repacks them from the model file.`);
    await cache.store.drop().catch(() => undefined);
    return false;
  }
}
