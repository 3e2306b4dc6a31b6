// npx tsx scripts/bench-storage.ts [--mb 3350] [--chunk-mib 16] [--concurrency 4] [--ple-rows 200] [--values bytes|blob]
//                                   [--keep-profile]
// Storage benchmark: a file of real Gemma 4 E2B size (GGUF header with E2B-shaped tensors, random weight bytes,
// cached under .cache/bench/) is served by the Range server and downloaded into IndexedDB in Chromium (persistent
// profile, so IndexedDB lives on disk as in a real browser). Prints one JSON object, then a table: download MB/s,
// its parts (local network, SHA-256, IndexedDB writes), cached load time (ensureModel with no network + read every
// byte through the ByteSource, i.e. what the GPU upload reads), and per-layer-embedding row reads from stored Blobs
// versus memory.
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { startRangeServer } from '../e2e/range-server.js';
import { GgmlType, GgufValueType } from '../src/gguf/types.js';
import { planGguf, type GgufWriteSpec } from '../src/gguf/writer.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';

const MB = 1e6;
const DIR = '.cache/bench/storage';

/** Gemma 4 E2B's tensor list (hidden 1536, 35 layers, 15 own K/V, vocab 262144, PLE 35x256), QAT Q4_0-like types. */
function e2bSpec(vocab = 262_144): GgufWriteSpec {
  const H = 1536;
  const L = 35;
  const owners = 15;
  const P = 256;
  const tensors: GgufWriteSpec['tensors'] = [
    { name: 'token_embd.weight', dims: [H, vocab], type: GgmlType.Q6_K },
    { name: 'per_layer_token_embd.weight', dims: [P * L, vocab], type: GgmlType.Q6_K },
    { name: 'per_layer_model_proj.weight', dims: [H, P * L], type: GgmlType.BF16 },
    { name: 'per_layer_proj_norm.weight', dims: [P], type: GgmlType.F32 },
    { name: 'output_norm.weight', dims: [H], type: GgmlType.F32 },
    { name: 'rope_freqs.weight', dims: [256], type: GgmlType.F32 },
  ];
  for (let i = 0; i < L; i++) {
    const full = i % 5 === 4;
    const hd = full ? 512 : 256;
    const F = i >= owners ? 12_288 : 6144;
    const b = (s: string) => `blk.${i}.${s}.weight`;
    tensors.push({ name: b('attn_norm'), dims: [H], type: GgmlType.F32 }, { name: b('attn_q'), dims: [H, 8 * hd], type: GgmlType.Q4_0 });
    if (i < owners) {
      tensors.push({ name: b('attn_k'), dims: [H, hd], type: GgmlType.Q4_0 }, { name: b('attn_v'), dims: [H, hd], type: GgmlType.Q4_0 });
    }
    tensors.push(
      { name: b('attn_output'), dims: [8 * hd, H], type: GgmlType.Q4_0 },
      { name: b('ffn_gate'), dims: [H, F], type: GgmlType.Q4_0 },
      { name: b('ffn_up'), dims: [H, F], type: GgmlType.Q4_0 },
      { name: b('ffn_down'), dims: [F, H], type: GgmlType.Q4_0 },
      { name: b('inp_gate'), dims: [H, P], type: GgmlType.Q4_0 },
      { name: b('proj'), dims: [P, H], type: GgmlType.Q4_0 },
      { name: b('layer_output_scale'), dims: [1], type: GgmlType.F32 },
    );
  }
  const spec: GgufWriteSpec = {
    metadata: [
      { key: 'general.architecture', type: GgufValueType.STRING, value: 'gemma4' },
      { key: 'general.name', type: GgufValueType.STRING, value: 'storage-bench-e2b-size (random weights)' },
    ],
    tensors,
  };
  return spec;
}

/** E2B's layout; for quick runs (--mb below E2B size) a smaller vocabulary shrinks the two embedding tables. */
function specForSize(targetBytes: number): GgufWriteSpec {
  let vocab = 262_144;
  while (vocab > 256 && planGguf(e2bSpec(vocab)).totalSize > targetBytes * 1.02) vocab -= 256;
  return e2bSpec(vocab);
}

