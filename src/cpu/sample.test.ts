// The CPU sampler (wasm scan + TypeScript merge, model/cpu-sampler.ts) against the reference sampler
// (reference/sample.ts): on random logits with many exact ties (-0 beside +0 too), non-finite values (masked and
// not), masks (dense, sparse, one token, none), logit biases and penalties that move tokens into and out of the top
// K, every sampling filter and awkward vocabulary sizes, the token, the candidates, kept, probabilities and
// cumulative weights must be identical, and the non-finite count exact. Runs in Node (project cpu) and Chromium
// (kernels.gpu.test.ts imports this file).
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../scripts/fixtures/rng.js';
import { CpuSampler } from '../model/cpu-sampler.js';
import type { SamplingParams } from '../model/generator.js';
import { counterUniform, NonFiniteLogitsError, sampleCpu, samplingDistribution, type SamplingDistribution } from '../reference/sample.js';
import { maskOf, maskWords } from '../reference/token-mask.js';
import { DEFAULT_SAMPLING_PARAMS } from '../runtime/sampling-params.js';
import { CpuKernels, supportsRelaxedSimd, WasmArena } from './wasm-kernels.js';

const variants: Array<[string, boolean]> = [['plain SIMD', false]];
if (supportsRelaxedSimd()) variants.push(['relaxed SIMD', true]);

const SIZES = [1, 5, 31, 32, 33, 1000, 262144];

interface Case {
  readonly name: string;
  readonly logits: Float32Array;
  readonly p: SamplingParams;
  readonly history: Map<number, number>;
  readonly mask?: Uint32Array;
}

/** Logits of V tokens: few distinct levels (many exact ties, -0 and +0 among them) or smooth normals. */
function randomLogits(rng: Rng, V: number, ties: boolean): Float32Array {
  return Float32Array.from({ length: V }, () => {
    if (!ties) return rng.normal() * 3;
    const level = Math.round(rng.normal() * 2) / 2; // steps of 0.5: thousands of equal values at V = 262,144
    return level === 0 && rng.next() < 0.5 ? -0 : level;
  });
}

const NON_FINITE = [NaN, Infinity, -Infinity];

/** One random case: every option drawn independently (sizes from SIZES unless given). */
function randomCase(seed: number, V: number): Case {
  const rng = createRng(seed);
  const logits = randomLogits(rng, V, rng.next() < 0.6);
  const maskKind = rng.int(5); // 0, 1: none; 2: dense; 3: sparse; 4: one token
  let mask: Uint32Array | undefined;
  if (maskKind === 2) mask = maskOf(V, [...Array(V).keys()].filter(() => rng.next() < 0.5));
  if (maskKind === 3) mask = maskOf(V, Array.from({ length: 1 + rng.int(Math.min(V, 40)) }, () => rng.int(V)));
  if (maskKind === 4) mask = maskOf(V, [rng.int(V)]);
  if (mask && mask.every((w) => w === 0)) mask = maskOf(V, [rng.int(V)]);
  if (mask && V % 32 && rng.next() < 0.5) mask[mask.length - 1] |= ~0 << V % 32; // set bits past V mean nothing
  // Non-finite values: usually on masked tokens only (the reference ignores those), sometimes on allowed ones.
  if (rng.next() < 0.3) {
    for (let j = 0, n = 1 + rng.int(3); j < n; j++) {
      const id = rng.int(V);
      const allowed = !mask || ((mask[id >>> 5] >>> (id & 31)) & 1) === 1;
      if (!allowed || rng.next() < 0.3) logits[id] = NON_FINITE[rng.int(3)];
    }
  }
  const logitBias: Record<number, number> = {};
  if (rng.next() < 0.5) {
    for (let j = 0, n = 1 + rng.int(6); j < n; j++) logitBias[rng.int(V)] = [100, -100, 0.5, -0.5, 0, 3][rng.int(6)];
  }
  const history = new Map<number, number>();
  if (rng.next() < 0.5) {
    for (let j = 0, n = 1 + rng.int(20); j < n; j++) history.set(rng.int(V), rng.int(4)); // counts 0 included
    history.set(V + 5, 2); // outside the vocabulary: ignored
  }
  const penalise = rng.next() < 0.7 && history.size > 0;
  const p: SamplingParams = {
    ...DEFAULT_SAMPLING_PARAMS,
    temperature: [0, 0.7, 1, 1.5][rng.int(4)],
    topK: [0, 1, 3, 40, 64, 2000][rng.int(6)],
    topP: [1, 0.95, 0.5, 0.1][rng.int(4)],
    minP: [0, 0.05, 0.3][rng.int(3)],
    repetitionPenalty: penalise ? [1, 1.3, 0.8][rng.int(3)] : 1,
    presencePenalty: penalise ? [0, 0.5, -1][rng.int(3)] : 0,
    frequencyPenalty: penalise ? [0, 0.25, 2][rng.int(3)] : 0,
    logitBias,
    seed: rng.int(2 ** 32),
  };
  return { name: `random #${seed}, V ${V}`, logits, p, history, mask };
}

