// Splits one GGUF file into shards in llama.cpp's gguf-split format, so loaders with a per-file size cap (wllama:
// 2 GB per file) can take a multi-GB model. Every shard is a complete GGUF: the first carries all of the model's
// metadata, every shard carries split.no (u16, 0-based), split.count (u16) and split.tensors.count (i32, the whole
// model's tensor count), and shards are named <prefix>-00001-of-0000N.gguf. Tensors keep their order; each one's
// bytes are copied unchanged, at an offset aligned as in the input (general.alignment goes into every shard).
import { existsSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { readGgufHeader } from '../src/gguf/reader.js';
import { GgufValueType } from '../src/gguf/types.js';
import type { ByteSource, GgufHeader } from '../src/gguf/types.js';
import { planGguf, type GgufWriteSpec } from '../src/gguf/writer.js';
import { openFileSource } from './node-file-source.js';

export const SPLIT_NO = 'split.no';
export const SPLIT_COUNT = 'split.count';
export const SPLIT_TENSORS_COUNT = 'split.tensors.count';
const SPLIT_KEYS = new Set([SPLIT_NO, SPLIT_COUNT, SPLIT_TENSORS_COUNT]);
/** split.no and split.count are u16 in llama.cpp. */
const MAX_SPLITS = 0xffff;
const COPY_CHUNK = 64 * 1024 * 1024;

export type GgufSplitErrorCode = 'BAD_SPLIT_SIZE' | 'ALREADY_SPLIT' | 'TOO_MANY_SPLITS';

export class GgufSplitError extends Error {
  override readonly name = 'GgufSplitError';
  constructor(
    readonly code: GgufSplitErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** llama.cpp's llama_split_path: `<prefix>-%05d-of-%05d.gguf`, numbered from 1. */
export function splitShardPath(prefix: string, index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `${prefix}-${pad(index + 1)}-of-${pad(count)}.gguf`;
}

/**
 * Groups tensor indices into shards the way `llama-gguf-split --split-max-size` does: a tensor starts a new shard
 * when the shard's (alignment-padded) tensor bytes would pass maxShardBytes; a tensor larger than the limit gets a
 * shard of its own. The limit counts tensor data only (the header comes on top), as in llama.cpp.
 */
export function planShards(header: GgufHeader, maxShardBytes: number): number[][] {
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes <= 0) {
    throw new GgufSplitError('BAD_SPLIT_SIZE', `The shard size limit must be a positive whole number of bytes, got ${maxShardBytes}.`);
  }
  const existing = header.metadata.get(SPLIT_COUNT);
  if (existing && Number(existing.value) > 1) {
    throw new GgufSplitError('ALREADY_SPLIT', `The input is already shard ${Number(header.metadata.get(SPLIT_NO)?.value ?? 0) + 1} of ${Number(existing.value)}: split the merged file instead.`);
  }
  const shards: number[][] = [[]];
  let bytes = 0;
  header.tensors.forEach((t, i) => {
    const padded = Math.ceil(t.byteSize / header.alignment) * header.alignment;
    if (shards.at(-1)!.length > 0 && bytes + padded > maxShardBytes) {
      shards.push([]);
      bytes = 0;
    }
    shards.at(-1)!.push(i);
    bytes += padded;
  });
  if (shards.length > MAX_SPLITS) {
    throw new GgufSplitError('TOO_MANY_SPLITS', `That limit makes ${shards.length} shards; split.count is a u16 (at most ${MAX_SPLITS}). Use a larger limit.`);
  }
  return shards;
}

/** The write spec of shard `index` of `count`: all metadata in the first, split keys (and alignment) in every one. */
export function shardSpec(header: GgufHeader, tensorIndices: readonly number[], index: number, count: number): GgufWriteSpec {
  const metadata: GgufWriteSpec['metadata'] = [];
  for (const [key, { type, value }] of header.metadata) {
    if (SPLIT_KEYS.has(key)) continue;
    if (index === 0 || key === 'general.alignment') metadata.push({ key, type, value });
  }
  metadata.push(
    { key: SPLIT_NO, type: GgufValueType.UINT16, value: index },
    { key: SPLIT_COUNT, type: GgufValueType.UINT16, value: count },
    { key: SPLIT_TENSORS_COUNT, type: GgufValueType.INT32, value: header.tensors.length },
  );
  const version = header.version;
  const tensors = tensorIndices.map((i) => ({ name: header.tensors[i].name, dims: [...header.tensors[i].dims], type: header.tensors[i].type }));
  return { version, alignment: header.alignment, metadata, tensors };
}

async function writeShard(source: ByteSource, header: GgufHeader, spec: GgufWriteSpec, tensorIndices: readonly number[], path: string): Promise<void> {
  const plan = planGguf(spec);
  const file = await open(path, 'w');
  try {
    const write = async (bytes: Uint8Array, position: number) => {
      for (let done = 0; done < bytes.byteLength; ) done += (await file.write(bytes, done, bytes.byteLength - done, position + done)).bytesWritten;
    };
    await write(plan.header, 0);
    for (const [k, i] of tensorIndices.entries()) {
      const t = header.tensors[i];
      for (let at = 0; at < t.byteSize; at += COPY_CHUNK) {
        const n = Math.min(COPY_CHUNK, t.byteSize - at);
        await write(await source.read(header.dataOffset + t.offset + at, n), plan.dataOffset + plan.tensorOffsets[k] + at);
      }
    }
    // Padding after each tensor (and the last one's, to the alignment) reads back as zeros.
    await file.truncate(plan.totalSize);
    await file.close();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}

export interface SplitResult {
  readonly paths: string[];
  /** false when every shard was already on disk with its planned size. */
  readonly written: boolean;
}

/**
 * Splits `input` into shards next to `prefix` (see splitShardPath). Shards already on disk with the planned size
 * are kept, so a benchmark can call this every run; each new shard is written to a .tmp file and renamed.
 */
export async function splitGgufFile(input: string, prefix: string, maxShardBytes: number): Promise<SplitResult> {
  const source = await openFileSource(input);
  try {
    const header = await readGgufHeader(source);
    const groups = planShards(header, maxShardBytes);
    const specs = groups.map((g, i) => shardSpec(header, g, i, groups.length));
    const paths = groups.map((_, i) => splitShardPath(prefix, i, groups.length));
    const sizes = specs.map((s) => planGguf(s).totalSize);
    const present = await Promise.all(paths.map(async (p, i) => existsSync(p) && (await stat(p)).size === sizes[i]));
    if (present.every(Boolean)) return { paths, written: false };
    for (const [i, path] of paths.entries()) {
      if (present[i]) continue;
      await writeShard(source, header, specs[i], groups[i], `${path}.tmp`);
      await rename(`${path}.tmp`, path);
    }
    return { paths, written: true };
  } finally {
    await source.close();
  }
}
