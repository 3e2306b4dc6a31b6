// npm run bench:kernels [-- --model e2b|e4b --types Q4_0,Q4_K --heads Q6_K,Q8_0 --seconds 1 --shape 64x1x4]
// Times the decode matrix-vector products of E2B (or E4B) layers on random weights of the real types in headless
// Chromium, next to the copy kernel and the cost of a near-empty dispatch measured in the same run.
// --shape WGROWSxLANESxRPT forces one workgroup shape (to compare variants); default: the engine's choice.
import { parseArgs } from 'node:util';
import { startHarness } from './browser-harness.js';
import type { KernelBenchCase } from '../e2e/pages/kernel-bench-run.js';

function cases(model: string, types: string[], heads: string[]): KernelBenchCase[] {
  const H = model === 'e4b' ? 2560 : 1536;
  const F = model === 'e4b' ? 10240 : 6144;
  const q = model === 'e4b' ? 2048 : 2048;
  const list: KernelBenchCase[] = [];
  for (const t of types) {
    list.push(
      { name: `q ${H}->${q}`, type: t, rows: q, cols: H },
      { name: `o ${q}->${H}`, type: t, rows: H, cols: q },
      { name: `gate ${H}->${F}`, type: t, rows: F, cols: H },
      { name: `down ${F}->${H}`, type: t, rows: H, cols: F },
    );
  }
  for (const t of heads) list.push({ name: `head ${H}->32768 (1/8 of the vocabulary)`, type: t, rows: 32768, cols: H });
  return list;
}

async function main() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'e2b' },
      types: { type: 'string', default: 'Q4_0,Q4_K' },
      heads: { type: 'string', default: 'Q6_K' },
      seconds: { type: 'string', default: '1' },
      copy: { type: 'string', default: '64' },
      shape: { type: 'string' },
    },
  });
  const shape = values.shape ? (([wgRows, lanes, rpt]) => ({ wgRows, lanes, rpt }))(values.shape.split('x').map(Number)) : undefined;
  const list = cases(values.model!, values.types!.split(','), values.heads!.split(',').filter(Boolean)).map((c) => (shape ? { ...c, shape } : c));
  const h = await startHarness({ onConsole: (t) => /error/i.test(t) && console.error(`[page] ${t}`) });
  try {
    await h.page.waitForFunction(() => document.title === 'ready');
    const r = (await h.page.evaluate(
      (o) => (window as never as { harness: { kernelBench(o: unknown): Promise<unknown> } }).harness.kernelBench(o),
      { cases: list, seconds: Number(values.seconds), copyMiB: Number(values.copy) },
    )) as { copyGBps: number; dispatchMs: number; results: Array<KernelBenchCase & { weightBytes: number; ms: number; GBps: number; ratioToCopy: number }>; errors: string[] };
    console.log(JSON.stringify(r, null, 2));
    console.log(`\ncopy ${r.copyGBps.toFixed(2)} GB/s (read + write), near-empty dispatch ${(r.dispatchMs * 1000).toFixed(0)} µs`);
    console.log('\n| case | type | MB | ms | GB/s | ratio to copy |\n|---|---|---|---|---|---|');
    for (const c of r.results) {
      console.log(`| ${c.name} | ${c.type} | ${(c.weightBytes / 1e6).toFixed(1)} | ${c.ms.toFixed(2)} | ${c.GBps.toFixed(2)} | ${(c.ratioToCopy * 100).toFixed(1)} % |`);
    }
  } finally {
    await h.close();
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
