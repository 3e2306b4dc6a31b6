// npm run bench:cpu [-- --models e2b-q4_0,e2b-q4_k_m --where node|chromium|both --isolated true|false|both
//   --prompt 64 --decode 16 --activations int8|f32 --relaxed true|false --threads N]
// npm run bench:cpu -- --cache [--models e2b-q4_0 --threads N]: first vs second (packed-cache) load from IndexedDB
//   in Chromium (scripts/bench/cpu-cache.ts).
// The CPU path on generated E2B/E4B-shaped files, in Node and/or headless Chromium (the page cross-origin isolated
// or not): load (repack) time, prefill and decode tokens/s, memory, effective GB/s of packed weights per decode token
// next to a wasm streaming read measured in the same run.
import { parseArgs } from 'node:util';
import { CpuForward } from '../src/cpu/forward.js';
import { readGgufHeader } from '../src/gguf/reader.js';
import { loadGemmaConfig } from '../src/model/load-config.js';
import { ensureBenchModel } from './bench-models.js';
import { startHarness } from './browser-harness.js';
import { openFileSource } from './node-file-source.js';
import { spawnNodeWorker } from './node-cpu-threads.js';
import { printCacheBench, runCacheBench, type CacheBenchRow } from './bench/cpu-cache.js';
import { launchedBrowserPid, sampleBrowserMemory } from './bench/proc-memory.js';
import { stat } from 'node:fs/promises';

interface Row {
  name: string;
  where: string;
  activations: string;
  relaxed: boolean;
  threads: number;
  loadSeconds: number;
  prefillTokensPerSecond: number;
  ttftSeconds: number;
  decodeTokensPerSecond: number;
  packedMB: number;
  wasmMemoryMB: number;
  rssMB: number;
  fileMB: number;
  effectiveGBps: number;
  streamReadGBps: number;
}

