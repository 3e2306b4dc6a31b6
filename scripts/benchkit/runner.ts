// The real-GPU benchmark kit's runner (bundled by `npm run bench:kit` into one file that Node runs with Dawn's
// addon beside it; see docs/benchmarks.md). Subcommands:
//   bench [--models LIST] [--prompt 512,64] [--decode N] [--ctx N] [--copy MiB] [--no-profile] [--check LIST]
//         [--out DIR] [--work DIR] [--jobs N] [--dawn PATH] [--dawn-flag F]... [--power high-performance] [--allow-cpu]
//   generate [--models LIST] [--work DIR] [--jobs N]   (only the model files, e.g. ahead of a timed run)
//   gen-part NAME PATH PART PARTS     (a worker process of the model generator)
// bench generates the models in parallel worker processes, checks tiny models' logits against the CPU
// reference meanwhile, then measures each model (scripts/bench/measure.ts, the same code as `npm run bench`) and writes
// results.json and results.md to --out after every model, so a run cut short keeps what it measured.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGpuContext } from '../../src/gpu/context.js';
import { measureModel } from '../bench/measure.js';
import { BENCH_MODELS } from '../bench/models.js';
import { markdownReport, type BenchRow } from '../bench/report.js';
import { openFileSource } from '../node-file-source.js';
import { checkLogits, type LogitsCheck } from './check-logits.js';
import { adapterReport, BENCH_DAWN_FLAGS, loadDawn } from './dawn.js';
import { generateModelFile, spawnPartWith, writeModelPart } from './generate.js';
import { KitUsageError, parseBenchOptions } from './options.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (s: string) => console.error(`[benchkit ${new Date().toISOString().slice(11, 19)}] ${s}`);

