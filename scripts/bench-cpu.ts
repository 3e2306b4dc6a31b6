// npm run bench:cpu [-- --models e2b-q4_0,e2b-q4_k_m --prompt 64 --decode 16 --activations int8|f32 --relaxed true|false --threads N]
// The CPU path in Node on generated E2B/E4B-shaped files: load (repack) time, prefill and decode tokens/s, wasm
// memory, effective GB/s of packed weights per decode token next to a wasm streaming read measured in the same run.
import { parseArgs } from 'node:util';
import { CpuForward } from '../src/cpu/forward.js';
import { readGgufHeader } from '../src/gguf/reader.js';
import { loadGemmaConfig } from '../src/model/load-config.js';
import { ensureBenchModel } from './bench-models.js';
import { openFileSource } from './node-file-source.js';
import { spawnNodeWorker } from './node-cpu-threads.js';

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
      threads: { type: 'string', default: '1' },
    },
  });
  const rows = [];
  for (const name of values.models!.split(',')) {
    const path = await ensureBenchModel(name);
    const source = await openFileSource(path);
    const header = await readGgufHeader(source);
    const config = await loadGemmaConfig(source, header);
    const t0 = performance.now();
    const model = await CpuForward.load(source, header, config, {
      contextLength: Number(values.ctx),
      activations: values.activations as 'int8' | 'f32',
      relaxed: values.relaxed === undefined ? undefined : values.relaxed === 'true',
      threads: Number(values.threads),
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
    const row = {
      name,
      activations: values.activations,
      relaxed: k.relaxed,
      threads: model.products.threads,
      loadSeconds: loadMs / 1000,
      prefillTokensPerSecond: prompt.length / (prefillMs / 1000),
      ttftSeconds: prefillMs / 1000,
      decodeTokensPerSecond: 1000 / stepMs,
      decodeP95Ms: [...steps].sort((a, b) => a - b)[Math.floor(steps.length * 0.95)],
      packedMB: w.packedBytes / 1e6,
      wasmMemoryMB: k.arena.memory.buffer.byteLength / 1e6,
      rssMB: process.memoryUsage().rss / 1e6,
      fileMB: source.size / 1e6,
      effectiveGBps: w.packedBytes / 1e9 / (stepMs / 1000),
      streamReadGBps: streamGBps,
    };
    rows.push(row);
    model.close();
    await source.close();
  }
  console.log(JSON.stringify(rows, null, 2));
  const f = (v: number, d = 2) => v.toFixed(d);
  console.log('\n| model | mode | threads | decode tok/s | prefill tok/s | TTFT s | load s | packed MB | wasm MB | RSS MB | file MB | effective GB/s | stream GB/s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.activations}${r.relaxed ? ' relaxed' : ' simd'} | ${r.threads} | ${f(r.decodeTokensPerSecond)} | ${f(r.prefillTokensPerSecond)} | ${f(r.ttftSeconds, 1)} | ${f(r.loadSeconds, 1)} | ${f(r.packedMB, 0)} | ${f(r.wasmMemoryMB, 0)} | ${f(r.rssMB, 0)} | ${f(r.fileMB, 0)} | ${f(r.effectiveGBps)} | ${f(r.streamReadGBps)} |`,
    );
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).stack}`);
  process.exit(1);
});
