// npm run bench:cpu:ab -- --before /path/to/other/checkout [--models e2b-q4_0 --threads N --rounds 5 --prompt 64
//   --decode 12]
// The CPU forward of this checkout against another checkout's (its own node_modules and built wasm), both loaded in
// one Node process on the same file, prefills and decode steps alternated: on a shared machine both see the same
// load, so the ratio means something where two separate `bench:cpu` runs minutes apart do not. The other checkout:
// e.g. `git archive <commit> | tar -x -C /tmp/before`, a node_modules there (npm ci, or a symlink to this one's),
// then `npx tsx scripts/build-wasm.ts` in it.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CpuForward } from '../src/cpu/forward.js';
import { readGgufHeader } from '../src/gguf/reader.js';
import { loadGemmaConfig } from '../src/model/load-config.js';
import { ensureBenchModel } from './bench-models.js';
import { openFileSource } from './node-file-source.js';
import { spawnNodeWorker } from './node-cpu-threads.js';

type Forward = Pick<CpuForward, 'run' | 'reset' | 'close'>;
const argmax = (z: Float32Array) => z.reduce((best, v, i) => (v > z[best] ? i : best), 0);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      models: { type: 'string', default: 'e2b-q4_0' },
      threads: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '5' },
      prompt: { type: 'string', default: '64' },
      decode: { type: 'string', default: '12' },
    },
  });
  if (!values.before) throw new Error('--before <path of the other checkout> is required');
  const other = (await import(pathToFileURL(resolve(values.before, 'src/cpu/forward.ts')).href)) as { CpuForward: typeof CpuForward };
  const threads = Number(values.threads);
  for (const name of values.models!.split(',')) {
    const source = await openFileSource(await ensureBenchModel(name));
    const header = await readGgufHeader(source);
    const config = await loadGemmaConfig(source, header);
    const options = { contextLength: 1024, threads, spawn: spawnNodeWorker };
    const models: Record<'before' | 'after', Forward> = {
      before: await other.CpuForward.load(source, header, config, options),
      after: await CpuForward.load(source, header, config, options),
    };
    const prompt = Array.from({ length: Number(values.prompt) }, (_, i) => 1000 + ((i * 7919) % 200000));
    const prefill = { before: [] as number[], after: [] as number[] };
    const decode = { before: [] as number[], after: [] as number[] };
    const next = { before: 0, after: 0 };
    const order = (i: number) => (i % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const));
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const k of order(r)) {
        models[k].reset();
        const t0 = performance.now();
        next[k] = argmax((await models[k].run(prompt, 'last'))[0]);
        prefill[k].push(performance.now() - t0);
      }
      for (let i = 0; i < Number(values.decode); i++) {
        for (const k of order(i)) {
          const t0 = performance.now();
          next[k] = argmax((await models[k].run([next[k]], 'last'))[0]);
          decode[k].push(performance.now() - t0);
        }
      }
    }
    for (const k of ['before', 'after'] as const) {
      console.log(
        `${name} ${threads} thread(s) ${k}: decode ${(1000 / median(decode[k])).toFixed(2)} tok/s (median of ${decode[k].length}), ` +
          `prefill ${((prompt.length * 1000) / median(prefill[k])).toFixed(1)} tok/s (median of ${prefill[k].length})`,
      );
    }
    console.log(
      `${name} ${threads} thread(s) after/before: decode ${(median(decode.before) / median(decode.after)).toFixed(3)}, ` +
        `prefill ${(median(prefill.before) / median(prefill.after)).toFixed(3)}`,
    );
    models.before.close();
    models.after.close();
    await source.close();
  }
  process.exit(0);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).stack}`);
  process.exit(1);
});
