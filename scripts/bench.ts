// npm run bench [-- --models e2b-q4_0,e2b-q4_k_m,e4b-q4_0,e4b-q4_k_m --prompt 64[,512] --decode 8 --ctx 4096 --profile]
// Builds GGUFs with the real E2B/E4B dimensions (random weights in the tensor-type mixes real files use; cached in
// .cache/bench/), runs each in headless Chromium on WebGPU, and prints JSON plus a table.
import { existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_MODELS, benchFixture, benchModel } from './bench/models.js';
import { markdownReport, type BenchRow } from './bench/report.js';
import { startHarness } from './browser-harness.js';
import { writeGgufFile } from './gguf-file-writer.js';
import { gemma4VocabFromLenml } from './vocab-from-lenml.js';

const GENERATOR_VERSION = 1;

async function ensureModelFile(name: string): Promise<string> {
  const dir = resolve('.cache/bench');
  await mkdir(dir, { recursive: true });
  const path = resolve(dir, `${name}-v${GENERATOR_VERSION}.gguf`);
  if (existsSync(path)) return path;
  const t0 = performance.now();
  const fixture = benchFixture(name, benchModel(name).shape.vocabSize === 262144 ? gemma4VocabFromLenml() : undefined);
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
  for (const n of names) benchModel(n);
  const results = [];
  for (const name of names) {
    const file = await ensureModelFile(name);
    const h = await startHarness({ onConsole: (t) => /error/i.test(t) && console.error(`[page] ${t}`) });
    try {
      h.files.serve('/model.gguf', file);
      await h.page.waitForFunction(() => document.title === 'ready');
      const options = { prompts: values.prompt!.split(',').map(Number), decodeTokens: Number(values.decode), contextLength: Number(values.ctx), copyMiB: Number(values.copy), profile: values.profile };
      const r = await h.page.evaluate(
        ([url, o]) => (window as never as { harness: { bench(u: string, o: unknown): Promise<unknown> } }).harness.bench(url, o),
        [`${h.files.url}/model.gguf`, options] as const,
      );
      const row = { name, mix: BENCH_MODELS[name].mixName, ...(r as object) } as BenchRow;
      console.error(JSON.stringify(row)); // each result as soon as it exists: a later model may fail
      results.push(row);
    } finally {
      await h.close();
    }
  }
  console.log(JSON.stringify(results, null, 2));
  console.log('\n' + markdownReport(results));
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