async function ensureFile(targetMb: number): Promise<{ path: string; size: number; sha256: string }> {
  await mkdir(DIR, { recursive: true });
  const path = join(DIR, `e2b-size-${targetMb}mb.gguf`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(await readFile(meta, 'utf8')) as { size: number; sha256: string };
    if ((await stat(path)).size === m.size) return { path, ...m };
  }
  const plan = planGguf(specForSize(targetMb * MB));
  const f = await open(path, 'w');
  const hash = createHash('sha256');
  const t0 = performance.now();
  try {
    await f.write(plan.header, 0, plan.header.byteLength, 0);
    hash.update(plan.header);
    const block = Buffer.alloc(32 << 20);
    for (let pos = plan.header.byteLength; pos < plan.totalSize; ) {
      const n = Math.min(block.length, plan.totalSize - pos);
      randomFillSync(block, 0, n);
      await f.write(block, 0, n, pos);
      hash.update(block.subarray(0, n));
      pos += n;
    }
  } finally {
    await f.close();
  }
  const info = { size: plan.totalSize, sha256: hash.digest('hex') };
  await writeFile(meta, JSON.stringify(info));
  console.error(`generated ${path} (${(info.size / MB).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { path, ...info };
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      mb: { type: 'string', default: '3350' },
      'chunk-mib': { type: 'string', default: '16' },
      concurrency: { type: 'string', default: '4' },
      'ple-rows': { type: 'string', default: '200' },
      values: { type: 'string', default: 'blob' },
      'keep-profile': { type: 'boolean', default: false },
    },
  });
  const chunkBytes = Number(opts['chunk-mib']) << 20;
  const concurrency = Number(opts.concurrency);
  const file = await ensureFile(Number(opts.mb));
  const files = await startRangeServer();
  files.serve('/model.gguf', file.path);
  const vite = await createServer({ server: { port: 0, host: '127.0.0.1', hmr: false }, logLevel: 'error', clearScreen: false });
  await vite.listen();
  const appUrl = vite.resolvedUrls!.local[0].replace(/\/$/, '');
  // A persistent profile: IndexedDB on disk with the real quota (an incognito context keeps it in memory).
  const profile = join(DIR, 'chromium-profile');
  if (!opts['keep-profile']) await rm(profile, { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    let page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => console.error(`[page] ${m.text()}`));
    const open = async () => {
      await page.goto(`${appUrl}/e2e/pages/storage-bench.html`);
      await page.waitForFunction(() => document.title === 'ready');
    };
    await open();
    const call = <T>(name: string, ...args: unknown[]) =>
      page.evaluate(
        ([n, a]) => (window as unknown as { storageBench: Record<string, (...x: unknown[]) => unknown> }).storageBench[n as string](...(a as unknown[])),
        [name, args] as const,
      ) as Promise<T>;
    const url = `${files.url}/model.gguf`;
    type R = Record<string, number>;
    const hashing = await call<R>('hashSpeed', 512);
    const values = opts.values === 'bytes' ? 'bytes' : 'blob';
    const idbWrite = await call<R>('idbWriteSpeed', 1024, Number(opts['chunk-mib']), concurrency, values);
    const network = await call<R>('networkSpeed', url, 1024, chunkBytes, concurrency);
    const download = await call<R & { verified: boolean; modelId: string }>('download', url, file.sha256, file.size, chunkBytes, concurrency, values);
    // Cached load in a fresh page (nothing from the download left in memory), with the network switched off.
    page = await context.newPage();
    page.on('console', (m) => console.error(`[page] ${m.text()}`));
    await open();
    await context.setOffline(true);
    const requestsBefore = files.log.length;
    const cached = await call<R & { fromCache: boolean }>('cachedLoad', url, file.sha256, file.size, values);
    const ple = await call<{ rowBytes: number; tableBytes: number; blobRow: R; blobBatch64: R; memoryRow: R; tableLoadMs: number }>(
      'pleLatency',
      download.modelId,
      Number(opts['ple-rows']),
      values,
    );
    await context.setOffline(false);
    const networkRequestsDuringCachedLoad = files.log.length - requestsBefore;
    const usage = await call<{ usage: number; quota: number }>('usage');

    const result = {
      file: { bytes: file.size, mb: file.size / MB, chunkMiB: Number(opts['chunk-mib']), concurrency, chunkValues: values },
      downloadMbPerS: download.mbPerS,
      downloadSeconds: download.ms / 1000,
      verifiedAfterDownload: download.verified,
      verifyTailMs: download.verifyMs,
      parts: { localNetworkMbPerS: network.mbPerS, sha256MbPerS: hashing.mbPerS, idbWriteMbPerS: idbWrite.mbPerS, idbWriteBlobFallbacks: idbWrite.blobFallbacks },
      cachedLoad: {
        fromCache: cached.fromCache,
        ensureModelMs: cached.ensureMs,
        headerMs: cached.headerMs,
        readAllMs: cached.readMs,
        totalSeconds: cached.totalMs / 1000,
        readMbPerS: cached.readMbPerS,
        networkRequests: networkRequestsDuringCachedLoad,
      },
      ple,
      idbUsageBytes: usage.usage,
      chromium: context.browser()?.version() ?? 'persistent context',
    };
    console.log(JSON.stringify(result, null, 2));
    const f = (n: number, d = 1) => n.toFixed(d);
    const rows: Array<[string, string]> = [
      ['file', `${f(file.size / MB, 0)} MB, ${opts['chunk-mib']} MiB chunks stored as ${values === 'blob' ? 'Blobs' : 'Uint8Arrays'}, ${concurrency} parallel requests`],
      ['download into IndexedDB (verified)', `${f(download.mbPerS)} MB/s (${f(download.ms / 1000)} s); hash tail after last chunk ${f(download.verifyMs, 0)} ms`],
      ['  local network alone', `${f(network.mbPerS)} MB/s`],
      ['  SHA-256 alone (noble, 1 core)', `${f(hashing.mbPerS)} MB/s`],
      ['  IndexedDB chunk writes alone', `${f(idbWrite.mbPerS)} MB/s`],
      ['cached load: ensureModel (no network)', `${f(cached.ensureMs, 0)} ms`],
      ['cached load: read every byte', `${f(cached.readMs / 1000, 2)} s (${f(cached.readMbPerS, 0)} MB/s)`],
      ['cached load: total to bytes-ready', `${f(cached.totalMs / 1000, 2)} s, ${networkRequestsDuringCachedLoad} network requests`],
      ['PLE row from IndexedDB (1 row)', `p50 ${f(ple.blobRow.p50Ms, 3)} ms, p95 ${f(ple.blobRow.p95Ms, 3)} ms (${ple.rowBytes} bytes)`],
      ['PLE 64 rows from IndexedDB (parallel)', `p50 ${f(ple.blobBatch64.p50Ms, 2)} ms`],
      ['PLE row from memory', `p50 ${f(ple.memoryRow.p50Ms * 1000, 1)} µs (table load ${f(ple.tableLoadMs, 0)} ms, ${f(ple.tableBytes / MB, 0)} MB RAM)`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  } finally {
    await context.close();
    await vite.close();
    await files.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