const argmax = (z: Float32Array) => z.reduce((best, v, i) => (v > z[best] ? i : best), 0);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'e2b-q4_0' },
      prompt: { type: 'string', default: '64' },
      decode: { type: 'string', default: '16' },
      activations: { type: 'string', default: 'int8' },
      relaxed: { type: 'string' },
      ctx: { type: 'string', default: '1024' },
      threads: { type: 'string' },
      where: { type: 'string', default: 'node' },
      isolated: { type: 'string', default: 'true' },
      cache: { type: 'boolean', default: false },
    },
  });
  if (values.cache) {
    const cacheRows: CacheBenchRow[] = [];
    for (const name of values.models!.split(',')) {
      const path = await ensureBenchModel(name);
      cacheRows.push(await runCacheBench(name, path, (await stat(path)).size, values.threads === undefined ? undefined : Number(values.threads)));
      console.error(JSON.stringify(cacheRows.at(-1)));
    }
    printCacheBench(cacheRows);
    return;
  }
  const rows: Row[] = [];
  const where = values.where === 'both' ? ['node', 'chromium'] : [values.where!];
  for (const name of values.models!.split(',')) {
    const path = await ensureBenchModel(name);
    if (where.includes('chromium')) {
      for (const isolated of values.isolated === 'both' ? [true, false] : [values.isolated === 'true']) {
        const h = await startHarness({ crossOriginIsolated: isolated, onConsole: (t) => /error/i.test(t) && console.error(`[page] ${t}`) });
        try {
          h.files.serve('/model.gguf', path);
          await h.page.waitForFunction(() => document.title === 'ready');
          const pid = launchedBrowserPid();
          const sampler = pid === undefined ? undefined : sampleBrowserMemory(pid);
          const o = {
            promptTokens: Number(values.prompt),
            decodeTokens: Number(values.decode),
            contextLength: Number(values.ctx),
            threads: values.threads === undefined ? undefined : Number(values.threads),
            activations: values.activations as 'int8' | 'f32',
          };
          const r = (await h.page.evaluate(
            ([url, opts]) => (window as never as { harness: { benchCpu(u: string, o: unknown): Promise<unknown> } }).harness.benchCpu(url, opts),
            [`${h.files.url}/model.gguf`, o] as const,
          )) as Record<string, number | string | boolean>;
          const peaks = sampler?.stop();
          rows.push({
            name,
            where: `chromium${r.crossOriginIsolated ? ' isolated' : ''}`,
            activations: String(r.activations),
            relaxed: r.simd === 'relaxed',
            threads: Number(r.threads),
            loadSeconds: Number(r.loadMs) / 1000,
            prefillTokensPerSecond: Number(r.prefillTokensPerSecond),
            ttftSeconds: Number(r.ttftMs) / 1000,
            decodeTokensPerSecond: Number(r.decodeTokensPerSecond),
            packedMB: Number(r.packedBytes) / 1e6,
            wasmMemoryMB: Number(r.wasmBytes) / 1e6,
            // Peak RSS of the renderer (page and workers, wasm memory included), sampled from /proc.
            rssMB: peaks?.rendererMB ?? NaN,
            fileMB: Number(r.fileBytes) / 1e6,
            effectiveGBps: Number(r.effectiveGBps),
            streamReadGBps: Number(r.streamReadGBps),
          });
          console.error(JSON.stringify(rows.at(-1)));
        } finally {
          await h.close();
        }
      }
    }
    if (!where.includes('node')) continue;
    const source = await openFileSource(path);
    const header = await readGgufHeader(source);
    const config = await loadGemmaConfig(source, header);
    const t0 = performance.now();
    const model = await CpuForward.load(source, header, config, {
      contextLength: Number(values.ctx),
      activations: values.activations as 'int8' | 'f32',
      relaxed: values.relaxed === undefined ? undefined : values.relaxed === 'true',
      threads: Number(values.threads ?? 1),
      spawn: spawnNodeWorker,
    });
    const loadMs = performance.now() - t0;
    const k = model.products.kernels;
    // Streaming read over the packed weights (as many bytes as a decode step reads), best of 3.
    const w = model.weights;
    let streamGBps = 0;
    for (let i = 0; i < 3; i++) {
      const s0 = performance.now();
      k.streamRead(64, Math.floor(w.packedBytes / 64) * 64); // weights are allocated first, from address 64
      streamGBps = Math.max(streamGBps, w.packedBytes / 1e9 / ((performance.now() - s0) / 1000));
    }
    const prompt = Array.from({ length: Number(values.prompt) }, (_, i) => 1000 + ((i * 7919) % 200000));
    const p0 = performance.now();
    let z = (await model.run(prompt, 'last'))[0];
    const prefillMs = performance.now() - p0;
    const steps: number[] = [];
    for (let i = 0; i < Number(values.decode); i++) {
      const d0 = performance.now();
      z = (await model.run([argmax(z)], 'last'))[0];
      steps.push(performance.now() - d0);
    }
    const stepMs = median(steps);
    const row: Row = {
      name,
      where: 'node',
      activations: values.activations!,
      relaxed: k.relaxed,
      threads: model.products.threads,
      loadSeconds: loadMs / 1000,
      prefillTokensPerSecond: prompt.length / (prefillMs / 1000),
      ttftSeconds: prefillMs / 1000,
      decodeTokensPerSecond: 1000 / stepMs,
      packedMB: w.packedBytes / 1e6,
      wasmMemoryMB: k.arena.memory.buffer.byteLength / 1e6,
      // Peak RSS of this process over the whole run (load included), not just now.
      rssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
      fileMB: source.size / 1e6,
      effectiveGBps: w.packedBytes / 1e9 / (stepMs / 1000),
      streamReadGBps: streamGBps,
    };
    rows.push(row);
    model.close();
    await source.close();
  }
  console.log(JSON.stringify(rows, null, 2));
  if (rows.filter((r) => r.where === 'node').length > 1) {
    console.log('\nNode peak RSS is the process peak so far (an earlier model\'s memory may not be collected yet): run one model per invocation for per-model figures.');
  }
  const f = (v: number, d = 2) => v.toFixed(d);
  console.log('\n| model | where | mode | threads | decode tok/s | prefill tok/s | TTFT s | load s | packed MB | wasm MB | peak RSS MB | peak / file | file MB | effective GB/s | stream GB/s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.where} | ${r.activations}${r.relaxed ? ' relaxed' : ' simd'} | ${r.threads} | ${f(r.decodeTokensPerSecond)} | ${f(r.prefillTokensPerSecond)} | ${f(r.ttftSeconds, 1)} | ${f(r.loadSeconds, 1)} | ${f(r.packedMB, 0)} | ${f(r.wasmMemoryMB, 0)} | ${f(r.rssMB, 0)} | ${f(r.rssMB / r.fileMB)} | ${f(r.fileMB, 0)} | ${f(r.effectiveGBps)} | ${f(r.streamReadGBps)} |`,
    );
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).stack}`);
  process.exit(1);
});
