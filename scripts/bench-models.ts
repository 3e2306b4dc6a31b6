// The benchmark models: GGUFs with the real E2B/E4B dimensions and random weights in the type mixes of real files,
// generated once into .cache/bench/ (same names as scripts/bench.ts, so both reuse one file).
import { existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { REAL_MIXES, SHAPES, generateFixture, type FixtureShape, type TypeMix } from './fixtures/gemma-fixture.js';
import { writeGgufFile } from './gguf-file-writer.js';
import { gemma4VocabFromLenml } from './vocab-from-lenml.js';

export const BENCH_MODELS: Record<string, { shape: FixtureShape; mix: TypeMix; mixName: string }> = {
  'e2b-q4_0': { shape: SHAPES.e2b, mix: REAL_MIXES['google-qat-q4_0'], mixName: 'Google QAT Q4_0 mix (Q4_0/Q4_1, Q6_K embeddings)' },
  'e2b-q4_k_m': { shape: SHAPES.e2b, mix: REAL_MIXES.q4_k_m, mixName: 'Q4_K_M mix (Q4_K/Q5_K/Q6_K)' },
  'e4b-q4_0': { shape: SHAPES.e4b, mix: REAL_MIXES['google-qat-q4_0'], mixName: 'Google QAT Q4_0 mix' },
  'e4b-q4_k_m': { shape: SHAPES.e4b, mix: REAL_MIXES.q4_k_m, mixName: 'Q4_K_M mix' },
};
const GENERATOR_VERSION = 1;

export async function ensureBenchModel(name: string): Promise<string> {
  const m = BENCH_MODELS[name];
  if (!m) throw new Error(`unknown model "${name}"; use ${Object.keys(BENCH_MODELS).join(', ')}`);
  const dir = resolve('.cache/bench');
  await mkdir(dir, { recursive: true });
  const path = resolve(dir, `${name}-v${GENERATOR_VERSION}.gguf`);
  if (existsSync(path)) return path;
  const t0 = performance.now();
  const fixture = generateFixture({ shape: m.shape, mix: m.mix, seed: 1, fill: 'tiled', vocab: gemma4VocabFromLenml() });
  await writeGgufFile(path + '.tmp', fixture.spec, fixture.tensorData);
  await rename(path + '.tmp', path);
  const size = (await stat(path)).size;
  console.error(`generated ${path} (${(size / 1e9).toFixed(2)} GB) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return path;
}
