// Test and benchmark page for the CPU path's packed-weight cache over the real IndexedDB: window.cpuCache loads a
// stored model with the cache (as the engine does), reports whether it repacked, how long it took and a hash of
// the logits, and can damage or delete the cache. Used by e2e/cpu-packed-cache.e2e.test.ts and bench-cpu --cache.
import { checksum32 } from '../../src/cpu/packed-image.js';
import { defaultCpuThreads, spawnWebWorker } from '../../src/cpu/web-spawn.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { CpuTokenGenerator } from '../../src/model/cpu-generator.js';
import { loadGemmaConfig } from '../../src/model/load-config.js';
import { deleteModel, ensureModel, idbModelStore, listModels, packedCacheFor } from '../../src/storage/index.js';

export interface CacheLoadOptions {
  readonly sha256?: string;
  readonly size?: number;
  readonly threads?: number;
  readonly promptTokens?: number;
  /** Greedy decode steps after the prompt (on a first load they overlap the cache write). */
  readonly decodeTokens?: number;
  readonly chunkBytes?: number;
}

const warnings: string[] = [];
const argmax = (z: Float32Array) => z.reduce((best, v, i) => (v > z[best] ? i : best), 0);

async function load(url: string, o: CacheLoadOptions = {}) {
  const e0 = performance.now();
  const ensured = await ensureModel({ url, sha256: o.sha256, size: o.size }, { chunkBytes: o.chunkBytes });
  const ensureMs = performance.now() - e0;
  const source = ensured.source;
  const t0 = performance.now();
  const header = await readGgufHeader(source);
  const config = await loadGemmaConfig(source, header);
  const { threads } = defaultCpuThreads(o.threads);
  const g = await CpuTokenGenerator.load(source, header, config, {
    contextLength: 256,
    threads,
    spawn: spawnWebWorker,
    packedCache: {
      store: packedCacheFor(ensured.modelId)!,
      identity: { modelId: ensured.modelId, size: source.size, sha256: source.sha256 },
      log: (m) => warnings.push(m),
    },
  });
  const loadMs = performance.now() - t0;
  try {
    const w = g.forward.weights;
    const prompt = Array.from({ length: o.promptTokens ?? 4 }, (_, i) => (i === 0 ? 2 : 3 + ((i * 7919) % (config.vocabSize - 3))));
    const p0 = performance.now();
    const logits = (await g.forward.run(prompt, 'last'))[0];
    const prefillMs = performance.now() - p0;
    const stepMs: number[] = [];
    let z = logits;
    for (let i = 0; i < (o.decodeTokens ?? 0); i++) {
      const s0 = performance.now();
      z = (await g.forward.run([argmax(z)], 'last'))[0];
      stepMs.push(performance.now() - s0);
    }
    const decodeMsMedian = stepMs.length ? [...stepMs].sort((a, b) => a - b)[stepMs.length >> 1] : NaN;
    // The write runs after the load; time it separately (the first answer does not wait for it).
    const s0 = performance.now();
    const saved = await w.packedCache!.saved;
    const saveMs = performance.now() - s0;
    return {
      modelId: ensured.modelId,
      ensureMs,
      loadMs,
      prefillMs,
      decodeMsMedian,
      saved,
      saveMs,
      state: w.packedCache!.state,
      reason: w.packedCache!.reason,
      repackedTensors: w.repackedTensors,
      tensorsFromCache: w.packedCache!.tensorsFromCache,
      packedBytes: w.packedBytes,
      wasmBytes: g.forward.products.kernels.arena.memory.buffer.byteLength,
      fileBytes: source.size,
      threads: g.forward.products.threads,
      logitsHash: checksum32(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength)),
      warnings: warnings.splice(0),
    };
  } finally {
    g.destroy();
    source.release();
  }
}

async function info(id: string) {
  const packed = idbModelStore().packed;
  const listed = (await listModels()).find((m) => m.id === id);
  return {
    listed: listed !== undefined,
    packedBytes: listed?.packedBytes ?? 0,
    manifest: (await packed.getManifest(id)) !== undefined,
    parts: await packed.partCount(id),
  };
}

/** Damages part `index` of a model's packed cache: 'truncate' drops its last 16 bytes, 'flip' changes one byte. */
async function damage(id: string, index: number, how: 'truncate' | 'flip') {
  const packed = idbModelStore().packed;
  const bytes = (await packed.getPart(id, index))!;
  if (how === 'flip') bytes[bytes.length >> 1] ^= 1;
  await packed.putPart(id, index, how === 'truncate' ? bytes.slice(0, bytes.length - 16) : bytes);
}

async function estimate() {
  const e = await navigator.storage.estimate();
  return { usage: e.usage ?? 0, quota: e.quota ?? 0 };
}

/** Stores the model in IndexedDB (benchmarks download before timing loads). */
async function download(url: string, size?: number) {
  (await ensureModel({ url, size })).source.release();
}

(window as unknown as { cpuCache: unknown }).cpuCache = { load, info, damage, estimate, download, remove: (id: string) => deleteModel(id) };
document.title = 'ready';
