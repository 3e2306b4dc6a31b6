// npm run bench:peers [-- --models e2b-q4_0,e2b-q4_k_m[,e4b-q4_0] --reps 3 --isolated both|true|false
//   --prompt 64 --decode 32 --threads 2 --ctx 1024 --shard-mb 1024 --timeout-s 1200 --json out.json]
// Our CPU path against llama.cpp compiled to wasm (@wllama/wllama) on the same generated file, in the same headless
// Chromium, one after the other: the page cross-origin isolated (both may use threads) and not (wllama falls back to
// its single-thread build, ours to one worker). Ours runs through the harness page's benchCpu (as bench:cpu does),
// wllama through its benchWllama on gguf-split shards of the file (wllama takes at most 2 GB per file). Each run gets
// a fresh tab, so one engine's memory is gone before the other loads; the order alternates between repetitions.
// Prints every run and the medians as JSON, then a Markdown table with ours/wllama for decode and prefill.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ensureBenchModel } from './bench-models.js';
import { startHarness, type Harness } from './browser-harness.js';
import { peersPrompt } from './bench/peers-prompt.js';
import { splitGgufFile } from './gguf-split.js';
import { markdownTable, summarize, type Engine, type Run } from './bench/peers-report.js';

/** wllama's README: "Max file size is 2GB" (per file; split bigger models). */
const WLLAMA_MAX_FILE_BYTES = 2 ** 31 - 1;

type PageHarness = {
  benchCpu(url: string, o: unknown): Promise<Record<string, unknown>>;
  benchWllama(shards: Array<{ url: string; size: number }>, o: unknown): Promise<Record<string, unknown>>;
};

/** One engine, one model, in a fresh tab; a crash, a hang past the limit or a thrown error becomes a failed run. */
async function runOnce(h: Harness, engine: Engine, shards: ReadonlyArray<{ path: string; size: number }>, o: object, wllamaExtra: object, timeoutMs: number, log: (t: string) => void) {
  const page: Page = await h.context.newPage();
  page.on('console', (m) => /error|abort|fail/i.test(m.text()) && log(`[page ${engine}] ${m.text()}`));
  let timer: NodeJS.Timeout | undefined;
  try {
    await page.goto(`${h.appUrl}/e2e/pages/harness.html`);
    await page.waitForFunction(() => document.title === 'ready');
    const crashed = new Promise<never>((_, reject) => page.once('crash', () => reject(new Error('the tab crashed (out of memory?)'))));
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const work =
      engine === 'ours'
        ? page.evaluate(([url, opts]) => (window as never as { harness: PageHarness }).harness.benchCpu(url, opts), [`${h.files.url}/model.gguf`, o] as const)
        : page.evaluate(
            ([shards, opts]) => (window as never as { harness: PageHarness }).harness.benchWllama(shards, opts),
            [shards.map((s) => ({ url: `${h.files.url}/shards/${basename(s.path)}`, size: s.size })), { ...o, ...wllamaExtra }] as const,
          );
    return await Promise.race([work, crashed, timedOut]);
  } catch (e) {
    return { ok: false, error: (e as Error).message.split('\n')[0].replace(/^page\.evaluate: /, '') };
  } finally {
    clearTimeout(timer);
    await page.close().catch(() => undefined);
  }
}