/** At most `n` tasks at a time, started in the order asked. */
function limiter(n: number) {
  let running = 0;
  const queue: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

/** Starts generating every model (in order, `jobs` worker processes in all); one promise per model. */
function startGenerating(names: readonly string[], work: string, jobs: number) {
  const slot = limiter(jobs);
  const parts = Math.max(1, Math.floor(jobs / 2));
  const spawnPart = spawnPartWith(fileURLToPath(import.meta.url));
  const files = new Map<string, Promise<{ path: string; seconds: number; reused: boolean }>>();
  for (const name of names) {
    if (files.has(name)) continue;
    const p = generateModelFile(name, work, { parts, spawnPart: (...a) => slot(() => spawnPart(...a)) });
    p.then(
      (g) => log(`${name}: ${g.reused ? 'reused' : `generated in ${g.seconds.toFixed(1)} s`} (${g.path})`),
      (e) => log(`${name}: generation failed: ${(e as Error).message}`),
    );
    files.set(name, p);
  }
  return files;
}

/** `generate`: only the model files (takes the bench options; uses --models, --work, --jobs). */
async function generateOnly(argv: string[]) {
  const o = parseBenchOptions(argv);
  const work = resolve(o.work);
  await mkdir(work, { recursive: true });
  await Promise.all(startGenerating(o.models, work, o.jobs).values());
  return 0;
}

async function bench(argv: string[]) {
  const o = parseBenchOptions(argv);
  const { models, checks, prompts, decodeTokens, jobs } = o;
  const out = resolve(o.out);
  const work = resolve(o.work);
  await mkdir(out, { recursive: true });
  await mkdir(work, { recursive: true });
  const flags = o.dawnFlags ?? BENCH_DAWN_FLAGS;
  const started = new Date().toISOString();

  const gpu = loadDawn(o.dawn ?? resolve(here, 'dawn.node'), flags);
  const adapter = await adapterReport(gpu, o.power);
  if (!adapter) {
    throw new Error(
      'Dawn found no WebGPU adapter. Check that a Vulkan loader (libvulkan.so.1) is found and that VK_DRIVER_FILES / VK_ICD_FILENAMES name the GPU driver\'s ICD json (run.sh does both; see docs/benchmarks.md).',
    );
  }
  // A CPU adapter (SwiftShader, lavapipe) means the GPU's driver was not found: the full-size models would run for
  // hours there, so stop unless asked (tiny models are fine: that is the CI test).
  const cpu = adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${adapter.architecture} ${adapter.description} ${adapter.device}`);
  if (cpu && !o.allowCpu && models.some((n) => !n.startsWith('tiny'))) {
    throw new Error(
      `the adapter is a CPU implementation (${adapter.architecture} ${adapter.description}), not a GPU: the GPU's Vulkan driver was not found. Pass --icd FILE.json (or set VK_DRIVER_FILES), check with VK_LOADER_DEBUG=driver, or add --allow-cpu to measure it anyway.`,
    );
  }
  log(`adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}${adapter.isFallbackAdapter ? ' (fallback)' : ''}`);

  // Every model file starts generating now; each model is split into parts for several worker processes.
  const files = startGenerating([...checks, ...models], work, jobs);
  const report = {
    kit: { started, finished: '', node: process.version, dawnFlags: flags, jobs, argv },
    options: { models, prompts, decodeTokens, contextLength: o.contextLength, copyMiB: o.copyMiB, profile: o.profile },
    adapter,
    checks: [] as Array<LogitsCheck | { name: string; error: string }>,
    models: [] as Array<(BenchRow & { generateSeconds: number }) | { name: string; error: string }>,
  };
  const save = async () => {
    report.kit.finished = new Date().toISOString();
    await writeFile(resolve(out, 'results.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFile(resolve(out, 'results.md'), markdown(report));
  };

  for (const name of checks) {
    try {
      const g = await files.get(name)!;
      const c = await checkLogits(gpu, name, g.path, resolve(work, `logits-${name}.bin`));
      log(`check ${name}: worst error ${c.worstError.toFixed(3)} of the tolerance, ${c.pass ? 'pass' : 'FAIL'}`);
      report.checks.push(c);
    } catch (e) {
      log(`check ${name} failed: ${(e as Error).message}`);
      report.checks.push({ name, error: (e as Error).message });
    }
    await save();
  }

  // Measure with the machine quiet: every file finished (the checks above ran while the generators worked).
  await Promise.allSettled(files.values());
  for (const name of models) {
    try {
      const g = await files.get(name)!;
      log(`${name}: measuring`);
      const source = await openFileSource(g.path);
      const ctx = await createGpuContext({ gpu, powerPreference: o.power });
      try {
        const r = await measureModel(ctx, source, { ...report.options, prompts });
        report.models.push({ name, mix: BENCH_MODELS[name].mixName, generateSeconds: g.seconds, ...r });
        log(`${name}: decode ${r.decodeTokensPerSecond.toPrecision(3)} tok/s, prefill ${r.prefill.map((p) => `${p.warmTokensPerSecond.toPrecision(3)} tok/s (${p.promptTokens})`).join(', ')}`);
      } finally {
        ctx.destroy();
        await source.close();
      }
    } catch (e) {
      log(`${name} failed: ${(e as Error).stack ?? e}`);
      report.models.push({ name, error: (e as Error).message });
    }
    await save();
  }
  await save();
  log(`wrote ${resolve(out, 'results.json')} and results.md`);
  const failed = report.checks.some((c) => !('pass' in c) || !c.pass) || report.models.some((m) => 'error' in m);
  return failed ? 1 : 0;
}

type Report = {
  kit: { started: string; node: string };
  options: { prompts: number[]; decodeTokens: number; contextLength: number };
  adapter: NonNullable<Awaited<ReturnType<typeof adapterReport>>>;
  checks: Array<LogitsCheck | { name: string; error: string }>;
  models: Array<BenchRow | { name: string; error: string }>;
};

function markdown(r: Report): string {
  const a = r.adapter;
  const lines = [
    `# Benchmark kit results (${r.kit.started.slice(0, 10)})`,
    '',
    `Adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ')}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}; subgroups ${a.subgroupMinSize}-${a.subgroupMaxSize}; Node ${r.kit.node} with Dawn (webgpu package).`,
    `Options: prompts ${r.options.prompts.join(', ')}, ${r.options.decodeTokens} decode tokens, context ${r.options.contextLength}.`,
    '',
    `Features: ${a.features.join(', ')}`,
    '',
    `Limits: ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    '',
  ];
  if (r.checks.length) {
    lines.push('| logits check | worst error / tolerance | argmax GPU / reference | result |', '|---|---|---|---|');
    for (const c of r.checks) {
      lines.push('error' in c ? `| ${c.name} | - | - | error: ${c.error} |` : `| ${c.name} | ${c.worstError.toFixed(3)} | ${c.argmaxLastGpu} / ${c.argmaxLastReference} | ${c.pass ? 'pass' : 'FAIL'} |`);
    }
    lines.push('');
  }
  const ok = r.models.filter((m): m is BenchRow => !('error' in m));
  if (ok.length) lines.push(markdownReport(ok));
  for (const m of r.models) if ('error' in m) lines.push('', `${m.name}: error: ${m.error}`);
  return lines.join('\n') + '\n';
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'gen-part') {
    const [name, path, part, parts] = rest;
    await writeModelPart(name, path, Number(part), Number(parts));
    return 0;
  }
  if (command === 'bench') return bench(rest);
  if (command === 'generate') return generateOnly(rest);
  console.error('usage: runner.mjs bench [options] | generate [options] | gen-part NAME PATH PART PARTS (see docs/benchmarks.md)');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error${e instanceof KitUsageError ? ` [${e.code}]` : ''}: ${(e as Error).message}`);
    process.exit(e instanceof KitUsageError ? 2 : 1);
  },
);
