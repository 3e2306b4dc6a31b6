// Page for scripts/bench-storage.ts: times a real download into IndexedDB, its parts (network, SHA-256, IndexedDB
// writes), the cached load (open + read every byte through the ByteSource), and per-layer-embedding row reads from
// the stored Blobs versus from memory. Exposes window.storageBench; results are plain JSON.
import { sha256 } from '@noble/hashes/sha2.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { IdbModelStore } from '../../src/storage/idb-store.js';
import { ensureModel, openCachedModel, type StorageProgress } from '../../src/storage/index.js';

const MB = 1e6;
const storeFor = (values: 'bytes' | 'blob') => new IdbModelStore({ chunkValues: values });
const log = (s: string) => (document.getElementById('log')!.textContent += s + '\n');

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, meanMs: s.reduce((a, b) => a + b, 0) / s.length, p50Ms: q(0.5), p95Ms: q(0.95), maxMs: s[s.length - 1] };
}

const bench = {
  /** Full download into IndexedDB with verification. */
  async download(url: string, sha: string, size: number, chunkBytes: number, concurrency: number, values: 'bytes' | 'blob') {
    const events: Array<StorageProgress & { t: number }> = [];
    const t0 = performance.now();
    let lastLog = 0;
    const m = await ensureModel(
      { url, sha256: sha, size },
      {
        chunkBytes,
        concurrency,
        store: storeFor(values),
        onProgress: (p) => {
          events.push({ ...p, t: performance.now() });
          if (performance.now() - lastLog > 5000) {
            lastLog = performance.now();
            console.log(`${p.phase} ${(p.bytesDone / MB).toFixed(0)}/${(p.bytesTotal / MB).toFixed(0)} MB ${p.rate ? (p.rate / MB).toFixed(0) + ' MB/s' : ''}`);
          }
        },
      },
    );
    const ms = performance.now() - t0;
    // Time from the last chunk stored to verified: what the hash still had to do after the download.
    const verifyStart = events.find((e) => e.phase === 'verifying');
    const verifyMs = verifyStart ? events.at(-1)!.t - verifyStart.t : 0;
    log(`download ${ms.toFixed(0)} ms`);
    return { ms, mbPerS: size / MB / (ms / 1000), verified: m.verified, fromCache: m.fromCache, modelId: m.modelId, progressEvents: events.length, verifyMs };
  },

  /** SHA-256 (noble, incremental) over `mib` MiB, in 16 MiB updates, CPU only. */
  hashSpeed(mib: number) {
    const buf = new Uint8Array(16 << 20);
    crypto.getRandomValues(buf.subarray(0, 65536));
    const h = sha256.create();
    const t0 = performance.now();
    for (let i = 0; i < mib / 16; i++) h.update(buf);
    h.digest();
    const ms = performance.now() - t0;
    return { mbPerS: (mib * 1048576) / MB / (ms / 1000) };
  },

  /** IndexedDB chunk writes alone: `mib` MiB in fresh chunks of `chunkMib`, `parallel` at a time, then deleted. */
  async idbWriteSpeed(mib: number, chunkMib: number, parallel: number, values: 'bytes' | 'blob') {
    const s = storeFor(values);
    const n = Math.ceil(mib / chunkMib);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < n) {
          const chunk = new Uint8Array(chunkMib << 20);
          chunk[0] = next;
          await s.putChunk('bench:scratch', next++, chunk);
        }
      }),
    );
    const ms = performance.now() - t0;
    await s.deleteChunks('bench:scratch');
    return { mbPerS: (n * (chunkMib << 20)) / MB / (ms / 1000), blobFallbacks: s.blobFallbacks };
  },

  /** The local server alone: ranged GETs of `mib` MiB, bodies read and dropped. */
  async networkSpeed(url: string, mib: number, chunkBytes: number, parallel: number) {
    const n = Math.ceil((mib << 20) / chunkBytes);
    let next = 0;
    let bytes = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < n) {
          const i = next++;
          const r = await fetch(url, { headers: { Range: `bytes=${i * chunkBytes}-${(i + 1) * chunkBytes - 1}` }, cache: 'no-store' });
          bytes += (await r.arrayBuffer()).byteLength;
        }
      }),
    );
    return { mbPerS: bytes / MB / ((performance.now() - t0) / 1000) };
  },

  /**
   * Cached load as the engine does it: ensureModel on a complete model (no network), GGUF header, then every
   * tensor read through the ByteSource in file order (the per-layer-embedding table in one read, as pleInMemory).
   */
  async cachedLoad(url: string, sha: string, size: number, values: 'bytes' | 'blob') {
    const t0 = performance.now();
    const m = await ensureModel({ url, sha256: sha, size }, { store: storeFor(values) });
    const ensureMs = performance.now() - t0;
    const header = await readGgufHeader(m.source);
    const headerMs = performance.now() - t0 - ensureMs;
    const t1 = performance.now();
    let bytes = 0;
    let pleMs = 0;
    for (const t of header.tensors) {
      const s = performance.now();
      const b = await m.source.read(header.dataOffset + t.offset, t.byteSize);
      if (t.name === 'per_layer_token_embd.weight') pleMs = performance.now() - s;
      bytes += b.byteLength;
    }
    const readMs = performance.now() - t1;
    const totalMs = performance.now() - t0;
    log(`cached load ${totalMs.toFixed(0)} ms`);
    return { fromCache: m.fromCache, ensureMs, headerMs, readMs, totalMs, bytes, readMbPerS: bytes / MB / (readMs / 1000), pleTableReadMs: pleMs, tensors: header.tensors.length };
  },

  /** Per-layer-embedding rows: random tokens read from the stored Blobs one at a time and 64 at once, vs from memory. */
  async pleLatency(id: string, n: number, values: 'bytes' | 'blob') {
    const source = await openCachedModel(id, { store: storeFor(values) });
    const header = await readGgufHeader(source);
    const info = header.tensors.find((t) => t.name === 'per_layer_token_embd.weight')!;
    const rows = info.dims[1];
    const rowBytes = info.byteSize / rows;
    const base = header.dataOffset + info.offset;
    const tokens = Array.from({ length: n }, () => Math.floor(Math.random() * rows));
    const single: number[] = [];
    for (const tok of tokens) {
      const s = performance.now();
      await source.read(base + tok * rowBytes, rowBytes);
      single.push(performance.now() - s);
    }
    const batch: number[] = [];
    for (let k = 0; k + 64 <= n; k += 64) {
      const s = performance.now();
      await Promise.all(tokens.slice(k, k + 64).map((tok) => source.read(base + tok * rowBytes, rowBytes)));
      batch.push(performance.now() - s);
    }
    const t = performance.now();
    const table = await source.read(base, info.byteSize);
    const tableLoadMs = performance.now() - t;
    const mem: number[] = [];
    for (const tok of tokens) {
      const s = performance.now();
      table.slice(tok * rowBytes, (tok + 1) * rowBytes);
      mem.push(performance.now() - s);
    }
    return { rowBytes, rows, tableBytes: info.byteSize, blobRow: stats(single), blobBatch64: stats(batch), memoryRow: stats(mem), tableLoadMs };
  },

  usage: () => navigator.storage.estimate(),
  persisted: () => navigator.storage.persisted(),
};

(window as unknown as { storageBench: typeof bench }).storageBench = bench;
document.title = 'ready';