function toRun(model: string, engine: Engine, isolated: boolean, rep: number, r: Record<string, unknown>): Run {
  const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : undefined);
  if (r.ok === false) return { model, engine, isolated, rep, ok: false, error: String(r.error), detail: r };
  return {
    model,
    engine,
    isolated,
    pageIsolated: r.crossOriginIsolated === true,
    rep,
    ok: true,
    threads: num('threads'),
    decodeTokensPerSecond: num('decodeTokensPerSecond'),
    prefillTokensPerSecond: num('prefillTokensPerSecond'),
    loadSeconds: (num('loadMs') ?? NaN) / 1000,
    promptTokens: num('promptTokens'),
    decodeTokens: num('decodeTokens'),
    detail: r,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'e2b-q4_0,e2b-q4_k_m' },
      reps: { type: 'string', default: '3' },
      isolated: { type: 'string', default: 'both' },
      engines: { type: 'string', default: 'ours,wllama' },
      prompt: { type: 'string', default: '64' },
      decode: { type: 'string', default: '32' },
      threads: { type: 'string', default: '2' },
      ctx: { type: 'string', default: '1024' },
      'shard-mb': { type: 'string', default: '1024' },
      'timeout-s': { type: 'string', default: '1200' },
      json: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const reps = Number(values.reps);
  const engines = values.engines!.split(',') as Engine[];
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${values.reps}`);
  if (!engines.every((e) => e === 'ours' || e === 'wllama')) throw new Error(`--engines takes ours and/or wllama, got ${values.engines}`);
  if (!['both', 'true', 'false'].includes(values.isolated!)) throw new Error(`--isolated takes both, true or false, got ${values.isolated}`);
  const modes = values.isolated === 'both' ? [true, false] : [values.isolated === 'true'];
  const o = { promptTokens: Number(values.prompt), decodeTokens: Number(values.decode), contextLength: Number(values.ctx), threads: Number(values.threads), verbose: values.verbose };
  const log = (t: string) => console.error(t);
  const report = (runs: readonly Run[]) => ({ prompt: o.promptTokens, decode: o.decodeTokens, threadsAsked: o.threads, reps, summary: summarize(runs), runs });
  const runs: Run[] = [];
  const shardDir = resolve('.cache/peers');
  await mkdir(shardDir, { recursive: true });
  for (const model of values.models!.split(',')) {
    const path = await ensureBenchModel(model);
    const split = await splitGgufFile(path, resolve(shardDir, basename(path, '.gguf')), Number(values['shard-mb']) * 1024 * 1024);
    if (split.written) log(`split ${path} into ${split.paths.length} shards under ${shardDir}`);
    const shards = await Promise.all(split.paths.map(async (p) => ({ path: p, size: (await stat(p)).size })));
    // No split can cut a tensor: E4B's per-layer-embedding table alone (2.3 GB) is a shard over wllama's 2 GB cap.
    for (const s of shards) {
      if (s.size > WLLAMA_MAX_FILE_BYTES) log(`warning: ${basename(s.path)} is ${(s.size / 1e9).toFixed(2)} GB, over wllama's 2 GB per file (one tensor that size)`);
    }
    const prompt = await peersPrompt(path, o.promptTokens);
    if (prompt.tokens !== o.promptTokens) log(`warning: ${model}'s tokenizer gives a ${prompt.tokens}-token prompt, not ${o.promptTokens}`);
    const wllamaExtra = { promptText: prompt.text, bannedTokenIds: prompt.byteTokenIds };
    for (const isolated of modes) {
      const h = await startHarness({ crossOriginIsolated: isolated });
      try {
        h.files.serve('/model.gguf', path);
        for (const p of split.paths) h.files.serve(`/shards/${basename(p)}`, p);
        for (let rep = 0; rep < reps; rep++) {
          // Alternate the order so neither engine always runs on a machine the other just warmed (or heated).
          const order = rep % 2 === 0 ? engines : [...engines].reverse();
          for (const engine of order) {
            const r = (await runOnce(h, engine, shards, o, wllamaExtra, Number(values['timeout-s']) * 1000, log)) as Record<string, unknown>;
            const run = toRun(model, engine, isolated, rep, r);
            runs.push(run);
            const { detail: _detail, ...brief } = run;
            log(JSON.stringify(brief));
            // Written after every run, so a long benchmark that is stopped still leaves what it measured.
            if (values.json) await writeFile(values.json, JSON.stringify(report(runs), null, 2));
          }
        }
      } finally {
        await h.close();
      }
    }
  }
  const final = report(runs);
  console.log(JSON.stringify(final, null, 2));
  if (values.json) await writeFile(values.json, JSON.stringify(final, null, 2));
  console.log(`\n${o.promptTokens}-token prompt, ${o.decodeTokens} greedy tokens, ${o.threads} threads asked, median of ${reps} runs; headless Chromium (same browser, one tab per run)\n`);
  console.log(markdownTable(final.summary));
}

main().catch((e) => {
  console.error(`error: ${(e as Error).stack}`);
  process.exit(1);
});
