// The benchmark models: real E2B/E4B dimensions with the tensor-type mixes real files use (random weights: speed
// does not depend on the values), plus tiny models with realistic values for correctness checks. Shared by
// `npm run bench` (Chromium) and the real-GPU kit (Node + Dawn).
import { REAL_MIXES, SHAPES, generateFixture, type FixtureShape, type GeneratedFixture, type TypeMix } from '../fixtures/gemma-fixture.js';
import type { Vocab } from '../fixtures/synthetic-vocab.js';

export interface BenchModel {
  readonly shape: FixtureShape;
  readonly mix: TypeMix;
  readonly mixName: string;
  /** 'tiled' for the GB-size files (seconds to make), 'quantize' for tiny models whose logits are checked. */
  readonly fill: 'tiled' | 'quantize';
}

export const BENCH_MODELS: Record<string, BenchModel> = {
  'e2b-q4_0': { shape: SHAPES.e2b, mix: REAL_MIXES['google-qat-q4_0'], mixName: 'Google QAT Q4_0 mix (Q4_0/Q4_1, Q6_K embeddings)', fill: 'tiled' },
  'e2b-q4_k_m': { shape: SHAPES.e2b, mix: REAL_MIXES.q4_k_m, mixName: 'Q4_K_M mix (Q4_K/Q5_K/Q6_K)', fill: 'tiled' },
  'e4b-q4_0': { shape: SHAPES.e4b, mix: REAL_MIXES['google-qat-q4_0'], mixName: 'Google QAT Q4_0 mix', fill: 'tiled' },
  'e4b-q4_k_m': { shape: SHAPES.e4b, mix: REAL_MIXES.q4_k_m, mixName: 'Q4_K_M mix', fill: 'tiled' },
  'tiny-q4_0': { shape: SHAPES.tiny, mix: REAL_MIXES['google-qat-q4_0'], mixName: 'tiny, Google QAT Q4_0 mix (realistic values)', fill: 'quantize' },
  'tiny-q4_k_m': { shape: SHAPES.kquant, mix: REAL_MIXES.q4_k_m, mixName: 'tiny K-quant shape, Q4_K_M mix (realistic values)', fill: 'quantize' },
};

export function benchModel(name: string): BenchModel {
  const m = BENCH_MODELS[name];
  if (!m) throw new Error(`unknown model "${name}"; use ${Object.keys(BENCH_MODELS).join(', ')}`);
  return m;
}

/** The model's fixture; deterministic, so separate processes can each generate a share of its tensors. */
export function benchFixture(name: string, vocab?: Vocab): GeneratedFixture {
  const m = benchModel(name);
  return generateFixture({ shape: m.shape, mix: m.mix, seed: 1, fill: m.fill, vocab });
}
