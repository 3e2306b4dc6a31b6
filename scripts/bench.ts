// npm run bench [-- --models e2b-q4_0,e2b-q4_k_m,e4b-q4_0,e4b-q4_k_m --prompt 64 --decode 8 --ctx 4096 --profile]
// Builds GGUFs with the real E2B/E4B dimensions (random weights in the tensor-type mixes real files use; cached in
// .cache/bench/), runs each in headless Chromium on WebGPU, and prints JSON plus a table.
import { existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REAL_MIXES, SHAPES, generateFixture, type FixtureShape, type TypeMix } from './fixtures/gemma-fixture.js';
import { startHarness } from './browser-harness.js';
import { writeGgufFile } from './gguf-file-writer.js';
import { gemma4VocabFromLenml } from './vocab-from-lenml.js';

const MODELS: Record<string, { shape: FixtureShape; mix: TypeMix; mixName: string }> = {
  'e2b-q4_0': { shape: SHAPES.e2b, mix: REAL_MIXES['google-qat-q4_0'], mixName: 'Google QAT Q4_0 mix (Q4_0/Q4_1, Q6_K embeddings)' },
  'e2b-q4_k_m': { shape: SHAPES.e2b, mix: REAL_MIXES.q4_k_m, mixName: 'Q4_K_M mix (Q4_K/Q5_K/Q6_K)' },
  'e4b-q4_0': { shape: SHAPES.e4b, mix: REAL_MIXES['google-qat-q4_0'], mixName: 'Google QAT Q4_0 mix' },
  'e4b-q4_k_m': { shape: SHAPES.e4b, mix: REAL_MIXES.q4_k_m, mixName: 'Q4_K_M mix' },
};
const GENERATOR_VERSION = 1;

async function ensureModelFile(name: string): Promise<string> {
  const dir = resolve('.cache/bench');
  await mkdir(dir, { recursive: true });
  const path = resolve(dir, `${name}-v${GENERATOR_VERSION}.gguf`);
  if (existsSync(path)) return path;
  const m = MODELS[name];
  const t0 = performance.now();
  const fixture = generateFixture({ shape: m.shape, mix: m.mix, seed: 1, fill: 'tiled', vocab: gemma4VocabFromLenml() });
  await writeGgufFile(path + '.tmp', fixture.spec, fixture.tensorData);
  await rename(path + '.tmp', path);
  const size = (await stat(path)).size;
  console.error(`generated ${path} (${(size / 1e9).toFixed(2)} GB) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return path;
}

async function main() {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'e2b-q4_0,e2b-q4_k_m,e4b-q4_0' },
      prompt: { type: 'string', default: '64' },
      decode: { type: 'string', default: '8' },
      ctx: { type: 'string', default: '4096' },
      copy: { type: 'string', default: '256' },
      profile: { type: 'boolean', default: false },
    },
  });
  const names = values.models!.split(',');
  for (const n of names) if (!MODELS[n]) throw new Error(`unknown model "${n}"; use ${Object.keys(MODELS).join(', ')}`);
  const results = [];
  for (const name of names) {
    const file = await ensureModelFile(name);
    const h = await startHarness({ onConsole: (t) => /error/i.test(t) && console.error(`[page] ${t}`) });
    try {
      h.files.serve('/model.gguf', file);
      await h.page.waitForFunction(() => document.title === 'ready');
      const options = { promptTokens: Number(values.prompt), decodeTokens: Number(values.decode), contextLength: Number(values.ctx), copyMiB: Number(values.copy), profile: values.profile };
      const r = await h.page.evaluate(
        ([url, o]) => (window as never as { harness: { bench(u: string, o: unknown): Promise<unknown> } }).harness.bench(url, o),
        [`${h.files.url}/model.gguf`, options] as const,
      );
      const row = { name, mix: MODELS[name].mixName, ...(r as object) };
      console.error(JSON.stringify(row)); // each result as soon as it exists: a later model may fail
      results.push(row);
    } finally {
      await h.close();
    }
  }
  console.log(JSON.stringify(results, null, 2));
  const rows = results as unknown as Array<Record<string, number | string | object>>;
  const fmt = (v: unknown, d = 2) => (typeof v === 'number' ? v.toFixed(d) : String(v));
  console.log('\n| model | decode tok/s | prefill tok/s (prompt) | warm prefill tok/s | TTFT s | load s | GPU MB | weight MB/token | dispatches/token | effective GB/s | copy GB/s | ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.decodeTokensPerSecond, 3)} | ${fmt(r.prefillTokensPerSecond)} (${r.promptTokens}) | ${fmt(r.prefillWarmTokensPerSecond)} | ${fmt(Number(r.ttftMs) / 1000, 1)} | ${fmt(Number(r.loadMs) / 1000, 1)} | ${fmt(Number(r.gpuBytes) / 1e6, 0)} | ${fmt(Number(r.weightBytesPerToken) / 1e6, 0)} | ${r.dispatchesPerToken} | ${fmt(r.effectiveGBps)} | ${fmt(r.copyGBps)} | ${fmt(Number(r.ratioToCopy) * 100, 1)} % |`,
    );
  }
  printProfile(rows);
}

function printProfile(rows: Array<Record<string, unknown>>): void {
  for (const r of rows) {
    const p = r.profile as { totalMs: number; ops: Array<{ name: string; count: number; ms: number; share: number }> } | undefined;
    if (!p) continue;
    console.log(`\nDecode step profile, ${r.name} (timestamp queries, one pass per op): ${p.totalMs.toFixed(0)} ms in all`);
    console.log('| op | count | ms | share |\n|---|---|---|---|');
    for (const op of p.ops.slice(0, 25)) console.log(`| ${op.name} | ${op.count} | ${op.ms.toFixed(1)} | ${(op.share * 100).toFixed(1)} % |`);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