/** Hand-made cases for the edges the random ones may miss. */
function edgeCases(): Case[] {
  const V = 1000;
  const base = (f: (i: number) => number) => Float32Array.from({ length: V }, (_, i) => f(i));
  const none = new Map<number, number>();
  const hot: SamplingParams = { ...DEFAULT_SAMPLING_PARAMS, temperature: 1, topK: 0, topP: 1, minP: 0 };
  const greedy: SamplingParams = { ...hot, temperature: 0 };
  const all: Case[] = [];
  for (const p of [hot, greedy, { ...hot, topK: 40 }, { ...hot, topP: 0.9 }, { ...hot, minP: 0.1 }]) {
    const tag = `t ${p.temperature} k ${p.topK} p ${p.topP} min ${p.minP}`;
    all.push(
      { name: `all equal, -0 and +0 (${tag})`, logits: base((i) => (i % 3 ? -0 : 0)), p, history: none },
      { name: `all masked but one (${tag})`, logits: base((i) => Math.sin(i)), p, history: none, mask: maskOf(V, [617]) },
      { name: `K > allowed tokens (${tag})`, logits: base((i) => Math.cos(i)), p, history: none, mask: maskOf(V, [3, 64, 999, 500]) },
      { name: `non-finite on masked tokens only (${tag})`, logits: base((i) => (i < 3 ? [NaN, Infinity, -Infinity][i] : Math.sin(i))), p, history: none, mask: maskOf(V, [5, 9, 31, 32]) },
      { name: `NaN on an allowed token (${tag})`, logits: base((i) => (i === 700 ? NaN : Math.sin(i))), p, history: none },
      { name: `+inf on an allowed biased token (${tag})`, logits: base((i) => (i === 7 ? Infinity : Math.sin(i))), p: { ...p, logitBias: { 7: -5 } }, history: none },
      { name: `bias pushes a low token to the top and the top out (${tag})`, logits: base((i) => i / 100), p: { ...p, logitBias: { 0: 50, 999: -50, 998: 0 } }, history: none },
      { name: `bias ties a scanned token exactly (${tag})`, logits: base((i) => (i % 10) / 4), p: { ...p, logitBias: { 5: 1, 2: 0.25 } }, history: none },
      { name: `masked biased tokens, masked non-finite biased (${tag})`, logits: base((i) => (i === 4 ? NaN : Math.sin(i))), p: { ...p, logitBias: { 4: 3, 2: 9 } }, history: none, mask: maskOf(V, [1, 3, 8]) },
      {
        name: `penalties on the top tokens, counts 0, ids outside (${tag})`,
        logits: base((i) => (i % 7) - 3),
        p: { ...p, repetitionPenalty: 1.5, presencePenalty: 0.5, frequencyPenalty: 0.25, logitBias: { 3: 1 } },
        history: new Map([[3, 2], [10, 1], [17, 0], [-1, 3], [5000, 1], [24, 5]]),
      },
    );
  }
  return all;
}

/** The reference's distribution, or the error it throws. */
function referenceOf(c: Case): SamplingDistribution | Error {
  try {
    return samplingDistribution(c.logits, c.p, c.history, c.mask);
  } catch (e) {
    return e as Error;
  }
}

describe.each(variants)('CPU sampler, %s build', (_, relaxed) => {
  let arena: WasmArena;
  let kernels: CpuKernels;
  const samplers = new Map<number, { sampler: CpuSampler; ptr: number }>();
  beforeAll(async () => {
    arena = new WasmArena(false);
    kernels = await CpuKernels.create(arena, { relaxed });
  });
  const samplerFor = (V: number) => {
    let s = samplers.get(V);
    if (!s) samplers.set(V, (s = { sampler: new CpuSampler(kernels, V), ptr: arena.alloc(4 * Math.max(V, 4)) }));
    return s;
  };

  const check = (c: Case) => {
    const V = c.logits.length;
    const { sampler, ptr } = samplerFor(V);
    arena.f32(ptr, V).set(c.logits);
    const prepared = sampler.prepare(ptr, c.logits, c.p, c.history, c.mask);
    expect(prepared.nonFinite, c.name).toBe(c.logits.filter((x) => !Number.isFinite(x)).length);
    const want = referenceOf(c);
    if (want instanceof Error) {
      expect(want, c.name).toBeInstanceOf(NonFiniteLogitsError);
      expect(() => prepared.distribution(), c.name).toThrow(NonFiniteLogitsError);
      return 'error';
    }
    const got = prepared.distribution();
    expect(got.candidates, c.name).toEqual(want.candidates);
    expect(got.kept, c.name).toBe(want.kept);
    expect(got.probs, c.name).toEqual(want.probs);
    expect(got.cumulative, c.name).toEqual(want.cumulative);
    for (const step of [0, 1, 7]) {
      const u = () => counterUniform(c.p.seed, step);
      expect(prepared.sample(u), `${c.name}, step ${step}`).toBe(sampleCpu(c.logits, c.p, c.history, u, c.mask));
    }
    return want.kept > 1 ? 'spread' : 'single';
  };

  it('edge cases: ties, -0/+0, one allowed token, K > allowed, non-finite masked and not, biases, penalties', () => {
    const outcomes = edgeCases().map(check);
    expect(outcomes).toContain('error');
    expect(outcomes).toContain('spread');
  });

  it.each(SIZES)('random cases at V = %i', (V) => {
    const n = V >= 262144 ? 24 : V >= 1000 ? 120 : 200;
    const outcomes = Array.from({ length: n }, (_, i) => check(randomCase(V * 7919 + i, V)));
    if (V >= 32) expect(outcomes).toContain('spread');
  });

  it('a mask narrower than the vocabulary is refused', () => {
    const { sampler, ptr } = samplerFor(1000);
    expect(() => sampler.prepare(ptr, new Float32Array(1000), DEFAULT_SAMPLING_PARAMS, new Map(), new Uint32Array(maskWords(1000) - 1))).toThrow(RangeError);
  });
});
