// NODE_OPTIONS=--expose-gc npx tsx scripts/bench-pack.ts [--rows 6144] [--cols 1536] [--runs 7] [--baseline 44c6a13]
//   [--no-baseline] [--types Q4_0,Q6_K]      (--expose-gc: collect before every timed call, for steadier numbers)
// CPU repacking speed of packWeight (GGUF bytes -> GPU planes, done for every tensor at model load), in MB/s of
// GGUF bytes (median of --runs), per type. The types are interleaved, round by round, as a model load mixes them.
//   before        src/kernels/weight-layout.ts at git revision --baseline (default: the last one before the fast
//                 packer), loaded from `git show` into a temporary file; fresh output arrays, unaligned source
//   after         the working tree, the same way: source bytes at an odd offset (like a tensor cut out of a file
//                 buffer), fresh output arrays
//   afterAligned  source at offset 0
//   afterReused   packWeightInto the same arrays every time, as createGpuWeight does from one tensor to the next
//   allocOnly     just allocating the output arrays and touching every page: the ceiling for any packer that
//                 returns fresh arrays. On machines where first touches of fresh memory are slow (VMs), this, not
//                 the packing, bounds `before` and `after`.
// Checks that all versions produce identical bytes. Prints one JSON object, then a table.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ggmlTypeTraits } from '../src/gguf/ggml-types.js';
import { randomValidBlocks } from '../src/gguf/quantize.js';
import { packedArrayBytes, packWeight, packWeightInto } from '../src/kernels/weight-layout.js';
import { createRng } from './fixtures/rng.js';

const gc = (globalThis as { gc?: () => void }).gc;

type Pack = (type: number, rows: number, cols: number, bytes: Uint8Array) => { arrays: readonly Uint32Array[] };

const TYPES: Record<string, number> = { F32: 0, F16: 1, BF16: 30, Q8_0: 8, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q4_K: 12, Q5_K: 13, Q6_K: 14 };
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** packWeight of weight-layout.ts at git revision `rev`, or null if git cannot show it. */
async function baselinePack(rev: string): Promise<{ pack: Pack; cleanup: () => void } | null> {
  let text: string;
  try {
    text = execFileSync('git', ['show', `${rev}:src/kernels/weight-layout.ts`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
  const srcUrl = pathToFileURL(join(root, 'src')).href;
  text = text.replace(/from '\.\.\//g, `from '${srcUrl}/`).replace(/from '\.\/weight-/g, `from '${srcUrl}/kernels/weight-`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pack-'));
  const file = join(dir, 'weight-layout.baseline.ts');
  writeFileSync(file, text);
  const mod = (await import(pathToFileURL(file).href)) as { packWeight: Pack };
  return { pack: mod.packWeight, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function sameBytes(a: readonly Uint32Array[], b: readonly Uint32Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return false;
    for (let j = 0; j < a[i].length; j++) if (a[i][j] !== b[i][j]) return false;
  }
  return true;
}

interface Variant {
  readonly name: string;
  readonly run: () => readonly Uint32Array[];
  readonly ms: number[];
  last?: readonly Uint32Array[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '6144' },
      cols: { type: 'string', default: '1536' },
      runs: { type: 'string', default: '7' },
      baseline: { type: 'string', default: '44c6a13' },
      'no-baseline': { type: 'boolean', default: false },
      types: { type: 'string', default: Object.keys(TYPES).join(',') },
    },
  });
  const rows = Number(values.rows);
  const cols = Number(values.cols);
  const runs = Number(values.runs);
  const base = values['no-baseline'] ? null : await baselinePack(values.baseline);
  if (!values['no-baseline'] && !base) console.error(`note: git cannot show revision ${values.baseline}; no baseline`);

  const cases = values.types.split(',').map((name) => {
    const type = TYPES[name];
    if (type === undefined) throw new Error(`unknown type ${name}`);
    const traits = ggmlTypeTraits(type)!;
    const len = ((rows * cols) / traits.blockSize) * traits.typeSize;
    // random valid blocks (every code bit pattern, finite scales: the packer refuses NaN / Inf floats)
    const rng = createRng(type + 1);
    const blocks = randomValidBlocks(type, len / traits.typeSize, rng.next);
    const buf = new Uint8Array(len + 4);
    buf.set(blocks, 1);
    const unaligned = buf.subarray(1, 1 + len);
    const aligned = blocks;
    const sizes = packedArrayBytes(type, rows, cols);
    const reused = sizes.map((n) => new Uint32Array(n / 4));
    const variants: Variant[] = [
      { name: 'after', run: () => packWeight(type, rows, cols, unaligned).arrays, ms: [] },
      { name: 'afterAligned', run: () => packWeight(type, rows, cols, aligned).arrays, ms: [] },
      { name: 'afterReused', run: () => (packWeightInto(type, rows, cols, unaligned, reused), reused), ms: [] },
      { name: 'allocOnly', run: () => sizes.map((n) => new Uint32Array(n / 4).fill(1)), ms: [] },
    ];
    if (base) variants.push({ name: 'before', run: () => base.pack(type, rows, cols, unaligned).arrays, ms: [] });
    return { name, type, len, aligned, variants };
  });

  try {
    // one warm-up round, then `runs` timed rounds; each round packs every type once per variant
    for (let round = 0; round <= runs; round++) {
      for (const c of cases) {
        for (const v of c.variants) {
          v.last = undefined;
          gc?.(); // with --expose-gc: every variant starts from the same collected heap
          const t0 = performance.now();
          v.last = v.run();
          const ms = performance.now() - t0;
          if (round > 0) v.ms.push(ms);
          if (v.name === 'afterReused') v.last = v.last.map((a) => a.slice()); // compare a copy, not the reused arrays
        }
      }
      console.error(`round ${round}/${runs}`);
    }
  } finally {
    base?.cleanup();
  }

  const results: Record<string, Record<string, number | boolean>> = {};
  for (const c of cases) {
    const r: Record<string, number | boolean> = { bytes: c.len };
    for (const v of c.variants) r[v.name] = +(c.len / 1e6 / (median(v.ms) / 1000)).toFixed(1);
    const get = (name: string) => c.variants.find((v) => v.name === name)?.last;
    const after = get('after')!;
    let identical = sameBytes(after, get('afterReused')!);
    const before = get('before');
    if (before && base) {
      r.speedup = +((r.after as number) / (r.before as number)).toFixed(1);
      identical &&= sameBytes(before, after) && sameBytes(base.pack(c.type, rows, cols, c.aligned).arrays, get('afterAligned')!);
    }
    r.identical = identical;
    results[c.name] = r;
  }
  console.log(JSON.stringify({ rows, cols, runs, baseline: base ? values.baseline : null, unit: 'MB/s of GGUF bytes (median)', results }));
  console.table(results);
  if (Object.values(results).some((r) => r.identical === false)) {
    console.error('error: the packed bytes differ');
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
