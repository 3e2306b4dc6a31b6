// npm run bench [-- --backend webgpu|cpu|both --models e2b-q4_0,e2b-q4_k_m,e4b-q4_0,e4b-q4_k_m --prompt 64[,512]
//   --decode 8 --ctx 4096 --profile --isolated true|false --threads N --activations int8|f32]
// Builds GGUFs with the real E2B/E4B dimensions (random weights in the tensor-type mixes real files use; cached in
// .cache/bench/), runs each in headless Chromium on WebGPU and/or on the CPU (WebAssembly) path, and prints JSON,
// the WebGPU detail table, and one side-by-side table: decode and prefill tokens/s, time to first token, load time,
// peak memory, and effective GB/s next to a streaming kernel measured in the same run (the WebGPU copy kernel; the
// wasm streaming read). Each model and backend gets a fresh browser, so one's memory never counts for the other.
import { parseArgs } from 'node:util';
import { BENCH_MODELS, benchModel } from './bench/models.js';
import { startPeakSampler } from './bench/peak-memory.js';
import { markdownReport, type BenchRow } from './bench/report.js';
import { sideBySideReport, type SideBySideRow } from './bench/side-by-side.js';
import { startHarness } from './browser-harness.js';
import { ensureBenchModel } from './bench-models.js';

type Backend = 'webgpu' | 'cpu';

/** What harness.benchCpu (e2e/pages/cpu-bench-run.ts, shared with `npm run bench:cpu`) returns. */
interface CpuResult {
  threads: number;
  threadsReason: string;
  simd: string;
  activations: string;
  crossOriginIsolated: boolean;
  fileBytes: number;
  loadMs: number;
  promptTokens: number;
  ttftMs: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  wasmBytes: number;
  effectiveGBps: number;
  streamReadGBps: number;
}

function backendsOf(v: string): Backend[] {
  if (v === 'both') return ['webgpu', 'cpu'];
  if (v === 'webgpu' || v === 'cpu') return [v];
  throw new Error(`--backend ${v}: use webgpu, cpu or both`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'webgpu' },
      models: { type: 'string', default: 'e2b-q4_0,e2b-q4_k_m,e4b-q4_0' },
      prompt: { type: 'string', default: '64' },
      decode: { type: 'string', default: '8' },
      ctx: { type: 'string', default: '4096' },
      copy: { type: 'string', default: '256' },
      profile: { type: 'boolean', default: false },
      // CPU path only: the page cross-origin isolated (helper threads) or not (one thread), threads, activations.
      isolated: { type: 'string', default: 'true' },
      threads: { type: 'string' },
      activations: { type: 'string', default: 'int8' },
    },
  });
  const backends = backendsOf(values.backend!);
  const names = values.models!.split(',');
  for (const n of names) benchModel(n);
  const prompts = values.prompt!.split(',').map(Number);
  const gpuRows: BenchRow[] = [];
  const cpuRows: Array<CpuResult & { name: string; peakBytes: number }> = [];
  const table: SideBySideRow[] = [];
  for (const name of names) {
    const file = await ensureBenchModel(name);
    for (const backend of backends) {
      const cpu = backend === 'cpu';
      const h = await startHarness({
        crossOriginIsolated: cpu ? values.isolated === 'true' : undefined,
        onConsole: (t) => /error/i.test(t) && console.error(`[page] ${t}`),
      });
      try {
        h.files.serve('/model.gguf', file);
        await h.page.waitForFunction(() => document.title === 'ready');
        const url = `${h.files.url}/model.gguf`;
        const sampler = startPeakSampler();
        if (cpu) {
          const o = {
            promptTokens: prompts[0],
            decodeTokens: Number(values.decode),
            contextLength: Number(values.ctx),
            threads: values.threads === undefined ? undefined : Number(values.threads),
            activations: values.activations as 'int8' | 'f32',
          };
          const r = (await h.page.evaluate(
            ([u, opts]) => (window as never as { harness: { benchCpu(u: string, o: unknown): Promise<unknown> } }).harness.benchCpu(u, opts),
            [url, o] as const,
          )) as CpuResult;
          const row = { name, ...r, peakBytes: sampler.stop() };
          console.error(JSON.stringify({ backend, ...row }));
          cpuRows.push(row);
          table.push({
            name,
            backend: `cpu ${r.simd === 'relaxed' ? 'relaxed SIMD' : 'SIMD'} ${r.activations}, ${r.threads} thread${r.threads === 1 ? '' : 's'}${r.crossOriginIsolated ? '' : ' (not isolated)'}`,
            decodeTokensPerSecond: r.decodeTokensPerSecond,
            prefillTokensPerSecond: r.prefillTokensPerSecond,
            promptTokens: r.promptTokens,
            ttftMs: r.ttftMs,
            loadMs: r.loadMs,
            peakBytes: row.peakBytes,
            backendBytes: r.wasmBytes,
            fileBytes: r.fileBytes,
            effectiveGBps: r.effectiveGBps,
            kernelGBps: r.streamReadGBps,
            kernel: 'wasm stream read',
          });
        } else {
          const options = { prompts, decodeTokens: Number(values.decode), contextLength: Number(values.ctx), copyMiB: Number(values.copy), profile: values.profile };
          const r = await h.page.evaluate(
            ([u, o]) => (window as never as { harness: { bench(u: string, o: unknown): Promise<unknown> } }).harness.bench(u, o),
            [url, options] as const,
          );
          const row = { name, mix: BENCH_MODELS[name].mixName, ...(r as object) } as BenchRow;
          const peakBytes = sampler.stop();
          console.error(JSON.stringify({ backend, ...row, peakBytes })); // each result as soon as it exists: a later model may fail
          gpuRows.push(row);
          table.push({
            name,
            backend: `webgpu (${[row.adapter?.vendor, row.adapter?.architecture, row.adapter?.description].filter(Boolean).join(' ') || 'adapter'}${row.adapter?.isFallback ? ', fallback adapter' : ''})`,
            decodeTokensPerSecond: row.decodeTokensPerSecond,
            prefillTokensPerSecond: row.prefillTokensPerSecond,
            promptTokens: row.promptTokens,
            ttftMs: row.ttftMs,
            loadMs: row.loadMs,
            peakBytes,
            backendBytes: row.gpuBytes,
            fileBytes: row.model.fileBytes,
            effectiveGBps: row.effectiveGBps,
            kernelGBps: row.copyGBps,
            kernel: 'GPU copy',
          });
        }
      } finally {
        await h.close();
      }
    }
  }
  console.log(JSON.stringify({ webgpu: gpuRows, cpu: cpuRows }, null, 2));
  if (gpuRows.length) console.log('\n' + markdownReport(gpuRows));
  console.log('\n' + sideBySideReport(table));
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
