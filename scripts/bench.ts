// npm run bench [-- --models e2b-q4_0,e2b-q4_k_m,e4b-q4_0,e4b-q4_k_m --prompt 64[,512] --decode 8 --ctx 4096 --profile]
// Builds GGUFs with the real E2B/E4B dimensions (random weights in the tensor-type mixes real files use; cached in
// .cache/bench/), runs each in headless Chromium on WebGPU, and prints JSON plus a table.
import { parseArgs } from 'node:util';
import { BENCH_MODELS, benchModel } from './bench/models.js';
import { markdownReport, type BenchRow } from './bench/report.js';
import { startHarness } from './browser-harness.js';
import { ensureBenchModel } from './bench-models.js';

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
    const file = await ensureBenchModel(name);
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
